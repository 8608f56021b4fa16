"""``python -m autograder export OUT``: the final grades of a graded class, written answers included.

``grade`` leaves ``OUT/gradebook.db`` (nbgrader's schema), the autograded notebooks and an
``nbgrader_config.py``, so ``OUT`` is a course folder that nbgrader's formgrader opens. Once a
person has scored the written answers there, this command reads the gradebook back and writes
``OUT/final_grades.csv``: one row per row of ``OUT/grades.csv``, with the score of every cell,
the autograded part and the part scored by a person, the points still waiting for a person, and
the grading status of ``grades.csv``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from . import csvsafe

COLUMNS = ["student_id", "assignment", "score", "max_score", "auto_score", "manual_score", "manual_pending", "status"]


@dataclass(frozen=True)
class FinalGrade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    auto_score: float      # points of autograded cells
    manual_score: float    # points given by a person in formgrader (written answers, overrides)
    manual_pending: float  # points of written answers nobody has scored yet (in max_score, not in score)
    status: str


class ExportError(RuntimeError):
    """The folder is not the output of ``python -m autograder grade``."""


def final_grades(out: Path) -> list[FinalGrade]:
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    from .nbconfig import COURSE_ID

    out = Path(out)
    db, csv_path = out / "gradebook.db", out / "grades.csv"
    if not db.exists() or not csv_path.exists():
        raise ExportError(f"{out} has no gradebook.db and grades.csv: run `python -m autograder grade SUBMISSIONS --out {out}` first")
    graded = csvsafe.read(csv_path)
    warnings.filterwarnings("ignore", category=SAWarning)
    rows = []
    with Gradebook(f"sqlite:///{db.resolve()}", course_id=COURSE_ID) as gb:
        for r in graded:
            student, chapter = r["student_id"], r["assignment"]
            try:
                sub = gb.find_submission(chapter, student)
            except MissingEntry:
                raise ExportError(f"{db} has no submission of {student} for {chapter}, but grades.csv has one") from None
            auto = manual = pending = score = 0.0
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.manual_score is not None:
                        manual += grade.manual_score
                    elif grade.auto_score is not None:
                        auto += grade.auto_score
                    elif getattr(grade.cell, "cell_type", "code") == "markdown":
                        pending += grade.max_score
                    score += grade.score
            rows.append(FinalGrade(student, chapter, score, float(sub.max_score), auto, manual, pending, r["status"]))
    return rows


def export(out: Path, target: Path | None = None) -> tuple[Path, list[FinalGrade]]:
    rows = final_grades(out)
    target = Path(target) if target else Path(out) / "final_grades.csv"
    csvsafe.write(target, COLUMNS, ([g.student_id, g.assignment, f"{g.score:g}", f"{g.max_score:g}", f"{g.auto_score:g}",
                                     f"{g.manual_score:g}", f"{g.manual_pending:g}", g.status] for g in rows))
    return target, rows
