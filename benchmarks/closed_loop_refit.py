"""Why the closed loop's plans miss tuned WSD: every shipped loss-form variant refitted on a
result's pilots and asked for the final loss of every grid run (issue 18).

Takes a finished ``closed_loop.py`` result (its JSON in ``benchmarks/results/``), rebuilds
its pilot runs from the logged curves (``closed_loop_peak.rebuild_pilots``: the same files
``schedopt calibrate`` read), fits each variant with ``fit_loss_curves`` and predicts the
final validation loss of every (family, peak) of the result's grid at T, against the
observed seed-0 losses. The Multi-Power Law is also fitted from 48 starting points (its
``_leastsq`` solve from each, the best fit kept), so that a failure to fit is not a bad
start. Columns: the fit's rms error on the pilots, the mean error on the grid runs (all that
finished, and those below 2.4 nats, i.e. off the plateau), the predicted best (family, peak)
and its observed loss, and the model's WSD at the grid's best WSD peak against the
observation.

Usage: ``python benchmarks/closed_loop_refit.py --result benchmarks/results/closed_loop_adamw_pilots_half.json``;
writes ``results/closed_loop_refit_<name>.{json,md}`` (``<name>``: the result's file name
after ``closed_loop_``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import closed_loop as cl  # noqa: E402
import closed_loop_peak as clp  # noqa: E402

VARIANTS = [("bound, p and q, points from T/2", dict(form="bound", min_fraction=0.5)),
            ("bound, p and q, points from T/4", dict(form="bound", min_fraction=0.25)),
            ("bound, p and q, points from 0.75 T", dict(form="bound", min_fraction=0.75)),
            ("bound, p and q, points from 0.9 T", dict(form="bound", min_fraction=0.9)),
            ("bound, p only, points from T/2", dict(form="bound", noise_power=False,
                                                    min_fraction=0.5)),
            ("multi_power, points from T/2", dict(form="multi_power", min_fraction=0.5)),
            ("multi_power, points from 0.75 T", dict(form="multi_power", min_fraction=0.75))]
STABLE = 2.4          # nats/byte: grid runs below this have left the plateau (~2.44)


def mpl_multistart(runs, min_fraction):
    """The Multi-Power Law's best least-squares fit over 48 starts: (rms, θ, lr_scale, scale)."""
    import jax
    import jax.numpy as jnp

    from schedopt.calibration import _forms
    from schedopt.calibration import _leastsq as L

    lr_scale = float(max(np.max(r.lr) for r in runs))
    feats, loss, weight, _ = L._design(runs, "multi_power", lr_scale, False, 100, 1.0,
                                       min_fraction)
    scale = float(np.exp(np.mean(np.log(loss))))
    y = loss / scale
    th0 = _forms.start("multi_power", feats, y)
    best = (np.inf, None)
    for la, lB, dC, lb, lg in itertools.product(np.log([0.3, 1.0]), np.log([0.1, 1.0, 10.0]),
                                                (-3.0, 0.0, 3.0), np.log([0.5, 3.0]),
                                                np.log([0.2, 0.8])):
        t = th0.copy()
        t[2], t[3], t[4], t[5], t[6] = la, lB, th0[4] + dC, lb, lg
        theta, _ = L._solve("multi_power", feats, y, weight, np.ones(7, bool), t, False)
        with jax.enable_x64(True):
            pred = np.asarray(_forms.mpl_predict(jnp.asarray(theta), jnp.asarray(feats)))
        rms = float(np.sqrt(np.average((pred / y - 1) ** 2, weights=weight)))
        if rms < best[0]:
            best = (rms, theta)
    return best[0], best[1], lr_scale, scale


def mpl_predict_final(theta, lr_scale, scale, lr):
    import jax
    import jax.numpy as jnp

    from schedopt.calibration import _forms

    f = _forms.features("multi_power", lr / lr_scale, np.array([lr.size]))
    with jax.enable_x64(True):
        return float(_forms.mpl_predict(jnp.asarray(theta), jnp.asarray(f))[0]) * scale


def score(label, fit_rms, pred, obs, wsd_peak, flags=()):
    keys = list(obs)
    rel = np.array([pred[k] / obs[k] - 1 for k in keys if np.isfinite(obs[k])])
    off = np.array([pred[k] / obs[k] - 1 for k in keys if obs[k] < STABLE])
    pick = min(keys, key=pred.get)
    return {"model": label, "fit_rms": fit_rms, "grid_mean_abs_error": float(np.abs(rel).mean()),
            "off_plateau_mean_abs_error": float(np.abs(off).mean()),
            "predicted_best": list(pick), "predicted_best_observed": float(obs[pick]),
            "wsd_at_best_peak": [pred[("wsd", wsd_peak)], float(obs[("wsd", wsd_peak)])],
            "flags": list(flags),
            "grid": {f"{f}@{p:g}": [pred[(f, p)], float(obs[(f, p)])] for f, p in keys}}


def run(result_path: pathlib.Path) -> dict:
    from schedopt.calibration import fit_loss_curves, read_runs
    from schedopt.calibration._guards import split_diverged

    result = json.loads(result_path.read_text())
    T, eval_every = result["steps"], result["model"]["eval_every"]
    grid, finals = result["grid"], np.asarray(result["grid_final"])
    obs = {(f, p): finals[i, j] for i, f in enumerate(cl.FAMILIES) for j, p in enumerate(grid)}
    wsd_peak = grid[int(np.argmin(finals[cl.FAMILIES.index("wsd")]))]
    with tempfile.TemporaryDirectory() as tmp:
        clp.rebuild_pilots(result, pathlib.Path(tmp), T, eval_every)
        runs = read_runs(tmp)
    rows = []
    for label, kw in VARIANTS:
        m = fit_loss_curves(runs, **kw)
        pred = {k: float(m.predict(cl.baseline(k[0], T, k[1]))) for k in obs}
        rows.append(score(label, m.quality["rms_relative_error"], pred, obs, wsd_peak,
                          m.quality.get("flags", [])))
        print(f"  {label}", flush=True)
    fitted, _ = split_diverged(runs)        # what fit_loss_curves fits (diverged pilots out)
    for frac in (0.5, 0.75):
        rms, theta, lr_scale, scale = mpl_multistart(fitted, frac)
        pred = {k: mpl_predict_final(theta, lr_scale, scale, cl.baseline(k[0], T, k[1]))
                for k in obs}
        rows.append(score(f"multi_power, points from {frac:g} T, best of 48 starts", rms, pred,
                          obs, wsd_peak))
        print(f"  multi_power multistart {frac}", flush=True)
    best = min(obs, key=obs.get)
    return {"result": str(result_path.relative_to(HERE.parent)), "steps": T,
            "optimizer": result["optimizer"], "observed_best": [*best, float(obs[best])],
            "rows": rows}


def markdown(out) -> list:
    f, p, v = out["observed_best"]
    lines = [f"### Loss forms refitted on the pilots of `{out['result']}` ({out['optimizer']}, "
             f"T = {out['steps']})", "",
             f"Observed best grid run (seed 0): {f} at {p:g}, {v:.4f}.", "",
             "| model | fit rms on pilots | grid runs, mean error | off the plateau | "
             "predicted best → observed | WSD at its best grid peak: predicted / observed |",
             "|---|---|---|---|---|---|"]
    for r in out["rows"]:
        pf, pp = r["predicted_best"]
        lines.append(f"| {r['model']} | {100 * r['fit_rms']:.2f}% | "
                     f"{100 * r['grid_mean_abs_error']:.2f}% | "
                     f"{100 * r['off_plateau_mean_abs_error']:.2f}% | {pf} at {pp:g} → "
                     f"{r['predicted_best_observed']:.4f} | {r['wsd_at_best_peak'][0]:.4f} / "
                     f"{r['wsd_at_best_peak'][1]:.4f} |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--result", required=True, type=pathlib.Path)
    a = p.parse_args(argv)
    if not a.result.is_file():
        p.error(f"--result: no such file {str(a.result)!r}")
    out = run(a.result.resolve())
    print(clp.write_tables(a.result, "closed_loop_refit", out, "\n".join(markdown(out)) + "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
