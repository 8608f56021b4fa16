"""``python -m autograder release``: regenerate ``release/`` from ``source/``.

nbgrader's ``generate_assignment`` strips the solution regions and hidden tests and records
each graded cell's checksum in the gradebook. The student library (:mod:`coursekit`) is
copied to ``release/coursekit`` so the release folder is complete on its own: a release
notebook adds ``..`` to ``sys.path`` when ``coursekit`` is not installed. A rerun is
byte-identical.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import ROOT, chapters
from .nbconfig import api

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def chapters_with_source(root: Path = ROOT) -> list[str]:
    """The chapters (book order) whose source notebook has been built under ``root``."""
    return [c for c in chapters.names() if (root / "source" / c / f"{c}.ipynb").exists()]


def _normalise(path: Path) -> None:
    """Rewrite a generated notebook with sorted keys and fixed indentation (stable bytes)."""
    nb = json.loads(path.read_text())
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def ship_student_library(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "coursekit", dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def release(chapters=None, root: Path = ROOT) -> list[Path]:
    names = list(chapters or chapters_with_source(root))
    nbg = api(root)
    written = []
    for chapter in names:
        result = nbg.generate_assignment(chapter, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {chapter} failed:\n{result.get('error') or result.get('log')}")
        for nb in sorted((root / "release" / chapter).glob("*.ipynb")):
            _normalise(nb)
            text = nb.read_text()
            leaks = [m for m in LEAK_MARKERS if m in text]
            if leaks:
                raise RuntimeError(f"{nb} still contains {leaks}: the release would leak solutions")
            written.append(nb)
    ship_student_library(root / "release" / "coursekit")
    return written
