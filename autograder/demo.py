"""The bundled demo class: four made-up students who hand in every released chapter.

``python -m autograder demo --out DIR`` writes their notebooks as nbgrader's
``DIR/submitted/<student>/<chapter>/<chapter>.ipynb`` tree (generated from the current
release notebooks and :mod:`autograder.demo_class`'s roster: a complete notebook, a partial
one, one with two of the catalogue's bugs and an untouched one, per chapter), then grades the
tree into ``DIR/grades.csv`` and ``DIR/feedback/``, so an instructor sees every chapter's
feedback before grading a real class.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from . import chapters as course_chapters
from .grading import Report, grade_folder
from .submissions import make_submission

ROSTER = Path(__file__).parent / "demo_class" / "roster.json"
COMPLETE, PARTIAL, BUGGY, EMPTY = "ada_lovelace", "alan_turing", "grace_hopper", "edsger_dijkstra"


def written_answers(nb) -> dict[str, str]:
    """A short written answer for each manually graded cell (the complete student's)."""
    return {c.metadata.nbgrader["grade_id"]: "A demo answer, written so that it waits for a person in formgrader."
            for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}


def demo_notebooks(chapters=None) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """(student, chapter, notebook) of every demo student for each of ``chapters`` (default: every
    released chapter), generated from the current release. A released chapter missing from the
    roster stops here: the demo class must cover them all."""
    roster = json.loads(ROSTER.read_text())
    names = list(chapters or course_chapters.released())
    missing = [n for n in names if n not in roster["chapters"]]
    if missing:
        raise KeyError(f"{ROSTER}: no demo students for {missing}: add a `partial` list and two `bugs` for each")
    out = []
    for name in names:
        chapter = course_chapters.load(name)
        spec = roster["chapters"][name]
        mutants = {m.name: m for m in chapter.mutants}
        reference = chapter.solutions
        bugs = {}
        for bug in spec["bugs"]:
            m = mutants[bug]
            bugs[m.cell] = m.source(bugs.get(m.cell, reference[m.cell]))
        release = make_submission(name, fill="none")
        out += [(COMPLETE, name, make_submission(name, fill="all", replace=written_answers(release))),
                (PARTIAL, name, make_submission(name, fill=spec["partial"])),
                (BUGGY, name, make_submission(name, fill="all", replace=bugs)),
                (EMPTY, name, release)]
    return out


def write_demo_submissions(folder: Path, chapters=None) -> list[tuple[str, str]]:
    """Write the demo class (of ``chapters``, default all released) as nbgrader's
    ``<student>/<chapter>/<chapter>.ipynb`` tree; returns (student, chapter) pairs."""
    if folder.exists():
        shutil.rmtree(folder)
    written = []
    for student, chapter, nb in demo_notebooks(chapters):
        path = folder / student / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
        written.append((student, chapter))
    return written


def run_demo(out: Path, workers: int = 1, chapters=None) -> Report:
    out = Path(out).resolve()
    write_demo_submissions(out / "submitted", chapters)
    report = grade_folder(out / "submitted", out, workers=workers)
    rows = {(r.student, r.chapter): r for r in report.rows}
    problems = []
    for chapter in sorted({c for _, c in rows}):
        full, partial, buggy, empty = (rows.get((s, chapter)) for s in (COMPLETE, PARTIAL, BUGGY, EMPTY))
        if not full or not full.full_marks:
            problems.append(f"{chapter}: the complete demo submission did not get full marks")
        if not empty or empty.score != 0:
            problems.append(f"{chapter}: the untouched demo submission did not get 0")
        for label, row in (("partial", partial), ("buggy", buggy)):
            if not row or full is None or not 0 < row.score < full.score:
                problems.append(f"{chapter}: the {label} demo submission did not get some but not all points")
    if problems:
        raise RuntimeError("demo class: " + "; ".join(problems) + f" (see {report.csv_path})")
    return report
