"""The one CSV writer of the course: every CSV it writes is safe to open in a spreadsheet.

Spreadsheets (Excel, LibreOffice, Google Sheets) read a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so a student id such as ``-1+1`` or a
file named ``=HYPERLINK(...)`` would run in the instructor's spreadsheet (OWASP's "CSV
injection"). :func:`write` prefixes every such cell with ``'`` (OWASP's advice), except a plain
number (``-0.5`` is a number, not a formula); :func:`read` takes the prefix off again, so the
course's own readers (``export`` reading ``grades.csv``) see the values that were written.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def cell(value) -> str:
    """``value`` as a spreadsheet-safe CSV cell."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def uncell(text: str) -> str:
    """The value :func:`cell` wrote."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START) and not NUMBER.fullmatch(text[1:]):
        return text[1:]
    return text


def write(path: Path, header: list[str], rows: Iterable[Iterable]) -> Path:
    """Write ``header`` and ``rows`` to ``path``, every cell made safe."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([cell(h) for h in header])
        for row in rows:
            w.writerow([cell(v) for v in row])
    return path


def read(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV written by :func:`write`, as dicts of the values that were written."""
    with open(path, newline="") as fh:
        return [{uncell(k): uncell(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def formula_cells(path: Path) -> list[str]:
    """The cells of the CSV at ``path`` that a spreadsheet would read as formulas (none, for a file
    :func:`write` wrote)."""
    with open(path, newline="") as fh:
        return [c for row in csv.reader(fh) for c in row if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]
