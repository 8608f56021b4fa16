"""Grading past one machine: every submission one task on a Dask cluster.

``python -m autograder grade SUBMISSIONS --out DIR --scheduler tcp://HOST:8786`` sends each
notebook (its bytes, not a path) to a Dask worker that has the course installed. The worker
grades it exactly as the local path does (:func:`autograder.grading.grade_one`: its own course
folder, the sandbox, the uid lock, the control group, the trusted checks) in a private
temporary folder, and returns the row with the feedback page and the autograded notebook. The
trusted parent then writes everything with its one writer: ``grades.csv``, the feedback pages,
the class gradebook.

Fault tolerance is Dask's: a task whose worker dies is rerun on another worker (the
scheduler's ``allowed-failures``); a submission that kills every worker it lands on ends as a
row with an error status. A worker whose course differs from the parent's (another commit, a
local edit) refuses to grade, and its row says so.

Nothing here is imported on the local path.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from solutions.cluster import course_fingerprint

from .grading import Row, Status, Submission, check_canaries, grade_one, prepare_template, worker_env, WorkerSlot, \
    write_canaries
from .limits import Limits

def row_to_dict(row: Row) -> dict:
    data = asdict(row)
    data["status"] = row.status.value
    data["feedback"] = None
    return data


def row_from_dict(data: dict) -> Row:
    data = dict(data)
    data["status"] = Status(data["status"])
    data["feedback"] = None
    return Row(**data)


def grade_remote(fingerprint: str, student: str, chapter: str, notebook: bytes, limits_json: str, seed: int) -> dict:
    """Run on a Dask worker: grade one notebook as the local path does; returns the row as a dict
    with ``feedback_html`` and ``autograded`` (bytes or None)."""
    mine = course_fingerprint()
    if mine != fingerprint:
        row = Row(student, chapter, status=Status.ERROR,
                  detail=f"the Dask worker's course ({mine}) differs from the grader's ({fingerprint}): "
                         "install the same commit on every worker")
        return {**row_to_dict(row), "feedback_html": None, "autograded": None}
    limits = Limits.from_json(limits_json)
    work = Path(tempfile.mkdtemp(prefix="dask-grade-"))
    try:
        folder = work / "submission"
        folder.mkdir()
        path = folder / f"{chapter}.ipynb"
        path.write_bytes(notebook)
        template = prepare_template([chapter], work)
        slot = WorkerSlot(work / "worker.log", worker_env(1))
        try:
            row = grade_one(Submission(student, chapter, path), template, work, work / "out", limits, slot,
                            hide=(folder,), seed=seed)
        finally:
            slot.close()
        feedback = work / "out" / "feedback" / student / f"{chapter}.html"
        graded = work / "out" / "autograded" / student / chapter / f"{chapter}.ipynb"
        return {**row_to_dict(row), "feedback_html": feedback.read_bytes() if feedback.exists() else None,
                "autograded": graded.read_bytes() if graded.exists() else None}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _store(result: dict, out: Path) -> Row:
    """The parent's single writer: the feedback page and the autograded notebook into ``out``."""
    row = row_from_dict({k: v for k, v in result.items() if k not in ("feedback_html", "autograded")})
    if result.get("feedback_html") is not None:
        dest = out / "feedback" / row.student / f"{row.chapter}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(result["feedback_html"])
        row.feedback = dest
    if result.get("autograded") is not None:
        dest = out / "autograded" / row.student / row.chapter / f"{row.chapter}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(result["autograded"])
    return row


def grade_on_cluster(subs: list[Submission], out: Path, scheduler: str, limits: Limits, seed: int,
                     canary: bool = True, work: Path | None = None) -> list[Row]:
    """Grade ``subs`` through the Dask scheduler at ``scheduler``; one row per submission, always."""
    from distributed import Client, as_completed

    out = Path(out)
    work = work or out / "work"
    fingerprint = course_fingerprint()
    with Client(scheduler, timeout="60s") as client:

        def submit(batch: list[Submission]):
            return {client.submit(grade_remote, fingerprint, s.student, s.chapter, Path(s.path).read_bytes(),
                                  limits.to_json(), seed, pure=False, key=f"grade-{s.student}-{s.chapter}-{i}"): s
                    for i, s in enumerate(batch)}

        def collect(futures) -> list[Row]:
            rows = []
            for future in as_completed(list(futures)):
                sub = futures[future]
                try:
                    rows.append(_store(future.result(), out))
                except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: the submission took down every worker
                    rows.append(Row(sub.student, sub.chapter, status=Status.ERROR,
                                    detail=f"no Dask worker could grade it: {type(err).__name__}: {str(err)[:160]}"))
            return sorted(rows, key=lambda r: (r.student, r.chapter))

        if canary:
            check_canaries(collect(submit(write_canaries(sorted({s.chapter for s in subs}), work / "canary"))))
            from .grading import CANARY
            shutil.rmtree(out / "feedback" / CANARY, ignore_errors=True)
            shutil.rmtree(out / "autograded" / CANARY, ignore_errors=True)
        return collect(submit(subs))
