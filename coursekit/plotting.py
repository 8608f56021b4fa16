"""Plots students would rather look at than read: weight grids and training curves."""
from __future__ import annotations

import numpy as np


def visualize_grid(images: np.ndarray, padding: int = 1, ubound: float = 255.0) -> np.ndarray:
    """Tile ``images`` (N, H, W, C) into one (rows*H, cols*W, C) image, each rescaled to [0, ubound]."""
    images = np.asarray(images, dtype=np.float64)
    n, h, w, c = images.shape
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full((rows * h + padding * (rows - 1), cols * w + padding * (cols - 1), c), ubound)  # white gaps
    for k in range(n):
        r, q = divmod(k, cols)
        img = images[k]
        lo, hi = img.min(), img.max()
        scaled = ubound * (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
        grid[r * (h + padding): r * (h + padding) + h, q * (w + padding): q * (w + padding) + w] = scaled
    return grid


def first_layer_images(W1: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Turn a first-layer weight matrix (D, H) into H images of ``image_shape`` ((C, H, W) or (H, W)), channels last."""
    hidden = W1.shape[1]
    imgs = W1.T.reshape(hidden, *image_shape)
    if imgs.ndim == 3:  # grayscale
        return imgs[..., None]
    return imgs.transpose(0, 2, 3, 1)


def show_weights(W1: np.ndarray, image_shape: tuple[int, ...], ax=None, title: str | None = None):
    """Draw the first-layer weights of a fully connected net as a grid of images."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    grid = visualize_grid(first_layer_images(W1, image_shape), padding=2)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid.astype("uint8"), cmap="gray")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_training(loss_history, train_acc, val_acc, title: str = "", fig=None):
    """Loss per iteration (top) and train/validation accuracy per epoch (bottom)."""
    import matplotlib.pyplot as plt

    fig = fig or plt.figure(figsize=(8, 6))
    ax1, ax2 = fig.subplots(2, 1)
    ax1.plot(loss_history, lw=0.8)
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("training loss")
    ax1.set_title(title or "training loss")
    ax2.plot(train_acc, "-o", label="train")
    ax2.plot(val_acc, "-o", label="validation")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend(loc="lower right")
    fig.tight_layout()
    return fig
