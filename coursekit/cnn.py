"""Small helpers for convolutional networks: layer geometry and parameter counts."""
from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _pair_first(v) -> int:
    return int(v[0] if isinstance(v, (tuple, list)) else v)


def layer_geometry(model: nn.Module) -> list[tuple[str, tuple[int, int, int]]]:
    """``(name, (kernel, stride, padding))`` of every convolution and pooling layer of ``model``,
    in the order the modules were defined (which is the order they run in for a network
    built from ``nn.Sequential`` blocks). Adaptive pooling is listed as ``(0, 0, 0)``: its
    kernel depends on the input size. Square kernels are assumed (the first dimension is used)."""
    out = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            if _pair_first(module.dilation) != 1:
                raise ValueError(f"{name}: dilated convolutions are not covered by this receptive-field formula")
            out.append((name, (_pair_first(module.kernel_size), _pair_first(module.stride), _pair_first(module.padding))))
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            k = _pair_first(module.kernel_size)
            s = _pair_first(module.stride if module.stride is not None else k)
            out.append((name, (k, s, _pair_first(module.padding))))
        elif isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
            out.append((name, (0, 0, 0)))
    return out
