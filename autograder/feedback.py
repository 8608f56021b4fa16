"""Feedback that tells students what went wrong without giving the hidden tests away.

nbgrader's ``generate_feedback`` renders the autograded notebook, in which the hidden tests
have been restored, and IPython's tracebacks quote the source lines around the failure. The
preprocessor below runs in that pipeline: it removes hidden-test regions from every cell's
source and reduces each error in a graded cell to its last line (the exception and the
message, which our checks write for students).
"""
from __future__ import annotations

import re

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import NbGraderPreprocessor

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
                    message = f"{output.get('ename', 'Error')}: {ANSI.sub('', str(output.get('evalue', '')))}"
                    output["traceback"] = [message]
        return cell, resources


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter without its BeautifulSoup pass.

    ``HTMLExporter`` re-parses every page it renders with BeautifulSoup to add ``alt`` to
    images and ``tabindex`` to lab-template cells: about 0.3 s of CPU per feedback page, a
    sizeable share of grading a notebook. nbgrader's feedback template has no lab cells, so
    only the ``alt`` text is needed, added here with a regular expression."""

    def from_notebook_node(self, nb, resources=None, **kw):
        lang = nb.metadata.get("language_info", {})
        lexer = lang.get("pygments_lexer", lang.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html = IMG_WITHOUT_ALT.sub(r'<img alt="figure produced by this cell"\1', html)
        return html, resources


IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)([^>]*>)")
