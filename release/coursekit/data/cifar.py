"""CIFAR-10: a restricted unpickler for the official python batches, and the loader.

The batches are pickles; :class:`_CifarUnpickler` accepts only the NumPy objects they hold,
so a tampered file cannot run code. The archive is downloaded (md5-checked, with
torchvision's downloader) only when downloads are allowed.
"""
from __future__ import annotations

import pickle
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence, overload

import numpy as np

from ._lazy_torch import LazyTorch
from .errors import _DOWNLOAD_OFF, DatasetCorruptError, DatasetNotFoundError, _cli, _describe, _first_line
from .root import PathLike, _missing, data_root, download_allowed
from .splits import Split

if TYPE_CHECKING:
    import torch
else:
    torch = LazyTorch(globals())

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)


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


def _read_cifar_batches(folder: Path, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The images (``N×3×32×32`` uint8) and labels (int64) of the batches ``names``, as NumPy arrays."""
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
    return np.concatenate(images), np.concatenate(labels)


@overload
def load_cifar10(root: PathLike | None = None, download: bool | None = None,
                 numpy: Literal[False] = False) -> tuple[Split[torch.Tensor], Split[torch.Tensor]]: ...
@overload
def load_cifar10(root: PathLike | None = None, download: bool | None = None, *,
                 numpy: Literal[True]) -> tuple[Split[np.ndarray], Split[np.ndarray]]: ...
@overload
def load_cifar10(root: PathLike | None = None, download: bool | None = None,
                 numpy: bool = False) -> tuple[Split, Split]: ...


def load_cifar10(root: PathLike | None = None, download: bool | None = None, numpy: bool = False) -> tuple[Split, Split]:
    """CIFAR-10: ``(train, test)`` with 50,000 and 10,000 images, ``N×3×32×32`` uint8 (RGB).

    Reads the python batches ``data_batch_1`` .. ``data_batch_5``, ``test_batch`` and
    ``batches.meta`` in ``<root>/cifar-10-batches-py/`` (the folder inside the official
    ``cifar-10-python.tar.gz``). Downloads and unpacks that archive (md5-checked, with
    torchvision's downloader) only when allowed; otherwise a missing dataset raises
    :class:`DatasetNotFoundError`. Class names come from ``batches.meta``.

    The splits hold ``torch`` tensors (``Split[torch.Tensor]``), or NumPy arrays
    (``Split[np.ndarray]``, without importing PyTorch) with ``numpy=True``.
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
        wrap = (lambda a: a) if numpy else torch.from_numpy
        x, y = _read_cifar_batches(folder, CIFAR10_FILES[:5])
        train = Split(wrap(x), wrap(y), classes)
        x, y = _read_cifar_batches(folder, ["test_batch"])
        test = Split(wrap(x), wrap(y), classes)
    except (OSError, EOFError, KeyError, ValueError, pickle.UnpicklingError) as exc:
        raise DatasetCorruptError(
            f"CIFAR-10: the files in {folder} could not be read ({type(exc).__name__}: "
            f"{_first_line(exc)}). Delete the folder and run: "
            f"COURSE_ALLOW_DOWNLOAD=1 {_cli('cifar10', root)}") from None
    for split in (train, test):
        if len(split) and not (0 <= int(split.labels.min()) and int(split.labels.max()) < len(classes)):
            raise DatasetCorruptError(f"CIFAR-10: labels in {folder} fall outside 0..{len(classes) - 1}")
    return train, test
