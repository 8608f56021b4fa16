"""Feedback that tells students what went wrong without giving the hidden tests away.

nbgrader's ``generate_feedback`` renders the autograded notebook, in which the hidden tests
have been restored, and IPython's tracebacks quote the source lines around the failure. The
preprocessor below runs in that pipeline: it removes hidden-test regions from every cell's
source and reduces each error in a graded cell to its last line (the exception and the
message, which our checks write for students).
"""
from __future__ import annotations

import re

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
