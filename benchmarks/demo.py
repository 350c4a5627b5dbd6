"""``make demo``: the report on its defaults plus the quick training benchmark.

The package's report never imports from ``benchmarks/``; this script adds the training
benchmark of ``benchmarks/training.py`` through ``write_report``'s ``sections=`` hook.

    python benchmarks/demo.py [--out report]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import training  # noqa: E402  (benchmarks/training.py)
from _training_figures import figures  # noqa: E402

from schedopt.report import Figure  # noqa: E402
from schedopt.report import Section  # noqa: E402
from schedopt.report import Table  # noqa: E402
from schedopt.report import format_number  # noqa: E402

CAPTIONS = {
    "training_gap_vs_bound": "convex problems: measured mean last-iterate gap against bound (C) "
                             "for each schedule (below the diagonal: the bound holds)",
    "training_convex_curves": "convex problems: mean gap L(θ_t) − L* along training",
    "training_mlp_curves": "MLP on digits: mini-batch training loss at each schedule's best "
                           "peak learning rate",
    "training_mlp_lr_sweep": "MLP on digits: final training loss against the peak learning rate",
}


def training_tables(results) -> list:
    """The quick training benchmark's results dict as report tables."""
    items = []
    for p in results["convex"]:
        rows = []
        for h in p["horizons"]:
            for r in h["schedules"]:
                rows.append([h["steps"], r["schedule"], format_number(r["peak_lr"]), format_number(r["bound"]),
                             f"{r['gap_mean']:.4g} ± {r['gap_ci95']:.2g}",
                             format_number(r["gap_mean"] / r["bound"], 3), format_number(r["bound_holds"])])
            rows.append([h["steps"], "Spearman ρ (gap rank vs bound rank)", "", "", "",
                         f"{h['spearman_rho']:.3f} (p = {h['spearman_pvalue']:.2g})", ""])
        items.append(Table(
            headers=["T", "schedule", "peak η (best multiplier)", "bound (C)",
                     "mean gap L(θ_T) − L* (95% CI)", "gap / bound", "bound holds"],
            rows=rows,
            caption=f"{p['problem']} on {p['dataset']} (convex, G-Lipschitz): D = {p['D']:.4g}, "
                    f"G = {p['G']:.4g}, L* = {p['L_star']:.6g}; each schedule at its "
                    f"bound-optimal multiplier, {p['horizons'][0]['seeds']} seeds."))
    m = results["mlp"]
    for opt in m["optimizers"]:
        items.append(Table(
            headers=["schedule", "best peak LR", "final training loss (mean ± std)",
                     "test accuracy (mean ± std)"],
            rows=[[r["schedule"], format_number(r["best_peak_lr"])
                   + (" (grid edge)" if r["best_peak_lr"] in (min(opt["peak_lrs"]),
                                                              max(opt["peak_lrs"])) else ""),
                   f"{r['train_loss_mean']:.4g} ± {r['train_loss_std']:.2g}",
                   f"{r['test_accuracy_mean']:.4f} ± {r['test_accuracy_std']:.4f}"]
                  for r in opt["schedules"]],
            caption=f"{opt['optimizer']} on {m['dataset']}, {m['architecture']}, {m['steps']} "
                    f"steps of batch {m['batch']}, {m['seeds']} seeds, peak LRs "
                    f"{', '.join(f'{x:g}' for x in opt['peak_lrs'])} (best: lowest mean "
                    f"final training loss; a best at the grid's edge may lie beyond it)."))
    return items


def training_section(show_progress: bool) -> Section:
    """The quick training benchmark as a report section (run now, a few minutes)."""
    results = training.run(quick=True, progress=show_progress)
    violations = training.bound_violations(results)
    text = (f"The quick mode of benchmarks/training.py ({results['seconds']:.0f} s here): SGD "
            f"through optax on convex problems built on scikit-learn data, where bound (C) "
            f"must hold, and an MLP on digits with SGD + momentum and Adam, beyond the "
            f"theory. The full benchmark (python benchmarks/training.py) uses more seeds, "
            f"horizons and learning rates; its tables are in benchmarks/README.md.")
    items = [text]
    if violations:
        items.append("BOUND VIOLATED (a bug to find): " + "; ".join(violations))
    items += training_tables(results)
    with tempfile.TemporaryDirectory() as folder:
        for path in figures(results, folder):
            items.append(Figure(name=path.stem, png=path.read_bytes(),
                                caption=CAPTIONS.get(path.stem, path.stem)))
    return Section("Training benchmark (quick mode)", items)




def worst_case_section(show_progress: bool) -> Section:
    """The exact worst case of the schedules a user might apply (docs/math.md §5), read as
    data from ``benchmarks/results/worst_case.json`` (``benchmarks/worst_case.py``, minutes
    of semidefinite programs: not re-run here)."""
    path = Path(__file__).resolve().parent / "results" / "worst_case.json"
    if not path.is_file():
        return Section("The schedule you apply: exact worst case",
                       ["Not available: run python benchmarks/worst_case.py first."])
    data = json.loads(path.read_text())
    rows = data["rows"]
    names = list(rows[0]["schedules"])
    table = Table(
        headers=["schedule"] + [f"N = {r['N']}" for r in rows],
        rows=[[data["labels"].get(name, name)] + [f"{r['schedules'][name]['ratio']:.4f}"
                                                  for r in rows] for name in names]
        + [["bound (C) / worst case, applied optimum"]
           + [f"{r['schedules']['applied']['bound_over_worst']:.3f}" for r in rows]],
        caption="Exact deterministic worst case of f(θ_{N+1}) − f* after applying each "
                "schedule's N rates, divided by the minimax value D·G/√(N+1) (1 is the best "
                "any N-step method can guarantee; schedopt.worst_case, docs/math.md §5.2).")
    text = ("Training for N updates keeps θ_{N+1}, so the rates to apply are the first N of "
            "the horizon-(N+1) optimum (schedopt.applied_schedule): their exact worst case "
            "is within 6% of the best possible, while applying the full horizon-N optimum, "
            "with its last-step bump, costs up to 50%. Linear decay at its best multiplier "
            "is within 0.1% of the minimax value, so bound (C)'s optimum is a safe default "
            "only under the applied-rate rule.")
    items = [text, table]
    figure = Path(__file__).resolve().parent / "figures" / "worst_case.png"
    if figure.is_file():
        items.append(Figure(name="worst_case", png=figure.read_bytes(),
                            caption="worst case / minimax against N (benchmarks/worst_case.py)"))
    return Section("The schedule you apply: exact worst case", items)


def main(argv=None) -> int:
    from schedopt.cli._report import write

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="report", help="output folder (default ./report)")
    args = parser.parse_args(argv)
    paths = write(args.out, quick=False, show_progress=None,
                  sections=[("worst case", worst_case_section),
                            ("training benchmark", training_section)])
    html, md = paths["html"].resolve(), paths["md"].resolve()
    print(f"The report is in {html.parent}/ ({paths['seconds']:.0f} s): open {html} in a "
          f"browser, or read {md}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
