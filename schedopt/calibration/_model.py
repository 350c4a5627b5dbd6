"""A fitted loss model: predictions for any schedule, the best peak LR and the best schedule.

Applied-rate rule (docs/math.md §5.1): ``lr[t-1]`` is the rate of the t-th update and the loss
after t updates is that of θ_{t+1}; in the bound form it is bound (C) at horizon t+1, whose
last weight η_{t+1} is never applied and is chosen by the model (``_forms``). ``best_schedule``
therefore solves bound (C) at horizon N+1 and returns its first N rates.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from schedopt._search import golden_section
from schedopt.calibration import _forms

_FORMAT = "schedopt.calibration/1"
_CAP_ROUNDS = 3
_FAR = 10          # a plan over this many times the longest pilot's updates is warned of


@dataclasses.dataclass(frozen=True)
class Decision:
    """A recommended schedule (rates to apply at steps 1..N) with its predicted final loss."""
    lr: np.ndarray
    peak_lr: float
    loss: float
    interval: tuple[float, float] | None
    message: str
    warnings: tuple = ()


@dataclasses.dataclass(frozen=True)
class LossModel:
    """Constants of a loss form fitted to runs (see ``fit_loss_curves``); rates in LR units."""
    form: str
    params: dict
    lr_scale: float
    grad_norms: bool = False
    quality: dict = dataclasses.field(default_factory=dict)
    bootstrap: list = dataclasses.field(default_factory=list)
    # The smallest peak LR of a diverged pilot (a cap on every recommended peak), and the
    # (lowest, highest) peak LR of the fitted pilots; both in LR units.
    diverged_peak_lr: float | None = None
    pilot_peak_lrs: tuple = ()

    # --- predictions ---------------------------------------------------------------------

    def _theta(self, params=None):
        params = self.params if params is None else params
        return jnp.asarray([params[k] for k in _forms.param_names(self.form)], jnp.float64)

    def _features(self, lr, steps, grad_norm):
        lr = np.asarray(lr, np.float64).reshape(-1)
        if lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0) or lr.sum() <= 0:
            raise ValueError("lr must be a non-empty array of finite rates >= 0, not all 0")
        scalar = steps is None
        steps = _step_numbers(lr.size if steps is None else steps, lr.size)
        g = None
        if grad_norm is not None:
            try:
                g = np.asarray(grad_norm, np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise ValueError("grad_norm must be an array of numbers") from None
            if g.size != lr.size:
                raise ValueError(f"grad_norm must have one value per rate ({lr.size}), got "
                                 f"{g.size}")
            if not np.all(np.isfinite(g) & (g > 0)):
                i = int(np.flatnonzero(~(np.isfinite(g) & (g > 0)))[0])
                raise ValueError(f"grad_norm must be finite and > 0 at every step; step "
                                 f"{i + 1} has {float(g[i])!r}")
            g = g / np.mean(g)
        return _forms.features(self.form, lr / self.lr_scale, steps, g), scalar

    def predict(self, lr, steps=None, *, grad_norm=None):
        """Predicted loss after ``steps`` updates (default: all of them) of the rates ``lr``.

        ``lr`` holds the rate applied at steps 1..T; ``steps`` is an int or an array of step
        numbers in 1..T. ``grad_norm``: one G_t per step for a model fitted with
        ``grad_norms=True`` (without it such a model assumes a constant G). Returns a float
        when ``steps`` is None, else a float64 array.
        """
        feats, scalar = self._features(lr, steps, grad_norm)
        with _x64():
            out = np.asarray(_forms.predict_fn(self.form)(self._theta(), jnp.asarray(feats)))
        return float(out[0]) if scalar else out

    def predict_interval(self, lr, steps=None, *, level=0.9, grad_norm=None):
        """(low, high) of the bootstrap refits' predictions widened by the model's own error,
        or None without a bootstrap.

        The bootstrap over runs only carries the parameters' noise. With ``form="auto"`` the
        signed relative errors e of the held-out final losses in its cross-validation are
        kept, and the interval also holds point/(1 + h)..point/(1 − h), h the split-conformal
        quantile of |e| at ``level`` (the ⌈(n+1)·level⌉-th smallest of n; the largest where
        that rank exceeds n). It always holds the point prediction.
        """
        if not self.bootstrap:
            return None
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ValueError(f"level must be a number in (0, 1), got {level!r}")
        feats, _ = self._features(lr, steps, grad_norm)
        with _x64():
            preds = np.array([np.asarray(_forms.predict_fn(self.form)(self._theta(p),
                                                                     jnp.asarray(feats)))
                              for p in self.bootstrap])
        q = (1 - level) / 2
        lo, hi = np.quantile(preds, [q, 1 - q], axis=0)
        # The interval always holds the point prediction (a skewed bootstrap may not).
        point = self.predict(lr, steps, grad_norm=grad_norm)
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
        h = conformal_halfwidth(self.quality.get("cv", {}).get("final_errors"), level)
        if h is not None:
            lo = np.minimum(lo, point / (1 + h))
            hi = np.maximum(hi, point / (1 - h) if h < 1 else np.inf)
        return (float(lo[-1]), float(hi[-1])) if np.ndim(steps) == 0 else (lo, hi)

    # --- decisions -----------------------------------------------------------------------

    def best_peak_lr(self, shape, steps, *, bounds=None) -> Decision:
        """The peak LR minimising the predicted final loss of ``peak_lr · shape``.

        ``shape``: a peak-1 array of length ``steps`` or a callable ``shape(steps)`` (e.g.
        ``schedopt.linear_decay``). ``bounds``: (low, high) search range of the peak LR
        (default: 1e-3..1e3 × the fitted LR scale), never above the peak of a diverged pilot.
        """
        if self.form == "multi_power":
            raise ValueError("the multi_power form cannot choose a peak LR: its loss falls with "
                             "any added LR area, so the search would end at its upper bound; "
                             "use best_schedule (the best pilot's peak) or the bound form")
        steps = _validation_steps(steps)
        try:
            s = np.asarray(shape(steps) if callable(shape) else shape, np.float64)
        except (TypeError, ValueError):
            raise ValueError("shape must be an array of numbers or a callable shape(steps)") \
                from None
        if s.ndim != 1 or s.size != steps:
            raise ValueError(f"shape must have {steps} values (steps), got shape {s.shape}")
        if not np.all(np.isfinite(s)) or np.any(s < 0) or np.max(s) <= 0:
            raise ValueError("shape must be finite, >= 0 and not all 0 (a peak-1 schedule)")
        s = s / np.max(s)
        lo, hi = _search_range(bounds, self.lr_scale)
        cap = self.diverged_peak_lr
        if cap is not None and hi > cap:
            if lo >= cap:
                raise ValueError(f"bounds {bounds!r} lie above the peak LR {cap:g} at which a "
                                 "pilot diverged")
            hi = cap
        # Every feature of both forms is homogeneous of degree 1 in the rates, so the
        # features of the shape are computed once and scaled.
        feats, _ = self._features(s, None, None)
        fn = _forms.predict_fn(self.form)

        def loss(log_peak):
            with _x64():
                return float(fn(self._theta(), jnp.asarray(feats * np.exp(log_peak)))[0])

        log_peak, _ = golden_section(loss, np.log(lo), np.log(hi), grid=41, xtol=1e-10,
                                     max_iter=80)
        peak = float(np.exp(log_peak))
        return self._decision(peak * s, "peak LR of the given shape by a 1-D search on the model")

    def best_schedule(self, steps, *, monotone=False, max_lr=None, warmup=None) -> Decision:
        """The N = ``steps`` rates to apply that minimise the predicted final loss.

        Bound form, p = q = 1: the model is L∞ + bound (C) with D = √(2A), G = √(2B); the
        answer is the first N rates of the (C) optimum at horizon N+1 (docs/math.md §5.1, through
        ``schedopt.optimal_schedule`` with the constraints). Fitted powers p, q: the model's
        stationarity conditions are those of (C) with D² = 2pA·F^{1−p}, G² = 2qB·N^{q−1}
        (F, N the model's terms at the answer). Without a cap the (C) shape is scale-free, so the
        uncapped (C) shape scaled by a 1-D search is a stationary point of the model; with a
        cap, (C) is re-solved with the constants taken at the previous answer (starting from
        the uncapped one), at most ``_CAP_ROUNDS`` times, and the round with the lowest
        predicted loss is kept. ``max_lr`` is in LR units; ``warmup`` an int W of linear
        warm-up steps or the fixed first rates (LR units).

        Multi-Power Law: a local search (no certificate) on its final loss over rates that do
        not increase after the warm-up (``_mpl_plan``), at the best pilot's peak capped by
        ``max_lr``: the law's loss falls with any added LR area, so it cannot choose a peak.
        """
        steps = _validation_steps(steps)
        if isinstance(warmup, (int, np.integer)) and not isinstance(warmup, bool) \
                and not 0 <= warmup < steps:
            raise ValueError(f"warmup must be >= 0 and leave at least one update after it: "
                             f"got {int(warmup)} for steps = {steps}")
        if self.form == "multi_power":
            return self._best_multi_power(steps, max_lr, warmup)
        A, B = np.exp(self.params["log_A"]), np.exp(self.params["log_B"])
        p, q = np.exp(self.params["log_p"]), np.exp(self.params["log_q"])
        if max_lr is not None:
            max_lr = _positive("max_lr", max_lr)
        if self.diverged_peak_lr is not None:
            max_lr = min(max_lr or np.inf, self.diverged_peak_lr)
        cap = None if max_lr is None else max_lr / self.lr_scale
        if warmup is not None and not isinstance(warmup, (int, np.integer)):
            warmup = np.asarray(warmup, np.float64) / self.lr_scale
        D, G = np.sqrt(2 * A), np.sqrt(2 * B)
        powers = abs(p - 1) > 1e-12 or abs(q - 1) > 1e-12
        eta = self._solve_c(steps, D, G, monotone, None if powers else cap, warmup)
        note = f"first {steps} rates of the bound (C) optimum at horizon {steps + 1}"
        if not powers:
            return self._decision(eta * self.lr_scale, note)
        eta = self.best_peak_lr(eta / eta.max(), steps).lr / self.lr_scale
        if cap is None or eta.max() <= cap:
            return self._decision(eta * self.lr_scale, note + ", scaled for the fitted p, q")
        best = None
        for _ in range(_CAP_ROUNDS):
            F, N = _forms.bound_features(eta, np.array([steps]))[0]
            D, G = np.sqrt(2 * p * A * F ** (1 - p)), np.sqrt(2 * q * B * N ** (q - 1))
            eta = self._solve_c(steps, D, G, monotone, cap, warmup)
            loss = self.predict(eta * self.lr_scale)
            if best is None or loss < best[0]:
                best = (loss, eta)
        return self._decision(best[1] * self.lr_scale,
                              note + ", capped, constants from the fitted p, q")

    def _best_multi_power(self, steps, max_lr, warmup):
        """``best_schedule`` of the Multi-Power Law: ``_mpl_plan.plan`` (rates that do not
        increase after the warm-up, whatever ``monotone`` says: the law charges increases)."""
        from schedopt.calibration import _mpl_plan

        max_lr = None if max_lr is None else _positive("max_lr", max_lr)
        with _x64():
            lr, note, converged = _mpl_plan.plan(self, steps, max_lr, warmup)
        decision = self._decision(lr, note)
        if converged:
            return decision
        return dataclasses.replace(decision, warnings=decision.warnings + (
            "the search for the schedule stopped before L-BFGS-B's tolerance (see the note)",))

    def _decision(self, lr, note):
        return Decision(lr, float(lr.max()), self.predict(lr), self.predict_interval(lr), note,
                        self.warnings(float(lr.max()), lr.size))

    def warnings(self, peak_lr=None, steps=None) -> tuple:
        """Sentences a user should read before following this model: its fit flags, diverged
        pilots and, for ``peak_lr``, whether it lies outside the pilots' peaks, for ``steps``,
        whether it is over _FAR times the longest pilot's updates."""
        out = list(self.quality.get("flags", []))
        out += [f"run {d['name']!r} diverged ({d['reason']}) and was left out; peaks are "
                f"capped at {self.diverged_peak_lr:.4g}" for d in self.quality.get("diverged", [])]
        if peak_lr is not None and self.pilot_peak_lrs:
            lo, hi = self.pilot_peak_lrs
            if not lo * (1 - 1e-9) <= peak_lr <= hi * (1 + 1e-9):
                out.append(f"the peak LR {peak_lr:.4g} lies outside the peaks the pilots "
                           f"covered ({lo:.4g}..{hi:.4g}): an extrapolation")
        longest = self.quality.get("best_pilot", {}).get("updates")
        if steps is not None and longest and steps > _FAR * longest:
            out.append(f"{steps} updates are {steps / longest:.0f} times the longest pilot's "
                       f"{longest}: the prediction extrapolates that far in horizon")
        return tuple(out)

    @staticmethod
    def _solve_c(steps, D, G, monotone, cap, warmup):
        from schedopt.solvers import applied_schedule

        res = applied_schedule(steps, float(D), float(G), monotone=monotone, max_lr=cap,
                               warmup=warmup)
        return np.asarray(res.eta, np.float64)

    # --- files ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"format": _FORMAT, "form": self.form, "params": self.params,
                "lr_scale": self.lr_scale, "grad_norms": self.grad_norms,
                "quality": self.quality, "bootstrap": self.bootstrap,
                "diverged_peak_lr": self.diverged_peak_lr,
                "pilot_peak_lrs": list(self.pilot_peak_lrs)}

    @classmethod
    def from_dict(cls, d) -> "LossModel":
        """A model from ``to_dict``'s mapping, every field checked (a file may be tampered)."""
        from schedopt.calibration._modelfile import check

        return cls(**check(d, _FORMAT))

    def save(self, path) -> Path:
        from schedopt.adapters import _io

        return _io.write_json(path, self.to_dict())


def load_model(path) -> LossModel:
    """A ``LossModel`` from the JSON that ``LossModel.save`` wrote."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"model: no such file: {str(path)!r}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"model: {path} is not JSON ({err.msg}, line {err.lineno})") from None
    return LossModel.from_dict(data)


def conformal_halfwidth(errors, level):
    """The split-conformal quantile of |errors| at ``level`` (None without errors)."""
    if not errors:
        return None
    e = np.sort(np.abs(np.asarray(errors, np.float64)))
    rank = int(np.ceil((e.size + 1) * level))
    return float(e[min(rank, e.size) - 1])


def _validation_steps(steps):
    from schedopt import _validation

    return _validation.steps(steps)


def _step_numbers(steps, T):
    """Step numbers in 1..T (an int or a non-empty array of whole numbers)."""
    if isinstance(steps, (str, bytes)):
        raise ValueError(f"steps must be whole numbers in 1..{T}, got {steps!r}")
    try:
        arr = np.atleast_1d(np.asarray(steps, np.float64)).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"steps must be whole numbers in 1..{T}, got {steps!r}") from None
    if isinstance(steps, bool) or arr.size == 0:
        raise ValueError(f"steps must hold at least one whole number in 1..{T}, got {steps!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"steps must be whole numbers in 1..{T} (the length of lr), got "
                         f"{steps!r}")
    if arr.min() < 1 or arr.max() > T:
        raise ValueError(f"steps must lie in 1..{T} (the length of lr), got "
                         f"{arr.min():g}..{arr.max():g}")
    return arr.astype(np.int64)


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _search_range(bounds, lr_scale):
    if bounds is None:
        return 1e-3 * lr_scale, 1e3 * lr_scale
    try:
        lo, hi = bounds
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be (low, high) peak LRs, got {bounds!r}") from None
    ok = all(not isinstance(v, bool) and isinstance(v, (int, float, np.number))
             for v in (lo, hi))
    if not ok or not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"bounds must be (low, high) with 0 < low < high, both finite peak "
                         f"LRs, got {bounds!r}")
    return float(lo), float(hi)


def _x64():
    import jax

    return jax.enable_x64(True)
