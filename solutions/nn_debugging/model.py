"""The chapter's networks: a small ResNet for the smoke profile, ResNet-18 for the full one.

Both use torchvision's layer names (``conv1``, ``bn1``, ``layer1.0.conv2``, ``fc``...), so a
checkpoint's tensors are named the same way whichever network made it, and both take
``(N, 1, 28, 28)`` normalised grayscale images and return ``(N, num_classes)`` logits.
"""
from __future__ import annotations

from torch import nn


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the input (through a strided 1x1 conv + BN when the
    shape changes), then ReLU: torchvision's ``BasicBlock`` in miniature."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class SmallResNet(nn.Module):
    """Stem (3x3 conv, BN, ReLU) at 28x28, then one strided residual block per stage at widths
    ``width, 2*width, 4*width`` (28 -> 14 -> 7 -> 4), global average pooling, dropout, a linear
    classifier. 77,000 parameters and 2.6 M multiply-adds per image at ``width=16``."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16, dropout: float = 0.1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(width, width, stride=2))
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, stride=2))
        self.layer3 = nn.Sequential(BasicBlock(2 * width, 4 * width, stride=2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.dropout(self.pool(x).flatten(1)))


def resnet18_gray(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """torchvision's ResNet-18 (random init) adapted to 28x28 grayscale: a 3x3 stride-1 stem
    on ``in_channels`` and no max-pool (ImageNet's 7x7 stride-2 stem and pool would shrink a
    28x28 image to 7x7 before the first block), and ``num_classes`` outputs."""
    from torchvision.models import resnet18

    net = resnet18(num_classes=num_classes)
    net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    return net


def build_model(name: str, num_classes: int = 10, width: int = 16) -> nn.Module:
    """``"small"``: :class:`SmallResNet` of ``width``; ``"resnet18"``: :func:`resnet18_gray`."""
    if name == "small":
        return SmallResNet(num_classes=num_classes, width=width)
    if name == "resnet18":
        return resnet18_gray(num_classes=num_classes)
    raise ValueError(f"unknown model {name!r}; choose 'small' or 'resnet18'")
