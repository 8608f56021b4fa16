"""Filter Response Normalization with its Thresholded Linear Unit (Singh & Krishnan, 2020).

For every sample and channel, FRN divides the feature map by the root mean square of its
own values over the spatial positions; nothing is averaged over the batch, so a sample's
output does not depend on the other samples in its batch, in training as in evaluation:

    nu2   = mean over H, W of x**2                (one number per sample and channel)
    x_hat = x * rsqrt(nu2 + |eps|)
    y     = max(gamma * x_hat + beta, tau)         (the TLU: a ReLU with a learned threshold)

FRN does not subtract a mean, so without the learned threshold ``tau`` the ReLU after it
could cut off an arbitrary share of every channel; the TLU lets each channel learn where
to cut. ``eps`` is a constant (a buffer, saved in ``state_dict``); with ``learnable_eps``
the layer uses ``eps + |eps_l|`` with a learned ``eps_l`` per channel, the paper's form for
1x1 maps, where ``nu2 = x**2`` and the layer would otherwise squash ``x_hat`` to ``sign(x)``.
"""
from __future__ import annotations

import torch
from torch import nn


class FilterResponseNorm2d(nn.Module):
    """FRN + TLU over ``(N, C, H, W)`` inputs.

    Parameters ``gamma`` (ones), ``beta`` (zeros) and ``tau`` (zeros), each of shape ``(C,)``;
    buffer ``eps`` (a 0-d tensor holding ``eps``); with ``learnable_eps=True`` also the
    parameter ``eps_l`` of shape ``(C,)``, starting at 1e-4. ``nu2`` is computed in float32
    at least (float64 stays float64; under autocast a float16 ``x**2`` overflows above 256)."""

    ### BEGIN SOLUTION
    def __init__(self, num_features: int, eps: float = 1e-6, learnable_eps: bool = False):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("eps", torch.tensor(float(eps)))
        self.eps_l = nn.Parameter(torch.full((num_features,), 1e-4)) if learnable_eps else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1, 1, 1)
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))  # float16/bf16 -> float32; float64 stays
        nu2 = x32.pow(2).mean(dim=(2, 3), keepdim=True)
        eps = self.eps.abs()
        if self.eps_l is not None:
            eps = eps + self.eps_l.abs().view(shape)
        x_hat = x32 * torch.rsqrt(nu2 + eps)
        y = torch.maximum(self.gamma.view(shape) * x_hat + self.beta.view(shape), self.tau.view(shape))
        return y.to(x.dtype)
    ### END SOLUTION
