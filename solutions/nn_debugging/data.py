"""The chapter's data in the seed notebook's format: PNG files plus ``train.csv`` / ``val.csv``.

::

    <folder>/train.csv            image_name,label   (rows sorted by label, as the seed's were)
    <folder>/val.csv
    <folder>/train/<image_name>.png
    <folder>/val/<image_name>.png
    <folder>/meta.json            dataset, class names, sizes, source; written last

:func:`png_folder` writes such a folder from Fashion-MNIST (the offline default), MNIST or
synthetic digits, once: it is cached under the data root at
``<data root>/nn_debugging/<dataset>-<n_train>-<n_val>-seed<seed>/`` and reused by every
later call (a subset of 2,500 images takes about a second; all 70,000 about half a minute).
The training images come from the dataset's training split, the validation images from its
test split, each a random subset when a size is given.

:class:`PngFolder` is the ``Dataset`` that reads one image per item, the way the seed did
(with Pillow instead of OpenCV); :func:`load_png_folder` reads a whole split into two tensors
once, which is what the experiments train on. :func:`read_like_opencv` returns what
``cv2.imread`` would (BGR, ``uint8``, channels last), for the broken setup that feeds such
arrays to a model that expects normalised grayscale.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from coursekit.data import data_root, load, write_synthetic_mnist

SPLITS = ("train", "val")
CACHE = "nn_debugging"            # the sub-folder of the data root that holds the PNG folders
DATASETS = ("fashion-mnist", "mnist", "synthetic")
META = "meta.json"


@dataclass(frozen=True)
class PngData:
    """Two splits of a PNG folder as tensors: uint8 images ``(N, 28, 28)`` and int64 labels,
    in the CSV's row order (sorted by label)."""

    folder: Path
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @cached_property
    def pixel_stats(self) -> tuple[float, float]:
        """Mean and standard deviation of the training pixels scaled to [0, 1] (computed once)."""
        x = self.train[0].float().div_(255)
        return x.mean().item(), x.std().item()

    def describe(self) -> str:
        return f"{self.folder.name}: train {len(self.train[1]):,} / val {len(self.val[1]):,} PNG images"


def folder_name(dataset: str, n_train: int | None, n_val: int | None, seed: int) -> str:
    size = lambda n: "all" if n is None else str(n)
    return f"{dataset}-{size(n_train)}-{size(n_val)}-seed{seed}"


def _source_splits(dataset: str, root: Path, source_root, n_train: int | None, n_val: int | None):
    """``(train, test)`` :class:`coursekit.data.Split` pairs of ``dataset`` (synthetic: written first)."""
    if dataset == "synthetic":
        source = root / CACHE / "synthetic-source"
        want_train, want_val = max(n_train or 6000, 100), max(n_val or 1000, 100)
        if not (source / "MNIST" / "raw").is_dir() or _synthetic_sizes(source) != (want_train, want_val):
            write_synthetic_mnist(source, kind="MNIST", n_train=want_train, n_test=want_val)
        return load("mnist", root=source)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    return load(dataset, root=root if source_root is None else source_root)


def _synthetic_sizes(source: Path) -> tuple[int, int]:
    sizes = []
    for prefix in ("train", "t10k"):
        path = source / "MNIST" / "raw" / f"{prefix}-labels-idx1-ubyte"
        sizes.append(int.from_bytes(path.read_bytes()[4:8], "big") if path.is_file() else -1)
    return sizes[0], sizes[1]


def _subset(n_total: int, n: int | None, generator: torch.Generator) -> torch.Tensor:
    if n is None or n >= n_total:
        return torch.arange(n_total)
    if n <= 0:
        raise ValueError(f"a split needs at least one image, got n={n}")
    return torch.randperm(n_total, generator=generator)[:n].sort().values


def _write_split(folder: Path, split: str, images: torch.Tensor, labels: torch.Tensor, index: torch.Tensor) -> None:
    from PIL import Image

    (folder / split).mkdir(parents=True)
    rows = []
    array = images.numpy()
    for i, label in zip(index.tolist(), labels.tolist()):
        name = f"{split}_{i:05d}"
        Image.fromarray(array[i], mode="L").save(folder / split / f"{name}.png", compress_level=1)
        rows.append((label, name))
    rows.sort()   # by label, then by name: the class-sorted order of the original notebook's CSV files
    with open(folder / f"{split}.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["image_name", "label"])
        writer.writerows((name, label) for label, name in rows)


def png_folder(dataset: str = "fashion-mnist", n_train: int | None = None, n_val: int | None = None,
               root=None, seed: int = 0, source_root=None) -> Path:
    """The folder of ``dataset`` in the seed's format, written on first use and cached.

    ``n_train`` images drawn at random (with ``seed``) from the training split and ``n_val``
    from the test split; ``None`` takes a whole split. The dataset itself is read from
    ``source_root`` (default: the data root, where the folder is cached too). The folder is written to a temporary
    name and renamed when complete, so an interrupted or concurrent writer never leaves a
    half-written folder behind. A missing dataset raises :class:`coursekit.data.DatasetNotFoundError`."""
    base = data_root(root)
    folder = base / CACHE / folder_name(dataset, n_train, n_val, seed)
    if (folder / META).is_file():
        return folder
    train, test = _source_splits(dataset, base, source_root, n_train, n_val)
    generator = torch.Generator().manual_seed(seed)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        sizes = {}
        for split, source, n in (("train", train, n_train), ("val", test, n_val)):
            index = _subset(len(source.labels), n, generator)
            _write_split(tmp, split, source.images, source.labels[index], index)
            sizes[split] = len(index)
        meta = {"dataset": dataset, "classes": list(train.classes), "sizes": sizes, "seed": seed,
                "source": {"train": "training split", "val": "test split"}}
        (tmp / META).write_text(json.dumps(meta, indent=1) + "\n")
        try:
            tmp.rename(folder)
        except OSError:            # another process finished first: keep its folder
            if not (folder / META).is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read_csv(folder, split: str) -> list[tuple[str, int]]:
    """The ``(image_name, label)`` rows of ``<folder>/<split>.csv``, in file order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    with open(Path(folder) / f"{split}.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["image_name", "label"]:
            raise ValueError(f"{folder}/{split}.csv: expected the header image_name,label, got {header}")
        return [(name, int(label)) for name, label in reader]


def read_png(path) -> torch.Tensor:
    """One grayscale PNG as a uint8 tensor ``(H, W)`` (Pillow; a colour file is converted to luma)."""
    from PIL import Image

    with Image.open(path) as image:
        return torch.from_numpy(np.array(image.convert("L"), dtype=np.uint8))


def read_like_opencv(path) -> np.ndarray:
    """What ``cv2.imread(path)`` returns, without OpenCV: ``(H, W, 3)`` uint8, channels in
    **BGR** order and last, values 0..255 (a grayscale file gets three equal channels)."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = np.array(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[..., ::-1])


class PngFolder(Dataset):
    """``Dataset`` of one split of a PNG folder: item ``i`` is ``(image, label)`` with
    ``image`` a uint8 tensor ``(1, H, W)`` (or whatever ``transform`` makes of it) and
    ``label`` an int, in the CSV's (class-sorted) order."""

    def __init__(self, folder, split: str = "train", transform=None):
        self.folder = Path(folder)
        self.split = split
        self.rows = read_csv(self.folder, split)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        name, label = self.rows[index]
        image = read_png(self.folder / self.split / f"{name}.png").unsqueeze(0)
        return (self.transform(image) if self.transform else image), label


def load_png_folder(folder) -> PngData:
    """Both splits of ``folder`` read into tensors once (uint8 images, int64 labels, CSV order)."""
    folder = Path(folder)
    meta = json.loads((folder / META).read_text())
    splits = {}
    for split in SPLITS:
        rows = read_csv(folder, split)
        images = torch.stack([read_png(folder / split / f"{name}.png") for name, _ in rows])
        labels = torch.tensor([label for _, label in rows], dtype=torch.int64)
        splits[split] = (images, labels)
    return PngData(folder=folder, train=splits["train"], val=splits["val"], classes=tuple(meta["classes"]))


def load_data(dataset: str = "fashion-mnist", n_train: int | None = None, n_val: int | None = None,
              root=None, seed: int = 0, source_root=None) -> PngData:
    """:func:`png_folder` then :func:`load_png_folder`."""
    return load_png_folder(png_folder(dataset, n_train=n_train, n_val=n_val, root=root, seed=seed,
                                      source_root=source_root))
