"""The book builds offline in the smoke profile, and its HTML holds no solution text."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import ROOT, chapters
from autograder.pages import points_markdown
from test_release import check_lines, secret_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    subprocess.run(["make", "-s", "_static/mathjax/tex-svg-full.js"], cwd=ROOT, check=True)
    proc = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, env={**os.environ, "COURSE_PROFILE": "smoke"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "_build" / "html"


@pytest.mark.parametrize("chapter", chapters.names())
def test_book_has_the_chapter_pages(built_book, chapter):
    assert (built_book / "index.html").exists()
    for page in ("concepts", "experiment", "exercise"):
        assert (built_book / "book" / chapter / f"{page}.html").exists(), page
    experiment = (built_book / "book" / chapter / "experiment.html").read_text()
    assert "<img" in experiment and "<table" in experiment  # executed, with figures and a table
    exercise = (built_book / "book" / chapter / "exercise.html").read_text()
    total = points_markdown(chapter).splitlines()[-1].split("**")[3]
    assert f"<strong>{total}</strong>" in exercise, "the points table is on the exercise page"
    assert (built_book / "_static" / "mathjax" / "tex-svg-full.js").exists()


@pytest.mark.parametrize("chapter", chapters.released())
def test_book_has_no_solution_text(built_book, chapter):
    secrets = secret_lines(chapter) + check_lines(chapter)
    for page in built_book.rglob("*.html"):
        text = page.read_text(errors="replace")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, page
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{page}: {leaked[:3]}"
