"""The nbgrader configuration every command uses (the repository root is the course root)."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config

from . import ROOT
from .limits import Limits

COURSE_ID = "dl-course"


def nbgrader_config(root: Path = ROOT, limits: Limits = Limits(), sandbox_ipc: str | None = None, seed: int = 0,
                    cgroup: str = "") -> Config:
    """nbgrader's configuration. With a control group (``cgroup``), a cell's time limit counts the
    CPU seconds of the submission's processes (``TrustedExecute.cell_cpu_s``), so a neighbour's
    load cannot use it up; the wall clock is only a looser backstop for cells that sleep."""
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    # Every grading kernel is a plain python3 kernel whatever the submission claims.
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Execute.timeout = limits.cell_s * 3 + 30 if cgroup else limits.cell_s
    # a cell past its wall-clock limit raises, and TrustedExecute restarts the kernel as for every
    # other limit (an interrupted kernel would keep what the cell had built so far)
    c.Execute.interrupt_on_timeout = False
    c.Execute.skip_cells_with_tag = "skip-autograde"  # expensive ungraded demos
    if sandbox_ipc:  # kernels start through autograder.sandbox and talk over Unix sockets
        c.Execute.kernel_name = "course-sandbox"
        c.KernelManager.transport = "ipc"
        c.KernelManager.ip = sandbox_ipc
        c.KernelManager.connection_file = str(Path(sandbox_ipc).parent.parent / "runtime" / "kernel.json")
    c.LimitOutput.max_lines = 1000
    c.LimitOutput.max_traceback = 200
    # COURSE_GRADE_LOG_LEVEL=20 (INFO) puts per-cell and per-check timings into each run's result.json log
    c.NbGraderAPI.log_level = int(os.environ.get("COURSE_GRADE_LOG_LEVEL", logging.WARNING))
    # Feedback: grades, hidden tests removed and graded tracebacks cut to their message.
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from .feedback import FeedbackExporter, RedactHiddenTests, SanitizeStudentContent
    c.GenerateFeedback.exporter_class = FeedbackExporter
    import nbgrader
    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    c.FeedbackExporter.template_name = "course_feedback"  # nbgrader's feedback page with a summary table on top
    c.FeedbackExporter.extra_template_basedirs = [str(formgrader / "templates"), str(Path(__file__).parent / "templates")]
    c.FeedbackExporter.extra_template_paths = [str(formgrader / "templates"),  # for {% extends 'feedback/...' %}
                                               str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, SanitizeStudentContent, CSSHTMLHeaderPreprocessor]
    # Autograde: nbgrader's pipeline with the trusted Execute (see autograder.trusted).
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                        SaveAutoGrades)

    from .trusted import TrustedExecute
    c.TrustedExecute.run_seed = seed
    c.TrustedExecute.cgroup = cgroup
    c.TrustedExecute.cell_cpu_s = limits.cell_s
    c.TrustedExecute.mem_mb = limits.mem_mb
    c.TrustedExecute.output_mb = limits.output_mb
    # no message from a kernel larger than the output limit reaches the grader's memory
    c.AsyncKernelManager.client_class = "autograder.trusted.BoundedKernelClient"
    c.BoundedKernelClient.max_message_mb = limits.output_mb
    c.Autograde.autograde_preprocessors = [TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                           SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    return c


def _venv_on_path() -> None:
    """nbgrader runs the ``alembic`` executable to create a gradebook: make this
    interpreter's scripts folder findable even when the virtual environment is not activated."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def api(root: Path = ROOT, limits: Limits = Limits(), sandbox_ipc: str | None = None, seed: int = 0, cgroup: str = ""):
    """An :class:`nbgrader.apps.NbGraderAPI` on ``root``."""
    _venv_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(root, limits, sandbox_ipc, seed, cgroup)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)
