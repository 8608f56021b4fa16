"""The chapter's two networks: LeNet-300-100 (Frankle & Carbin's MLP) and a text CNN.

Both are ordinary ``nn.Module`` s with no pruning logic of their own: masks are values kept
outside the model (see :mod:`.pruning`), applied with :func:`.pruning.apply_masks`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LeNet300100(nn.Module):
    """784-300-100-10 fully connected network with ReLUs (Frankle & Carbin's LeNet-300-100).

    Takes images ``(N, 28, 28)`` or ``(N, 1, 28, 28)`` as floats in [0, 1] and returns
    logits ``(N, classes)``. Weights are drawn from a Gaussian Glorot (Xavier normal)
    distribution, as in the paper; biases start at zero. The three weight matrices
    (``fc1.weight`` 300×784, ``fc2.weight`` 100×300, ``fc3.weight`` 10×100: 266,200
    weights) are what the chapter prunes; the 410 biases are not pruned.
    """

    def __init__(self, inputs: int = 784, hidden: tuple[int, int] = (300, 100), classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.fc3 = nn.Linear(hidden[1], classes)
        for layer in (self.fc1, self.fc2, self.fc3):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class TextCNN(nn.Module):
    """A one-layer convolutional text classifier (Kim, 2014) on token indices.

    ``tokens`` ``(N, L)`` int64 (0 is padding) -> embedding ``(N, E, L)`` -> one ``Conv1d``
    per kernel size (``filters`` channels each) -> ReLU -> max over time -> concatenation
    -> dropout -> linear layer to ``classes`` logits. ``L`` must be at least the largest
    kernel size (:func:`.text.encode` pads every text to a fixed length).

    Prunable (by the chapter's rule, Linear/Conv weights only): ``convs.<i>.weight`` and
    ``fc.weight``. The embedding is *not* pruned unless asked: it is a lookup table, most
    of whose rows a batch never touches, and in the seed notebook it held 98 % of the
    parameters, so pruning it by magnitude dominated every "% weights remaining" figure.
    """

    def __init__(self, vocab_size: int, classes: int = 4, embed_dim: int = 64, filters: int = 100,
                 kernel_sizes: tuple[int, ...] = (3, 4, 5), dropout: float = 0.5, pad_index: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, filters, k) for k in kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(kernel_sizes), classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens).transpose(1, 2)                        # N, E, L
        pooled = [F.relu(conv(x)).amax(dim=2) for conv in self.convs]     # each N, filters
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))
