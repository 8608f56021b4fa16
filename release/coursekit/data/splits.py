"""The bundles the loaders return: :class:`Split` (images) and :class:`TextSplit` (texts).

A :class:`Split` holds PyTorch tensors by default, or NumPy arrays when its loader was called
with ``numpy=True``; its type says which (``Split[torch.Tensor]`` or ``Split[np.ndarray]``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from ._lazy_torch import LazyTorch

if TYPE_CHECKING:
    import torch
else:
    torch = LazyTorch(globals())

#: What a :class:`Split` holds its images and labels in: ``torch.Tensor`` (the loaders'
#: default) or ``np.ndarray`` (``load_mnist(..., numpy=True)`` and the like, no PyTorch needed).
ArrayT = TypeVar("ArrayT", "torch.Tensor", np.ndarray)


@dataclass(frozen=True, eq=False)
class Split(Generic[ArrayT]):
    """One split of an image dataset, held as tensors (like a ``TensorDataset``) or NumPy arrays.

    The loaders (:func:`~coursekit.data.load_mnist`, :func:`~coursekit.data.load_fashion_mnist`,
    :func:`~coursekit.data.load_cifar10`, :func:`~coursekit.data.load`) give
    ``Split[torch.Tensor]`` by default and ``Split[np.ndarray]`` with ``numpy=True``; images
    and labels are always of the same kind.

    Attributes:
        images: ``uint8`` tensor (or array), ``N×H×W`` (grayscale) or ``N×C×H×W`` (colour), values 0..255.
        labels: ``int64`` tensor (or array) of shape ``N`` with values in ``0 .. len(classes)-1``.
        classes: class names; ``classes[k]`` is the name of label ``k``.

    ``len(split)`` is ``N``; ``split[i]`` is ``(images[i], labels[i])``.
    """

    images: ArrayT
    labels: ArrayT
    classes: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "classes", tuple(self.classes))
        if str(self.images.dtype) not in ("torch.uint8", "uint8"):
            raise ValueError(f"Split.images must be uint8, got {self.images.dtype}")
        if str(self.labels.dtype) not in ("torch.int64", "int64") or np.ndim(self.labels) != 1:
            raise ValueError(f"Split.labels must be a 1-D int64 tensor, got {self.labels.dtype} "
                             f"of shape {tuple(self.labels.shape)}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to(self: Split[torch.Tensor], device) -> Split[torch.Tensor]:
        """A copy with ``images`` and ``labels`` moved to ``device`` (still uint8 / int64).

        Only for a split of tensors (NumPy arrays have no device)."""
        return replace(self, images=self.images.to(device), labels=self.labels.to(device))


@dataclass(frozen=True, eq=False)
class TextSplit:
    """One split of a text-classification dataset.

    Attributes:
        texts: one string per example.
        labels: ``int64`` tensor of shape ``N`` with values in ``0 .. len(classes)-1``.
        classes: class names; ``classes[k]`` is the name of label ``k``.

    ``len(split)`` is ``N``; ``split[i]`` is ``(texts[i], labels[i])``.
    """

    texts: tuple[str, ...]
    labels: torch.Tensor
    classes: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "classes", tuple(self.classes))
        if self.labels.dtype != torch.int64 or self.labels.dim() != 1:
            raise ValueError(f"TextSplit.labels must be a 1-D int64 tensor, got {self.labels.dtype}")
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        return self.texts[index], self.labels[index]

    @property
    def num_classes(self) -> int:
        return len(self.classes)
