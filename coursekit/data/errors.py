"""The errors of :mod:`coursekit.data`, and the helpers that write their messages.

A missing dataset raises :class:`DatasetNotFoundError`, whose message lists the folders
looked in and the command that fixes it; a file that cannot be read (or a download that
fails its checksum) raises :class:`DatasetCorruptError`; :func:`~coursekit.data.fetch_fashion_mnist`
raises :class:`FetchError`.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Sequence

from .root import _DEFAULT_ROOT, _missing

_DOWNLOAD_OFF = "Downloading is off (set COURSE_ALLOW_DOWNLOAD=1 or pass download=True)."
_DISPLAY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "ag_news": "AG News"}


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


def _cli(name: str, root: Path) -> str:
    """The ``python -m coursekit fetch`` command for ``name`` and this data root."""
    cmd = f"python -m coursekit fetch {name}"
    if root != _DEFAULT_ROOT.expanduser():
        cmd += f" --root {shlex.quote(str(root))}"
    return cmd


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
