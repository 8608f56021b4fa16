"""Where the datasets live: the data root, the download switch, and the Debian package folders.

All datasets sit under one *data root* (:func:`data_root`): the ``root`` argument, else the
environment variable ``COURSE_DATA``, else ``~/.cache/dl-course/data``. Downloads are off
unless ``download=True`` is passed or ``COURSE_ALLOW_DOWNLOAD=1`` is set (:func:`download_allowed`).
Fashion-MNIST is also looked for in the folders of the Debian package ``dataset-fashion-mnist``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence, Union

PathLike = Union[str, os.PathLike]

#: Where the Debian package ``dataset-fashion-mnist`` puts its four ``.gz`` files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
#: The same folder inside ``<data root>/debian`` after ``python -m coursekit fetch fashion-mnist``.
DEBIAN_SUBDIR = Path("debian/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"

_DEFAULT_ROOT = Path("~/.cache/dl-course/data")


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


def _fashion_sources(root: Path) -> list[Path]:
    """The Debian package folders that may hold Fashion-MNIST's ``.gz`` files, in search order."""
    return [DEBIAN_FASHION_MNIST, root / DEBIAN_SUBDIR]


def _missing(folder: Path, names: Sequence[str]) -> list[str]:
    return [n for n in names if not (folder / n).is_file()]
