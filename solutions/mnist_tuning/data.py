"""The chapter's data: train / validation / test tensors, validation carved from the training set.

Model selection (the best epoch, the hyper-parameters) uses the validation split only; the
test set is evaluated for the report and never drives a decision.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from coursekit import data as course_data

from .config import Hparams


@dataclass
class Splits:
    train: tuple[torch.Tensor, torch.Tensor]   # uint8 images (N, 28, 28), int64 labels
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    classes: tuple[str, ...]


def load_splits(hp: Hparams, root=None, seed: int = 0) -> Splits:
    """Load ``hp.dataset`` and split it (raises coursekit's DatasetNotFoundError when absent)."""
    train, test = course_data.load(hp.dataset, root=root)
    n = len(train.labels)
    if hp.n_val >= n:
        raise ValueError(f"n_val={hp.n_val} leaves no training data ({n} training images)")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx = order[:hp.n_val]
    train_idx = order[hp.n_val:] if hp.n_train is None else order[hp.n_val:hp.n_val + hp.n_train]
    n_test = len(test.labels) if hp.n_test is None else min(hp.n_test, len(test.labels))
    return Splits(train=(train.images[train_idx], train.labels[train_idx]),
                  val=(train.images[val_idx], train.labels[val_idx]),
                  test=(test.images[:n_test], test.labels[:n_test]),
                  classes=tuple(train.classes))
