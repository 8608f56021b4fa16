"""Images for the chapter, resident on the training device, augmented there in batches.

The stored uint8 images are moved to the device once; every batch is converted to floats,
normalised per channel, then (training batches only) randomly cropped from a zero-padded
copy and flipped, all with tensor indexing on the whole batch: no per-sample Python, no
DataLoader, no PIL. Zero padding after normalisation pads with the dataset's mean colour.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ImageSettings:
    """What the model needs to know about a dataset's images."""

    in_channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    pad: int                 # random crops from a copy padded by this many pixels per side
    flip: bool               # random horizontal flips (not for digits)


DATASETS = {
    "cifar10": ImageSettings(3, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), pad=4, flip=True),
    "fashion-mnist": ImageSettings(1, (0.2860,), (0.3530,), pad=2, flip=True),
    "mnist": ImageSettings(1, (0.1307,), (0.3081,), pad=2, flip=False),
}


def settings(dataset: str) -> ImageSettings:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(f"frn_vs_bn has no image settings for {dataset!r}; choose one of {', '.join(DATASETS)}") from None


def make_prepare(s: ImageSettings):
    """uint8 ``(N, H, W)`` or ``(N, C, H, W)`` -> normalised float32 ``(N, C, H, W)``."""
    mean = torch.tensor(s.mean).view(1, -1, 1, 1)
    std = torch.tensor(s.std).view(1, -1, 1, 1)
    cache = {}

    def prepare(x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.device not in cache:
            cache[x.device] = (mean.to(x.device), std.to(x.device))
        m, sd = cache[x.device]
        return (x.float().div_(255.0) - m) / sd
    return prepare


def crop_flip(x: torch.Tensor, generator: torch.Generator, pad: int = 4, flip: bool = True) -> torch.Tensor:
    """Random ``H x W`` crops of the zero-padded batch (one offset per image, uniform in
    ``[0, 2 * pad]`` on each axis) and, with ``flip``, a horizontal flip of each image with
    probability 1/2. Every random number comes from ``generator``."""
    n, _, h, w = x.shape
    dev = x.device
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator, device=dev)
    dx = torch.randint(0, 2 * pad + 1, (n, 1), generator=generator, device=dev)
    rows = dy + torch.arange(h, device=dev)
    cols = dx + torch.arange(w, device=dev)
    if flip:
        flipped = torch.rand(n, 1, generator=generator, device=dev) < 0.5
        cols = torch.where(flipped, cols.flip(1), cols)
    batch = torch.arange(n, device=dev).view(n, 1, 1)
    out = x.permute(0, 2, 3, 1)[batch, rows.view(n, h, 1), cols.view(n, 1, w)]   # (n, h, w, c)
    return out.permute(0, 3, 1, 2)                                                 # channels_last in memory


def make_augment(s: ImageSettings):
    if not s.pad and not s.flip:
        return None
    return lambda x, generator: crop_flip(x, generator, pad=s.pad, flip=s.flip)
