"""PyTorch: schedules into ``torch.optim`` and gradient norms out of it (optional extra).

``pip install schedopt[torch]``. This is the only module of the package that imports torch.

Counters. A schedule η_1..η_T of docs/math.md §1 is indexed by the step t = 1..T (the ``step``
column of the CSV files ``schedopt optimize`` writes). PyTorch's schedulers count from 0:
``scheduler.last_epoch`` is 0 while the first ``optimizer.step()`` runs. So, as with optax,
counter k gives η_{k+1} (the CSV's ``count`` column is k). The usual loop::

    opt = torch.optim.SGD(model.parameters(), lr=0.0)        # the scheduler sets the lr
    sched = schedopt.torch.ScheduleLR(opt, eta)             # lr = η_1 from here
    for batch in data:
        loss(model, batch).backward()
        opt.step()                                          # uses η_{k+1}
        sched.step()                                        # k += 1
        opt.zero_grad()

- ``ScheduleLR(optimizer, eta, after="hold", absolute=False)``: an ``LRScheduler`` that,
  like PyTorch's own schedulers, scales each parameter group's ``initial_lr`` by the
  schedule's shape η_{k+1}/max η (so groups at 1e-3 and 1e-2 keep their ratio, and each
  group's lr is its peak); ``absolute=True`` sets every group's lr to η_{k+1} exactly (the
  float64 value; PyTorch keeps float lrs as Python floats). ``eta`` may be a
  ``ScheduleResult``: its ``rates_to_apply`` are used.
- ``optimal_scheduler(optimizer, updates, peak_lr=None, warmup=0)``: the one-line
  scheduler, like ``optimal_optax_schedule``: the rates to apply for ``updates`` updates
  (``applied_schedule``), with the peak ``peak_lr`` or, by default, each group's own lr.
  ``state_dict()``/``load_state_dict()`` resume it mid-run; the state records the schedule's
  length and a checksum instead of the table, so loading into a scheduler built with another
  schedule is an error, not a silent switch.
- ``schedule_lambda(eta)``: the factor k ↦ η_{k+1} for ``torch.optim.lr_scheduler.LambdaLR``
  (give the optimizer ``lr=1.0`` so that the factor is the learning rate itself).
- ``GradNormRecorder(optimizer)``: records ‖g_t‖ (the global ℓ2 norm of all gradients the
  optimizer is about to apply) at every ``optimizer.step()``, by a step pre-hook; its
  ``log()`` is a ``GradNormLog`` for ``schedopt.refine`` and ``save(path)`` writes the CSV
  that ``schedopt refine --grad-norms`` reads.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from schedopt import _lr_units
from schedopt import _validation
from schedopt.adapters._gradlogs import GradNormLog
from schedopt.adapters._gradlogs import grad_norm_log

AFTER = ("hold", "zero")

__all__ = ["ScheduleLR", "schedule_lambda", "optimal_scheduler", "GradNormRecorder"]


def _table(eta, include_weight=False, who="ScheduleLR") -> np.ndarray:
    eta = _lr_units.rates_of(eta, include_weight=include_weight, who=who)
    if isinstance(eta, torch.Tensor):
        eta = eta.detach().cpu().double().numpy()
    return np.array(_validation.schedule(eta, "eta"), dtype=np.float64)


def _check_after(after):
    if not isinstance(after, str) or after not in AFTER:
        raise ValueError(f"after must be 'hold' (keep the last value past the horizon) or "
                         f"'zero' (0 past the horizon), got {_validation._describe(after)}")
    return after


def _value(table, after, k) -> float:
    """η_{k+1} as a Python float; past the horizon the last value or 0."""
    k = int(k)
    if k >= table.shape[0]:
        return 0.0 if after == "zero" else float(table[-1])
    return float(table[max(k, 0)])


def _checksum(table) -> str:
    return hashlib.sha256(np.ascontiguousarray(table, dtype="<f8").tobytes()).hexdigest()[:16]


def schedule_lambda(eta, *, after="hold", include_weight=False):
    """The factor ``k ↦ η_{k+1}`` for ``LambdaLR(optimizer, schedule_lambda(eta))``.

    ``LambdaLR`` multiplies each group's initial lr by the factor: build the optimizer with
    ``lr=1.0`` and the lr is η_{k+1} exactly (any other initial lr scales the schedule).
    ``eta`` may be a ``ScheduleResult`` (its ``rates_to_apply``; ``include_weight`` as in
    ``schedopt.as_optax``).
    """
    table = _table(eta, include_weight, "schedule_lambda")
    after = _check_after(after)

    def factor(k):
        return _value(table, after, k)

    return factor


class ScheduleLR(torch.optim.lr_scheduler.LRScheduler):
    """Each parameter group's lr follows the schedule at scheduler counter k (0-based; see
    the module): ``initial_lr × η_{k+1}/max η`` (the default, as PyTorch's schedulers scale
    each group's ``initial_lr``), or η_{k+1} itself with ``absolute=True``.

    Args:
      optimizer: a ``torch.optim.Optimizer``. By default each group's lr when the scheduler
        is built is its peak (PyTorch records it as ``initial_lr``); with ``absolute=True``
        it is overwritten with η_1.
      eta: the schedule η_1..η_T (numpy, JAX, torch or a list; finite, ≥ 0), or a
        ``ScheduleResult`` (its ``rates_to_apply``; see ``include_weight``).
      after: counters k ≥ T give ``"hold"`` η_T (the default) or ``"zero"`` 0.
      absolute: every group's lr is η_{k+1} exactly, whatever its own lr.
      include_weight: as in ``schedopt.as_optax``, for a horizon-T result.
      last_epoch: as in PyTorch: −1 for a fresh run. To resume, prefer
        ``load_state_dict`` on a freshly built scheduler.
    """

    def __init__(self, optimizer, eta, *, after="hold", absolute=False, include_weight=False,
                 last_epoch=-1):
        self._table = _table(eta, include_weight)
        self.after = _check_after(after)
        if not isinstance(absolute, (bool, np.bool_)):
            raise TypeError(f"absolute must be True or False, got {absolute!r}")
        self.absolute = bool(absolute)
        self.steps = int(self._table.shape[0])
        self.checksum = _checksum(self._table)
        self._peak = float(np.max(self._table))
        if not self.absolute:
            if not self._peak > 0:
                raise ValueError("eta is 0 everywhere; its shape cannot scale the groups' lr")
            lrs = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
            if all(float(lr) == 0.0 for lr in lrs):
                raise ValueError("every parameter group has lr = 0, and ScheduleLR scales each "
                                 "group's lr by the schedule's shape: build the optimizer with "
                                 "lr = your peak learning rate, or pass absolute=True to set "
                                 "the lr to η itself")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        value = _value(self._table, self.after, self.last_epoch)
        if self.absolute:
            return [value for _ in self.optimizer.param_groups]
        return [float(base) * (value / self._peak) for base in self.base_lrs]

    def _get_closed_form_lr(self):
        return self.get_lr()

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_table")}
        return state

    def load_state_dict(self, state_dict):
        for key in ("steps", "checksum"):
            if key in state_dict and state_dict[key] != getattr(self, key):
                raise ValueError(
                    f"state_dict belongs to a ScheduleLR with another schedule ({key} "
                    f"{state_dict[key]!r}, this one has {getattr(self, key)!r}); build the "
                    f"scheduler with the schedule the run started with")
        state = {key: value for key, value in state_dict.items() if key != "_table"}
        super().load_state_dict(state)
        # the optimizer's lr follows the restored counter (its own state may be older)
        for group, value in zip(self.optimizer.param_groups, self.get_lr()):
            if isinstance(group["lr"], torch.Tensor):      # capturable/fused optimizers
                group["lr"].fill_(value)
            else:
                group["lr"] = value
        self._last_lr = self.get_lr()


def optimal_scheduler(optimizer, updates, peak_lr=None, *, warmup=0, monotone=False, G=1.0,
                      after="hold", method="auto", warmup_steps=None):
    """The one-line PyTorch scheduler of the optimal rates for ``updates`` updates.

    ``ScheduleLR`` over ``applied_schedule(updates, G=G, warmup=warmup, monotone=monotone)``
    (docs/math.md §5.1), like ``schedopt.optimal_optax_schedule``. With ``peak_lr`` every
    group's lr peaks at ``peak_lr`` (the absolute form); without it each group peaks at its
    own lr (the optimizer's ``lr``), so parameter groups keep their ratios. ``warmup_steps``
    is optax's spelling of ``warmup``.
    """
    from schedopt.solvers._applied import applied_schedule

    if warmup_steps is not None:
        if warmup:
            raise TypeError("give warmup or warmup_steps (the same thing), not both")
        warmup = warmup_steps
    result = applied_schedule(updates, 1.0, G, method=method, monotone=monotone,
                              warmup=int(warmup) or None, peak_lr=peak_lr)
    if not result.converged:
        raise RuntimeError(f"the solver did not converge for updates = {result.updates}: "
                           f"{result.message}")
    return ScheduleLR(optimizer, result, after=after, absolute=peak_lr is not None)


class GradNormRecorder:
    """Records the gradient norm of every ``optimizer.step()`` (a step pre-hook).

    The norm is the ℓ2 norm of all gradients of all parameter groups together (what
    ``torch.nn.utils.clip_grad_norm_`` computes), taken before the step: the ‖g_t‖ of
    docs/math.md §1 when the optimizer sees the raw gradients (put gradient clipping after
    the recording if you want the raw norm; the hook runs inside ``optimizer.step()``, i.e.
    after any clipping done before the call). Norms stay on the device as 0-d tensors until
    read, so recording adds no host synchronisation per step.

    Steps are numbered 1, 2, … (the t of η_t; the first ``optimizer.step()`` is step 1).
    ``state_dict()``/``load_state_dict()`` carry the record across a checkpoint.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self._norms = []
        self._handle = optimizer.register_step_pre_hook(self._hook)

    def _hook(self, optimizer, args, kwargs):
        grads = [p.grad.detach() for group in optimizer.param_groups
                 for p in group["params"] if p.grad is not None]
        if not grads:
            self._norms.append(torch.tensor(float("nan")))
            return
        norms = torch.stack([torch.linalg.vector_norm(g, dtype=torch.float64).to(
            grads[0].device) for g in grads])
        self._norms.append(torch.linalg.vector_norm(norms))

    def remove(self) -> None:
        """Stop recording (detach the hook)."""
        self._handle.remove()

    def __len__(self) -> int:
        return len(self._norms)

    @property
    def grad_norms(self) -> np.ndarray:
        """The recorded norms, float64 (NaN for a step where no parameter had a gradient)."""
        return np.array([float(n) for n in self._norms], dtype=np.float64)

    def log(self, *, invalid="raise") -> GradNormLog:
        """The record as a ``GradNormLog`` (steps 1..n), ready for ``schedopt.refine``."""
        if not self._norms:
            raise ValueError("GradNormRecorder has recorded no step yet")
        norms = self.grad_norms
        return grad_norm_log(norms, np.arange(1, norms.shape[0] + 1, dtype=np.float64),
                             invalid=invalid)

    def save(self, path):
        """Write ``step,grad_norm`` CSV (steps 1..n) atomically; returns the path."""
        from schedopt.adapters import _io

        norms = self.grad_norms
        return _io.write_csv(path, {"step": np.arange(1, norms.shape[0] + 1),
                                    "grad_norm": norms})

    def state_dict(self) -> dict:
        return {"grad_norms": [float(n) for n in self._norms]}

    def load_state_dict(self, state_dict) -> None:
        self._norms = [torch.tensor(float(x), dtype=torch.float64)
                       for x in state_dict["grad_norms"]]
