"""The kernel sandbox: what a student's code can and cannot reach while it is graded."""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import ROOT, cgroup
from autograder.limits import Limits
from autograder.sandbox import address_space_mb

PROBE = r'''
import importlib.util, json, os, resource, socket, subprocess
out = {"uid": os.getuid(), "cwd": os.getcwd(), "root_listing": sorted(os.listdir(ROOT)),
       "tmp_listing": sorted(os.listdir("/tmp")), "solutions": importlib.util.find_spec("solutions") is not None,
       "autograder": importlib.util.find_spec("autograder") is not None,
       "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0], "as": resource.getrlimit(resource.RLIMIT_AS)[0]}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1); out["loopback"] = True
except OSError:
    out["loopback"] = False
try:
    socket.getaddrinfo("pypi.org", 443); out["dns"] = True
except OSError:
    out["dns"] = False
try:
    open(os.path.join(ROOT, "solutions", "x.py"), "w"); out["write_repo"] = True
except OSError:
    out["write_repo"] = False
for name, path in (("other_submission", OTHER), ("data_write", os.path.join(os.environ["COURSE_DATA"], "x"))):
    try:
        with open(path, "a") as fh:
            fh.write("written by the kernel")
        out[name] = "writable"
    except FileNotFoundError:
        out[name] = "invisible"
    except OSError:  # EACCES, EROFS
        out[name] = "read-only"
with open("written_by_kernel.txt", "w") as fh:
    fh.write("mine")
out["mine"] = open("mine.txt").read()
out["procs"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["pid"] = os.getpid()
out["data"] = sorted(os.listdir(os.environ["COURSE_DATA"]))
import coursekit
out["coursekit"] = coursekit.__file__
print("RESULT" + json.dumps(out))
'''


def isolation_available() -> bool:
    return os.geteuid() == 0 and subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not isolation_available(), reason="needs root and namespaces (the weaker mode is used otherwise)")
def test_kernel_sees_only_its_folder_the_data_and_the_student_library(tmp_path):
    stage = Path(f"/tmp/ag-test-{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    for sub in ("ipc", "runtime", "site", "home", "tmp"):
        (stage / sub).mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.txt").write_text("my file")
    data = tmp_path / "data"
    (data / "FashionMNIST").mkdir(parents=True)
    others = tmp_path / "submissions"
    (others / "bob").mkdir(parents=True)
    secret = others / "bob" / "other_student.ipynb"
    secret.write_text("{}")
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder.sandbox", "--stage", str(stage), "--root", str(ROOT),
                               "--data", str(data), "--uid", "61777", "--hide", str(others),
                               "--limits", Limits().to_json(), "--",
                               sys.executable, "-c", f"ROOT = {str(ROOT)!r}\nOTHER = {str(secret)!r}\n" + PROBE],
                              cwd=work, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, proc.stdout + proc.stderr
    out = json.loads(line[len("RESULT"):])
    assert out["uid"] == 61777
    assert out["root_listing"] == [".venv", "coursekit"]  # no source/, solutions/, autograder/, .git, _build
    # other runs' staging folders are invisible; only this run's and the way to the kept repository are there
    kept = {Path(p).relative_to("/tmp").parts[0] for p in (str(ROOT), os.path.realpath(sys.base_prefix))
            if Path(p).is_relative_to("/tmp")}
    assert set(out["tmp_listing"]) == {stage.name} | kept
    assert not out["solutions"] and not out["autograder"]
    assert not out["loopback"] and not out["dns"]
    assert not out["write_repo"]
    assert out["data"] == ["FashionMNIST"]
    assert out["coursekit"].startswith(str(ROOT / "coursekit"))
    assert out["nproc"] == Limits().nproc and out["as"] == Limits().mem_mb << 20
    assert not (ROOT / "solutions" / "x.py").exists()
    assert out["other_submission"] == "invisible" and secret.read_text() == "{}"  # another submission is hidden
    assert out["data_write"] == "read-only" and not (data / "x").exists()
    assert out["mine"] == "my file"  # its own folder, copied into the size-limited writable area
    assert not (work / "written_by_kernel.txt").exists()  # what it writes stays in that area
    assert out["pid"] == 2 and out["procs"] == [1, 2], out["procs"]  # its own PID namespace: init and itself


MEMORY_HOG = '''
import mmap, sys
reserved = mmap.mmap(-1, 2 << 30)  # 2 GB of address space, never touched: costs no memory
print("reserved", flush=True)
hog = []
while True:
    hog.append(bytearray(32 << 20))  # touched: counted by the memory cgroup
    print("held", len(hog) * 32, flush=True)
'''


@pytest.mark.skipif(cgroup.layout() is None, reason="needs root and writable cgroups (the weaker mode is used otherwise)")
def test_memory_limit_is_the_memory_used_not_the_address_space(tmp_path):
    """With a memory cgroup the limit is what the submission touches, and a hog ends the same way
    every time (killed at the limit); address space it only reserves is not counted (an
    address-space limit made a cell after a memory bomb pass or fail by chance)."""
    limits = Limits(mem_mb=256)
    assert address_space_mb(limits, memory_cgroup=True) > 2048 + 256 and address_space_mb(limits, memory_cgroup=False) == 256
    ends = []
    for attempt in range(2):
        group = cgroup.create(f"test-mem-{os.getpid()}-{attempt}", limits)
        try:
            proc = subprocess.run([sys.executable, "-m", "autograder.sandbox", "--stage", str(tmp_path), "--root", str(ROOT),
                                   "--cgroup", group.name, "--limits", limits.to_json(), "--",
                                   sys.executable, "-c", MEMORY_HOG], capture_output=True, text=True, timeout=120)
        finally:
            group.remove()
        held = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("held")]
        assert proc.stdout.startswith("reserved"), proc.stdout[-500:] + proc.stderr[-2000:]
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr[-2000:])  # killed, not a MemoryError
        assert 128 <= max(held) <= 256, held
        ends.append(proc.returncode)
    assert ends[0] == ends[1]


@pytest.mark.skipif(cgroup.layout() is None, reason="needs root and writable cgroups")
def test_groups_left_by_a_killed_grader_are_removed():
    """A grader killed with SIGKILL leaves its submission's group behind; the next one removes it
    (and never a group whose grading process is alive)."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = cgroup.create(f"{os.getpid()}-99998", Limits())
    left = cgroup.create(f"{dead.pid}-99999", Limits())
    try:
        assert left._dirs()[0].is_dir()
        assert f"{dead.pid}-99999" in cgroup.sweep(cgroup.layout())
        assert not any(d.exists() for d in left._dirs())
        assert alive._dirs()[0].is_dir()
    finally:
        left.remove()
        alive.remove()
