"""How much a sample's output depends on the other samples of its batch.

BatchNorm in training mode normalises with the mean and variance of the *batch*, so the
same image gets different outputs in different batches; at batch size 2 the statistics are
those of two images and the noise is large. FRN and GroupNorm normalise each sample with its
own statistics: their outputs do not move (up to float rounding).
"""
from __future__ import annotations

import torch


def batch_dependence(model, sample, batch_a, batch_b) -> float:
    """Relative change of ``model``'s output for ``sample`` (one ``(C, H, W)`` input) between a
    batch made of ``sample`` followed by ``batch_a`` and one made of ``sample`` followed by
    ``batch_b``, in training mode and without gradients:

        max |y_a - y_b| / max |y_a|

    where ``y_a`` and ``y_b`` are the outputs for ``sample`` (the first row). Measuring must
    leave the model as it was: its mode and every parameter and buffer (BatchNorm's running
    statistics move on every training-mode forward pass) are restored. Dropout draws new masks
    on every training-mode pass, so measure a model built without dropout: what is left is the
    dependence the normalisation layers create."""
    ### BEGIN SOLUTION
    was_training = model.training
    saved = {name: value.clone() for name, value in model.state_dict().items()}
    model.train()
    try:
        with torch.no_grad():
            y_a = model(torch.cat([sample[None], batch_a]))[0]
            y_b = model(torch.cat([sample[None], batch_b]))[0]
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    return float((y_a - y_b).abs().max() / y_a.abs().max().clamp_min(1e-12))
    ### END SOLUTION
