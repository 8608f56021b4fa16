"""A CNN for 28x28 digits under 10,000 parameters.

Blocks of 3x3 convolution -> BatchNorm -> ReLU -> Dropout grow the receptive field by 2
pixels each; one max-pool (after the receptive field has reached an edge-and-stroke scale)
halves the map, a 1x1 convolution then squeezes the channels back (cheap: no spatial
extent), and the head is global average pooling followed by a 1x1 convolution to the 10
classes, instead of a large fully connected layer. Convolutions carry no bias: the
BatchNorm that follows has its own shift.
"""
from __future__ import annotations

from torch import nn


def conv_block(c_in: int, c_out: int, dropout: float, padding: int = 0) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=padding, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(), nn.Dropout(dropout))


class Net(nn.Module):
    """Input ``(N, 1, 28, 28)`` in [0, 1]; output ``(N, 10)`` class scores (logits)."""

    ### BEGIN SOLUTION
    def __init__(self, width=(8, 16, 8, 16, 16, 16, 16), dropout=0.05):
        super().__init__()
        c1, c2, c3, c4, c5, c6, c7 = width
        self.features = nn.Sequential(
            conv_block(1, c1, dropout),              # 28 -> 26, rf 3
            conv_block(c1, c2, dropout),             # 26 -> 24, rf 5
            nn.MaxPool2d(2),                         # 24 -> 12, rf 6
            nn.Conv2d(c2, c3, 1, bias=False),        # channels squeezed, rf 6
            conv_block(c3, c4, dropout),             # 12 -> 10, rf 10
            conv_block(c4, c5, dropout),             # 10 -> 8, rf 14
            conv_block(c5, c6, dropout, padding=1),  # 8 -> 8, rf 18
            conv_block(c6, c7, 0.0),                 # 8 -> 6, rf 22 (the 6x6 average then sees all 28)
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c7, 10, 1), nn.Flatten())

    def forward(self, x):
        return self.head(self.features(x))
    ### END SOLUTION
