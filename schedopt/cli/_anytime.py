"""``schedopt anytime``: one schedule that is good at every checkpoint."""

from __future__ import annotations

import argparse

from schedopt.cli import _common as c

NAME = "anytime"
HELP = "the schedule with the best worst ratio to the optimum over checkpoints"
DESCRIPTION = ("For checkpoints t_1 < ... < t_K (numbers of updates at which the run may "
               "stop), write the schedule of t_K rates that minimises the worst ratio "
               "bound(t_i)/optimal_bound(t_i), where bound(t_i) is bound (C) of the "
               "parameters kept after t_i updates (docs/math.md §5.1), and print the ratio "
               "at each checkpoint with the certified lower bound on the best worst ratio.")
EXAMPLES = ["schedopt anytime --checkpoints 10000,20000,40000,80000 --out eta.json"]
FUNCTION = "schedopt.anytime_schedule"
# Flags that are not parameters of FUNCTION, and what each is for.
CLI_ONLY = {"out": "the output file"}


def _checkpoints(text: str) -> list:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, "
                                         f"got {text!r}") from None


def add_arguments(p) -> None:
    p.add_argument("--checkpoints", type=_checkpoints, required=True, metavar="T1,T2,...",
                   help="increasing numbers of updates, separated by commas")
    c.flag_D(p)
    p.add_argument("--G", type=c.number, default=1.0, metavar="X",
                   help="gradient-norm bound G (> 0, default 1)")
    p.add_argument("--tol", type=c.number, default=1e-5, metavar="X",
                   help="certified gap on the worst ratio to stop at (default 1e-5)")
    p.add_argument("--max-iter", dest="max_iter", type=c.whole_number, default=500,
                   metavar="N", help="limit on Newton steps (default 500)")
    c.flag_out(p)


def run(args) -> int:
    import numpy as np

    from schedopt.adapters import _io
    from schedopt.solvers import anytime_schedule

    out = _io.check_output_path(args.out)
    c.check_memory(max(args.checkpoints), "--checkpoints")
    result = anytime_schedule(args.checkpoints, args.D, args.G, tol=args.tol,
                              max_iter=args.max_iter)
    suffix = out.suffix.lower()
    if suffix == ".json":
        _io.write_json(out, {
            "checkpoints": list(result.checkpoints), "D": args.D, "G": args.G,
            "ratios": result.ratios.tolist(), "worst_ratio": result.worst_ratio,
            "lower_bound": result.lower_bound, "gap": result.gap,
            "bounds": result.bounds.tolist(), "optimal_bounds": result.optimal_bounds.tolist(),
            "converged": result.converged, "iterations": result.iterations,
            "seconds": result.seconds, "message": result.message,
            "eta": result.eta.tolist()})
    elif suffix == ".csv":
        eta = result.eta
        _io.write_csv(out, {"step": np.arange(1, eta.shape[0] + 1), "eta": eta})
    else:
        _io.write_npy(out, result.eta)
    lines = [f"checkpoint {t}: ratio {r:.6f}" for t, r in zip(result.checkpoints, result.ratios)]
    lines.append(f"worst ratio {result.worst_ratio:.8f}, best possible >= "
                 f"{result.lower_bound:.8f} (certified gap {result.gap:.2e}, "
                 f"{'converged' if result.converged else 'NOT converged'}, "
                 f"{result.iterations} Newton steps, {result.seconds:.3g} s)")
    lines.append(f"wrote {out}")
    print("\n".join(lines))
    return 0
