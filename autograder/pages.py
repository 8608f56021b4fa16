"""Helpers for the book's pages (run by Jupyter Book when the instructor builds the book)."""
from __future__ import annotations

from pathlib import Path

import nbformat

from . import ROOT


def graded_cells(notebook: Path) -> list[tuple[str, float, bool]]:
    """(grade id, points, autograded) of every graded cell of a notebook, in order."""
    rows = []
    for cell in nbformat.read(str(notebook), 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("points"):
            rows.append((meta["grade_id"], float(meta["points"]), cell.cell_type == "code"))
    return rows


def points_markdown(chapter: str) -> str:
    """The exercise page's table: each graded part of the release notebook and its points."""
    rows = ["| graded part | points | graded by |", "|---|---:|---|"]
    total = 0.0
    for grade_id, points, auto in graded_cells(ROOT / "release" / chapter / f"{chapter}.ipynb"):
        rows.append(f"| `{grade_id}` | {points:g} | {'tests' if auto else 'instructor'} |")
        total += points
    rows.append(f"| **total** | **{total:g}** | |")
    return "\n".join(rows)


def points_table(chapter: str):
    """:func:`points_markdown` as a displayable table (the exercise page's code cell ends with it)."""
    from IPython.display import Markdown

    return Markdown(points_markdown(chapter))
