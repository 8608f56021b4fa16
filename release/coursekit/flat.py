"""Image datasets as flat NumPy arrays, for the chapters written in NumPy (backprop from scratch).

The validation split is carved at random from the *training* set; the test set is only
ever used for the final report.
"""
from __future__ import annotations

import numpy as np


def flat_splits(train, test, n_train: int | None = None, n_val: int = 1000,
                n_test: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Return ``X_train, y_train, X_val, y_val, X_test, y_test`` and ``mean_image``.

    ``train`` / ``test`` are splits from :mod:`coursekit.data` (uint8 images and labels, as
    tensors or, with ``load(..., numpy=True)``, NumPy arrays). Images are flattened to rows of float64 pixel values (0..255) minus the mean
    training image, as in cs231n. ``n_train`` / ``n_test`` default to everything available.
    """
    images = np.asarray(train.images)
    labels = np.asarray(train.labels).astype(np.int64)
    n = len(labels)
    if n_val + (n_train or 1) > n:
        raise ValueError(f"asked for {n_train} train + {n_val} validation examples, the training set has {n}")
    order = np.random.default_rng(seed).permutation(n)
    val_idx = order[:n_val]
    train_idx = order[n_val:] if n_train is None else order[n_val:n_val + n_train]
    test_images, y_test = np.asarray(test.images), np.asarray(test.labels).astype(np.int64)
    if n_test is not None:
        test_images, y_test = test_images[:n_test], y_test[:n_test]

    def rows(x):  # convert only the selected images to float64 rows
        return x.reshape(len(x), -1).astype(np.float64)

    X_train = rows(images[train_idx])
    mean_image = X_train.mean(axis=0)
    X_val, X_test = rows(images[val_idx]), rows(test_images)
    return {
        "X_train": X_train - mean_image, "y_train": labels[train_idx],
        "X_val": X_val - mean_image, "y_val": labels[val_idx],
        "X_test": X_test - mean_image, "y_test": y_test,
        "mean_image": mean_image,
    }
