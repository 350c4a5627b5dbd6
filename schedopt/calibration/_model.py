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

from schedopt.calibration import _forms

_FORMAT = "schedopt.calibration/1"
_CAP_ROUNDS = 3


@dataclasses.dataclass(frozen=True)
class Decision:
    """A recommended schedule (rates to apply at steps 1..N) with its predicted final loss."""
    lr: np.ndarray
    peak_lr: float
    loss: float
    interval: tuple[float, float] | None
    message: str


@dataclasses.dataclass(frozen=True)
class LossModel:
    """Constants of a loss form fitted to runs (see ``fit_loss_curves``); rates in LR units."""
    form: str
    params: dict
    lr_scale: float
    grad_norms: bool = False
    quality: dict = dataclasses.field(default_factory=dict)
    bootstrap: list = dataclasses.field(default_factory=list)

    # --- predictions ---------------------------------------------------------------------

    def _theta(self, params=None):
        params = self.params if params is None else params
        return jnp.asarray([params[k] for k in _forms.param_names(self.form)], jnp.float64)

    def _features(self, lr, steps, grad_norm):
        lr = np.asarray(lr, np.float64).reshape(-1)
        if lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0) or lr.sum() <= 0:
            raise ValueError("lr must be a non-empty array of finite rates >= 0, not all 0")
        scalar = steps is None
        steps = np.atleast_1d(np.asarray(lr.size if steps is None else steps)).astype(np.int64)
        if steps.min() < 1 or steps.max() > lr.size:
            raise ValueError(f"steps must lie in 1..{lr.size} (the length of lr), got "
                             f"{steps.min()}..{steps.max()}")
        g = None
        if grad_norm is not None:
            g = np.asarray(grad_norm, np.float64)
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
        """(low, high) of the bootstrap refits' predictions, or None without a bootstrap."""
        if not self.bootstrap:
            return None
        feats, _ = self._features(lr, steps, grad_norm)
        with _x64():
            preds = np.array([np.asarray(_forms.predict_fn(self.form)(self._theta(p),
                                                                     jnp.asarray(feats)))
                              for p in self.bootstrap])
        q = (1 - level) / 2
        lo, hi = np.quantile(preds, [q, 1 - q], axis=0)
        return (float(lo[-1]), float(hi[-1])) if np.ndim(steps) == 0 else (lo, hi)

    # --- decisions -----------------------------------------------------------------------

    def best_peak_lr(self, shape, steps, *, bounds=None) -> Decision:
        """The peak LR minimising the predicted final loss of ``peak_lr · shape``.

        ``shape``: a peak-1 array of length ``steps`` or a callable ``shape(steps)`` (e.g.
        ``schedopt.linear_decay``). ``bounds``: (low, high) search range of the peak LR
        (default: 1e-3..1e3 × the fitted LR scale).
        """
        s = np.asarray(shape(steps) if callable(shape) else shape, np.float64)
        if s.ndim != 1 or s.size != steps:
            raise ValueError(f"shape must have {steps} values (steps), got shape {s.shape}")
        s = s / np.max(s)
        lo, hi = bounds or (1e-3 * self.lr_scale, 1e3 * self.lr_scale)
        # Every feature of both forms is homogeneous of degree 1 in the rates, so the
        # features of the shape are computed once and scaled.
        feats, _ = self._features(s, None, None)
        fn = _forms.predict_fn(self.form)

        def loss(log_peak):
            with _x64():
                return float(fn(self._theta(), jnp.asarray(feats * np.exp(log_peak)))[0])

        peak = _golden(loss, np.log(lo), np.log(hi))
        lr = peak * s
        return Decision(lr, float(peak), self.predict(lr), self.predict_interval(lr),
                        "peak LR of the given shape by a 1-D search on the model")

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
        """
        if self.form != "bound":
            raise ValueError("best_schedule needs the 'bound' form; for another form use "
                             "best_peak_lr with a schedule family")
        steps = _validation_steps(steps)
        if isinstance(warmup, (int, np.integer)) and not isinstance(warmup, bool) \
                and not 0 <= warmup < steps:
            raise ValueError(f"warmup must be >= 0 and leave at least one update after it: "
                             f"got {int(warmup)} for steps = {steps}")
        A, B = np.exp(self.params["log_A"]), np.exp(self.params["log_B"])
        p, q = np.exp(self.params["log_p"]), np.exp(self.params["log_q"])
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

    def _decision(self, lr, note):
        return Decision(lr, float(lr.max()), self.predict(lr), self.predict_interval(lr), note)

    @staticmethod
    def _solve_c(steps, D, G, monotone, cap, warmup):
        import schedopt

        res = schedopt.optimal_schedule(steps + 1, float(D), float(G), monotone=monotone,
                                        max_lr=cap, warmup=warmup)
        return np.asarray(res.eta[:-1], np.float64)

    # --- files ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"format": _FORMAT, "form": self.form, "params": self.params,
                "lr_scale": self.lr_scale, "grad_norms": self.grad_norms,
                "quality": self.quality, "bootstrap": self.bootstrap}

    @classmethod
    def from_dict(cls, d) -> "LossModel":
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            raise ValueError(f"not a schedopt calibration model (expected format {_FORMAT!r})")
        form = d.get("form")
        if form not in _forms.FORMS:
            raise ValueError(f"model form must be one of {_forms.FORMS}, got {form!r}")
        names = _forms.param_names(form)
        params = d.get("params", {})
        try:
            ok = set(params) == set(names) and all(np.isfinite(float(params[k])) for k in names)
            lr_scale = float(d["lr_scale"])
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok or not (np.isfinite(lr_scale) and lr_scale > 0):
            raise ValueError(f"model params must be finite numbers for {', '.join(names)} and "
                             "lr_scale a positive number")
        return cls(form=form, params={k: float(params[k]) for k in names},
                   lr_scale=lr_scale, grad_norms=bool(d.get("grad_norms", False)),
                   quality=dict(d.get("quality", {})),
                   bootstrap=[{k: float(p[k]) for k in names} for p in d.get("bootstrap", [])])

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


def _validation_steps(steps):
    from schedopt import _validation

    return _validation.steps(steps)


def _x64():
    import jax

    return jax.enable_x64(True)


def _golden(f, a, b, iters=80):
    """Minimiser of a unimodal f on [a, b] (a grid, then golden-section around its best)."""
    grid = np.linspace(a, b, 41)
    vals = [f(g) for g in grid]
    i = int(np.argmin(vals))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    r = (np.sqrt(5) - 1) / 2
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = f(d)
        if b - a < 1e-10:
            break
    return float(np.exp((a + b) / 2))
