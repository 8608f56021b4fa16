"""Datasets of the course, loaded into tensors with one function per dataset.

Every loader returns ``(train, test)``::

    from coursekit.data import load_fashion_mnist
    train, test = load_fashion_mnist()
    train.images.shape, train.images.dtype   # (60000, 28, 28), torch.uint8
    train.labels.dtype                       # torch.int64
    train.classes[train.labels[0]]           # 'Ankle boot'

=================  ===============================  ==========================================
dataset            loader                           what ``train``/``test`` hold
=================  ===============================  ==========================================
MNIST              :func:`load_mnist`               :class:`Split`, images ``N×28×28`` uint8
Fashion-MNIST      :func:`load_fashion_mnist`       :class:`Split`, images ``N×28×28`` uint8
CIFAR-10           :func:`load_cifar10`             :class:`Split`, images ``N×3×32×32`` uint8
AG News            :func:`load_ag_news`             :class:`TextSplit`, texts and labels 0..3
=================  ===============================  ==========================================

Images stay ``uint8`` (0..255): convert them yourself, e.g. ``x = images.float() / 255``.
That keeps a whole dataset small enough to live on the GPU.

**Where the files live.** All datasets sit under one *data root* (:func:`data_root`): the
``root`` argument, else the environment variable ``COURSE_DATA``, else
``~/.cache/dl-course/data``. Run ``python -m coursekit where`` to see what is there.

**Downloads are off by default.** A loader downloads a missing dataset only when you pass
``download=True`` or set ``COURSE_ALLOW_DOWNLOAD=1``; otherwise it raises
:class:`DatasetNotFoundError`, whose message lists the folders it looked in and the command
that fixes it. Fashion-MNIST also works offline on Debian/Ubuntu: it comes from the Debian
package ``dataset-fashion-mnist`` (``python -m coursekit fetch fashion-mnist``).

**Synthetic data.** :func:`write_synthetic_mnist`, :func:`write_synthetic_cifar10` and
:func:`write_synthetic_ag_news` write small, learnable fake datasets in the *real* on-disk
formats, so that the real loaders can be tested in seconds without the real files.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import os
import pickle
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence, Union

import numpy as np


class _LazyTorch:
    """``torch`` imported on first use: the NumPy chapters load data without paying for it."""

    def __getattr__(self, name):
        import torch as _torch

        globals()["torch"] = _torch
        return getattr(_torch, name)


torch = _LazyTorch()

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "FetchError",
    "Split",
    "TextSplit",
    "data_root",
    "download_allowed",
    "canonical_name",
    "load",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_ag_news",
    "fetch_fashion_mnist",
    "present",
    "is_synthetic",
    "write_synthetic_mnist",
    "write_synthetic_cifar10",
    "write_synthetic_ag_news",
]

PathLike = Union[str, os.PathLike]

#: Names accepted by :func:`load` and by ``python -m coursekit fetch NAME``.
DATASETS = ("mnist", "fashion-mnist", "cifar10", "ag_news")

#: Where the Debian package ``dataset-fashion-mnist`` puts its four ``.gz`` files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
#: The same folder inside ``<data root>/debian`` after ``python -m coursekit fetch fashion-mnist``.
DEBIAN_SUBDIR = Path("debian/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"

#: The four idx files of MNIST and Fashion-MNIST (un-gzipped names, as torchvision reads them).
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")

AG_NEWS_DIR = "ag_news"
AG_NEWS_URLS = {
    "train.csv": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
    "test.csv": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
}
# SHA-256 of each AG News file. None means "not pinned yet": the first successful download
# prints the hash of the file it got; paste it here to pin it. Once a hash is set, a download
# whose hash differs is deleted and raises DatasetCorruptError.
AG_NEWS_SHA256 = {
    "train.csv": None,
    "test.csv": None,
}

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
AG_NEWS_CLASSES = ("World", "Sports", "Business", "Sci/Tech")

_DEFAULT_ROOT = Path("~/.cache/dl-course/data")
_SYNTHETIC_MARKER = "SYNTHETIC"  # written next to synthetic files; `where` reports it
_DOWNLOAD_OFF = "Downloading is off (set COURSE_ALLOW_DOWNLOAD=1 or pass download=True)."
_DISPLAY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "ag_news": "AG News"}


# --------------------------------------------------------------------------- errors


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not on disk (and was not downloaded).

    The message names the dataset, every path that was looked at and the command that
    fixes it. The same facts are attributes: ``dataset``, ``paths``, ``fix`` and ``note``.
    """

    def __init__(self, dataset: str, paths: Sequence[str] = (), fix: str = "", note: str = ""):
        self.dataset = dataset
        self.paths = tuple(str(p) for p in paths)
        self.fix = fix
        self.note = note
        lines = [f"{dataset} was not found."]
        if note:
            lines.append(note)
        if self.paths:
            lines.append("Looked in:")
            lines.extend(f"  {p}" for p in self.paths)
        if fix:
            lines.append("To fix it:")
            lines.extend(f"  {line}" for line in fix.splitlines())
        super().__init__("\n".join(lines))

    def __reduce__(self):  # keep the exception picklable (multiprocessing, autograder)
        return (type(self), (self.dataset, self.paths, self.fix, self.note))


class DatasetCorruptError(ValueError):
    """A dataset file exists but cannot be read, or a download failed its checksum."""


class FetchError(RuntimeError):
    """``fetch_fashion_mnist`` could not get the Debian package (no apt-get, apt-get failed...)."""


# --------------------------------------------------------------------------- bundles


@dataclass(frozen=True, eq=False)
class Split:
    """One split of an image dataset, held as tensors (like a ``TensorDataset``).

    Attributes:
        images: ``uint8`` tensor, ``N×H×W`` (grayscale) or ``N×C×H×W`` (colour), values 0..255.
        labels: ``int64`` tensor of shape ``N`` with values in ``0 .. len(classes)-1``.
        classes: class names; ``classes[k]`` is the name of label ``k``.

    ``len(split)`` is ``N``; ``split[i]`` is ``(images[i], labels[i])``.
    """

    images: torch.Tensor
    labels: torch.Tensor
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

    def to(self, device) -> "Split":
        """A copy with ``images`` and ``labels`` moved to ``device`` (still uint8 / int64)."""
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


# --------------------------------------------------------------------------- settings


def data_root(root: PathLike | None = None) -> Path:
    """The folder that holds every dataset.

    ``root`` when given, else the environment variable ``COURSE_DATA``, else
    ``~/.cache/dl-course/data``. The folder is not created.
    """
    if root is not None and str(root) != "":
        return Path(root).expanduser()
    env = os.environ.get("COURSE_DATA", "")
    if env:
        return Path(env).expanduser()
    return _DEFAULT_ROOT.expanduser()


def download_allowed(download: bool | None = None) -> bool:
    """Whether a loader may download: ``download`` when given, else ``COURSE_ALLOW_DOWNLOAD=1``."""
    if download is not None:
        return bool(download)
    return os.environ.get("COURSE_ALLOW_DOWNLOAD", "").strip().lower() in ("1", "true", "yes", "on")


def _cli(name: str, root: Path) -> str:
    """The ``python -m coursekit fetch`` command for ``name`` and this data root."""
    cmd = f"python -m coursekit fetch {name}"
    if root != _DEFAULT_ROOT.expanduser():
        cmd += f" --root {shlex.quote(str(root))}"
    return cmd


def _missing(folder: Path, names: Sequence[str]) -> list[str]:
    return [n for n in names if not (folder / n).is_file()]


def _describe(folder: Path, names: Sequence[str]) -> str:
    missing = _missing(folder, names)
    if not folder.is_dir():
        return f"{folder}  (folder does not exist)"
    if missing:
        return f"{folder}  (missing: {', '.join(missing)})"
    return f"{folder}"


def _first_line(exc: BaseException) -> str:
    """The error's message on one line (at most 300 characters), for a short note."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# --------------------------------------------------------------------------- MNIST, Fashion-MNIST


def _gunzip(src: Path, dst: Path) -> None:
    """Un-gzip ``src`` into ``dst`` through a temporary file, so no half-written file is left."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=dst.name + ".", suffix=".part")
    try:
        with gzip.open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            shutil.copyfileobj(fin, fout, length=1 << 20)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; data must be readable by every user
        os.replace(tmp, dst)
    except (OSError, EOFError) as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, PermissionError):
            raise
        raise DatasetCorruptError(f"Could not un-gzip {src}: {_first_line(exc)}") from None


def _unpack_idx(raw: Path, sources: Sequence[Path]) -> None:
    """Fill ``raw`` with the missing idx files, un-gzipped from the first source that has all four."""
    missing = _missing(raw, IDX_FILES)
    if not missing:
        return
    for src in sources:
        if not _missing(src, [n + ".gz" for n in IDX_FILES]):
            for name in missing:
                _gunzip(src / (name + ".gz"), raw / name)
            return


def _fashion_sources(root: Path) -> list[Path]:
    return [DEBIAN_FASHION_MNIST, root / DEBIAN_SUBDIR]


def _load_idx(name: str, root: PathLike | None, download: bool | None, numpy: bool = False) -> tuple[Split, Split]:
    """Shared code of :func:`load_mnist` and :func:`load_fashion_mnist` (``name`` is the CLI name)."""
    root = data_root(root)
    kind = "MNIST" if name == "mnist" else "FashionMNIST"
    classes = MNIST_CLASSES if name == "mnist" else FASHION_MNIST_CLASSES
    raw = root / kind / "raw"
    extra = _fashion_sources(root) if name == "fashion-mnist" else []
    _unpack_idx(raw, [raw, *extra])  # the .gz files may have been copied into raw/ by hand

    allowed = download_allowed(download)

    def looked() -> list[str]:
        return [_describe(raw, IDX_FILES)] + [
            _describe(src, [n + ".gz" for n in IDX_FILES]) + "  (Debian package dataset-fashion-mnist)"
            for src in extra
        ]

    if name == "fashion-mnist":
        fix = (f"{_cli(name, root)}\n"
               f"(it runs `apt-get download {DEBIAN_PACKAGE}`: no root rights needed; "
               f"or install the package: sudo apt-get install {DEBIAN_PACKAGE};\n"
               f" without apt-get: COURSE_ALLOW_DOWNLOAD=1 {_cli(name, root)} downloads it "
               f"from the Fashion-MNIST site)")
    else:
        fix = (f"COURSE_ALLOW_DOWNLOAD=1 {_cli(name, root)}   (needs internet)\n"
               f"or copy {', '.join(IDX_FILES)} (or their .gz) into {raw}/")

    if _missing(raw, IDX_FILES) and not allowed:
        raise DatasetNotFoundError(_DISPLAY[name], looked(), fix, note=_DOWNLOAD_OFF) from None

    if not _missing(raw, IDX_FILES):  # present: read the idx files directly (torchvision takes 3 s to import)
        try:
            arrays = [(_read_idx(raw / images), _read_idx(raw / labels).astype(np.int64))
                      for images, labels in ((IDX_FILES[0], IDX_FILES[1]), (IDX_FILES[2], IDX_FILES[3]))]
            wrap = (lambda a: a) if numpy else torch.from_numpy
            splits = [Split(wrap(x), wrap(y), classes) for x, y in arrays]
        except (ValueError, OSError) as exc:
            raise DatasetCorruptError(
                f"{_DISPLAY[name]}: the files in {raw} could not be read ({_first_line(exc)}). "
                f"Delete them and run: {_cli(name, root)}") from None
        return splits[0], splits[1]

    from torchvision import datasets  # only to download: it takes seconds to import

    cls = getattr(datasets, kind)
    try:
        splits = []
        for train in (True, False):
            ds = cls(str(root), train=train, download=allowed)
            x, y = ds.data.contiguous(), ds.targets.long()
            splits.append(Split(x.numpy(), y.numpy(), classes) if numpy else Split(x, y, classes))
    except (AssertionError, TypeError, ValueError) as exc:
        raise DatasetCorruptError(
            f"{_DISPLAY[name]}: the files in {raw} could not be read ({_first_line(exc)}). "
            f"Delete them and run: {_cli(name, root)}") from None
    except Exception as exc:  # download failures: RuntimeError, URLError, OSError...
        if _missing(raw, IDX_FILES):
            raise DatasetNotFoundError(_DISPLAY[name], looked(), fix,
                                       note=f"Download failed: {_first_line(exc)}") from None
        raise
    return splits[0], splits[1]


def _read_idx(path: Path) -> np.ndarray:
    """An un-gzipped idx file (MNIST's format: big-endian magic, sizes, then uint8 data)."""
    data = path.read_bytes()
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path.name} is not an idx file of unsigned bytes")
    ndim = data[3]
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(dims)):
        raise ValueError(f"{path.name} holds {len(data) - offset} bytes, its header announces {int(np.prod(dims))}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims).copy()


def load_mnist(root: PathLike | None = None, download: bool | None = None, numpy: bool = False) -> tuple[Split, Split]:
    """MNIST digits: ``(train, test)`` with 60,000 and 10,000 images, ``N×28×28`` uint8.

    Reads the idx files in ``<root>/MNIST/raw/`` with ``torchvision.datasets.MNIST``
    (un-gzipping ``.gz`` copies found there first). Downloads them only when allowed
    (``download=True`` or ``COURSE_ALLOW_DOWNLOAD=1``); otherwise a missing dataset raises
    :class:`DatasetNotFoundError`. Class names are ``"0"`` .. ``"9"``.
    """
    return _load_idx("mnist", root, download, numpy)


def load_fashion_mnist(root: PathLike | None = None, download: bool | None = None,
                       numpy: bool = False) -> tuple[Split, Split]:
    """Fashion-MNIST: ``(train, test)`` with 60,000 and 10,000 images, ``N×28×28`` uint8.

    Reads the idx files in ``<root>/FashionMNIST/raw/`` with ``torchvision.datasets.FashionMNIST``.
    When they are missing but the Debian package ``dataset-fashion-mnist`` is installed
    (``/usr/share/datasets/fashion-mnist``) or was fetched into ``<root>/debian`` by
    ``python -m coursekit fetch fashion-mnist``, its four ``.gz`` files are un-gzipped into
    the raw folder first (about a second, once). Downloads from the internet only when allowed.
    """
    return _load_idx("fashion-mnist", root, download, numpy)


def fetch_fashion_mnist(root: PathLike | None = None, download: bool | None = None) -> Path:
    """Get Fashion-MNIST from the Debian package ``dataset-fashion-mnist``; returns the raw folder.

    Runs ``apt-get download dataset-fashion-mnist`` in a temporary folder (no root rights
    needed, about 31 MB), unpacks it with ``dpkg -x`` into ``<root>/debian`` and un-gzips the
    four files into ``<root>/FashionMNIST/raw/``. Does nothing when those files are already
    there, and skips apt-get when the package is already installed or unpacked.

    Without ``apt-get`` (not Debian/Ubuntu) it falls back to torchvision's download from the
    Fashion-MNIST site when downloads are allowed (``download=True`` or
    ``COURSE_ALLOW_DOWNLOAD=1``). Raises :class:`FetchError` when that is not possible or
    ``apt-get``/``dpkg`` fail.
    """
    root = data_root(root)
    raw = root / "FashionMNIST" / "raw"
    sources = [raw, *_fashion_sources(root)]
    _unpack_idx(raw, sources)
    if not _missing(raw, IDX_FILES):
        return raw

    apt, dpkg = shutil.which("apt-get"), shutil.which("dpkg")
    if apt is None or dpkg is None:
        if download_allowed(download):
            _load_idx("fashion-mnist", root, True)
            return raw
        raise FetchError(
            f"Fetching Fashion-MNIST needs `apt-get` and `dpkg` (Debian/Ubuntu), but "
            f"{'apt-get' if apt is None else 'dpkg'} was not found.\n"
            f"With internet, download it from the Fashion-MNIST site instead:\n"
            f"  COURSE_ALLOW_DOWNLOAD=1 {_cli('fashion-mnist', root)}\n"
            f"or copy the four files {', '.join(IDX_FILES)} (gzipped or not) into {raw}/")
    target = root / "debian"
    with tempfile.TemporaryDirectory(prefix="coursekit-apt-") as tmp:
        _run([apt, "download", DEBIAN_PACKAGE], cwd=tmp)
        debs = sorted(Path(tmp).glob(f"{DEBIAN_PACKAGE}_*.deb"))
        if not debs:
            raise FetchError(f"`apt-get download {DEBIAN_PACKAGE}` produced no .deb file in {tmp}")
        target.mkdir(parents=True, exist_ok=True)
        _run([dpkg, "-x", str(debs[-1]), str(target)], cwd=tmp)
    _unpack_idx(raw, sources)
    if _missing(raw, IDX_FILES):
        raise FetchError(f"The package {DEBIAN_PACKAGE} was unpacked into {target}, but "
                         f"{root / DEBIAN_SUBDIR} does not hold the four .gz files.")
    return raw


def _run(cmd: list[str], cwd: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"`{' '.join(cmd)}` could not run: {exc}") from None
    if proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip()
        raise FetchError(f"`{' '.join(cmd)}` failed (exit code {proc.returncode}):\n{output}")


# --------------------------------------------------------------------------- CIFAR-10


class _CifarUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches, allowing only the numpy objects they contain (no code execution)."""

    def find_class(self, module, name):
        try:
            from numpy._core import multiarray, numeric
        except ImportError:  # numpy 1.x
            from numpy.core import multiarray, numeric
        allowed = {
            ("_reconstruct", "multiarray"): multiarray._reconstruct,
            ("scalar", "multiarray"): multiarray.scalar,
            ("_frombuffer", "numeric"): getattr(numeric, "_frombuffer", None),
            ("ndarray", "numpy"): np.ndarray,
            ("dtype", "numpy"): np.dtype,
        }
        if module in ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric",
                      "numpy._core.numeric", "numpy"):
            obj = allowed.get((name, module.rsplit(".", 1)[-1]))
            if obj is not None:
                return obj
        if (module, name) == ("_codecs", "encode"):  # bytes pickled by Python 3 with protocol 2
            import _codecs
            return _codecs.encode
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR-10 batch file")


def _read_cifar_pickle(path: Path) -> dict:
    with open(path, "rb") as f:
        obj = _CifarUnpickler(f, encoding="bytes").load()
    if not isinstance(obj, dict):
        raise pickle.UnpicklingError(f"expected a dict, got {type(obj).__name__}")
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _read_cifar_batches(folder: Path, names: Sequence[str], numpy: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = [], []
    for name in names:
        batch = _read_cifar_pickle(folder / name)
        data = np.asarray(batch["data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3072:
            raise ValueError(f"{name}: 'data' has shape {data.shape}, expected N×3072")
        lab = np.asarray(batch["labels"], dtype=np.int64)
        if len(lab) != len(data):
            raise ValueError(f"{name}: {len(data)} images but {len(lab)} labels")
        images.append(data.reshape(-1, 3, 32, 32))  # rows are 1024 R, 1024 G, 1024 B values
        labels.append(lab)
    x, y = np.concatenate(images), np.concatenate(labels)
    return (x, y) if numpy else (torch.from_numpy(x), torch.from_numpy(y))


def load_cifar10(root: PathLike | None = None, download: bool | None = None, numpy: bool = False) -> tuple[Split, Split]:
    """CIFAR-10: ``(train, test)`` with 50,000 and 10,000 images, ``N×3×32×32`` uint8 (RGB).

    Reads the python batches ``data_batch_1`` .. ``data_batch_5``, ``test_batch`` and
    ``batches.meta`` in ``<root>/cifar-10-batches-py/`` (the folder inside the official
    ``cifar-10-python.tar.gz``). Downloads and unpacks that archive (md5-checked, with
    torchvision's downloader) only when allowed; otherwise a missing dataset raises
    :class:`DatasetNotFoundError`. Class names come from ``batches.meta``.
    """
    root = data_root(root)
    folder = root / CIFAR10_DIR
    fix = (f"COURSE_ALLOW_DOWNLOAD=1 {_cli('cifar10', root)}   (needs internet)\n"
           f"or download {CIFAR10_URL} and unpack it into {root}/ "
           f"(tar xzf cifar-10-python.tar.gz -C {shlex.quote(str(root))})")
    if _missing(folder, CIFAR10_FILES):
        if not download_allowed(download):
            raise DatasetNotFoundError(
                "CIFAR-10", [_describe(folder, CIFAR10_FILES)], fix,
                note=_DOWNLOAD_OFF) from None
        from torchvision.datasets.utils import download_and_extract_archive

        try:
            root.mkdir(parents=True, exist_ok=True)
            download_and_extract_archive(CIFAR10_URL, download_root=str(root), md5=CIFAR10_MD5,
                                         remove_finished=True)
        except Exception as exc:  # URLError, RuntimeError (md5), tarfile errors...
            raise DatasetNotFoundError("CIFAR-10", [_describe(folder, CIFAR10_FILES)], fix,
                                       note=f"Download failed: {_first_line(exc)}") from None
        if _missing(folder, CIFAR10_FILES):
            raise DatasetNotFoundError("CIFAR-10", [_describe(folder, CIFAR10_FILES)], fix,
                                       note=f"The archive from {CIFAR10_URL} did not hold every batch.") from None
    try:
        meta = _read_cifar_pickle(folder / "batches.meta")
        classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta["label_names"])
        train = Split(*_read_cifar_batches(folder, CIFAR10_FILES[:5], numpy), classes)
        test = Split(*_read_cifar_batches(folder, ["test_batch"], numpy), classes)
    except (OSError, EOFError, KeyError, ValueError, pickle.UnpicklingError) as exc:
        raise DatasetCorruptError(
            f"CIFAR-10: the files in {folder} could not be read ({type(exc).__name__}: "
            f"{_first_line(exc)}). Delete the folder and run: "
            f"COURSE_ALLOW_DOWNLOAD=1 {_cli('cifar10', root)}") from None
    for split in (train, test):
        if len(split) and not (0 <= int(split.labels.min()) and int(split.labels.max()) < len(classes)):
            raise DatasetCorruptError(f"CIFAR-10: labels in {folder} fall outside 0..{len(classes) - 1}")
    return train, test


# --------------------------------------------------------------------------- AG News


def _download_checked(url: str, dest: Path, sha256: str | None) -> None:
    """Download ``url`` to ``dest`` through a temporary file, checking its SHA-256 when known."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    got = digest.hexdigest()
    if sha256 is not None and got != sha256.lower():
        Path(tmp).unlink(missing_ok=True)
        raise DatasetCorruptError(
            f"Checksum mismatch for {url}: expected sha256 {sha256}, got {got}. "
            f"The file was deleted; nothing was saved to {dest}.")
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)
    if sha256 is None:
        print(f"coursekit: downloaded {dest.name}, sha256 {got} "
              f"(pin it in coursekit.data.AG_NEWS_SHA256)", file=sys.stderr)


def _read_ag_news_csv(path: Path) -> TextSplit:
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for lineno, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            try:
                if len(row) != 3:
                    raise ValueError(f"expected 3 columns, got {len(row)}")
                label = int(row[0]) - 1
                if not 0 <= label < len(AG_NEWS_CLASSES):
                    raise ValueError(f"class index {row[0]!r} is not 1..{len(AG_NEWS_CLASSES)}")
            except ValueError as exc:
                raise DatasetCorruptError(f"{path}, row {lineno}: {exc}") from None
            title, description = row[1].strip(), row[2].replace("\\", " ").strip()
            texts.append(f"{title} {description}".strip())
            labels.append(label)
    return TextSplit(tuple(texts), torch.tensor(labels, dtype=torch.int64), AG_NEWS_CLASSES)


def load_ag_news(root: PathLike | None = None, download: bool | None = None) -> tuple[TextSplit, TextSplit]:
    """AG News: ``(train, test)`` with 120,000 and 7,600 news items in 4 classes.

    Reads ``<root>/ag_news/train.csv`` and ``test.csv`` (rows ``"class index","title",
    "description"`` with class index 1..4, no header). Each text is the title, a space and
    the description (the backslashes the files use for line breaks become spaces); labels
    are 0..3 for ``("World", "Sports", "Business", "Sci/Tech")``. Downloads the files only
    when allowed, checking them against :data:`AG_NEWS_SHA256` when a hash is pinned.
    """
    root = data_root(root)
    folder = root / AG_NEWS_DIR
    names = tuple(AG_NEWS_URLS)
    fix = (f"COURSE_ALLOW_DOWNLOAD=1 {_cli('ag_news', root)}   (needs internet)\n"
           f"or copy train.csv and test.csv (from the ag_news_csv dataset) into {folder}/")
    missing = _missing(folder, names)
    if missing:
        if not download_allowed(download):
            raise DatasetNotFoundError(
                "AG News", [_describe(folder, names)], fix,
                note=_DOWNLOAD_OFF) from None
        for name in missing:
            try:
                _download_checked(AG_NEWS_URLS[name], folder / name, AG_NEWS_SHA256.get(name))
            except DatasetCorruptError:
                raise
            except Exception as exc:  # URLError, timeouts, HTTP errors
                raise DatasetNotFoundError("AG News", [_describe(folder, names)], fix,
                                           note=f"Download of {AG_NEWS_URLS[name]} failed: "
                                                f"{_first_line(exc)}") from None
    return _read_ag_news_csv(folder / "train.csv"), _read_ag_news_csv(folder / "test.csv")


# --------------------------------------------------------------------------- dispatch


_LOADERS = {
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
    PyTorch: the NumPy chapters use it."""
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
        candidates = [(raw, IDX_FILES)]
        candidates.append((raw, [n + ".gz" for n in IDX_FILES]))
        if name == "fashion-mnist":
            candidates += [(src, [n + ".gz" for n in IDX_FILES]) for src in _fashion_sources(root)]
        found[name] = next((folder for folder, files in candidates if not _missing(folder, files)), None)
    folder = root / CIFAR10_DIR
    found["cifar10"] = None if _missing(folder, CIFAR10_FILES) else folder
    folder = root / AG_NEWS_DIR
    found["ag_news"] = None if _missing(folder, tuple(AG_NEWS_URLS)) else folder
    return found


def is_synthetic(folder: PathLike) -> bool:
    """Whether ``folder`` holds data written by one of the ``write_synthetic_*`` functions."""
    return (Path(folder) / _SYNTHETIC_MARKER).is_file()


# --------------------------------------------------------------------------- synthetic data


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
    folder = root / AG_NEWS_DIR
    _prepare_synthetic(folder, tuple(AG_NEWS_URLS))
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
