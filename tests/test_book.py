"""The book builds offline in the smoke profile, and its HTML holds no solution text."""
import pytest

from autograder import ROOT, chapters
from autograder.pages import points_markdown
from test_release import check_lines, secret_lines

pytestmark = pytest.mark.slow


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


IDIOMS = {"optimizer.zero_grad()", "optimizer.zero_grad(set_to_none=True)", "loss.backward()", "optimizer.step()"}


@pytest.mark.parametrize("chapter", chapters.released())
def test_book_has_no_solution_text(built_book, chapter):
    # a line that another chapter shows openly (its pages, its release notebook) is no secret of this
    # one, and neither are the training loop's idioms: nn_debugging's experiment page names its broken
    # setup "optimizer.zero_grad() missing", a line of three chapters' answers
    elsewhere = "\n".join(p.read_text() for other in chapters.names() if other != chapter
                          for p in [*(ROOT / "book" / other).glob("*.md"), *(ROOT / "release" / other).glob("*.ipynb")])
    secrets = [s for s in secret_lines(chapter) + check_lines(chapter) if s not in elsewhere and s not in IDIOMS]
    for page in built_book.rglob("*.html"):
        text = page.read_text(errors="replace")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, page
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{page}: {leaked[:3]}"


MEASURED = sorted({p.parent.parent.name for p in (ROOT / "book").glob("*/measured/provenance.json")})


@pytest.mark.parametrize("chapter", MEASURED)
def test_an_experiment_page_leads_with_its_measured_run(built_book, chapter):
    """The measured record (its provenance line, table and figures) comes before the smoke rerun,
    which is labelled a pipeline check."""
    import html
    import json

    import re

    prov = json.loads((ROOT / "book" / chapter / "measured" / "provenance.json").read_text())
    raw = (built_book / "book" / chapter / "experiment.html").read_text()
    # the text as a reader sees it: Sphinx wraps each word of inline code in a span of its own
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
    line = f"Measured with {prov['command']} at commit {prov['commit'][:10]}"
    assert line in text, f"the provenance line ({line}) is not on the page"
    measured, smoke = raw.index("<em>Measured</em> with"), raw.find('<section id="pipeline-check')
    assert smoke == -1 or measured < smoke, "the measured run comes before the pipeline check"
    assert "<img" in raw[measured:smoke if smoke != -1 else None], "the measured figures are on the page"
