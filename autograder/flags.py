"""What a person should look at in a graded class: flags beside a grade, never a penalty.

* **The instructor's material.** A submission that holds nbgrader's solution or hidden-test
  markers (``### BEGIN SOLUTION``, ``### BEGIN HIDDEN TESTS``), a hidden-test region of the
  source notebook, or answers that are the reference solution verbatim: a student had the
  source notebook (a link to it, a copy from a shared folder).
* **Identical work.** Two submissions of one chapter whose student cells are the same, once
  comments, blank lines and indentation changes are set aside: a plagiarism signal for a
  person to judge (two students may also have handed in the same untouched cell, so only
  cells that differ from the release count).

The grade is computed as usual; flags go to ``grades.csv``'s ``flags`` column and the summary.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict

import nbformat

from . import ROOT

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOURCE_FLAG = "holds the instructor's source notebook"


def _normal(source: str) -> str:
    """A cell's code without comments, blank lines and indentation changes."""
    lines = (line.split("#", 1)[0].strip() if not line.lstrip().startswith(("'", '"')) else line.strip()
             for line in source.splitlines())
    return "\n".join(line for line in lines if line)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@functools.lru_cache(maxsize=None)
def _course(chapter: str) -> tuple[dict, dict, tuple]:
    """The release stubs and the reference answers of the chapter's student cells (grade id ->
    normalised source), and the source notebook's hidden-test regions."""
    from .build import reference_code

    source = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    release = nbformat.read(ROOT / "release" / chapter / f"{chapter}.ipynb", 4)
    solution = {_grade_id(c) for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    stubs = {_grade_id(c): _normal(c.source) for c in release.cells if _grade_id(c) in solution}
    reference = {_grade_id(c): _normal(reference_code(c.source)) for c in source.cells if _grade_id(c) in solution}
    hidden = tuple(r.strip() for c in source.cells for r in HIDDEN.findall(c.source) if len(r.strip()) > 20)
    return stubs, reference, hidden


def examine(nb, chapter: str) -> tuple[list[str], str]:
    """(flags, fingerprint) of a submission: the instructor's material it holds, and a digest of
    the student cells it changed from the release ("" when it changed none)."""
    stubs, reference, hidden = _course(chapter)
    text = "\n".join(c.get("source", "") for c in nb.cells)
    flags = []
    found = [m for m in MARKERS if m in text]
    if found:
        flags.append(f"{SOURCE_FLAG} ({', '.join(found[:2])} markers)")
    elif any(region in text for region in hidden):
        flags.append(f"{SOURCE_FLAG} (its hidden tests)")
    written = {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in stubs and _normal(cell.source) != stubs[gid]:
            written[gid] = _normal(cell.source)
    if not found and len(reference) >= 2 and written and all(written.get(g) == r for g, r in reference.items()):
        flags.append("every answer is the reference solution, verbatim")
    if not written:
        return flags, ""
    digest = hashlib.sha256(repr(sorted(written.items())).encode()).hexdigest()[:16]
    return flags, digest


def mark_identical(rows) -> None:
    """Flag every row whose student cells are identical to another row's of the same chapter."""
    groups = defaultdict(list)
    for row in rows:
        if row.fingerprint:
            groups[(row.chapter, row.fingerprint)].append(row)
    for group in groups.values():
        if len(group) > 1:
            for row in group:
                others = sorted(r.student for r in group if r is not row)
                row.flags.append(f"identical to {', '.join(others[:5])}" + (f" and {len(others) - 5} more" if len(others) > 5 else ""))
