"""One submission, graded in its own course folder by nbgrader (run as a subprocess).

``python -m autograder.worker COURSE CHAPTER STUDENT --cell-timeout S`` runs nbgrader's
``autograde`` and ``generate_feedback`` in ``COURSE`` (a private copy of the chapter's
generated assignment and gradebook holding this one submission) and writes
``COURSE/result.json`` with the per-cell scores read back from the gradebook.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def read_scores(course: Path, chapter: str, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(chapter, student)
        cells = {}
        for nb in sub.notebooks:
            for grade in nb.grades:
                cells[grade.name] = {"score": grade.score, "max_score": grade.max_score,
                                     "auto": grade.auto_score is not None}
        return {"score": sub.score, "max_score": sub.max_score, "cells": cells}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("course", type=Path)
    parser.add_argument("chapter")
    parser.add_argument("student")
    parser.add_argument("--cell-timeout", type=int, default=120)
    args = parser.parse_args(argv)
    from .nbconfig import api

    nbg = api(args.course, cell_timeout=args.cell_timeout)
    result = {"autograde": None, "feedback": None}
    auto = nbg.autograde(args.chapter, args.student, force=True, create=True)
    result["autograde"] = {"success": auto["success"], "log": (auto.get("log") or "")[-4000:],
                           "error": (auto.get("error") or "")[-4000:]}
    if auto["success"]:
        result.update(read_scores(args.course, args.chapter, args.student))
        fb = nbg.generate_feedback(args.chapter, args.student, force=True)
        result["feedback"] = {"success": fb["success"], "error": (fb.get("error") or "")[-2000:]}
    (args.course / "result.json").write_text(json.dumps(result, indent=1))
    return 0 if auto["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
