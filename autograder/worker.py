"""One submission, graded in its own course folder by nbgrader (run as a subprocess).

``python -m autograder.worker JOB_JSON`` (or ``--serve LOG``, one :class:`~autograder.job.Job`
as JSON per line on stdin) runs nbgrader's ``autograde`` and ``generate_feedback`` in the job's
course folder (a private copy of the chapter's generated assignment and gradebook holding
this one submission) and writes a :class:`~autograder.job.JobResult` there, with the per-cell
scores read back from the gradebook.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import ROOT
from .job import Job, JobResult

KERNEL_NAME = "course-sandbox"


def prepare_stage(job: Job) -> Path:
    """The run's private staging folder: kernelspec, IPC sockets, connection file, import blocker."""
    stage = Path(tempfile.mkdtemp(prefix="ag-", dir="/tmp"))
    for sub in ("ipc", "runtime", "site", "home/mpl", "tmp"):
        (stage / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).parent / "blocker" / "sitecustomize.py", stage / "site" / "sitecustomize.py")
    try:  # matplotlib's font list, so each kernel does not rebuild it
        import matplotlib
        for f in Path(matplotlib.get_cachedir()).glob("fontlist*.json"):
            shutil.copy(f, stage / "home" / "mpl" / f.name)
    except Exception:
        pass
    os.chmod(stage, 0o755)
    argv = [sys.executable, "-m", "autograder.sandbox", "--stage", str(stage), "--root", str(ROOT),
            "--data", job.data, "--limits", job.limits.to_json()]
    for hidden in job.hide:
        argv += ["--hide", hidden]
    if job.uid is not None:
        argv += ["--uid", str(job.uid)]
    if job.cgroup:
        argv += ["--cgroup", job.cgroup]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = stage / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(stage)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(stage / "runtime")
    return stage


def read_scores(course: Path, chapter: str, student: str, result: JobResult) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(chapter, student)
        for nb in sub.notebooks:
            for grade in nb.grades:
                manual = getattr(grade.cell, "cell_type", "code") == "markdown"   # a written answer
                result.cells[grade.name] = {"score": grade.score, "max_score": grade.max_score,
                                            "auto": grade.auto_score is not None, "manual": manual,
                                            "pending": manual and bool(grade.needs_manual_grade)}
        result.score, result.max_score = float(sub.score), float(sub.max_score)


def read_incidents(path: Path, result: JobResult) -> None:
    """Cells that timed out or killed their kernel, and set-up cells that failed, from the autograded notebook.

    A set-up cell is a given cell before the first cell a student writes: it runs only the
    course's code, so its failure means the grading environment is broken, not the answer."""
    import nbformat

    if not path.exists():
        return
    setup = True
    for cell in nbformat.read(str(path), 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        setup = setup and not meta.get("solution")
        for o in cell.get("outputs", []):
            if o.get("output_type") != "error":
                continue
            if o.get("ename") == "CellTimeoutError" or "time limit" in str(o.get("evalue", "")):
                result.timeouts += 1
            elif o.get("ename") == "KernelDied":
                result.kernel_restarts += 1
            elif setup and cell.cell_type == "code":
                result.setup_failures.append(f"{meta.get('grade_id', '?')}: {o.get('ename')}: {str(o.get('evalue'))[:200]}")


def run_job(job: Job) -> int:
    stage = prepare_stage(job)
    try:
        return grade(job, stage)
    except Exception as err:  # record, never crash the serving loop
        JobResult(error=repr(err), problems=[repr(err)]).write(Path(job.course))
        return 1
    finally:
        from .sandbox import kill_uid
        kill_uid(job.uid)
        shutil.rmtree(stage, ignore_errors=True)


def serve(log_path: str) -> int:
    """Grade jobs read from stdin (one JSON job per line), answering on the original stdout.

    A long-lived worker pays for Python, nbgrader and nbconvert's templates once. Its own
    stdout and stderr (inherited by every kernel it starts) go to ``log_path``; answers go
    to a private copy of the original stdout that kernels never inherit. The worker dies with the
    process that started it (``COURSE_WORKER_PARENT``), and its kernel with it."""
    if os.environ.get("COURSE_WORKER_PARENT"):
        from .sandbox import die_with_parent
        die_with_parent(int(os.environ["COURSE_WORKER_PARENT"]))
    if os.environ.get("COURSE_WORKER_AS_MB"):  # no control group for this worker: its address space is limited
        import resource
        space = int(os.environ["COURSE_WORKER_AS_MB"]) << 20
        resource.setrlimit(resource.RLIMIT_AS, (space, resource.getrlimit(resource.RLIMIT_AS)[1]))
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    for line in sys.stdin:
        message = json.loads(line)
        rc = run_job(Job.from_json(message["job"]))
        answers.write(json.dumps({"id": message["id"], "rc": rc}) + "\n")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve(argv[1])
    return run_job(Job.from_json(argv[0]))


def grade(job: Job, stage: Path) -> int:
    from .nbconfig import api

    course = Path(job.course)
    nbg = api(course, limits=job.limits, sandbox_ipc=str(stage / "ipc" / "k"), seed=job.seed, cgroup=job.cgroup)
    result = JobResult()
    start = time.perf_counter()
    auto = nbg.autograde(job.chapter, job.student, force=True, create=True)
    log = auto.get("log") or ""
    result.autograded = bool(auto["success"])
    result.log = log[-4000:]
    result.problems = [l for l in log.splitlines() if l.startswith("[ERROR]") or "Error:" in l or "Exception:" in l][:40]
    result.error = (auto.get("error") or "")[-4000:]
    result.seconds["autograde"] = round(time.perf_counter() - start, 3)
    if auto["success"]:
        read_scores(course, job.chapter, job.student, result)
        read_incidents(course / "autograded" / job.student / job.chapter / f"{job.chapter}.ipynb", result)
        start = time.perf_counter()
        fb = nbg.generate_feedback(job.chapter, job.student, force=True)
        result.seconds["feedback"] = round(time.perf_counter() - start, 3)
        result.feedback = bool(fb["success"])
        if not fb["success"]:
            result.problems.append("feedback: " + (fb.get("error") or "")[-500:])
    result.write(course)
    return 0 if auto["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
