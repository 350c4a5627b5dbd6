"""Open the report in headless Chromium, as a reader would, and save screenshots.

Usage: ``python benchmarks/screenshot_report.py [--report DIR] [--out DIR] [--make]``

``--make`` first writes a quick report (``schedopt report --quick``) into ``--report``. The
page is opened from the file system with networking disabled, so a screenshot that shows the
figures proves they are embedded in the HTML. Writes ``<out>/report_top.png`` (the first
screen) and ``<out>/report_full.png`` (a tall window that holds the whole page; ``<out>`` is
the report's folder unless given), and prints the PNG sizes. Needs Debian's ``chromium`` package (``apt-get install -y chromium``). Not part
of ``make test``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium found: apt-get update && apt-get install -y chromium")


def screenshot(html: Path, png: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
               f"--window-size={width},{height}", "--virtual-time-budget=5000",
               html.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0 or not png.is_file():
        sys.exit(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")


def page_height(html: Path) -> int:
    """A window tall enough for the whole report: figures are ≤ 70rem wide, so estimate from
    the number of figures and table rows (Chromium's --screenshot has no full-page mode)."""
    text = html.read_text(encoding="utf-8")
    return min(16000, 800 + 800 * text.count("<figure>") + 30 * text.count("<tr>"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=ROOT / "report",
                        help="folder holding report.html (default ./report)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the screenshots go (default: the report's folder)")
    parser.add_argument("--make", action="store_true", help="write a quick report first")
    args = parser.parse_args(argv)
    if args.make:
        subprocess.run([sys.executable, "-m", "schedopt", "report", "--quick", "--no-progress",
                        "--out", str(args.report)], check=True)
    html = args.report / "report.html"
    if not html.is_file():
        sys.exit(f"no report at {html}: run `schedopt report --out {args.report}` or pass --make")
    args.out = args.report if args.out is None else args.out
    args.out.mkdir(parents=True, exist_ok=True)
    shots = {"report_top.png": (1280, 900), "report_full.png": (1280, page_height(html))}
    for name, (width, height) in shots.items():
        screenshot(html, args.out / name, width, height)
        print(f"{args.out / name}: {width}×{height}, {(args.out / name).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
