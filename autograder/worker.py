"""One submission, graded in its own course folder by nbgrader (run as a subprocess).

``python -m autograder.worker COURSE CHAPTER STUDENT --cell-timeout S`` runs nbgrader's
``autograde`` and ``generate_feedback`` in ``COURSE`` (a private copy of the chapter's
generated assignment and gradebook holding this one submission) and writes
``COURSE/result.json`` with the per-cell scores read back from the gradebook.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import ROOT

KERNEL_NAME = "course-sandbox"


def prepare_stage(args) -> Path:
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
            "--data", args.data or "", "--mem-mb", str(args.mem_mb), "--cpu-s", str(args.cpu_s)]
    for hidden in args.hide:
        argv += ["--hide", hidden]
    if args.uid is not None:
        argv += ["--uid", str(args.uid)]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = stage / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(stage)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(stage / "runtime")
    return stage


def read_scores(course: Path, chapter: str, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(chapter, student)
        cells = {}
        for nb in sub.notebooks:
            for grade in nb.grades:
                cells[grade.name] = {"score": grade.score, "max_score": grade.max_score,
                                     "auto": grade.auto_score is not None}
        return {"score": sub.score, "max_score": sub.max_score, "cells": cells}


def incidents(path: Path) -> dict:
    """Cells that timed out or killed their kernel, read from the autograded notebook."""
    import nbformat

    out = {"timeouts": 0, "kernel_restarts": 0}
    if not path.exists():
        return out
    for cell in nbformat.read(str(path), 4).cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") != "error":
                continue
            if o.get("ename") == "CellTimeoutError" or "time limit" in str(o.get("evalue", "")):
                out["timeouts"] += 1
            elif o.get("ename") == "KernelDied":
                out["kernel_restarts"] += 1
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder.worker")
    p.add_argument("course", type=Path)
    p.add_argument("chapter")
    p.add_argument("student")
    p.add_argument("--cell-timeout", type=int, default=120)
    p.add_argument("--uid", type=int, default=None, help="unprivileged uid for the kernel (root only)")
    p.add_argument("--data", default=None, help="data root the kernel may read")
    p.add_argument("--hide", action="append", default=[], help="folders the kernel must not see")
    p.add_argument("--mem-mb", type=int, default=6144)
    p.add_argument("--cpu-s", type=int, default=900)
    return p


def run_job(argv) -> int:
    args = parser().parse_args(argv)
    stage = prepare_stage(args)
    try:
        return grade(args, stage)
    except Exception as err:  # record, never crash the serving loop
        (args.course / "result.json").write_text(json.dumps({"autograde": {"success": False, "problems": [repr(err)],
                                                                          "error": repr(err)}}))
        return 1
    finally:
        from .sandbox import kill_uid
        kill_uid(args.uid)
        shutil.rmtree(stage, ignore_errors=True)


def serve(log_path: str) -> int:
    """Grade jobs read from stdin (one JSON argv list per line), answering on the original stdout.

    A long-lived worker pays for Python, nbgrader and nbconvert's templates once. Its own
    stdout and stderr (inherited by every kernel it starts) go to ``log_path``; answers go
    to a private copy of the original stdout that kernels never inherit."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    for line in sys.stdin:
        job = json.loads(line)
        rc = run_job(job["argv"])
        answers.write(json.dumps({"id": job["id"], "rc": rc}) + "\n")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve(argv[1])
    return run_job(argv)


def grade(args, stage: Path) -> int:
    from .nbconfig import api
    from .trusted import TrustedExecute

    TrustedExecute.chapter = args.chapter
    nbg = api(args.course, cell_timeout=args.cell_timeout, sandbox_ipc=str(stage / "ipc" / "k"))
    result = {"autograde": None, "feedback": None, "seconds": {}}
    start = time.perf_counter()
    auto = nbg.autograde(args.chapter, args.student, force=True, create=True)
    log = auto.get("log") or ""
    problems = [l for l in log.splitlines() if l.startswith("[ERROR]") or "Error:" in l or "Exception:" in l]
    result["autograde"] = {"success": auto["success"], "log": log[-4000:], "problems": problems[:40],
                           "error": (auto.get("error") or "")[-4000:]}
    result["seconds"]["autograde"] = round(time.perf_counter() - start, 3)
    if auto["success"]:
        result.update(read_scores(args.course, args.chapter, args.student))
        result["incidents"] = incidents(args.course / "autograded" / args.student / args.chapter / f"{args.chapter}.ipynb")
        start = time.perf_counter()
        fb = nbg.generate_feedback(args.chapter, args.student, force=True)
        result["seconds"]["feedback"] = round(time.perf_counter() - start, 3)
        result["feedback"] = {"success": fb["success"], "error": (fb.get("error") or "")[-2000:]}
    (args.course / "result.json").write_text(json.dumps(result, indent=1))
    return 0 if auto["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
