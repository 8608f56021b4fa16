"""Feedback that tells students what went wrong without giving the hidden tests away.

nbgrader's ``generate_feedback`` renders the autograded notebook, in which the hidden tests
have been restored, and IPython's tracebacks quote the source lines around the failure. The
preprocessor below runs in that pipeline: it removes hidden-test regions from every cell's
source and reduces each error in a graded cell to its last line (the exception and the
message, which our checks write for students).

The page itself is nbgrader's feedback template with a summary table on top
(``autograder/templates/course_feedback``), a link to the chapter's concept page in the book
(``COURSE_BOOK_URL``, else ``html.baseurl`` in ``_config.yml``, else the locally built book),
and the book's own MathJax, loaded from ``OUT/feedback/_static`` so the maths renders offline.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import NbGraderPreprocessor

from .sanitize import CSP, clean_html, clean_notebook

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)


class RedactHiddenTests(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            if "BEGIN HIDDEN TESTS" in cell.source:
                cell.source = HIDDEN.sub("# (hidden tests ran here)\n", cell.source).rstrip("\n")
            graded = cell.metadata.get("nbgrader", {}).get("grade", False)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and graded:
                    output["evalue"] = ANSI.sub("", str(output.get("evalue", "")))
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
        return cell, resources


class SanitizeStudentContent(NbGraderPreprocessor):
    """Every student output and markdown cell through :mod:`autograder.sanitize` before the page is rendered."""

    def preprocess(self, nb, resources):
        return clean_notebook(nb), resources


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter without its BeautifulSoup pass.

    ``HTMLExporter`` re-parses every page it renders with BeautifulSoup to add ``alt`` to
    images and ``tabindex`` to lab-template cells: about 0.3 s of CPU per feedback page, a
    sizeable share of grading a notebook. nbgrader's feedback template has no lab cells, so
    only the ``alt`` text is needed, added here with a regular expression."""

    def from_notebook_node(self, nb, resources=None, **kw):
        self.sanitize_html = True  # no JavaScript or widget outputs; HTML and markdown through clean_html
        lang = nb.metadata.get("language_info", {})
        lexer = lang.get("pygments_lexer", lang.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        chapter = resources.get("nbgrader", {}).get("assignment") or resources.get("nbgrader", {}).get("notebook")
        resources["course"] = {"concepts_url": f"{book_url()}/book/{chapter}/concepts.html" if chapter else ""}
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        self.register_filter("clean_html", clean_html)  # the allow-list sanitiser (autograder.sanitize), not bleach's
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html = IMG_WITHOUT_ALT.sub(r'<img alt="figure produced by this cell"\1', html)
        html = MATHJAX2.sub(lambda m: MATHJAX3, html, count=1)
        # first in <head>: scripts only from the page's own MathJax, whatever a sanitiser missed
        html = html.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{CSP}">', 1)
        return html, resources


IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)([^>]*>)")
# nbconvert's MathJax 2 from a CDN (and its configuration, which MathJax 3 ignores) ...
MATHJAX2 = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">\s*</script>')
# ... replaced by the book's MathJax 3, which `grade` copies to OUT/feedback/_static/ (pages are OUT/feedback/<student>/<chapter>.html)
MATHJAX_SOURCE = "_vendor/mathjax/tex-svg-full.js"  # where `make book` vendors it
MATHJAX_FILE = "_static/mathjax/tex-svg-full.js"
MATHJAX_CONFIG_FILE = "_static/mathjax/config.js"
MATHJAX_CONFIG = ("window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], "
                  "displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true}};\n")
# a file, not an inline script: the page's Content-Security-Policy allows no inline script
MATHJAX3 = (f'<script src="../{MATHJAX_CONFIG_FILE}"></script>\n'
            f'<script id="MathJax-script" src="../{MATHJAX_FILE}"></script>')


def book_url() -> str:
    """Where students read the book: ``COURSE_BOOK_URL``, else ``html.baseurl`` in ``_config.yml``,
    else the book built in this repository (``make book``)."""
    from . import ROOT

    url = os.environ.get("COURSE_BOOK_URL", "")
    if not url:
        match = re.search(r"^\s+baseurl:\s*[\"']?([^\"'\s#]+)", (ROOT / "_config.yml").read_text(), re.M)
        url = match.group(1) if match else (ROOT / "_build" / "html").as_uri()
    return url.rstrip("/")


def install_mathjax(feedback: Path) -> bool:
    """Copy the book's vendored MathJax next to the feedback pages (``FEEDBACK/_static``)."""
    import shutil

    from . import ROOT

    source = ROOT / MATHJAX_SOURCE
    if not source.exists():
        return False
    target = Path(feedback) / MATHJAX_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    (Path(feedback) / MATHJAX_CONFIG_FILE).write_text(MATHJAX_CONFIG)
    return True
