"""Batch augmentation for grayscale digits, on the device, one random draw per image.

Images are float tensors ``(N, 1, H, W)`` in [0, 1] with a black (0) background, so
anything that moves pixels in from outside the frame fills it with 0, the background.
What makes sense for digits: small rotations and shifts (handwriting varies that much),
and random erasing (occlusion). What does not: flips (a mirrored 2 is not a 2) and colour
jitter of saturation or hue (a grayscale image has neither).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment(x, generator, max_degrees=10.0, max_shift=0.1):
    """Rotate each image by its own angle in [-max_degrees, max_degrees] and shift it by up to
    ``max_shift`` of its width and height, drawing from ``generator``; fill with 0."""
    ### BEGIN SOLUTION
    n = x.shape[0]
    uniform = lambda: torch.rand(n, generator=generator, device=x.device) * 2 - 1
    angle = uniform() * math.radians(max_degrees)
    shift_x, shift_y = uniform() * max_shift * 2, uniform() * max_shift * 2  # grid units span [-1, 1]
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    ### END SOLUTION


def random_erasing(x, generator, p=0.5, scale=(0.02, 0.15)):
    """With probability ``p`` per image, set one random rectangle covering a fraction in
    ``scale`` of the image to 0. Returns a new tensor; ``x`` is left unchanged."""
    ### BEGIN SOLUTION
    n, _, h, w = x.shape
    dev = x.device
    area = (scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=generator, device=dev)) * h * w
    aspect = torch.exp((torch.rand(n, generator=generator, device=dev) * 2 - 1) * math.log(2.0))
    eh = (area * aspect).sqrt().round().clamp(1, h).long()
    ew = (area / aspect).sqrt().round().clamp(1, w).long()
    top = (torch.rand(n, generator=generator, device=dev) * (h - eh + 1)).long()
    left = (torch.rand(n, generator=generator, device=dev) * (w - ew + 1)).long()
    chosen = torch.rand(n, generator=generator, device=dev) < p
    rows = torch.arange(h, device=dev).view(1, h, 1)
    cols = torch.arange(w, device=dev).view(1, 1, w)
    inside = ((rows >= top.view(n, 1, 1)) & (rows < (top + eh).view(n, 1, 1))
              & (cols >= left.view(n, 1, 1)) & (cols < (left + ew).view(n, 1, 1)))
    erase = (inside & chosen.view(n, 1, 1)).unsqueeze(1)
    return x.masked_fill(erase, 0.0)
    ### END SOLUTION
