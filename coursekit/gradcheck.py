"""Numerical gradients for checking hand-written backward passes.

Always check in float64: centred differences with ``h=1e-5`` have a truncation error of
order ``h**2`` and a rounding error of order ``eps / h``; in float32 the rounding term alone
is about 1e-2, which hides real bugs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def rel_error(x, y) -> float:
    """Largest element-wise relative error ``|x-y| / max(1e-8, |x|+|y|)``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _centred(f: Callable[[np.ndarray], object], x: np.ndarray, ix: tuple, h: float):
    """``f(x + h e_ix)`` and ``f(x - h e_ix)``, perturbing ``x`` in place and restoring it."""
    old = x[ix]
    x[ix] = old + h
    plus = np.array(f(x), dtype=np.float64, copy=True)
    x[ix] = old - h
    minus = np.array(f(x), dtype=np.float64, copy=True)
    x[ix] = old
    return plus, minus


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` is perturbed in place one element at a time and restored afterwards, so ``f`` may
    close over ``x`` (as ``lambda _: model.loss(X, y)[0]`` closes over ``model.params``).
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _centred(f, x, ix, h)
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                                  df: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * df)``: the vector-Jacobian product a backward pass returns."""
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _centred(f, x, ix, h)
        grad[ix] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def grad_check_sparse(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                      num_checks: int = 10, h: float = 1e-5, seed: int = 0) -> float:
    """Compare ``analytic`` with centred differences at ``num_checks`` random entries; returns the max relative error."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        plus, minus = _centred(f, x, ix, h)
        numeric = float(plus - minus) / (2 * h)
        worst = max(worst, abs(numeric - analytic[ix]) / max(1e-8, abs(numeric) + abs(analytic[ix])))
    return worst
