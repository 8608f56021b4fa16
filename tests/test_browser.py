"""The book and the feedback pages as a reader meets them: every page in headless Chromium.

No JavaScript error in the console, the maths typeset by the vendored MathJax (no raw TeX
left), every image loaded, every internal link and download resolving (a downloaded notebook
or archive valid), a screenshot of each page in ``_build/screenshots/``; a copy of the book
with one image deleted, one link broken or MathJax removed fails. A partial submission's
feedback page opens with a table of every graded part and its points."""
import re
import shutil

import nbformat
import pytest

import browser
from autograder import ROOT, chapters
from autograder.demo import PARTIAL, demo_notebooks
from autograder.grading import grade_folder
from autograder.limits import SELFTEST

pytestmark = [pytest.mark.slow, pytest.mark.skipif(browser.unavailable() is not None,
                                                   reason=f"no browser here: {browser.unavailable()}")]
SCREENSHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def driver():
    with browser.browser() as d:
        yield d


def test_every_book_page_passes_in_a_browser(built_book, driver):
    pages = browser.pages(built_book)
    names = {p.relative_to(built_book).as_posix() for p in pages}
    assert {"index.html", "book/intro.html"} | {f"book/{c}/{p}.html" for c in chapters.names()
                                                for p in ("concepts", "experiment", "exercise")} <= names
    shutil.rmtree(SCREENSHOTS / "book", ignore_errors=True)
    anchors, problems = {}, []
    for page in pages:
        problems += browser.check_page(driver, page, SCREENSHOTS / "book", built_book, anchors)
    assert not problems, browser.dump(problems)
    assert len(list((SCREENSHOTS / "book").glob("*.png"))) == len(pages)
    for chapter in chapters.released():  # the exercise page links the chapter's download
        assert f"{chapter}.zip" in (built_book / "book" / chapter / "exercise.html").read_text()


@pytest.fixture
def book_copy(built_book, tmp_path):
    copy = tmp_path / "html"
    shutil.copytree(built_book, copy)
    return copy


def test_a_deleted_image_fails_the_check(book_copy, driver):
    page = book_copy / "book" / chapters.names()[0] / "experiment.html"
    src = re.search(r'<img[^>]+src="([^"]+)"', page.read_text()).group(1)
    (page.parent / src).unlink()
    problems = browser.check_page(driver, page, root=book_copy)
    assert any("image not loaded" in p and src in p for p in problems), problems


def test_a_broken_internal_link_fails_the_check(book_copy, driver):
    page = book_copy / "book" / "intro.html"
    text, n = re.subn(rf'(<a [^>]*href="){chapters.names()[0]}/concepts\.html"', r'\1no_such_chapter/concepts.html"',
                      page.read_text(), count=1)
    assert n == 1
    page.write_text(text)
    problems = browser.check_page(driver, page, root=book_copy)
    assert any("broken link no_such_chapter/concepts.html" in p for p in problems), problems


def test_removed_mathjax_fails_the_check(book_copy, driver):
    (book_copy / "_static" / "mathjax" / "tex-svg-full.js").unlink()
    page = book_copy / "book" / chapters.names()[0] / "concepts.html"
    problems = browser.check_page(driver, page, root=book_copy)
    assert any("MathJax absent" in p for p in problems) and any("raw TeX" in p for p in problems), problems


def test_a_partial_submissions_feedback_page_lists_every_graded_part(built_book, driver, tmp_path, monkeypatch):
    chapter = chapters.released()[0]
    nb = next(nb for student, ch, nb in demo_notebooks([chapter]) if student == PARTIAL)
    path = tmp_path / "class" / PARTIAL / chapter / f"{chapter}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    monkeypatch.setenv("COURSE_BOOK_URL", built_book.as_uri())  # the concept page link points at the built book
    report = grade_folder(tmp_path / "class", tmp_path / "out", workers=1, limits=SELFTEST, seed=11)
    row = report.rows[0]
    assert 0 < row.score < row.max_score
    page = tmp_path / "out" / "feedback" / PARTIAL / f"{chapter}.html"
    problems = browser.check_page(driver, page, SCREENSHOTS / "feedback", tmp_path / "out")
    assert not problems, browser.dump(problems)
    rows = browser.summary_rows(driver, page)
    ch = chapters.load(chapter)
    assert [r["part"] for r in rows] == list(ch.points), rows  # every graded part, by its name, in notebook order
    earned = 0.0
    for r in rows:
        got, possible = (float(x) for x in r["points"].split("/"))
        assert possible == ch.points[r["part"]] and 0 <= got <= possible, r
        assert r["link"] == f"#{r['part']}" and r["target"], r
        if got < possible:
            assert r["message"], f"{r['part']} lost points without a message"
        earned += got
    assert earned == row.score
    assert any(float(r["points"].split("/")[0]) < float(r["points"].split("/")[1]) for r in rows)
    assert "concept page" in page.read_text()
