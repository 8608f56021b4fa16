"""MNIST and Fashion-MNIST: the idx file format and their loaders.

Both datasets are four idx files (big-endian magic and sizes, then ``uint8`` data) in
``<root>/MNIST/raw/`` or ``<root>/FashionMNIST/raw/``. Present files are read directly with
NumPy; ``.gz`` copies (in the raw folder, or for Fashion-MNIST in the Debian package folders)
are un-gzipped there first; torchvision is imported only to download.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence, overload

import numpy as np

from ._lazy_torch import LazyTorch
from .errors import (_DISPLAY, _DOWNLOAD_OFF, DatasetCorruptError, DatasetNotFoundError, _cli, _describe,
                     _first_line)
from .root import DEBIAN_PACKAGE, PathLike, _fashion_sources, _missing, data_root, download_allowed
from .splits import Split

if TYPE_CHECKING:
    import torch
else:
    torch = LazyTorch(globals())

#: The four idx files of MNIST and Fashion-MNIST (un-gzipped names, as torchvision reads them).
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


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


@overload
def load_mnist(root: PathLike | None = None, download: bool | None = None,
               numpy: Literal[False] = False) -> tuple[Split[torch.Tensor], Split[torch.Tensor]]: ...
@overload
def load_mnist(root: PathLike | None = None, download: bool | None = None, *,
               numpy: Literal[True]) -> tuple[Split[np.ndarray], Split[np.ndarray]]: ...
@overload
def load_mnist(root: PathLike | None = None, download: bool | None = None,
               numpy: bool = False) -> tuple[Split, Split]: ...


def load_mnist(root: PathLike | None = None, download: bool | None = None, numpy: bool = False) -> tuple[Split, Split]:
    """MNIST digits: ``(train, test)`` with 60,000 and 10,000 images, ``N×28×28`` uint8.

    Reads the idx files in ``<root>/MNIST/raw/`` with ``torchvision.datasets.MNIST``
    (un-gzipping ``.gz`` copies found there first). Downloads them only when allowed
    (``download=True`` or ``COURSE_ALLOW_DOWNLOAD=1``); otherwise a missing dataset raises
    :class:`DatasetNotFoundError`. Class names are ``"0"`` .. ``"9"``.

    The splits hold ``torch`` tensors (``Split[torch.Tensor]``), or NumPy arrays
    (``Split[np.ndarray]``, without importing PyTorch) with ``numpy=True``.
    """
    return _load_idx("mnist", root, download, numpy)


@overload
def load_fashion_mnist(root: PathLike | None = None, download: bool | None = None,
                       numpy: Literal[False] = False) -> tuple[Split[torch.Tensor], Split[torch.Tensor]]: ...
@overload
def load_fashion_mnist(root: PathLike | None = None, download: bool | None = None, *,
                       numpy: Literal[True]) -> tuple[Split[np.ndarray], Split[np.ndarray]]: ...
@overload
def load_fashion_mnist(root: PathLike | None = None, download: bool | None = None,
                       numpy: bool = False) -> tuple[Split, Split]: ...


def load_fashion_mnist(root: PathLike | None = None, download: bool | None = None,
                       numpy: bool = False) -> tuple[Split, Split]:
    """Fashion-MNIST: ``(train, test)`` with 60,000 and 10,000 images, ``N×28×28`` uint8.

    Reads the idx files in ``<root>/FashionMNIST/raw/`` with ``torchvision.datasets.FashionMNIST``.
    When they are missing but the Debian package ``dataset-fashion-mnist`` is installed
    (``/usr/share/datasets/fashion-mnist``) or was fetched into ``<root>/debian`` by
    ``python -m coursekit fetch fashion-mnist``, its four ``.gz`` files are un-gzipped into
    the raw folder first (about a second, once). Downloads from the internet only when allowed.

    The splits hold ``torch`` tensors (``Split[torch.Tensor]``), or NumPy arrays
    (``Split[np.ndarray]``, without importing PyTorch) with ``numpy=True``.
    """
    return _load_idx("fashion-mnist", root, download, numpy)
