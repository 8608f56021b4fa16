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

import atexit
import shutil
import tempfile
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

from solutions.cluster import course_fingerprint

from .grading import Row, Status, Submission, _chapter_points, check_canaries, grade_one, prepare_template, \
    read_or_malformed, worker_env, WorkerSlot, write_canaries
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


_local = threading.local()


def _thread_slot() -> WorkerSlot:
    """This Dask worker thread's grading process (``python -m autograder.worker --serve``), started
    once and kept for the next tasks, as the local pool keeps one per worker: a fresh one per task
    cost about 4 s of imports for every notebook. A job that overruns or kills it gets a fresh one."""
    slot = getattr(_local, "slot", None)
    if slot is None:
        logs = Path(tempfile.mkdtemp(prefix="dask-grader-"))
        slot = _local.slot = WorkerSlot(logs / "worker.log", worker_env(1))
        atexit.register(shutil.rmtree, logs, ignore_errors=True)
        atexit.register(slot.close)  # atexit runs last-registered first: the slot closes, then its folder goes
    return slot


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
        slot = _thread_slot()
        slot.memory_mb = limits.grader_mb  # the worker's own memory limit (its control group, made at its start)
        row = grade_one(Submission(student, chapter, path), template, work, work / "out", limits, slot,
                        hide=(folder,), seed=seed)
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
    # a key of this run's own: Dask shares a task between clients that name the same key, so two
    # runs on one cluster (another class, the same class with another seed) must never meet
    run = uuid.uuid4().hex[:12]
    with Client(scheduler, timeout="60s") as client:

        unread: list[Row] = []

        def submit(batch: list[Submission]):
            futures = {}
            for i, s in enumerate(batch):
                notebook, unreadable = read_or_malformed(s)  # read here, without links; a worker gets bytes, never a path
                if unreadable is not None:
                    unread.append(unreadable)
                    continue
                futures[client.submit(grade_remote, fingerprint, s.student, s.chapter, notebook, limits.to_json(), seed,
                                      pure=False, key=f"grade-{run}-{s.student}-{s.chapter}-{i}")] = s
            return futures

        def collect(futures) -> list[Row]:
            rows, unread[:] = list(unread), []
            for future in as_completed(list(futures)):
                sub = futures[future]
                try:
                    rows.append(_store(future.result(), out))
                except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: the submission took down every worker
                    rows.append(Row(sub.student, sub.chapter, status=Status.ERROR, max_score=_chapter_points(sub.chapter),
                                    detail=f"no Dask worker could grade it: {type(err).__name__}: {str(err)[:160]}"))
            return sorted(rows, key=lambda r: (r.student, r.chapter))

        if canary:
            check_canaries(collect(submit(write_canaries(sorted({s.chapter for s in subs}), work / "canary"))))
            from .grading import CANARY
            shutil.rmtree(out / "feedback" / CANARY, ignore_errors=True)
            shutil.rmtree(out / "autograded" / CANARY, ignore_errors=True)
        return collect(submit(subs))


class LoopbackCluster:
    """A real ``dask scheduler`` and ``n`` ``dask worker`` processes (one thread each) on 127.0.0.1,
    started with the same commands an instructor runs on a cluster; for the tests and the benchmark.
    ``resources`` (e.g. ``"GPU=1"``) is passed to every worker. Each process is in its own process
    group, so ``kill(worker)`` ends it and whatever it started."""

    def __init__(self, n: int, log: Path, resources: str | None = None, timeout: float = 120, env: dict | None = None):
        import os
        import socket
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address, self.log, self.resources = f"tcp://127.0.0.1:{port}", Path(log), resources
        self.log.mkdir(parents=True, exist_ok=True)
        # a temporary folder of the cluster's own: close() kills the processes, so nothing they
        # leave in it (a killed worker's grading folder, Dask's scratch space) outlives the cluster
        self._tmp = Path(tempfile.mkdtemp(prefix="dask-cluster-"))
        # one task at a time per worker thread (Dask's default queues 10 % more on each worker): when
        # a worker dies, only the submission it was grading is held against it
        self._env = {**os.environ, "OMP_NUM_THREADS": "1", "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
                     "TMPDIR": str(self._tmp), "DASK_TEMPORARY_DIRECTORY": str(self._tmp), **(env or {})}
        self._dask = str(Path(sys.executable).parent / "dask")
        self.scheduler = self._spawn([self._dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--no-dashboard"], "scheduler")
        self.workers: dict[str, object] = {}
        for _ in range(n):
            self.add_worker()
        try:
            from distributed import Client
            with Client(self.address, timeout="60s") as client:
                client.wait_for_workers(n, timeout=timeout)
        except BaseException:
            self.close()
            raise

    def add_worker(self) -> str:
        """Start one more worker; returns its name."""
        name = f"w{len(self.workers)}"
        self.workers[name] = self._spawn([self._dask, "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                          "--no-dashboard", "--no-nanny", "--death-timeout", "60", "--name", name,
                                          *(["--resources", self.resources] if self.resources else [])], name)
        return name

    def _spawn(self, argv, name):
        import subprocess
        return subprocess.Popen(argv, stdout=open(self.log / f"{name}.log", "w"), stderr=subprocess.STDOUT,
                                start_new_session=True, env=self._env)

    @staticmethod
    def kill(proc) -> None:
        import os
        import signal
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            self.kill(proc)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "LoopbackCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
