"""Fetch Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (``apt-get download``).

This is what ``python -m coursekit fetch fashion-mnist`` runs: it works offline on a
Debian/Ubuntu machine whose package lists are set up, and needs no root rights.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import FetchError, _cli
from .idx import IDX_FILES, _load_idx, _unpack_idx
from .root import DEBIAN_PACKAGE, DEBIAN_SUBDIR, PathLike, _fashion_sources, _missing, data_root, download_allowed


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
