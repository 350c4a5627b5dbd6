"""The sections of benchmarks/llm_runs.py that measure ``form="auto"`` (issue 18 items 3-5):
Luo et al.'s 25M split, three 15k pilots predicting every 35k run, and the coverage of the
90% bootstrap interval on the 35k runs."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.stats

import _llm_mpl

from schedopt.calibration import fit_loss_curves

PILOTS = dict(horizon=15000, cooldown=0.2, decay="linear", peaks=(5e-4, 1e-3, 2e-3))
LUO_VARIANTS = [("form='auto' (default)", dict()),
                ("bound, p and q fitted, points from T/2", dict(form="bound")),
                ("bound, p and q fitted, all points", dict(form="bound", min_fraction=0.0)),
                ("multi_power, points from T/2", dict(form="multi_power")),
                ("multi_power, all points", dict(form="multi_power", min_fraction=0.0))]


def _cv_summary(model):
    cv = model.quality.get("cv")
    if cv is None:
        return {}
    return {"chosen": cv["chosen"], "cv_error": cv["cv_error"], "scheme": cv["scheme"],
            "candidates": [{"label": r["label"], "cv_error": r["cv_error"],
                            "skipped": r.get("skipped"), "degenerate": r.get("degenerate")}
                           for r in cv["candidates"]]}


def luo(variants=LUO_VARIANTS):
    """Fit on the paper's 3 curves, mean relative error over every logged point of the 6
    others (pooled, as the paper reports), and per run."""
    runs = _llm_mpl.load()
    train = [runs[n] for n in _llm_mpl.TRAIN]
    rows = []
    for label, kw in variants:
        t0 = time.perf_counter()
        model = fit_loss_curves(train, **kw)
        seconds = time.perf_counter() - t0
        per_run, pooled = {}, []
        for name in _llm_mpl.TEST:
            r = runs[name]
            rel = np.abs(model.predict(r["lr"], steps=r["steps"]) / r["loss"] - 1)
            per_run[name] = float(rel.mean())
            pooled.append(rel)
        pooled = np.concatenate(pooled)
        rows.append({"model": label, "options": kw, "fit_seconds": seconds,
                     "mean_rel_error": float(pooled.mean()),
                     "worst_rel_error": float(pooled.max()), "points": int(pooled.size),
                     "per_run": per_run, "flags": model.quality["flags"],
                     "form": model.form, **_cv_summary(model)})
        print(f"  Luo 25M, {label}: {seconds:.1f} s", flush=True)
    return {"train": list(_llm_mpl.TRAIN), "test": list(_llm_mpl.TEST), "rows": rows}


def _score(pred, obs):
    pick = int(np.argmin(pred))
    return {"mean_rel_error": float(np.mean(np.abs(pred / obs - 1))),
            "worst_rel_error": float(np.max(np.abs(pred / obs - 1))),
            "spearman": float(scipy.stats.spearmanr(pred, obs)[0]),
            "chosen_above_best": float(obs[pick] / obs.min() - 1)}


def pilots(data, holdout=35000, variants=None):
    """Three pilots at 15k steps (cool-down 0.2, the three peaks) predict every 35k run."""
    p = PILOTS
    chosen = [d for d in data if d["horizon"] == p["horizon"] and d["cooldown"] == p["cooldown"]
              and d["decay"] == p["decay"] and d["peak_lr"] in p["peaks"]]
    test = [d for d in data if d["horizon"] == holdout]
    obs = np.array([d["final"] for d in test])
    variants = variants or [("form='auto' (default)", dict()),
                            ("bound, p and q fitted, points from T/2", dict(form="bound")),
                            ("bound (C), p = q = 1, points from T/2",
                             dict(form="bound", d_power=False, noise_power=False)),
                            ("multi_power, points from T/2", dict(form="multi_power"))]
    rows = []
    for label, kw in variants:
        t0 = time.perf_counter()
        model = fit_loss_curves([d["run"] for d in chosen], **kw)
        seconds = time.perf_counter() - t0
        pred = np.array([model.predict(d["run"]["lr"]) for d in test])
        rows.append({"model": label, "options": kw, "fit_seconds": seconds,
                     **_score(pred, obs), "flags": model.quality["flags"],
                     "form": model.form, **_cv_summary(model)})
        print(f"  3 pilots, {label}: {seconds:.1f} s", flush=True)
    return {"pilots": [d["run"]["name"] for d in chosen], "test_runs": len(test), "rows": rows}


def coverage(data, holdout=35000, bootstrap=20, level=0.9):
    """The default model fitted on the 15k/25k runs with a bootstrap: the fraction of the 35k
    runs whose observed final loss lies inside the 90% interval, widened by the cross-validated
    final-loss errors (the library's interval), and of the bootstrap alone (the baseline)."""
    train = [d for d in data if d["horizon"] < holdout]
    test = [d for d in data if d["horizon"] == holdout]
    t0 = time.perf_counter()
    model = fit_loss_curves([d["run"] for d in train], bootstrap=bootstrap)
    seconds = time.perf_counter() - t0
    cv = {k: v for k, v in model.quality["cv"].items() if k != "final_errors"}
    boot_only = dataclasses.replace(model, quality=dict(model.quality, cv=cv))
    out = {"level": level, "bootstrap": bootstrap, "fit_seconds": seconds,
           "runs": len(test), "chosen": model.quality["cv"]["chosen"],
           "cv_final_errors": model.quality["cv"]["final_errors"]}
    for key, m in (("conformal", model), ("bootstrap_only", boot_only)):
        inside, widths, rows = 0, [], []
        for d in test:
            lo, hi = m.predict_interval(d["run"]["lr"], level=level)
            point = m.predict(d["run"]["lr"])
            assert lo <= point <= hi
            inside += lo <= d["final"] <= hi
            widths.append((hi - lo) / point)
            rows.append({"cooldown": d["cooldown"], "peak_lr": d["peak_lr"],
                         "observed": d["final"], "predicted": point, "interval": [lo, hi]})
        out[key] = {"coverage": inside / len(test), "inside": int(inside),
                    "mean_rel_width": float(np.mean(widths)), "rows": rows}
    print(f"  coverage: {seconds:.1f} s", flush=True)
    return out


def _pct(x):
    return "–" if x is None else f"{100 * x:.3f}%"


def markdown(results) -> list:
    lines = []
    L = results.get("luo")
    if L:
        lines += ["", "Luo et al.'s 25M runs, the paper's split: fit on "
                  f"{', '.join(L['train'])}; mean relative error over every logged point of "
                  f"{', '.join(L['test'])} (the paper reports about 0.2% for its law):", "",
                  "| model | mean rel. error | worst | chosen by auto (CV error) | flags | fit s |",
                  "|---|---|---|---|---|---|"]
        for r in L["rows"]:
            chosen = f"{r['chosen']} ({_pct(r['cv_error'])})" if "chosen" in r else "–"
            lines.append(f"| {r['model']} | {_pct(r['mean_rel_error'])} | "
                         f"{_pct(r['worst_rel_error'])} | {chosen} | "
                         f"{'; '.join(r['flags']) or '–'} | {r['fit_seconds']:.1f} |")
    P = results.get("pilots")
    if P:
        lines += ["", f"{len(P['pilots'])} pilots at 15k steps (linear cool-down 0.2, peaks "
                  f"5e-4/1e-3/2e-3) predict the final loss of every {P['test_runs']} runs at 35k:",
                  "", "| model | mean rel. error | worst | Spearman ρ | chosen vs best | "
                  "chosen by auto (CV error) | flags |", "|---|---|---|---|---|---|---|"]
        for r in P["rows"]:
            chosen = f"{r['chosen']} ({_pct(r['cv_error'])})" if "chosen" in r else "–"
            lines.append(f"| {r['model']} | {_pct(r['mean_rel_error'])} | "
                         f"{_pct(r['worst_rel_error'])} | {r['spearman']:.3f} | "
                         f"+{_pct(r['chosen_above_best'])} | {chosen} | "
                         f"{'; '.join(r['flags']) or '–'} |")
    C = results.get("coverage")
    if C:
        a, b = C["conformal"], C["bootstrap_only"]
        lines += ["", f"Coverage: the default model fitted on the 15k/25k runs with "
                  f"{C['bootstrap']} bootstrap refits ({C['chosen']}); its "
                  f"{100 * C['level']:.0f}% interval widened by the {len(C['cv_final_errors'])} "
                  f"cross-validated final-loss errors (split-conformal) holds {a['inside']} of "
                  f"{C['runs']} observed 35k final losses (coverage {100 * a['coverage']:.0f}%, "
                  f"mean width {_pct(a['mean_rel_width'])} of the prediction); the bootstrap "
                  f"interval alone holds {b['inside']} (coverage {100 * b['coverage']:.0f}%, "
                  f"mean width {_pct(b['mean_rel_width'])})."]
    return lines
