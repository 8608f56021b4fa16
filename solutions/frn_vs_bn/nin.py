"""Network in Network (Lin, Chen & Yan, 2014) with a choice of normalisation.

Three blocks of one spatial convolution followed by two 1x1 convolutions (the "micro
network" that gives the architecture its name); the first two blocks end in a 3x3 pooling
of stride 2 and dropout, the last one maps to one channel per class and global average
pooling turns each map into a class score. There is no fully connected layer, and no
activation after the last convolution: its outputs are the logits.

Every convolution but the last is followed by ``norm_layer(norm, channels)``: BatchNorm +
ReLU, GroupNorm + ReLU, FRN (whose TLU is the activation), or a plain ReLU. Convolutions
followed by a normalisation carry no bias (the normalisation has its own shift).
"""
from __future__ import annotations

import math

from torch import nn

from .frn import FilterResponseNorm2d

NORMS = ("bn", "frn", "gn", "none")

# (kernel, output channels at width 1) of the nine convolutions, block by block; the last one
# has ``num_classes`` outputs whatever is written here (10 for CIFAR-10)
LAYOUT = (((5, 192), (1, 160), (1, 96)),
          ((5, 192), (1, 192), (1, 192)),
          ((3, 192), (1, 192), (1, 10)))


def channels(c: int, width: float) -> int:
    """``c`` channels scaled by ``width``, rounded to a multiple of 8 (at least 8)."""
    return max(8, int(round(c * width / 8)) * 8)


def norm_layer(norm: str, num_channels: int) -> nn.Module:
    """The normalisation and activation that follow a convolution with ``num_channels`` outputs."""
    if norm == "bn":
        return nn.Sequential(nn.BatchNorm2d(num_channels), nn.ReLU())
    if norm == "gn":  # 32 groups where the channels allow it (8 or 16 at small widths)
        return nn.Sequential(nn.GroupNorm(math.gcd(32, num_channels), num_channels), nn.ReLU())
    if norm == "frn":
        return FilterResponseNorm2d(num_channels)
    if norm == "none":
        return nn.ReLU()
    raise ValueError(f"unknown normalisation {norm!r}; choose one of {', '.join(NORMS)}")


class NiN(nn.Module):
    """NiN for ``(N, in_channels, H, W)`` images (32x32 CIFAR-10 or 28x28 Fashion-MNIST);
    returns ``(N, num_classes)`` logits. ``width`` scales every hidden layer's channels."""

    ### BEGIN SOLUTION
    def __init__(self, norm: str = "bn", in_channels: int = 3, num_classes: int = 10, width: float = 1.0,
                 dropout: float = 0.5):
        super().__init__()
        bias = norm == "none"
        layers, c_in = [], in_channels
        for b, block in enumerate(LAYOUT):
            for i, (kernel, c) in enumerate(block):
                last = b == len(LAYOUT) - 1 and i == len(block) - 1
                c_out = num_classes if last else channels(c, width)
                layers.append(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias or last))
                if not last:
                    layers.append(norm_layer(norm, c_out))
                c_in = c_out
            if b == 0:
                layers += [nn.MaxPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]
            elif b == 1:
                layers += [nn.AvgPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
    ### END SOLUTION
