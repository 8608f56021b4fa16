"""One training epoch and one evaluation, written out step by step.

These are the two loops every PyTorch training script contains; the chapter's experiments
run the course's shared trainer (:func:`coursekit.train.fit`), which does the same work
with the whole dataset on the device and without a synchronisation per batch.

Images are stored as uint8 ``(N, 28, 28)`` tensors; ``to_input`` (the shared trainer's
``default_prepare``) turns a batch into float ``(N, 1, 28, 28)`` in [0, 1].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from coursekit.train import default_prepare as to_input


def train_one_epoch(model, images, labels, optimizer, batch_size=128, generator=None, augment=None):
    """One pass over the training set in a fresh random order (drawn from ``generator``).

    Every example is used exactly once; the last batch may be smaller. ``augment(x, generator)``,
    when given, transforms each input batch. Returns the mean cross-entropy over the epoch's
    examples (each example weighs the same, whatever the size of its batch)."""
    ### BEGIN SOLUTION
    model.train()
    n = len(labels)
    order = torch.randperm(n, generator=generator, device=images.device)
    total = 0.0
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        x, y = to_input(images[idx]), labels[idx]
        if augment is not None:
            x = augment(x, generator)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / n
    ### END SOLUTION


def evaluate(model, images, labels, batch_size=1000):
    """Mean cross-entropy and accuracy of ``model`` on ``(images, labels)``, in evaluation mode
    (BatchNorm uses its running statistics, dropout is off) and without building a graph."""
    ### BEGIN SOLUTION
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(labels), batch_size):
            x, y = to_input(images[start:start + batch_size]), labels[start:start + batch_size]
            scores = model(x)
            total_loss += F.cross_entropy(scores, y, reduction="sum").item()
            correct += (scores.argmax(dim=1) == y).sum().item()
    return total_loss / len(labels), correct / len(labels)
    ### END SOLUTION
