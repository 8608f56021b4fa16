"""Experiment sweeps on a Dask cluster: ``python -m solutions.<chapter> --scheduler tcp://HOST:8786``.

A chapter's experiment can be cut into independent parts (its ``split(hp)``: one seed, one
batch size, one group of strategies), each an ordinary run of the chapter's own ``run()`` on a
smaller configuration, and put back together (its ``merge(hp, device, parts, seconds)``) into
the result a local run gives: the same table and figures. Here each part is one Dask task:

* the task checks that the worker holds the same course as the caller (:func:`course_fingerprint`)
  and refuses otherwise;
* it picks the worker's own device (``--device auto``: the worker's GPU when it has one) and
  reads the worker's data root (``$COURSE_DATA`` there) unless ``--data`` names one;
* when every worker advertises a ``GPU`` resource (``dask worker ... --resources GPU=1``), each
  task asks for one, so a worker trains one part at a time on its GPU;
* a worker that dies has its part rerun elsewhere by the scheduler (Dask's ``allowed-failures``).

Nothing here is imported by a local run.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from coursekit.device import pick_device

ROOT = Path(__file__).resolve().parent.parent
# what a worker must hold byte for byte to compute like the caller: the grader, the checks, the
# student library, the reference solutions and the notebooks
FINGERPRINTED = ("autograder", "coursekit", "solutions", "source", "release", "pyproject.toml")


@functools.lru_cache(maxsize=1)
def course_fingerprint(root: Path = ROOT) -> str:
    """A hash of the course's code and notebooks (see :data:`FINGERPRINTED`), with its git commit when known."""
    digest = hashlib.sha256()
    for name in FINGERPRINTED:
        base = root / name
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    return f"{commit or 'no-git'}:{digest.hexdigest()[:16]}"


class CourseMismatch(RuntimeError):
    """The Dask worker's course is not the caller's."""


def refuse_unless_same_course(fingerprint: str) -> None:
    mine = course_fingerprint()
    if mine != fingerprint:
        raise CourseMismatch(f"the Dask worker's course ({mine}) differs from the caller's ({fingerprint}): "
                             "install the same commit on every worker")


def run_part(fingerprint: str, chapter: str, hp, device: str, root: str | None):
    """Run on a Dask worker: one part of a chapter's experiment, on the worker's own device."""
    refuse_unless_same_course(fingerprint)
    experiment = importlib.import_module(f"solutions.{chapter}.experiment")
    result = experiment.run(hp, pick_device(device), root=root, progress=False)
    slim = getattr(result, "without_data", None)  # what the table and figures need, not the dataset
    return slim() if slim else result


def _gpu_workers(client) -> bool:
    workers = client.scheduler_info().get("workers", {}).values()
    return bool(workers) and all("GPU" in (w.get("resources") or {}) for w in workers)


@contextlib.contextmanager
def local_cluster(workers: int | None):
    """The address of a local Dask cluster of ``workers`` processes with one thread each (Dask's
    nannies give each ``OMP_NUM_THREADS=1``, so two workers use two cores, not four), closed on
    exit; ``None`` when ``workers`` is falsy (the caller names its own scheduler)."""
    if not workers:
        yield None
        return
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster:
        yield cluster.scheduler_address


def run_on_cluster(chapter: str, hp, *, scheduler: str, device: str = "auto", root: str | None = None,
                   split: Callable[[Any], list] | None = None, merge: Callable[..., Any] | None = None,
                   progress: bool = True):
    """The chapter's result, its parts (``split(hp)``) computed on the cluster at ``scheduler``
    and put together by ``merge(hp, device, parts, seconds)``; a chapter without ``split`` is one part."""
    from distributed import Client, as_completed
    from tqdm.auto import tqdm

    start = time.perf_counter()
    parts = split(hp) if split else [hp]
    fingerprint = course_fingerprint()
    run = uuid.uuid4().hex[:12]  # keys of this run's own: Dask shares a task between clients that name the same key
    with Client(scheduler, timeout="60s") as client:
        resources = {"GPU": 1} if _gpu_workers(client) else None
        futures = [client.submit(run_part, fingerprint, chapter, part, device, root, pure=False,
                                 resources=resources, key=f"{chapter}-{run}-part-{i}") for i, part in enumerate(parts)]
        print(f"{len(parts)} independent part(s) on {len(client.scheduler_info().get('workers', {}))} Dask worker(s)"
              f"{', one GPU each' if resources else ''}")
        for _ in tqdm(as_completed(futures), total=len(futures), desc="parts", disable=not progress):
            pass
        results = client.gather(futures)  # raises the first part's error (CourseMismatch, a missing dataset...)
    seconds = time.perf_counter() - start
    if merge is None:
        (result,) = results
        return result
    return merge(hp, results[0].device, results, seconds)
