"""Assertions with messages that say what is wrong, used by the notebooks' test cells.

Each check raises ``AssertionError`` with a sentence a student can act on (the quantity,
what was expected, what was found, and a hint) instead of a bare ``assert``.
"""
from __future__ import annotations

import numpy as np

from .gradcheck import rel_error


def check_shape(value, shape, name: str) -> None:
    actual = getattr(value, "shape", None)
    if actual is None:
        raise AssertionError(f"{name} should be a NumPy array of shape {tuple(shape)}, got {type(value).__name__}")
    if tuple(actual) != tuple(shape):
        raise AssertionError(f"{name} has shape {tuple(actual)}, expected {tuple(shape)}")


def check_finite(value, name: str, hint: str = "") -> None:
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{name} contains NaN or inf" + (f": {hint}" if hint else ""))


def check_close(actual, expected, name: str, tol: float = 1e-7, hint: str = "") -> None:
    """Relative error (as in :func:`coursekit.gradcheck.rel_error`) below ``tol``."""
    expected = np.asarray(expected, dtype=np.float64)
    actual_arr = np.asarray(actual, dtype=np.float64)
    if actual_arr.shape != expected.shape:
        raise AssertionError(f"{name} has shape {actual_arr.shape}, expected {expected.shape}")
    check_finite(actual_arr, name, hint)
    err = rel_error(actual_arr, expected)
    if not err < tol:
        msg = f"{name} is wrong: relative error {err:.2e} (should be below {tol:.0e})"
        if expected.size <= 6:
            msg += f"; expected {np.round(expected, 8).tolist()}, got {np.round(actual_arr, 8).tolist()}"
        raise AssertionError(msg + (f". Hint: {hint}" if hint else ""))


def check_gradient(analytic, numeric, name: str, tol: float = 1e-7, hint: str = "") -> None:
    """An analytic gradient against a numerical one."""
    check_close(analytic, numeric, f"gradient {name}", tol,
                hint or "compare your backward pass with the derivative of the forward pass, term by term")
