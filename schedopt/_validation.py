"""Argument checks shared by every public entry point.

Errors are sentences that name the argument, the value and what is allowed. Checks on
values run only when the value is concrete: inside ``jax.jit`` or ``jax.vmap`` a traced
schedule is checked for shape alone, since its numbers are not known yet.

JAX is not imported here: a value can only be a tracer once JAX is loaded, so the command line
and numpy-only paths check their arguments without paying for the JAX import (about 2 s).
"""

from __future__ import annotations

import numbers
import sys

import numpy as np


def is_traced(x) -> bool:
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(x, jax.core.Tracer)


def _jnp():
    import jax.numpy as jnp

    return jnp


def _describe(x) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def steps(value, name: str = "steps") -> int:
    """A positive Python integer (bools and non-integral floats are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {_describe(value)}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {int(value)}")
    return int(value)


def positive_scalar(value, name: str) -> float:
    """A finite number > 0 (for D, G, peak learning rates, caps)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive finite number, got {value!r}")
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be a real positive finite number, "
                        f"got complex {_describe(value)}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive finite number, got {_describe(value)}") from None
    if not np.isfinite(out) or out <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {out!r}")
    return out


def _nonfinite_message(name: str, arr: np.ndarray) -> str:
    bad = np.flatnonzero(~np.isfinite(arr))
    return (f"{name} must contain only finite numbers, but {name}[{bad[0]}] = {float(arr[bad[0]])!r}"
            + (f" (and {bad.size - 1} more)" if bad.size > 1 else ""))


def _refuse_complex(x, name: str) -> None:
    """numpy drops an imaginary part with only a warning; a complex rate or norm is an error."""
    listed = isinstance(x, (list, tuple)) and any(isinstance(v, complex) for v in x)
    if listed or np.iscomplexobj(x):
        raise TypeError(f"{name} must be real numbers, got complex values ({_describe(x)}); "
                        f"the imaginary part would be dropped")


def schedule(eta, name: str = "eta"):
    """A non-empty 1-D schedule of finite values >= 0, as float64.

    Concrete input comes back as a float64 numpy array; a JAX tracer comes back as a
    float64 JAX array after its shape is checked. Call inside ``jax.enable_x64(True)``.
    """
    if is_traced(eta):
        if eta.ndim != 1 or eta.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array, got shape {eta.shape}")
        return _jnp().asarray(eta, _jnp().float64)
    _refuse_complex(eta, name)
    try:
        arr = np.asarray(eta, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {_describe(eta)}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(_nonfinite_message(name, arr))
    if np.any(arr < 0):
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"{name} must be >= 0 everywhere, but {name}[{i}] = {float(arr[i])!r}")
    return arr


def gradient_norms(G, length: int, name: str = "G"):
    """G as a scalar or a per-step array of the given length, every entry finite and > 0.

    Returns a float64 scalar or 1-D array (numpy when concrete, JAX when traced).
    """
    if is_traced(G):
        if G.ndim not in (0, 1) or (G.ndim == 1 and G.shape[0] != length):
            raise ValueError(f"{name} must be a scalar or a 1-D array of length {length}, "
                             f"got shape {G.shape}")
        return _jnp().asarray(G, _jnp().float64)
    if isinstance(G, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive number or an array of them, got {G!r}")
    _refuse_complex(G, name)
    try:
        arr = np.asarray(G, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number or an array of them, "
                        f"got {_describe(G)}") from None
    if arr.ndim == 1 and arr.shape[0] != length:
        raise ValueError(f"{name} must be a scalar or a 1-D array of length {length} "
                         f"(one gradient norm per step), got length {arr.shape[0]}")
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(_nonfinite_message(name, np.atleast_1d(arr)))
    if np.any(arr <= 0):
        flat = np.atleast_1d(arr)
        i = int(np.flatnonzero(flat <= 0)[0])
        where = f"{name}[{i}] = {float(flat[i])!r}" if arr.ndim else f"{name} = {float(flat[0])!r}"
        raise ValueError(f"{name} must be > 0 everywhere, but {where}")
    return arr


def scale(D, name: str = "D"):
    """D (or any positive scale) as float64; traced values pass through unchecked."""
    if is_traced(D):
        return _jnp().asarray(D, _jnp().float64)
    return positive_scalar(D, name)


class NotNonIncreasingError(ValueError):
    """A schedule that must be non-increasing rises somewhere (bound (B), (A) non-increasing)."""


def nonincreasing(eta, name: str, what: str, rtol: float = 1e-12) -> None:
    """Refuse a concrete schedule that increases by more than rounding anywhere."""
    if is_traced(eta):
        return
    arr = np.asarray(eta)
    if arr.size < 2:
        return
    tol = rtol * float(np.max(arr))
    rises = np.flatnonzero(arr[1:] > arr[:-1] + tol)
    if rises.size:
        i = int(rises[0])
        raise NotNonIncreasingError(f"{what} needs a non-increasing {name}, but {name}[{i + 1}] = "
                         f"{float(arr[i + 1])!r} > {name}[{i}] = {float(arr[i])!r}")


def renamed(old_value, old_name, new_value, new_name, *, default):
    """The value of a renamed argument: the old spelling still works, with a warning
    (pointing at the caller of the public function that calls this)."""
    if old_value is None:
        return new_value
    import warnings

    if new_value is not default and new_value != default:
        raise TypeError(f"give {new_name} only ({old_name} is its old spelling), not both")
    warnings.warn(f"{old_name} is deprecated and will be removed in the next release; "
                  f"use {new_name}", DeprecationWarning, stacklevel=3)
    return old_value
