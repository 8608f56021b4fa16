"""The notebooks run: the source (reference) notebook under nbval, fast; the student download
(release notebook, coursekit, requirements, README) on its own, its notebook completed with
correct answers passing nbval where `solutions` and `autograder` cannot be imported; and the
empty release notebook fails only where a student has to write code."""
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import ROOT, chapters
from autograder.student_archive import build_archive
from autograder.submissions import make_submission
from conftest import cell_errors, execute_notebook

CHAPTERS = chapters.released()


def nbval(python: str, notebook: Path, cwd: Path, env: dict | None = None):
    """``pytest --nbval-lax NOTEBOOK`` with ``python`` (what the README asks of a student before
    submitting): every cell runs top to bottom, and one that raises fails the run."""
    start = time.perf_counter()
    proc = subprocess.run([python, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", str(notebook)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    return proc, time.perf_counter() - start


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_source_notebook_passes_nbval_in_the_smoke_profile_within_60_s(chapter):
    proc, seconds = nbval(sys.executable, Path("source") / chapter / f"{chapter}.ipynb", ROOT, {"COURSE_PROFILE": "smoke"})
    assert proc.returncode == 0 and " passed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert seconds <= 60, f"{chapter}: {seconds:.1f} s"


def test_nbval_fails_when_a_source_notebook_cell_raises(tmp_path):
    chapter = CHAPTERS[0]
    nb = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = nb.cells[:first_code + 1] + [nbformat.v4.new_code_cell("raise RuntimeError('a planted failure')")]
    nbformat.write(nb, str(tmp_path / f"{chapter}.ipynb"))
    proc, _ = nbval(sys.executable, tmp_path / f"{chapter}.ipynb", tmp_path)
    assert proc.returncode != 0 and "a planted failure" in proc.stdout, proc.stdout[-2000:]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_download_runs_its_completed_notebook_on_its_own(chapter, tmp_path, bare_python):
    """The exercise page's archive, unzipped into an empty folder: nothing else of the course is
    there, `solutions` and `autograder` cannot be imported, and the notebook completed with the
    reference answers passes nbval as the archive's README tells a student to check it."""
    archive = build_archive(chapter, out=tmp_path / "downloads")
    folder = tmp_path / "student"
    folder.mkdir()
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    top = folder / f"{chapter}-student"
    assert sorted(p.name for p in top.iterdir()) == sorted([chapter, "coursekit", "README.md", "requirements.txt"])
    assert "torch==2.14.1" in (top / "requirements.txt").read_text()
    assert f"pytest --nbval-lax {chapter}/{chapter}.ipynb" in (top / "README.md").read_text()
    nb = make_submission(chapter, fill="all")
    nb.cells.append(nbformat.v4.new_code_cell(
        "import importlib.util, coursekit, pathlib\n"
        "assert importlib.util.find_spec('solutions') is None, 'solutions is importable'\n"
        "assert importlib.util.find_spec('autograder') is None, 'autograder is importable'\n"
        "assert pathlib.Path(coursekit.__file__).resolve().parent == pathlib.Path('../coursekit').resolve(), coursekit.__file__\n"
        "print('isolated ok')"))
    nbformat.write(nb, str(top / chapter / f"{chapter}.ipynb"))
    proc, _ = nbval(bare_python, Path(chapter) / f"{chapter}.ipynb", top)
    assert proc.returncode == 0 and " passed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_empty_release_notebook_fails_only_in_student_cells(chapter, tmp_path, bare_python):
    """Unanswered, the notebook fails in the student's cells (NotImplementedError) and in what
    depends on them, never in the course's own set-up: every given cell before the first
    student cell runs clean, and a given cell that fails later fails for want of an answer."""
    shutil.copytree(ROOT / "release", tmp_path / "release")
    nb = make_submission(chapter, fill="none")
    executed, _ = execute_notebook(nb, tmp_path / "release" / chapter, python=bare_python)
    errors = cell_errors(executed)
    roles = {}
    for cell in executed.cells:
        meta = cell.metadata.get("nbgrader", {})
        roles[meta.get("grade_id")] = "student" if meta.get("solution") else "tests" if meta.get("grade") else "given"
    first_student = next(i for i, c in enumerate(executed.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    setup = [c for c in executed.cells[:first_student] if c.cell_type == "code"]
    assert setup, "the notebook has set-up cells"
    for cell in setup:
        gid = cell.metadata["nbgrader"]["grade_id"]
        assert gid not in errors, f"set-up cell {gid} failed: {errors[gid]}"
        assert cell.get("execution_count"), f"set-up cell {gid} did not run"
    student = [g for g, r in roles.items() if r == "student"]
    assert {g for g in student if g in errors}, "unanswered student cells raise"
    for gid, error in errors.items():
        if roles.get(gid) == "student":
            assert "NotImplementedError" in error, (gid, error)
        elif roles.get(gid) == "given":
            assert error.startswith(("NotImplementedError", "NameError", "TypeError", "AttributeError")), (gid, error)
