"""Grading on a Dask cluster: a real `dask scheduler` and two `dask worker` processes on the
loopback interface grade a class exactly as the local pool does, lose no row when a worker is
killed mid-run, and a worker whose course differs refuses to grade."""
import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder import chapters
from autograder.demo import demo_notebooks
from autograder.grading import Status, grade_folder
from autograder.limits import SELFTEST

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and ``n`` single-threaded workers, each in its own process group."""

    def __init__(self, n: int, log: Path):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.log = log
        self.scheduler = self._spawn([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                      "--port", self.address.rsplit(":", 1)[1], "--no-dashboard"], "scheduler")
        self.workers = [self._spawn([str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                     "--no-dashboard", "--no-nanny", "--death-timeout", "60",
                                     "--name", f"w{i}"], f"worker{i}") for i in range(n)]
        from distributed import Client
        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(n, timeout=120)

    def _spawn(self, argv, name):
        return subprocess.Popen(argv, stdout=open(self.log / f"{name}.log", "w"), stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"})

    def kill(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def close(self):
        for proc in self.workers + [self.scheduler]:
            self.kill(proc)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(2, tmp_path)
    yield c
    c.close()


def write_class(folder: Path, n: int = 20) -> None:
    demo = demo_notebooks(chapters.released()[:1])
    for i in range(n):
        student, chapter, nb = demo[i % len(demo)]
        path = folder / f"{student}-{i:02d}" / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))


def read_rows(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


pytestmark = pytest.mark.slow


def test_a_dask_cluster_grades_as_the_local_pool(cluster, tmp_path):
    write_class(tmp_path / "class")
    local = grade_folder(tmp_path / "class", tmp_path / "local", workers=2, limits=SELFTEST, seed=3)
    remote = grade_folder(tmp_path / "class", tmp_path / "dask", limits=SELFTEST, seed=3, scheduler=cluster.address)
    assert read_rows(remote.csv_path) == read_rows(local.csv_path)
    assert len(read_rows(remote.csv_path)) == 20
    for row in remote.rows:
        assert (tmp_path / "dask" / "feedback" / row.student / f"{row.chapter}.html").exists()
        assert (tmp_path / "dask" / "autograded" / row.student / row.chapter / f"{row.chapter}.ipynb").exists()
    assert '"scheduler": "tcp://127.0.0.1' in (tmp_path / "dask" / "run.json").read_text()


def test_a_worker_killed_mid_run_loses_no_row(cluster, tmp_path):
    write_class(tmp_path / "class")
    local = grade_folder(tmp_path / "class", tmp_path / "local", workers=2, limits=SELFTEST, seed=4)
    result = {}
    run = threading.Thread(target=lambda: result.setdefault(
        "report", grade_folder(tmp_path / "class", tmp_path / "dask", limits=SELFTEST, seed=4, scheduler=cluster.address)))
    run.start()
    from distributed import Client
    with Client(cluster.address) as client:  # wait until the students' tasks are running on both workers
        deadline = time.time() + 300
        while time.time() < deadline:
            processing = client.processing()
            if sum(1 for keys in processing.values() for k in keys if "course-canary" not in str(k)) >= 2:
                break
            time.sleep(0.5)
    time.sleep(3)
    cluster.kill(cluster.workers[0])
    run.join(timeout=900)
    assert not run.is_alive()
    rows = read_rows(result["report"].csv_path)
    assert len(rows) == 20 and len({(r["student_id"], r["assignment"]) for r in rows}) == 20
    assert rows == read_rows(local.csv_path)


def test_a_worker_with_another_course_refuses_to_grade(tmp_path):
    from autograder.dask_grading import course_fingerprint, grade_remote

    chapter = chapters.released()[0]
    result = grade_remote("0123456789ab:not-this-course", "ann", chapter, b"{}", SELFTEST.to_json(), 0)
    assert result["status"] == Status.ERROR.value
    assert "0123456789ab:not-this-course" in result["detail"] and course_fingerprint() in result["detail"]
    assert "same commit" in result["detail"]
