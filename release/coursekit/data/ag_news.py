"""AG News: the checksummed download of its two CSV files, the CSV reader and the loader."""
from __future__ import annotations

import csv
import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from ._lazy_torch import LazyTorch
from .errors import _DOWNLOAD_OFF, DatasetCorruptError, DatasetNotFoundError, _cli, _describe, _first_line
from .root import PathLike, _missing, data_root, download_allowed
from .splits import TextSplit

if TYPE_CHECKING:
    import torch
else:
    torch = LazyTorch(globals())

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

AG_NEWS_CLASSES = ("World", "Sports", "Business", "Sci/Tech")


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
