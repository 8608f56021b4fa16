"""Synthetic data: small, learnable fake datasets written in the *real* on-disk formats.

:func:`write_synthetic_mnist`, :func:`write_synthetic_cifar10` and :func:`write_synthetic_ag_news`
write files that the real loaders read, so that those can be tested in seconds without the
real files. A ``SYNTHETIC`` marker file next to them tells them apart (:func:`is_synthetic`).
"""
from __future__ import annotations

import csv
import pickle
import struct
from pathlib import Path
from typing import Sequence

import numpy as np

from . import ag_news as _ag_news
from .cifar import CIFAR10_CLASSES, CIFAR10_DIR, CIFAR10_FILES
from .idx import IDX_FILES
from .root import PathLike

_SYNTHETIC_MARKER = "SYNTHETIC"  # written next to synthetic files; `where` reports it


def is_synthetic(folder: PathLike) -> bool:
    """Whether ``folder`` holds data written by one of the ``write_synthetic_*`` functions."""
    return (Path(folder) / _SYNTHETIC_MARKER).is_file()


def _prepare_synthetic(folder: Path, names: Sequence[str]) -> None:
    """Create ``folder``; refuse to overwrite real (non-synthetic) data files."""
    if any((folder / n).exists() for n in names) and not is_synthetic(folder):
        raise FileExistsError(f"{folder} already holds dataset files that are not synthetic; "
                              f"refusing to overwrite them. Write the synthetic data to another root.")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _SYNTHETIC_MARKER).write_text(
        "Synthetic data written by coursekit.data (not the real dataset).\n")


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the idx format (big-endian header: magic 0x0800+ndim, then sizes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(f">I{array.ndim}I", 0x0800 + array.ndim, *array.shape)
    path.write_bytes(header + array.tobytes())


def _balanced_labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.permutation(np.arange(n) % k).astype(np.int64)


def _pattern_images(rng, templates: np.ndarray, labels: np.ndarray, noise: float,
                    max_shift: int = 3) -> np.ndarray:
    """Templates (``K×...×H×W`` floats in 0..1) of each label, shifted by up to ``max_shift``
    pixels (wrapping around), with random contrast and Gaussian noise; uint8."""
    n = len(labels)
    base = templates[labels].astype(np.float32)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    out = np.empty_like(base)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[sel] = np.roll(base[sel], (dy, dx), axis=(-2, -1))
    contrast = rng.uniform(0.7, 1.0, size=(n,) + (1,) * (base.ndim - 1)).astype(np.float32)
    out = out * contrast * 255 + rng.normal(0, noise, size=out.shape).astype(np.float32)
    return np.clip(out, 0, 255).round().astype(np.uint8)


def write_synthetic_mnist(root: PathLike, kind: str = "MNIST", n_train: int = 600, n_test: int = 100,
                          seed: int = 0) -> Path:
    """Write a small fake MNIST (``kind="MNIST"``) or Fashion-MNIST (``kind="FashionMNIST"``).

    The four un-gzipped idx files go to ``<root>/<kind>/raw/`` exactly as the real ones, so
    :func:`load_mnist` / :func:`load_fashion_mnist` read them with ``root=root``. Each of the
    10 classes is a distinct blocky 28×28 pattern, shifted by up to 3 pixels, with random
    contrast and strong noise: a small model learns it in a few epochs (a linear classifier
    reaches about 99 % test accuracy, nearest class mean about 95 %). Returns ``root``.
    """
    kind = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "fashionmnist": "FashionMNIST"}.get(
        kind.lower(), kind)
    if kind not in ("MNIST", "FashionMNIST"):
        raise ValueError(f"kind must be 'MNIST' or 'FashionMNIST', got {kind!r}")
    root = Path(root).expanduser()
    raw = root / kind / "raw"
    _prepare_synthetic(raw, IDX_FILES)
    rng = np.random.default_rng([seed, 1 if kind == "MNIST" else 2])
    templates = np.kron(rng.random((10, 7, 7)) < 0.4, np.ones((4, 4))).astype(np.float32)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = _balanced_labels(rng, n, 10)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", _pattern_images(rng, templates, labels, noise=100))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def write_synthetic_cifar10(root: PathLike, n_train: int = 500, n_test: int = 100, seed: int = 0) -> Path:
    """Write a small fake CIFAR-10 in the python-pickle format to ``<root>/cifar-10-batches-py/``.

    ``data_batch_1`` .. ``data_batch_5`` share ``n_train`` images, ``test_batch`` has
    ``n_test``; each is a dict with ``b"data"`` (uint8 ``N×3072``: 1024 red, 1024 green,
    1024 blue values per row), ``b"labels"`` (a list of ints), ``b"batch_label"`` and
    ``b"filenames"``; ``batches.meta`` holds ``b"label_names"``. Each class has its own
    colour and blocky pattern, plus noise. Returns ``root``.
    """
    root = Path(root).expanduser()
    folder = root / CIFAR10_DIR
    _prepare_synthetic(folder, CIFAR10_FILES)
    rng = np.random.default_rng([seed, 3])
    colours = rng.uniform(0.3, 1.0, size=(10, 3, 1, 1))
    masks = np.kron(rng.random((10, 1, 8, 8)) < 0.5, np.ones((1, 4, 4)))
    templates = (colours * (0.25 + 0.75 * masks)).astype(np.float32)  # 10×3×32×32 in 0..1

    def batch(label: str, labels: np.ndarray, offset: int) -> dict:
        images = _pattern_images(rng, templates, labels, noise=60)
        return {
            b"batch_label": label.encode(),
            b"labels": [int(v) for v in labels],
            b"data": images.reshape(len(labels), 3072),
            b"filenames": [f"synthetic_{offset + i:05d}.png".encode() for i in range(len(labels))],
        }

    train_labels = _balanced_labels(rng, n_train, 10)
    start = 0
    for i, part in enumerate(np.array_split(train_labels, 5), start=1):
        with open(folder / f"data_batch_{i}", "wb") as f:
            pickle.dump(batch(f"training batch {i} of 5", part, start), f)
        start += len(part)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump(batch("testing batch 1 of 1", _balanced_labels(rng, n_test, 10), 0), f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CIFAR10_CLASSES],
                     b"num_cases_per_batch": int(np.ceil(n_train / 5)), b"num_vis": 3072}, f)
    return root


_AG_VOCAB = (
    ("minister", "election", "president", "government", "troops", "embassy", "treaty", "border",
     "parliament", "rebels", "ceasefire", "diplomats", "refugees", "summit", "protest"),
    ("match", "season", "coach", "goal", "championship", "team", "striker", "tournament",
     "playoffs", "quarterback", "medal", "inning", "defeat", "victory", "league"),
    ("shares", "profit", "quarter", "investors", "merger", "earnings", "stocks", "revenue",
     "economy", "prices", "bank", "dollar", "oil", "market", "deal"),
    ("software", "internet", "computer", "scientists", "space", "chip", "wireless", "researchers",
     "browser", "NASA", "genome", "online", "microsoft", "network", "virus"),
)
_AG_FILLER = ("the", "a", "of", "in", "on", "said", "new", "after", "for", "with", "today",
              "monday", "reuters", "ap", "report", "year", "week", "first", "over", "could")


def write_synthetic_ag_news(root: PathLike, n_train: int = 400, n_test: int = 100, seed: int = 0) -> Path:
    """Write a small fake AG News to ``<root>/ag_news/train.csv`` and ``test.csv``.

    Same format as the real files: every field quoted, no header, rows
    ``"class index","title","description"`` with class index 1..4. Each class draws most
    of its words from its own vocabulary (the rest are shared filler words), so a bag of
    words separates the classes. Some descriptions hold commas and quotes. Returns ``root``.
    """
    root = Path(root).expanduser()
    folder = root / _ag_news.AG_NEWS_DIR
    _prepare_synthetic(folder, tuple(_ag_news.AG_NEWS_URLS))
    rng = np.random.default_rng([seed, 4])

    def words(label: int, n: int) -> list[str]:
        own = rng.random(n) < 0.6
        return [str(rng.choice(_AG_VOCAB[label])) if o else str(rng.choice(_AG_FILLER)) for o in own]

    for name, n in (("train.csv", n_train), ("test.csv", n_test)):
        labels = _balanced_labels(rng, n, 4)
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            for label in labels:
                title = " ".join(words(label, int(rng.integers(3, 8)))).capitalize()
                first, second = words(label, int(rng.integers(4, 10))), words(label, int(rng.integers(4, 10)))
                description = " ".join(first) + ", " + " ".join(second) + "."
                if rng.random() < 0.2:
                    description += ' "' + " ".join(words(label, 3)) + '"'
                writer.writerow([int(label) + 1, title, description])
    return root
