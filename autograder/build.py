"""Build the nbgrader *source* notebooks from chapter specs and the ``solutions`` package.

A chapter spec (``autograder/chapters/<chapter>/spec.py``) lists the notebook's cells with the
helpers below. Solution cells are not typed into the spec: :func:`solution` copies the
source of the reference functions and classes from ``solutions`` (with their
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers), so the notebook and the package
cannot drift apart. ``python -m autograder build`` rewrites ``source/<chapter>/<chapter>.ipynb``;
a test fails when the committed notebook differs from a fresh build.
"""
from __future__ import annotations

import inspect
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from . import ROOT

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass
class Cell:
    kind: str                 # "markdown" | "code"
    source: str
    role: str = "text"        # text | given | solution | tests | answer
    grade_id: str | None = None
    points: float = 0.0
    tags: list[str] = field(default_factory=list)
    check: Callable | None = None  # the trusted check of a test cell (its grade id is the check's name)


def md(text: str) -> Cell:
    """A locked markdown cell (narrative)."""
    return Cell("markdown", textwrap.dedent(text).strip("\n"))


def given(code: str, grade_id: str | None = None, tags: list[str] | None = None) -> Cell:
    """A read-only code cell students run but do not edit.

    Tag ``skip-autograde`` marks an expensive, ungraded demonstration that grading skips."""
    return Cell("code", textwrap.dedent(code).strip("\n"), role="given", grade_id=grade_id, tags=list(tags or []))


COURSEKIT_IMPORT = """\
try:
    import coursekit  # the course's library of given code
except ImportError:  # a copy of release/: the library sits one folder up
    import sys
    sys.path.insert(0, "..")
    import coursekit
"""


def setup(code: str, grade_id: str | None = None, tags: list[str] | None = None) -> Cell:
    """A notebook's set-up cell: :mod:`coursekit` imported (from the folder above in a copy of
    ``release/``), then the chapter's own imports and settings in ``code``."""
    return given(COURSEKIT_IMPORT + "\n" + textwrap.dedent(code).strip("\n"), grade_id=grade_id, tags=tags)


def solution(grade_id: str, *objects, prefix: str = "", suffix: str = "") -> Cell:
    """A cell the student completes, made of the source of ``objects`` from ``solutions``."""
    parts = [textwrap.dedent(prefix).strip("\n")] if prefix else []
    parts += [inspect.getsource(obj).rstrip("\n") for obj in objects]
    if suffix:
        parts.append(textwrap.dedent(suffix).strip("\n"))
    return Cell("code", "\n\n\n".join(parts), role="solution", grade_id=grade_id)


def given_source(grade_id: str, *objects) -> Cell:
    """A read-only cell holding the source of given functions from ``solutions``."""
    return Cell("code", "\n\n\n".join(inspect.getsource(o).rstrip("\n") for o in objects), role="given", grade_id=grade_id)


def student_code(grade_id: str, code: str) -> Cell:
    """A cell the student completes whose solution is written in the spec (a run, a choice of values)."""
    return Cell("code", textwrap.dedent(code).strip("\n"), role="solution", grade_id=grade_id)


def tests(check: Callable, points: float, visible: str) -> Cell:
    """An autograded test cell: the visible checks a student runs, linked to its trusted ``check``.

    The cell's grade id is the check's name, so a test cell and its hidden check cannot be
    named apart: the hidden part runs outside the kernel (:mod:`autograder.trusted`)."""
    if not callable(check):
        raise TypeError(f"tests(): the trusted check must be a function, got {check!r}")
    return Cell("code", textwrap.dedent(visible).strip("\n"), role="tests", grade_id=check.__name__, points=points,
                check=check)


def reference_code(source: str) -> str:
    """The reference answer of a solution cell: its source without the solution markers."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def answer(grade_id: str, prompt: str = "YOUR ANSWER HERE", points: float = 0.0) -> Cell:
    """A markdown cell for a written answer.

    With ``points`` it is an nbgrader manually graded answer; without, a free (ungraded,
    unlocked) cell. Model answers never go into the notebook: they live in
    ``solutions/<chapter>/answers.md``.
    """
    return Cell("markdown", textwrap.dedent(prompt).strip("\n"), role="answer", grade_id=grade_id, points=points)


def _metadata(cell: Cell) -> dict:
    meta = {"schema_version": 3, "grade": False, "solution": False, "locked": True,
            "task": False, "grade_id": cell.grade_id}
    if cell.role == "solution" or (cell.role == "answer" and cell.points):
        meta.update(solution=True, locked=False)
    elif cell.role == "answer":
        meta.update(locked=False)
    if cell.role == "tests" or (cell.role == "answer" and cell.points):
        meta.update(grade=True, points=cell.points)
    return meta


def name_cells(chapter: str, cells: list[Cell]) -> list[Cell]:
    """Give every cell a grade id (``<chapter>-<role>-<index>`` where the spec names none); ids are unique."""
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        cell.grade_id = cell.grade_id or f"{chapter}-{cell.role}-{i:02d}"
        if cell.grade_id in seen:
            raise ValueError(f"{chapter}: duplicate grade_id {cell.grade_id!r}")
        seen.add(cell.grade_id)
    return cells


def build_notebook(chapter: str) -> nbformat.NotebookNode:
    from .chapters import load

    cells = []
    for cell in load(chapter).cells:
        make = nbformat.v4.new_markdown_cell if cell.kind == "markdown" else nbformat.v4.new_code_cell
        nb_cell = make(cell.source)
        nb_cell.id = cell.grade_id
        nb_cell.metadata = {"nbgrader": _metadata(cell)}
        if cell.tags:
            nb_cell.metadata["tags"] = list(cell.tags)
        cells.append(nb_cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def source_path(chapter: str) -> Path:
    return ROOT / "source" / chapter / f"{chapter}.ipynb"


def build(chapters=None, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) the source notebooks; returns the stale ones."""
    from .chapters import names

    stale = []
    for chapter in chapters or names():
        text = render(build_notebook(chapter))
        path = source_path(chapter)
        if not path.exists() or path.read_text() != text:
            stale.append(chapter)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return stale
