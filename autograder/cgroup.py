"""One control group per graded submission: limits the kernel enforces for the whole process tree.

* **pids**: at most ``Limits.nproc`` processes, so a fork bomb fails at its first forks, in
  milliseconds, whatever uid or namespace it runs in;
* **memory**: ``Limits.mem_mb`` for the whole tree (the tmpfs the submission writes to counts too);
* **cpu**: at most one core, with equal shares, so a CPU hog cannot starve a neighbour;
* **cpuacct**: the CPU time the submission used, which the cell timeouts count (a neighbour's load
  cannot make a cell run out of time).

Both layouts are supported: cgroup v1 (one hierarchy per controller under ``/sys/fs/cgroup/<controller>``,
as on this course's grading machines) and cgroup v2 (one unified hierarchy, as on current
distributions). Without either (no root, a container without write access) :func:`create` returns
None with the reason, and grading falls back to resource limits (the weaker mode, named in the summary).
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .limits import Limits

ROOT = Path(os.environ.get("COURSE_CGROUP_ROOT", "/sys/fs/cgroup"))
GROUP = "dl-course"
V1_CONTROLLERS = ("pids", "memory", "cpu", "cpuacct")


def layout() -> str | None:
    """'v2', 'v1' or None: which cgroup layout this machine offers to this (root) process."""
    if os.geteuid() != 0 or os.environ.get("COURSE_ISOLATION", "auto") == "off":
        return None
    if (ROOT / "cgroup.controllers").exists():
        needed = {"pids", "memory", "cpu"}
        return "v2" if needed <= set((ROOT / "cgroup.controllers").read_text().split()) else None
    if all((ROOT / c / "cgroup.procs").exists() for c in V1_CONTROLLERS):
        return "v1"
    return None


def describe() -> str:
    kind = layout()
    if kind is None:
        return "no cgroups (not root, or none writable): rlimits only, wall-clock cell timeouts"
    return f"cgroup {kind}: pids, memory and cpu per submission, cell timeouts in CPU seconds"


class Cgroup:
    """The control group(s) of one submission, by name (unique while its sandbox uid is claimed)."""

    def __init__(self, name: str, kind: str, controllers: tuple[str, ...] = V1_CONTROLLERS):
        self.name, self.kind, self.controllers = name, kind, controllers

    # ------------------------------------------------------------------ paths
    def _dir(self, controller: str) -> Path:
        if self.kind == "v2":
            return ROOT / GROUP / self.name
        return ROOT / controller / GROUP / self.name

    def _dirs(self) -> list[Path]:
        return [self._dir(c) for c in (("unified",) if self.kind == "v2" else self.controllers)]

    # ------------------------------------------------------------------ life cycle
    def setup(self, limits: Limits) -> "Cgroup":
        mem = str(limits.mem_mb << 20)
        if self.kind == "v2":
            parent = ROOT / GROUP
            parent.mkdir(exist_ok=True)
            for level in (ROOT, parent):  # let the controllers reach the submission's group
                try:
                    (level / "cgroup.subtree_control").write_text("+pids +memory +cpu")
                except OSError:
                    pass
            d = self._dir("unified")
            d.mkdir(exist_ok=True)
            (d / "pids.max").write_text(str(limits.nproc))
            (d / "memory.max").write_text(mem)
            _try_write(d / "memory.swap.max", "0")
            (d / "cpu.max").write_text("100000 100000")  # one core
        else:
            for c in V1_CONTROLLERS:
                self._dir(c).mkdir(parents=True, exist_ok=True)
            (self._dir("pids") / "pids.max").write_text(str(limits.nproc))
            (self._dir("memory") / "memory.limit_in_bytes").write_text(mem)
            _try_write(self._dir("memory") / "memory.memsw.limit_in_bytes", mem)
            (self._dir("cpu") / "cpu.cfs_period_us").write_text("100000")
            (self._dir("cpu") / "cpu.cfs_quota_us").write_text("100000")  # one core
        return self

    def setup_memory(self, mb: int) -> "Cgroup":
        """Only a memory limit (a grading worker's group: the grader's own processes)."""
        mem = str(mb << 20)
        if self.kind == "v2":
            parent = ROOT / GROUP
            parent.mkdir(exist_ok=True)
            for level in (ROOT, parent):
                _try_write(level / "cgroup.subtree_control", "+memory")
            d = self._dir("unified")
            d.mkdir(exist_ok=True)
            (d / "memory.max").write_text(mem)
            _try_write(d / "memory.swap.max", "0")
        else:
            d = self._dir("memory")
            d.mkdir(parents=True, exist_ok=True)
            (d / "memory.limit_in_bytes").write_text(mem)
            _try_write(d / "memory.memsw.limit_in_bytes", mem)
        return self

    def peak_mb(self) -> float:
        """The most memory the group has used at once so far, in MB (0 when unknown)."""
        name = "memory.peak" if self.kind == "v2" else "memory.max_usage_in_bytes"
        try:
            return int((self._dir("unified" if self.kind == "v2" else "memory") / name).read_text().split()[0]) / 2 ** 20
        except (OSError, ValueError, IndexError):
            return 0.0

    def add(self, pid: int) -> None:
        """Put ``pid`` (and so every process it starts) into the group(s)."""
        for d in self._dirs():
            (d / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        d = self._dirs()[0]
        try:
            return [int(p) for p in (d / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def _counter(self, controller: str, filename: str, key: str) -> int:
        """The value of ``key`` in a ``key value`` file of the group (0 when absent or unreadable)."""
        try:
            for line in (self._dir("unified" if self.kind == "v2" else controller) / filename).read_text().splitlines():
                if line.split()[:1] == [key]:
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def fork_failures(self) -> int:
        """How many forks the process limit has refused so far (``pids.events``)."""
        return self._counter("pids", "pids.events", "max")

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed so far."""
        if self.kind == "v2":
            return self._counter("memory", "memory.events", "oom_kill")
        return self._counter("memory", "memory.oom_control", "oom_kill")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used by every process of the group so far."""
        try:
            if self.kind == "v2":
                for line in (self._dir("unified") / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
                return 0.0
            return int((self._dir("cpuacct") / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return 0.0

    def kill(self, keep: tuple[int, ...] = ()) -> int:
        """SIGKILL every process of the group except ``keep``; returns how many were signalled."""
        killed = 0
        for _ in range(20):  # a fork bomb may fork while we kill: repeat until nothing is left
            left = [p for p in self.pids() if p not in keep]
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        return killed

    def remove(self) -> None:
        self.kill()
        for d in self._dirs():
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    time.sleep(0.02)


def _try_write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass


def sweep(kind: str) -> list[str]:
    """Remove the groups of grading processes that are gone (``<pid>-<uid>``, pid no longer alive,
    no process left inside): a grader killed with SIGKILL cannot remove its own. Returns their names."""
    parent = ROOT / GROUP if kind == "v2" else ROOT / "memory" / GROUP
    gone = []
    for d in (parent.iterdir() if parent.is_dir() else ()):
        owner = d.name.split("-", 1)[0]
        if not d.is_dir() or not owner.isdigit() or Path(f"/proc/{owner}").exists():
            continue
        whole = kind == "v2" or (ROOT / "pids" / GROUP / d.name).is_dir()  # a worker's group has memory only
        group = Cgroup(d.name, kind, controllers=V1_CONTROLLERS if whole else ("memory",))
        if not group.pids():
            group.remove()
            gone.append(d.name)
    return gone


def create(name: str, limits: Limits) -> Cgroup | None:
    """A fresh control group for one submission, or None where the machine has none to give."""
    kind = layout()
    if kind is None:
        return None
    sweep(kind)
    group = Cgroup(name, kind)
    try:
        return group.setup(limits)
    except OSError:
        group.remove()
        return None


def create_memory(name: str, mb: int) -> Cgroup | None:
    """A fresh group with only a memory limit of ``mb`` (for a grading worker), or None."""
    kind = layout()
    if kind is None:
        return None
    sweep(kind)
    group = Cgroup(name, kind, controllers=("memory",))
    try:
        return group.setup_memory(mb)
    except OSError:
        group.remove()
        return None


def attach(name: str) -> Cgroup | None:
    """The existing group ``name`` (created by the trusted parent), or None."""
    kind = layout()
    if kind is None or not name:
        return None
    group = Cgroup(name, kind)
    return group if group._dirs()[0].is_dir() else None


def sandbox_pids(group: Cgroup) -> tuple[int | None, tuple[int, ...]]:
    """(the kernel's pid, the pids that make up its sandbox) among the group's processes.

    The sandbox is the launcher (outside the PID namespace), the namespace's init (pid 1 inside)
    and the kernel (pid 2 inside); every other process of the group is something a cell started."""
    kernel, keep = None, []
    for pid in group.pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        ns = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
        if len(ns) <= 1 or ns[-1] in ("1", "2"):
            keep.append(pid)
            if len(ns) > 1 and ns[-1] == "2":
                kernel = pid
    return kernel, tuple(keep)
