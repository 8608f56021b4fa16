"""Datasets by name: :data:`DATASETS`, :func:`canonical_name`, :func:`load` and :func:`present`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from . import ag_news as _ag_news
from .ag_news import load_ag_news
from .cifar import CIFAR10_DIR, CIFAR10_FILES, load_cifar10
from .idx import IDX_FILES, load_fashion_mnist, load_mnist
from .root import PathLike, _fashion_sources, _missing, data_root

#: Names accepted by :func:`load` and by ``python -m coursekit fetch NAME``.
DATASETS = ("mnist", "fashion-mnist", "cifar10", "ag_news")

_LOADERS: dict[str, Callable[..., tuple[Any, Any]]] = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "ag_news": load_ag_news,
}


def canonical_name(name: str) -> str:
    """``"Fashion_MNIST"`` → ``"fashion-mnist"``, ``"cifar-10"`` → ``"cifar10"``...; ValueError if unknown."""
    key = str(name).strip().lower().replace("_", "").replace("-", "").replace(" ", "")
    for canonical in DATASETS:
        if key == canonical.replace("_", "").replace("-", ""):
            return canonical
    raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


def load(name: str, root: PathLike | None = None, download: bool | None = None, numpy: bool = False):
    """Load a dataset by name (one of :data:`DATASETS`); returns the loader's ``(train, test)``.

    ``numpy=True`` (image datasets) gives NumPy arrays instead of tensors, without importing
    PyTorch: the NumPy chapters use it. So an image dataset comes as two
    ``Split[torch.Tensor]`` by default and two ``Split[np.ndarray]`` with ``numpy=True``;
    AG News always comes as two :class:`~coursekit.data.TextSplit`."""
    if numpy:
        return _LOADERS[canonical_name(name)](root=root, download=download, numpy=True)
    return _LOADERS[canonical_name(name)](root=root, download=download)


def present(root: PathLike | None = None) -> dict[str, Path | None]:
    """For each dataset, the folder its files were found in, or ``None`` when absent.

    Looks only (nothing is unpacked or downloaded). For Fashion-MNIST the folder may be a
    Debian package folder, which the loader un-gzips on first use.
    """
    root = data_root(root)
    found: dict[str, Path | None] = {}
    for name, kind in (("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")):
        raw = root / kind / "raw"
        candidates: list[tuple[Path, Sequence[str]]] = [(raw, IDX_FILES)]
        candidates.append((raw, [n + ".gz" for n in IDX_FILES]))
        if name == "fashion-mnist":
            candidates += [(src, [n + ".gz" for n in IDX_FILES]) for src in _fashion_sources(root)]
        found[name] = next((folder for folder, files in candidates if not _missing(folder, files)), None)
    folder = root / CIFAR10_DIR
    found["cifar10"] = None if _missing(folder, CIFAR10_FILES) else folder
    folder = root / _ag_news.AG_NEWS_DIR
    found["ag_news"] = None if _missing(folder, tuple(_ag_news.AG_NEWS_URLS)) else folder
    return found
