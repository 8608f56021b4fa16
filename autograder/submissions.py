"""Make synthetic submissions from the release notebook: filled with the reference
solution, partly filled, or with chosen cells replaced (mutants, variants, attacks)."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from . import ROOT
from .build import reference_code


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def read_release(chapter: str, root: Path = ROOT) -> nbformat.NotebookNode:
    return nbformat.read(root / "release" / chapter / f"{chapter}.ipynb", as_version=4)


def solution_sources(chapter: str, root: Path = ROOT) -> dict[str, str]:
    """grade_id -> the reference source of each cell a student completes (markers removed)."""
    nb = nbformat.read(root / "source" / chapter / f"{chapter}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = reference_code(cell.source)
    return out


def make_submission(chapter: str, fill: str | list[str] = "all", replace: dict[str, str] | None = None,
                    root: Path = ROOT) -> nbformat.NotebookNode:
    """The release notebook with the cells in ``fill`` ("all", "none" or a list of grade ids)
    completed with the reference solution, then the cells in ``replace`` overwritten."""
    nb = copy.deepcopy(read_release(chapter, root))
    solutions = solution_sources(chapter, root)
    wanted = set(solutions) if fill == "all" else set() if fill == "none" else set(fill)
    replace = dict(replace or {})
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in replace:
            cell.source = replace.pop(gid)
        elif gid in wanted and gid in solutions:
            cell.source = solutions[gid]
    if replace:
        raise KeyError(f"{chapter}: no cells named {sorted(replace)}")
    return nb
