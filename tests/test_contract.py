"""Every chapter holds together: spec, trusted checks, catalogue, notebooks and exercise page.

Fast (no kernel): the links are checked when a chapter loads (:mod:`autograder.chapters`);
these tests load every chapter and show that a broken link is caught."""
import dataclasses
import shutil
import sys
import uuid

import nbformat
import pytest

from autograder import ROOT, chapters
from autograder.build import build_notebook
from autograder.pages import graded_cells

NAMES = chapters.names()


def test_chapters_come_from_the_book_and_are_all_built():
    assert NAMES == tuple(chapters.toc_chapters())
    assert list(NAMES) == chapters.released(), "every chapter has its source and release notebook"


@pytest.mark.parametrize("name", NAMES)
def test_chapter_holds_together(name):
    ch = chapters.load(name)
    assert ch.problems() == []
    tests = [c for c in ch.cells if c.role == "tests"]
    assert tests and all(c.check is ch.checks[c.grade_id] for c in tests)
    assert all(code.strip() for code in ch.solutions.values()), "every solution cell has reference code"
    assert ch.mutants and ch.variants


@pytest.mark.parametrize("name", NAMES)
def test_every_mutant_edit_applies_to_the_current_reference(name):
    ch = chapters.load(name)
    for m in ch.mutants:
        assert m.source(ch.solutions[m.cell]) != ch.solutions[m.cell], m.name


@pytest.mark.parametrize("name", NAMES)
def test_exercise_page_points_equal_the_notebook(name):
    ch = chapters.load(name)
    release = {gid: points for gid, points, _ in graded_cells(ch.release_path)}
    assert release == ch.points
    built = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points")
             for c in build_notebook(name).cells if c.metadata["nbgrader"].get("grade")}
    assert built == ch.points
    page = (ROOT / "book" / name / "exercise.md").read_text()
    assert f'points_table("{name}")' in page and "autograder.pages" in page, "the exercise page shows the helper's table"


@pytest.mark.parametrize("name", NAMES)
def test_written_answers_graded_by_a_person_have_model_answers(name):
    """The instructor grading a written answer by hand needs the model answer and its marking:
    ``solutions/<chapter>/answers.md`` (instructor-only, like the rest of ``solutions``)."""
    manual = [c.grade_id for c in chapters.load(name).cells if c.role == "answer" and c.points]
    if manual:
        answers = ROOT / "solutions" / name / "answers.md"
        assert answers.is_file() and answers.read_text().strip(), f"{name}: {manual} are graded by hand: write {answers}"


# ---------------------------------------------------------------- a broken chapter is caught

def _copy_chapter(tmp_path, monkeypatch, name, edit):
    """A copy of chapter ``name`` as package ``broken_<n>.<name>`` with ``edit(folder)`` applied."""
    pkg = tmp_path / f"broken_{uuid.uuid4().hex[:8]}"  # a new package name: nothing cached in sys.modules
    shutil.copytree(ROOT / "autograder" / "chapters" / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text("")
    edit(pkg / name)
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{pkg.name}.{name}"


def test_a_renamed_check_function_is_caught(tmp_path, monkeypatch):
    name = NAMES[0]
    check = next(iter(chapters.load(name).checks))

    def rename(folder):
        path = folder / "checks.py"
        path.write_text(path.read_text().replace(f"def {check}(", f"def {check}_renamed("))

    package = _copy_chapter(tmp_path, monkeypatch, name, rename)
    with pytest.raises(AttributeError, match=check):
        chapters.from_package(package, name)


def test_a_check_no_test_cell_uses_is_caught(tmp_path, monkeypatch):
    name = NAMES[0]

    def orphan(folder):
        path = folder / "checks.py"
        path.write_text(path.read_text() + "\n\ndef test_nobody_calls_me(probe):\n    pass\n")

    package = _copy_chapter(tmp_path, monkeypatch, name, orphan)
    with pytest.raises(chapters.ChapterError, match="test_nobody_calls_me"):
        chapters.from_package(package, name)


def test_a_mutant_whose_edit_no_longer_applies_is_caught():
    ch = chapters.load(NAMES[0])
    m = ch.mutants[0]
    old = m.edits[0][0]
    changed = tuple(dataclasses.replace(c, source=c.source.replace(old, "pass  # the reference was rewritten"))
                    if c.grade_id == m.cell else c for c in ch.cells)
    problems = dataclasses.replace(ch, cells=changed).problems()
    assert any(m.name in p and "not found" in p for p in problems), problems


def test_a_mutant_naming_a_missing_test_is_caught():
    ch = chapters.load(NAMES[0])
    m = dataclasses.replace(ch.mutants[0], catches=["test_that_does_not_exist"])
    catalogue = type(sys)("catalogue")
    vars(catalogue).update(vars(ch.catalogue))
    catalogue.MUTANTS = [m]
    problems = dataclasses.replace(ch, catalogue=catalogue).problems()
    assert any("test_that_does_not_exist" in p for p in problems), problems


def test_a_checks_module_that_cannot_import_is_caught(tmp_path, monkeypatch):
    name = NAMES[0]

    def break_import(folder):
        path = folder / "checks.py"
        path.write_text("from solutions import a_function_that_was_renamed  # noqa\n" + path.read_text())

    package = _copy_chapter(tmp_path, monkeypatch, name, break_import)
    with pytest.raises(ImportError, match="a_function_that_was_renamed"):
        chapters.from_package(package, name)


def test_build_grade_and_selftest_stop_when_a_chapter_cannot_load(tmp_path, monkeypatch):
    """No command swallows a chapter's import error (today's loader is the only way in)."""
    from autograder import build, grading, selftest

    def cannot_import(package, name=None):
        raise ImportError(f"cannot import name 'renamed' from 'solutions.{name}'")

    monkeypatch.setattr(chapters, "from_package", cannot_import)
    chapters.load.cache_clear()
    try:
        with pytest.raises(ImportError):
            build.build([NAMES[0]], check=True)
        with pytest.raises(ImportError):
            selftest.selftest([NAMES[0]], out=tmp_path / "selftest")
        subs = tmp_path / "class"
        path = subs / "kim" / NAMES[0] / f"{NAMES[0]}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nbformat.read(ROOT / "release" / NAMES[0] / f"{NAMES[0]}.ipynb", 4), str(path))
        with pytest.raises(ImportError):
            grading.grade_folder(subs, tmp_path / "out")
    finally:
        chapters.load.cache_clear()
