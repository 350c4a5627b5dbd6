"""The solver contract (issue 20): constraints are records that only ``_constraints`` lowers,
and ``METHODS`` says what each method supports, which ``optimal_schedule`` enforces and the
tests below check claim by claim."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
from pathlib import Path

import numpy as np
import pytest

from schedopt import optimal_schedule
from schedopt.solvers import _constraints
from schedopt.solvers._pgd import optimal_schedule_batch
from schedopt.solvers._problem import Problem
from schedopt.solvers._problem import make_problem
from schedopt.solvers._solve import METHODS

SOLVERS = Path(__file__).resolve().parents[2] / "schedopt" / "solvers"
FIELDS = {"prefix", "ramp", "max_lr", "monotone", "min_lr"}
# Names a Problem travels under in the solvers.
PROBLEM_NAMES = {"problem", "unit", "problems"}
T = 200
PEAK = float(np.max(optimal_schedule(T).eta))
EXAMPLES = {"warmup": {"warmup": 5}, "max_lr": {"max_lr": 0.5 * PEAK},
            "min_lr": {"min_lr": 0.2 * PEAK}, "monotone": {"monotone": True}}
KINDS = sorted(EXAMPLES)


def _reads(tree):
    """(line, expression) of every read of a constraint field off a Problem."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FIELDS:
            base = node.value
            name = base.id if isinstance(base, ast.Name) else \
                base.attr if isinstance(base, ast.Attribute) else None
            if name in PROBLEM_NAMES or (isinstance(base, ast.Subscript)
                                         and getattr(base.value, "id", None) in PROBLEM_NAMES):
                yield node.lineno, ast.unparse(node)


# Every solver module but the records and the Problem that stores them.
@pytest.mark.parametrize("path", sorted(p.name for p in SOLVERS.glob("*.py")
                                        if p.name not in ("_constraints.py", "_problem.py")))
def test_no_solver_reads_constraint_fields_off_a_problem(path):
    tree = ast.parse((SOLVERS / path).read_text())
    assert list(_reads(tree)) == []


def test_the_ast_check_sees_a_read():
    tree = ast.parse("def f(problem):\n    return problem.max_lr + problems[0].prefix\n")
    assert [e for _, e in _reads(tree)] == ["problem.max_lr", "problems[0].prefix"]


def test_problem_stores_records_only():
    import dataclasses

    assert [f.name for f in dataclasses.fields(Problem)] == ["steps", "D", "G", "G2",
                                                            "constraints"]
    p = make_problem(T, monotone=True, max_lr=0.1, min_lr=0.02, warmup=np.full(3, 0.01))
    assert [c.kind for c in p.constraints] == ["warmup", "max_lr", "min_lr", "monotone"]
    assert all(hasattr(c, "summary") and hasattr(c, "scaled") for c in p.constraints)
    assert _constraints.records(tuple(reversed(p.constraints))) == p.constraints


def _case(method, kinds):
    kwargs = {}
    for k in kinds:
        kwargs.update(EXAMPLES[k])
    return kwargs


def _supported(entry, kinds) -> bool:
    return set(kinds) <= entry.constraints and not any(p <= set(kinds) for p in entry.excludes)


CASES = [(m, kinds) for m in METHODS for r in range(len(KINDS) + 1)
         for kinds in itertools.combinations(KINDS, r)]


@pytest.mark.parametrize("method,kinds", CASES, ids=[f"{m}-{'+'.join(k) or 'none'}"
                                                   for m, k in CASES])
def test_every_claim_of_methods(method, kinds):
    """What METHODS says a method takes, it solves and certifies within tol; what it does not,
    optimal_schedule refuses with a message naming the method and a method that can."""
    entry = METHODS[method]
    kwargs = _case(method, kinds)
    if not _supported(entry, kinds):
        with pytest.raises(ValueError, match=rf"method={method!r}.*method='") as error:
            optimal_schedule(T, method=method, **kwargs)
        able = [n for n, m in METHODS.items() if _supported(m, kinds) and n != method]
        assert able and any(repr(n) in str(error.value) for n in able)
        return
    r = optimal_schedule(T, method=method, tol=1e-9, **kwargs)
    assert r.converged, r.message
    # converged=True is backed by a certificate: a gap within tol of the bound.
    assert r.gap is not None and 0.0 <= r.gap <= 1e-9 * r.bound
    if entry.module is None and method == "exact":
        assert r.gap == 0.0
    assert [c["kind"] for c in r.problem["constraints"]] == [
        k for k in ("warmup", "max_lr", "min_lr", "monotone") if k in kinds]


@pytest.mark.parametrize("method", METHODS)
def test_methods_timed_and_batched_claims(method):
    entry = METHODS[method]
    if entry.module is not None:
        solve = importlib.import_module(entry.module).solve
        assert ("time_limit" in inspect.signature(solve).parameters) == entry.timed
    else:
        assert not entry.timed
    assert entry.combined == (frozenset({"monotone", "max_lr"}) not in entry.excludes)
    if entry.batched:
        out = optimal_schedule_batch([T, T // 2], tol=1e-9)
        assert [r.method for r in out] == [method] * 2 and all(r.converged for r in out)


def test_the_batch_refuses_what_pgd_does():
    with pytest.raises(ValueError, match=r"method='pgd' cannot combine"):
        optimal_schedule_batch([T, T // 2], monotone=True, max_lr=0.5 * PEAK)
