"""The notebooks run: the source (reference) notebook fast, and the release notebook with
correct answers in an environment where `solutions` is not installed."""
import shutil

import nbformat
import pytest

from autograder import ROOT, chapters
from autograder.submissions import make_submission
from conftest import cell_errors, execute_notebook

CHAPTERS = chapters.released()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_source_notebook_executes_in_the_smoke_profile_within_60_s(chapter, tmp_path):
    nb = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    executed, seconds = execute_notebook(nb, tmp_path, env={"COURSE_PROFILE": "smoke"})
    assert not cell_errors(executed), cell_errors(executed)
    assert seconds <= 60, f"{chapter}: {seconds:.1f} s"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_notebook_runs_without_solutions_installed(chapter, tmp_path, bare_python):
    shutil.copytree(ROOT / "release", tmp_path / "release")
    nb = make_submission(chapter, fill="all")
    nb.cells.append(nbformat.v4.new_code_cell(
        "import importlib.util, coursekit, pathlib\n"
        "assert importlib.util.find_spec('solutions') is None, 'solutions is importable'\n"
        "assert importlib.util.find_spec('autograder') is None, 'autograder is importable'\n"
        "assert pathlib.Path(coursekit.__file__).resolve().parent == pathlib.Path('../coursekit').resolve(), coursekit.__file__\n"
        "print('isolated ok')"))
    executed, _ = execute_notebook(nb, tmp_path / "release" / chapter, python=bare_python)
    assert not cell_errors(executed), cell_errors(executed)
    assert "isolated ok" in executed.cells[-1].outputs[0]["text"]


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
