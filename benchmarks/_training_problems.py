"""The problems of the training benchmark, and the vectorised optax runs on them.

Two kinds of problem, both on data sets that ship with scikit-learn (no download):

- convex, G-Lipschitz, with a known optimum (docs/math.md §1's assumptions hold): least absolute
  deviation regression on ``load_diabetes`` and hinge-loss classification on
  ``load_breast_cancer`` (its ten "mean" features), features standardised, a bias column
  appended, nothing constrained. θ* comes from scipy's ``linprog`` (both losses are linear
  programs).
- beyond the theory: a one-hidden-layer MLP on ``load_digits``.

Every run goes through optax with schedules made by ``schedopt.as_optax``. One compiled
function trains all (schedule, seed) pairs at once under ``jax.vmap``: each pair carries the
index i of its schedule, and its learning rate at count k is η_i[k], read by ``as_optax`` from
one table holding every schedule (see ``stacked_schedule``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.optimize
from sklearn import datasets
from sklearn.model_selection import train_test_split

import schedopt


# ---------------------------------------------------------------------------------------
# Convex problems: data, loss, subgradient, optimum
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ConvexProblem:
    """A finite-sum convex loss L(θ) = mean_i ℓ(x_iᵀθ, y_i) and what the bounds need.

    Attributes:
      name, dataset: labels for the tables.
      X: standardised features with a bias column, float64 (n, d).
      y: targets (LAD, standardised) or labels ±1 (hinge).
      kind: ``"lad"`` (|x_iᵀθ − y_i|) or ``"hinge"`` (max(0, 1 − y_i x_iᵀθ)).
      theta_star: a minimiser from linprog, the one of least ℓ1 norm among minimisers.
      L_star: the optimal loss (linprog's optimum).
      D: ‖θ_1 − θ*‖ with θ_1 = 0.
      G: √(mean_i ‖x_i‖²). With one sample drawn uniformly per step, every stochastic
        subgradient is s·x_i with |s| ≤ 1, so E[‖g_t‖² | θ_t] ≤ mean_i ‖x_i‖² = G²: exactly
        the assumption of docs/math.md §1, at every θ.
      G_max: max_i ‖x_i‖, the bound on every single subgradient (a looser G).
    """

    name: str
    dataset: str
    X: np.ndarray
    y: np.ndarray
    kind: str
    theta_star: np.ndarray
    L_star: float
    D: float
    G: float
    G_max: float

    def loss(self, theta):
        """Full-data loss, JAX, batched over leading axes of θ."""
        z = theta @ jnp.asarray(self.X).T
        if self.kind == "lad":
            return jnp.mean(jnp.abs(z - jnp.asarray(self.y)), axis=-1)
        return jnp.mean(jnp.maximum(0.0, 1.0 - jnp.asarray(self.y) * z), axis=-1)

    def loss_np(self, theta) -> float:
        z = self.X @ theta
        if self.kind == "lad":
            return float(np.mean(np.abs(z - self.y)))
        return float(np.mean(np.maximum(0.0, 1.0 - self.y * z)))

    def subgradient(self, theta, x, y):
        """A subgradient of the one-sample loss at θ (sign(0) = 0 for LAD, 0 on the hinge)."""
        z = x @ theta
        if self.kind == "lad":
            return jnp.sign(z - y) * x
        return jnp.where(y * z < 1.0, -y, 0.0) * x


def _standardise(X):
    X = np.asarray(X, dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _linprog_optimum(X, y, kind):
    """(θ*, L*): the LP optimum, then among minimisers the one of least ‖θ‖₁ (smaller D)."""
    n, d = X.shape
    if kind == "lad":      # min mean(u + v)  s.t.  Xθ + u − v = y,  u, v ≥ 0
        c = np.concatenate([np.zeros(d), np.full(2 * n, 1.0 / n)])
        A_eq = np.hstack([X, np.eye(n), -np.eye(n)])
        lp = dict(A_eq=A_eq, b_eq=y, bounds=[(None, None)] * d + [(0, None)] * (2 * n))
        A_ub, b_ub = np.zeros((0, c.size)), np.zeros(0)
    else:                  # min mean(ξ)  s.t.  ξ_i ≥ 1 − y_i x_iᵀθ,  ξ ≥ 0
        c = np.concatenate([np.zeros(d), np.full(n, 1.0 / n)])
        A_ub = np.hstack([-y[:, None] * X, -np.eye(n)])
        b_ub = -np.ones(n)
        lp = dict(bounds=[(None, None)] * d + [(0, None)] * n)
    first = scipy.optimize.linprog(c, A_ub=A_ub if A_ub.size else None,
                                   b_ub=b_ub if b_ub.size else None, method="highs", **lp)
    if first.status != 0:
        raise RuntimeError(f"linprog failed on the {kind} problem: {first.message}")
    # Stage 2: θ = p − q, minimise Σ(p + q) with the loss held at its optimum.
    m = c.size
    c2 = np.concatenate([np.zeros(m), np.ones(2 * d)])
    split = np.hstack([np.eye(d), np.zeros((d, m - d)), -np.eye(d), np.eye(d)])
    A_ub2 = np.vstack([np.hstack([A_ub, np.zeros((A_ub.shape[0], 2 * d))]),
                       np.concatenate([c, np.zeros(2 * d)])[None, :]])
    b_ub2 = np.append(b_ub, first.fun * (1 + 1e-12) + 1e-14)
    A_eq2, b_eq2 = split, np.zeros(d)
    if "A_eq" in lp:
        A_eq2 = np.vstack([np.hstack([lp["A_eq"], np.zeros((n, 2 * d))]), split])
        b_eq2 = np.concatenate([lp["b_eq"], np.zeros(d)])
    second = scipy.optimize.linprog(c2, A_ub=A_ub2, b_ub=b_ub2, A_eq=A_eq2, b_eq=b_eq2,
                                    bounds=lp["bounds"] + [(0, None)] * (2 * d), method="highs")
    theta = second.x[:d] if second.status == 0 else first.x[:d]
    return theta, float(first.fun)


def convex_problems() -> list[ConvexProblem]:
    """LAD regression on diabetes and hinge-loss classification on breast cancer."""
    out = []
    diabetes = datasets.load_diabetes()
    cancer = datasets.load_breast_cancer()
    for name, dataset, X, y, kind in [
        ("LAD regression", "diabetes (442 × 10)", _standardise(diabetes.data),
         (diabetes.target - diabetes.target.mean()) / diabetes.target.std(), "lad"),
        # The ten "mean …" features: with all 30 the classes are linearly separable, L* = 0
        # and the minimisers run off to infinity (D unbounded).
        ("hinge loss", "breast_cancer, 10 mean features (569 × 10)",
         _standardise(cancer.data[:, :10]), np.where(cancer.target == 1, 1.0, -1.0), "hinge"),
    ]:
        theta, L_star = _linprog_optimum(X, y, kind)
        norms = np.linalg.norm(X, axis=1)
        problem = ConvexProblem(name=name, dataset=dataset, X=X, y=y, kind=kind,
                                theta_star=theta, L_star=L_star, D=float(np.linalg.norm(theta)),
                                G=float(np.sqrt(np.mean(norms**2))), G_max=float(norms.max()))
        # The LP's θ* must reach L* when evaluated directly: a mismatch is a bug, not noise.
        if abs(problem.loss_np(theta) - L_star) > 1e-9 * max(1.0, L_star):
            raise RuntimeError(f"{name}: L(θ*) = {problem.loss_np(theta)} but linprog says "
                               f"{L_star}")
        out.append(problem)
    return out


# ---------------------------------------------------------------------------------------
# Running many schedules × seeds at once
# ---------------------------------------------------------------------------------------

def stacked_schedule(etas):
    """``pick(count, i) = η_i[count]`` for counts 0..T−1, through one ``as_optax`` schedule.

    The schedules (all of length T) are laid end to end and read by ``as_optax`` at count
    ``i·T + count``: one table instead of one per run keeps compilation short, and each run
    still gets its own η exactly (no run goes past its horizon).
    """
    T = len(etas[0])
    if any(len(eta) != T for eta in etas):
        raise ValueError("every schedule of one batch must have the same length")
    table = schedopt.as_optax(np.concatenate([np.asarray(eta, np.float64) for eta in etas]))

    def pick(count, index):
        return table(index * T + jnp.minimum(count, T - 1))

    return pick


def convex_chunk_runner(problem: ConvexProblem, etas, chunk: int):
    """A jitted ``advance(carry) → (carry, (L(θ_prev), L(θ)))`` of ``chunk`` SGD steps.

    The carry is batched over runs: (θ, θ before the last update, optax state, run index,
    PRNG key, step). Sample i_t ~ uniform{1..n} from ``fold_in(key, t)``: the same draws
    for every schedule of a seed.
    """
    pick = stacked_schedule(etas)
    X, y = jnp.asarray(problem.X), jnp.asarray(problem.y)
    n = X.shape[0]

    def optimizer(index):
        return optax.sgd(lambda count: pick(count, index))

    def init(index, key):
        theta = jnp.zeros(X.shape[1])
        return theta, theta, optimizer(index).init(theta), index, key, jnp.int32(0)

    def advance_one(carry):
        def step(c, _):
            theta, _, state, index, key, t = c
            i = jax.random.randint(jax.random.fold_in(key, t), (), 0, n)
            g = problem.subgradient(theta, X[i], y[i])
            updates, state = optimizer(index).update(g, state, theta)
            return (optax.apply_updates(theta, updates), theta, state, index, key, t + 1), None

        carry, _ = jax.lax.scan(step, carry, None, length=chunk)
        return carry, (problem.loss(carry[1]), problem.loss(carry[0]))

    return jax.jit(jax.vmap(init)), jax.jit(jax.vmap(advance_one))


# ---------------------------------------------------------------------------------------
# The MLP on digits
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Digits:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    hidden: int = 64


def digits() -> Digits:
    """scikit-learn's 8×8 digits, pixels / 16, a fixed stratified 75/25 split."""
    data = datasets.load_digits()
    X = (data.data / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=0.25, stratify=data.target, random_state=0)
    return Digits(X_train, y_train.astype(np.int32), X_test, y_test.astype(np.int32))


def mlp_init(seed, d_in, hidden, d_out):
    """He-normal first layer, LeCun-normal second, zero biases, from ``numpy``'s generator
    seeded with ``seed`` (an int or a sequence of them): no PRNG to compile (threefry under
    ``vmap`` takes XLA seconds to compile on a CPU)."""
    rng = np.random.default_rng(seed)
    return {"W1": (rng.standard_normal((d_in, hidden)) * np.sqrt(2.0 / d_in)).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "W2": (rng.standard_normal((hidden, d_out)) * np.sqrt(1.0 / hidden)).astype(np.float32),
            "b2": np.zeros(d_out, np.float32)}


def mlp_logits(params, X):
    h = jax.nn.relu(X @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def mlp_loss(params, X, y):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(mlp_logits(params, X), y))


def mlp_chunk_runner(data: Digits, etas, make_optimizer, chunk: int, batch: int):
    """Like ``convex_chunk_runner`` for the MLP: minibatches of ``batch`` drawn with
    replacement; each chunk reports the mean minibatch loss over its steps (the loss curve).

    ``make_optimizer(schedule)`` builds the optax optimizer from a schedule. ``init(index,
    key)`` takes concrete arrays, one entry per run: run i starts from ``mlp_init`` seeded
    with the words of ``key[i]`` (so runs that share a key share their initial weights and
    their minibatches) and uses schedule ``etas[index[i]]``.
    """
    pick = stacked_schedule(etas)
    X, y = jnp.asarray(data.X_train), jnp.asarray(data.y_train)
    n = X.shape[0]

    def optimizer(index):
        return make_optimizer(lambda count: pick(count, index))

    def init_state(params, index, key):
        return params, optimizer(index).init(params), index, key, jnp.int32(0)

    init_state = jax.jit(jax.vmap(init_state))

    def init(index, key):
        words = _key_words(key)
        start = [mlp_init(w.tolist(), X.shape[1], data.hidden, 10) for w in words]
        params = jax.tree.map(lambda *leaves: np.stack(leaves), *start)
        return init_state(params, index, key)

    def advance_one(carry):
        def step(c, _):
            params, state, index, key, t = c
            rows = jax.random.randint(jax.random.fold_in(key, t), (batch,), 0, n)
            loss, grads = jax.value_and_grad(mlp_loss)(params, X[rows], y[rows])
            updates, state = optimizer(index).update(grads, state, params)
            return (optax.apply_updates(params, updates), state, index, key, t + 1), loss

        carry, losses = jax.lax.scan(step, carry, None, length=chunk)
        return carry, jnp.mean(losses)

    def evaluate(params):
        train = mlp_loss(params, X, y)
        test = jnp.mean(jnp.argmax(mlp_logits(params, jnp.asarray(data.X_test)), axis=-1)
                        == jnp.asarray(data.y_test))
        return train, test

    return init, jax.jit(jax.vmap(advance_one)), jax.jit(jax.vmap(evaluate))


def _key_words(key) -> np.ndarray:
    """The uint32 words of a batch of concrete PRNG keys (raw or typed), one row per key."""
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    words = np.asarray(key, dtype=np.uint32)
    return words.reshape(words.shape[0], -1)
