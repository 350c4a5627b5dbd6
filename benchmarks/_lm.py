"""A small byte-level decoder-only transformer LM in JAX + optax, trained on CPU (issue 18 §1).

Many runs that share shapes (seeds, peak LRs, whole schedules given as arrays) train in one
compiled program: ``train(...)`` vmaps over the runs and ``lax.scan``s over the steps, the
learning rate of every step an input. Seed ``s`` fixes the initial weights and the order of
the training batches, the same for every schedule (common random numbers), so two methods
at one seed differ only by their rates. The model runs in float32 whatever ``jax_enable_x64``
says.

Data: the corpus (UTF-8 or any bytes, ``.gz`` read with the stdlib) is split once: the first
90% of the bytes train, the last 10% validate. The validation loss is the mean next-byte
cross-entropy (nats) over a fixed set of windows spread evenly over the held-out bytes.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax

F32 = jnp.float32
VOCAB = 256


@dataclasses.dataclass(frozen=True)
class Config:
    """Model and data sizes. ``batch`` sequences of ``context`` bytes per step."""
    d_model: int = 128
    layers: int = 4
    heads: int = 4
    context: int = 128
    batch: int = 8
    val_windows: int = 64

    def n_params(self) -> int:
        d = self.d_model
        block = 4 * d * d + 4 * d + 2 * (4 * d * d) + 4 * d + d + 4 * d   # attn, mlp, 2 LNs
        return VOCAB * d + self.context * d + self.layers * block + 2 * d


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

def load_corpus(path, val_fraction: float = 0.1):
    """(train, val) uint8 arrays of the corpus bytes; the last ``val_fraction`` validates."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"--corpus: no such file {str(path)!r}")
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    data = np.frombuffer(raw, np.uint8)
    split = int(len(data) * (1 - val_fraction))
    return data[:split], data[split:]


def val_windows(val: np.ndarray, cfg: Config) -> np.ndarray:
    """(val_windows, context + 1) fixed windows spread evenly over the held-out bytes."""
    n = len(val) - cfg.context - 1
    if n < cfg.val_windows:
        raise ValueError(f"--corpus: the validation part has {len(val)} bytes, too few for "
                         f"{cfg.val_windows} windows of {cfg.context + 1}")
    starts = np.linspace(0, n, cfg.val_windows).astype(np.int64)
    return np.stack([val[s:s + cfg.context + 1] for s in starts])


# ---------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------

def init_params(key, cfg: Config):
    """GPT-2-like initialisation: N(0, 0.02), residual projections scaled by 1/√(2·layers)."""
    d, std = cfg.d_model, 0.02
    keys = jax.random.split(key, 2 + 4 * cfg.layers)
    normal = lambda k, shape, s=std: (s * jax.random.normal(k, shape, F32))
    resid = std / math.sqrt(2 * cfg.layers)
    blocks = []
    for i in range(cfg.layers):
        k = keys[2 + 4 * i: 6 + 4 * i]
        blocks.append({"ln1_g": jnp.ones(d, F32), "ln1_b": jnp.zeros(d, F32),
                       "qkv": normal(k[0], (d, 3 * d)), "qkv_b": jnp.zeros(3 * d, F32),
                       "proj": normal(k[1], (d, d), resid), "proj_b": jnp.zeros(d, F32),
                       "ln2_g": jnp.ones(d, F32), "ln2_b": jnp.zeros(d, F32),
                       "fc": normal(k[2], (d, 4 * d)), "fc_b": jnp.zeros(4 * d, F32),
                       "out": normal(k[3], (4 * d, d), resid), "out_b": jnp.zeros(d, F32)})
    return {"tok": normal(keys[0], (VOCAB, d)), "pos": normal(keys[1], (cfg.context, d), 0.01),
            "blocks": blocks, "lnf_g": jnp.ones(d, F32), "lnf_b": jnp.zeros(d, F32)}


def _ln(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + 1e-5) * g + b


def logits(params, tokens, cfg: Config):
    """Next-byte logits (B, L, 256) of a batch of byte sequences (B, L), L ≤ context."""
    B, L = tokens.shape
    d, h = cfg.d_model, cfg.heads
    x = params["tok"][tokens] + params["pos"][:L]
    mask = jnp.tril(jnp.ones((L, L), bool))
    for p in params["blocks"]:
        y = _ln(x, p["ln1_g"], p["ln1_b"])
        q, k, v = jnp.split(y @ p["qkv"] + p["qkv_b"], 3, axis=-1)
        q, k, v = (a.reshape(B, L, h, d // h) for a in (q, k, v))
        att = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(d // h)
        att = jax.nn.softmax(jnp.where(mask, att, -1e9), axis=-1)
        y = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(B, L, d)
        x = x + y @ p["proj"] + p["proj_b"]
        y = _ln(x, p["ln2_g"], p["ln2_b"])
        x = x + jax.nn.gelu(y @ p["fc"] + p["fc_b"]) @ p["out"] + p["out_b"]
    x = _ln(x, params["lnf_g"], params["lnf_b"])
    return x @ params["tok"].T                                    # tied output embedding


def loss_fn(params, windows, cfg: Config):
    """Mean next-byte cross-entropy (nats) of windows (B, context + 1)."""
    out = logits(params, windows[:, :-1], cfg)
    return optax.softmax_cross_entropy_with_integer_labels(out, windows[:, 1:]).mean()


# ---------------------------------------------------------------------------------------
# Optimisers: a gradient transform; the step's rate multiplies its output (so any schedule
# given as an array drives it). AdamW: decoupled weight decay 0.1 on the matrices, scaled by
# the rate like optax.adamw; β₂ = 0.95; global-norm clipping at 1.0. SGD: momentum 0.9.
# ---------------------------------------------------------------------------------------

def _decay_mask(params):
    return jax.tree_util.tree_map(lambda a: a.ndim >= 2, params)


def transform(name: str):
    if name == "adamw":
        return optax.chain(optax.clip_by_global_norm(1.0),
                           optax.scale_by_adam(b1=0.9, b2=0.95, eps=1e-8),
                           optax.add_decayed_weights(0.1, mask=_decay_mask))
    if name == "sgd":
        return optax.trace(decay=0.9)
    raise ValueError(f"--optimizer: {name!r} is not one of adamw, sgd")


# ---------------------------------------------------------------------------------------
# Training many runs at once
# ---------------------------------------------------------------------------------------

def make_trainer(cfg: Config, optimizer: str, train_bytes: np.ndarray, val: np.ndarray,
                 eval_every: int):
    """``train(seeds (R,), lr (R, T)) -> val_loss (R, T // eval_every)`` (numpy, float64).

    Row j of the result is the validation loss after (j + 1)·eval_every updates; T must be a
    multiple of eval_every. One compiled program per (R, T). A run whose loss turns
    non-finite keeps going with non-finite values; the others are unaffected.
    """
    tx = transform(optimizer)
    data = jnp.asarray(train_bytes)
    vwin = jnp.asarray(val_windows(val, cfg).astype(np.int32))
    n_start = len(train_bytes) - cfg.context - 1
    val_loss = lambda p: loss_fn(p, vwin, cfg)

    def batch(key):
        starts = jax.random.randint(key, (cfg.batch,), 0, n_start)
        take = lambda s: jax.lax.dynamic_slice(data, (s,), (cfg.context + 1,))
        return jax.vmap(take)(starts).astype(jnp.int32)

    def one_run(seed, lr):
        key_init, key_data = jax.random.split(jax.random.PRNGKey(seed))
        params = init_params(key_init, cfg)
        state = tx.init(params)

        def step(carry, inp):
            params, state = carry
            t, rate = inp
            grads = jax.grad(loss_fn)(params, batch(jax.random.fold_in(key_data, t)), cfg)
            upd, state = tx.update(grads, state, params)
            params = jax.tree_util.tree_map(lambda p, u: p - rate.astype(F32) * u, params, upd)
            return (params, state), None

        def chunk(carry, inp):
            carry, _ = jax.lax.scan(step, carry, inp)
            return carry, val_loss(carry[0])

        T = lr.shape[0]
        ts = jnp.arange(T).reshape(-1, eval_every)
        rates = lr.reshape(-1, eval_every)
        _, losses = jax.lax.scan(chunk, (params, state), (ts, rates))
        return losses

    compiled = jax.jit(jax.vmap(one_run))

    def train(seeds, lr):
        lr = np.asarray(lr, np.float32)
        if lr.ndim != 2 or lr.shape[1] % eval_every:
            raise ValueError(f"lr must be (runs, T) with T a multiple of {eval_every}, "
                             f"got {lr.shape}")
        out = compiled(jnp.asarray(np.asarray(seeds, np.uint32)), jnp.asarray(lr))
        return np.asarray(out, np.float64)

    return train
