"""``torch`` imported on first use, so that the NumPy chapters load data without paying for it.

Each module of :mod:`coursekit.data` that needs PyTorch writes::

    if TYPE_CHECKING:
        import torch
    else:
        torch = LazyTorch(globals())

Type checkers see the real module; at run time the first ``torch.<name>`` imports PyTorch
and puts the real module in place of the proxy in that module's globals.
"""
from __future__ import annotations


class LazyTorch:
    """``torch`` imported on first use: the NumPy chapters load data without paying for it."""

    def __init__(self, namespace: dict):
        self._namespace = namespace  # the globals() of the module that holds this proxy

    def __getattr__(self, name):
        import torch as _torch

        self._namespace["torch"] = _torch
        return getattr(_torch, name)
