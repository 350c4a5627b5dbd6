"""Every Python and shell sample of the README runs as written, in the README's order, in a
fresh folder (issue 19): the Python blocks as scripts, and each line of a shell block that
starts with ``schedopt`` or ``python``. The samples that take more than a few seconds (the
report, the scaling fit, the real-run calibration) are marked slow."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SLOW = ("schedopt scaling", "schedopt report", "schedopt demo", "schedopt anytime",
        "python benchmarks/llm_runs.py", "schedopt calibrate", "schedopt plan", "--model",
        "fit_loss_curves")


def samples():
    """(kind, text) in the README's order: python blocks, and shell command lines."""
    found = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", README, re.M | re.S):
        if lang == "python":
            found.append(("python", body))
        elif lang in ("", "bash"):
            for line in body.splitlines():
                if line.startswith(("schedopt ", "python ")):
                    found.append(("shell", line))
    return found


SAMPLES = samples()


def _id(sample):
    kind, text = sample
    first = text.strip().splitlines()[-1 if kind == "python" else 0]
    return f"{kind}: {first[:60]}"


def _slow(sample) -> bool:
    return any(word in sample[1] for word in SLOW)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The samples' folder, and the indices of the samples already run in it."""
    path = tmp_path_factory.mktemp("readme")
    (path / "benchmarks").symlink_to(ROOT / "benchmarks")      # as in a clone's root
    return path, set()


def test_the_readme_has_samples_of_both_kinds():
    kinds = [k for k, _ in SAMPLES]
    assert kinds.count("python") >= 4 and kinds.count("shell") >= 15


@pytest.mark.parametrize("index", [
    pytest.param(i, id=_id(s), marks=[pytest.mark.slow] if _slow(s) else [])
    for i, s in enumerate(SAMPLES)])
def test_sample_runs_as_written(index, folder, monkeypatch, capsys):
    path, done = folder
    # the fast samples before this one first (-m slow runs only the slow ones)
    for earlier in range(index):
        if earlier not in done and not _slow(SAMPLES[earlier]):
            done.add(earlier)
            try:
                _run(SAMPLES[earlier], path, monkeypatch, capsys)
            except pytest.skip.Exception:
                pass
    _run(SAMPLES[index], path, monkeypatch, capsys)
    done.add(index)


def _run(sample, folder, monkeypatch, capsys):
    kind, text = sample
    if "import torch" in text:
        pytest.importorskip("torch")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    if kind == "python":
        argv = [sys.executable, "-c", text]
    else:
        argv = shlex.split(text, comments=True)
        if argv[0] == "schedopt":                  # in this process: no second start-up
            from schedopt import cli

            monkeypatch.chdir(folder)
            status = cli.main(argv[1:])
            assert status == 0, f"{text}\n{capsys.readouterr().err[-2000:]}"
            return
        argv = [sys.executable] + argv[1:]
    proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{text}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
