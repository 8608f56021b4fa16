"""The bundled demo class: four made-up students, graded like a real class.

``python -m autograder demo --out DIR`` writes their notebooks as nbgrader's
``DIR/submitted/<student>/<chapter>/<chapter>.ipynb`` tree (generated from the current
release notebook and :mod:`autograder.demo_class`'s roster), then grades the tree into
``DIR/grades.csv`` and ``DIR/feedback/``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from . import chapters
from .grading import Report, grade_folder
from .submissions import make_submission

ROSTER = Path(__file__).parent / "demo_class" / "roster.json"


def demo_notebooks() -> list[tuple[str, str, nbformat.NotebookNode]]:
    """(student, chapter, notebook) of every demo student, generated from the current release."""
    roster = json.loads(ROSTER.read_text())
    chapter = chapters.load(roster["chapter"])
    mutants = {m.name: m for m in chapter.mutants}
    reference = chapter.solutions
    out = []
    for student, spec in roster["students"].items():
        replace = {}
        for name in spec.get("mutants", []):
            m = mutants[name]
            replace[m.cell] = m.source(replace.get(m.cell, reference[m.cell]))
        out.append((student, chapter.name, make_submission(chapter.name, fill=spec["fill"], replace=replace)))
    return out


def write_demo_submissions(folder: Path) -> list[tuple[str, str]]:
    """Write the demo class as nbgrader's ``<student>/<chapter>/<chapter>.ipynb`` tree; returns (student, chapter) pairs."""
    if folder.exists():
        shutil.rmtree(folder)
    written = []
    for student, chapter, nb in demo_notebooks():
        path = folder / student / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
        written.append((student, chapter))
    return written


def run_demo(out: Path, workers: int = 1) -> Report:
    out = Path(out).resolve()
    write_demo_submissions(out / "submitted")
    report = grade_folder(out / "submitted", out, workers=workers)
    by_student = {r.student: r for r in report.rows}
    full, empty = by_student.get("ada_lovelace"), by_student.get("edsger_dijkstra")
    problems = []
    if not full or not full.full_marks:
        problems.append("the complete demo submission did not get full marks")
    if not empty or empty.score != 0:
        problems.append("the empty demo submission did not get 0")
    if problems:
        raise RuntimeError("demo class: " + "; ".join(problems) + f" (see {report.csv_path})")
    return report
