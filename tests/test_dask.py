"""Grading on a Dask cluster: a real `dask scheduler` and two `dask worker` processes on the
loopback interface grade a class exactly as the local pool does, lose no row when a worker is
killed mid-run, and a worker whose course differs refuses to grade."""
import csv
import json
import os
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
from autograder.dask_grading import LoopbackCluster as Cluster
from autograder.limits import SELFTEST
from test_runners import without_seconds


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


@pytest.fixture(scope="module")
def graded_locally(tmp_path_factory):
    """The class of 20 and its grades from the local pool (seed 3), for both cluster tests."""
    folder = tmp_path_factory.mktemp("class")
    write_class(folder / "class")
    return folder / "class", read_rows(grade_folder(folder / "class", folder / "local", workers=2, limits=SELFTEST,
                                                    seed=3).csv_path)


def test_a_dask_cluster_grades_as_the_local_pool(cluster, graded_locally, tmp_path):
    students, local = graded_locally
    remote = grade_folder(students, tmp_path / "dask", limits=SELFTEST, seed=3, scheduler=cluster.address)
    assert read_rows(remote.csv_path) == local
    assert len(read_rows(remote.csv_path)) == 20
    for row in remote.rows:
        assert (tmp_path / "dask" / "feedback" / row.student / f"{row.chapter}.html").exists()
        assert (tmp_path / "dask" / "autograded" / row.student / row.chapter / f"{row.chapter}.ipynb").exists()
    assert '"scheduler": "tcp://127.0.0.1' in (tmp_path / "dask" / "run.json").read_text()


def test_a_worker_killed_mid_run_loses_no_row(cluster, graded_locally, tmp_path):
    students, local = graded_locally
    result = {}
    run = threading.Thread(target=lambda: result.setdefault(
        "report", grade_folder(students, tmp_path / "dask", limits=SELFTEST, seed=3, scheduler=cluster.address)))
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
    cluster.kill(cluster.workers["w0"])
    run.join(timeout=900)
    assert not run.is_alive()
    rows = read_rows(result["report"].csv_path)
    assert len(rows) == 20 and len({(r["student_id"], r["assignment"]) for r in rows}) == 20
    assert rows == local


def test_a_submission_that_takes_down_every_worker_it_lands_on_ends_as_an_error_row(graded_locally, tmp_path):
    """Whatever kills a worker while one submission is graded (here the test, with SIGKILL, each
    time a worker picks that submission up), Dask reruns it elsewhere up to its allowed failures
    (1 here), then the submission is an error row; the others are graded as locally."""
    import shutil

    students, local = graded_locally
    picked = sorted(p.name for p in students.iterdir())[:4]
    for name in picked:
        shutil.copytree(students / name, tmp_path / "class" / name)
    victim = picked[0]
    cluster = Cluster(2, tmp_path / "logs", env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"})
    try:
        result = {}
        run = threading.Thread(target=lambda: result.setdefault("report", grade_folder(
            tmp_path / "class", tmp_path / "dask", limits=SELFTEST, seed=3, scheduler=cluster.address)))
        run.start()
        kills = 0
        from distributed import Client
        with Client(cluster.address) as client:
            deadline = time.time() + 600
            while run.is_alive() and time.time() < deadline:
                names = {addr: w["name"] for addr, w in client.scheduler_info()["workers"].items()}
                for addr, keys in client.processing().items():
                    if any(f"-{victim}-" in str(k) for k in keys) and addr in names:
                        time.sleep(1)  # let its grading start
                        cluster.kill(cluster.workers[names[addr]])
                        cluster.add_worker()
                        kills += 1
                run.join(timeout=0.3)
        run.join(timeout=60)
        assert not run.is_alive()
    finally:
        cluster.close()
    assert kills == 2
    rows = {(r["student_id"], r["assignment"]): r for r in read_rows(result["report"].csv_path)}
    assert len(rows) == 4
    (victim_row,) = [r for (student, _), r in rows.items() if student == victim]
    assert victim_row["status"].startswith("error") and "no Dask worker could grade it" in victim_row["status"], victim_row
    assert float(victim_row["max_score"]) == sum(chapters.load(victim_row["assignment"]).points.values())
    # the same grades as locally; the flags may differ: "identical to" names the others of this smaller class
    without_flags = lambda row: {k: v for k, v in row.items() if k != "flags"}
    for r in local:
        if r["student_id"] in picked[1:]:
            assert without_flags(rows[(r["student_id"], r["assignment"])]) == without_flags(r)


def test_a_worker_with_another_course_refuses_to_grade(tmp_path):
    from autograder.dask_grading import course_fingerprint, grade_remote

    chapter = chapters.released()[0]
    result = grade_remote("0123456789ab:not-this-course", "ann", chapter, b"{}", SELFTEST.to_json(), 0)
    assert result["status"] == Status.ERROR.value
    assert "0123456789ab:not-this-course" in result["detail"] and course_fingerprint() in result["detail"]
    assert "same commit" in result["detail"]


def _widest_smoke_sweep():
    """The chapter whose smoke profile splits into the most independent parts, and that number."""
    import importlib

    widths = {}
    for chapter in chapters.names():
        exp = importlib.import_module(f"solutions.{chapter}.experiment")
        if hasattr(exp, "split"):
            widths[chapter] = len(exp.split(importlib.import_module(f"solutions.{chapter}.config").PROFILES["smoke"]))
    chapter = max(widths, key=widths.get)
    return chapter, widths[chapter]


def test_a_runner_spreads_its_sweep_over_the_workers_and_writes_the_local_result(tmp_path):
    """``python -m solutions.<chapter> --scheduler`` for the widest smoke sweep (several independent
    parts) on two workers that each advertise one GPU (here trained on the CPU: --device cpu): the
    same result and figures as a local run."""
    chapter, parts = _widest_smoke_sweep()
    assert parts >= 2
    args = ["--profile", "smoke", "--device", "cpu", "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as on the workers
    c = Cluster(2, tmp_path, resources="GPU=1")
    try:
        remote = subprocess.run([sys.executable, "-m", f"solutions.{chapter}", *args, "--out", str(tmp_path / "dask"),
                                 "--scheduler", c.address], capture_output=True, text=True, env=env, timeout=900)
        assert remote.returncode == 0, remote.stdout[-2000:] + remote.stderr[-3000:]
        assert f"{parts} independent part(s) on 2 Dask worker(s), one GPU each" in remote.stdout
    finally:
        c.close()
    local = subprocess.run([sys.executable, "-m", f"solutions.{chapter}", *args, "--out", str(tmp_path / "local")],
                           capture_output=True, text=True, env=env, timeout=900)
    assert local.returncode == 0, local.stderr[-3000:]
    results = [json.loads((tmp_path / where / "result.json").read_text()) for where in ("dask", "local")]
    assert without_seconds(results[0]) == without_seconds(results[1])
    assert sorted(p.name for p in (tmp_path / "dask").glob("*.png")) == sorted(p.name for p in (tmp_path / "local").glob("*.png"))


def test_a_runner_part_refuses_a_worker_with_another_course():
    from solutions.cluster import CourseMismatch, run_part

    chapter, _ = _widest_smoke_sweep()
    with pytest.raises(CourseMismatch, match="same commit"):
        run_part("0123456789ab:not-this-course", chapter, None, "cpu", None)
