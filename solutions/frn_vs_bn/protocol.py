"""A fair comparison of normalisations: one protocol, fresh state for every run.

The original notebook trained its FRN network, then "switched to BatchNorm" by editing the
model class, but never re-created the model or the optimizer: the "BatchNorm" run kept
training the FRN network (and Adam's moments) for another 100 epochs, so the gap it printed
between the two compared nothing. A comparison is fair when every run gets:

* a **new model**, built from the **same seed** (the same initial weights wherever the
  architectures agree);
* a **new optimizer** on that model's parameters (no momentum or Adam moments carried over);
* the **same batches in the same order** and the same schedule.
"""
from __future__ import annotations

import torch


def compare_norms(norms, make_model, make_optimizer, train, seed=0) -> dict:
    """Train one model per normalisation in ``norms`` under the same protocol.

    For each ``norm``: seed PyTorch's global generator with ``seed``, build ``make_model(norm)``,
    then ``make_optimizer(model)``, and call ``train(model, optimizer, seed)`` (``train`` draws
    its batches from ``seed``). Returns ``{norm: whatever train returned}`` in the order of ``norms``."""
    ### BEGIN SOLUTION
    results = {}
    for norm in norms:
        torch.manual_seed(seed)
        model = make_model(norm)
        optimizer = make_optimizer(model)
        results[norm] = train(model, optimizer, seed)
    return results
    ### END SOLUTION
