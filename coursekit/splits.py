"""Train / validation / test tensors for the PyTorch image chapters.

The validation split is carved at random from the *training* set; model selection (the best
epoch, the hyper-parameters) looks at validation only, and the test set is kept for the
final report.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data as course_data


@dataclass
class Splits:
    """``(images, labels)`` tensor pairs: uint8 images as stored, int64 labels."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    classes: tuple[str, ...]

    def describe(self) -> str:
        return (f"train {len(self.train[1]):,} / validation {len(self.val[1]):,} (from the training set) / "
                f"test {len(self.test[1]):,} images")


def image_splits(dataset: str, n_val: int, n_train: int | None = None, n_test: int | None = None,
                 seed: int = 0, root=None) -> Splits:
    """Load ``dataset`` with :func:`coursekit.data.load` and split it.

    ``n_val`` training images, drawn at random with ``seed``, become the validation set;
    ``n_train`` (default: all the others) stay for training; the first ``n_test`` test images
    (default: all) form the test set. A missing dataset raises
    :class:`coursekit.data.DatasetNotFoundError` with the command that fixes it."""
    train, test = course_data.load(dataset, root=root)
    n = len(train.labels)
    if not 0 < n_val < n:
        raise ValueError(f"n_val={n_val}: the validation set must take some, not all, of the {n:,} training images")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx = order[:n_val]
    train_idx = order[n_val:] if n_train is None else order[n_val:n_val + n_train]
    n_test = len(test.labels) if n_test is None else min(n_test, len(test.labels))
    return Splits(train=(train.images[train_idx], train.labels[train_idx]),
                  val=(train.images[val_idx], train.labels[val_idx]),
                  test=(test.images[:n_test], test.labels[:n_test]),
                  classes=tuple(train.classes))
