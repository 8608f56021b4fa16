"""The kernel launcher that confines a student's notebook (``python -m autograder.sandbox``).

The grading worker starts each student kernel through this module (it is the first word of
a private kernelspec). Running as root, before it ``exec``s ipykernel it:

0. joins the submission's **control group** (:mod:`autograder.cgroup`, created by the trusted
   parent): processes, memory of the whole tree and CPU share are capped by the kernel, and
   the cell timeouts count the group's CPU time;
1. enters new **mount, network, IPC and PID namespaces**: the kernel has no network at all
   (not even loopback) and talks to the worker over Unix sockets (ZeroMQ ``ipc`` transport) in
   its private staging folder; it sees only its own processes in ``/proc``; an init process
   of ours is pid 1 of the namespace, so every process the kernel forks dies with it;
2. hides the course: an empty tmpfs is mounted over every top-level folder but the system
   ones (``/usr``, ``/etc``, ``/lib``...), so ``/tmp``, ``/root``, ``/home``, ``/work``,
   ``/opt``, ``/var``... and any other copy of the course disappear, and over the repository
   root, the submissions and the grading output wherever they are. Bound back, at the same
   paths: the Python installation, ``.venv`` and the student library ``coursekit``
   (read-only), the staging folder and a read-only data root. The working folder, ``HOME``
   and ``TMPDIR`` live on one tmpfs of ``Limits.disk_mb``: the total a submission can write;
3. sets resource limits: CPU seconds, file size, open files, no core dumps, a process count,
   and an address space (the memory limit itself only without a cgroup; with one, a generous
   backstop, see :func:`address_space_mb`);
4. drops to an unprivileged uid of its own (one per submission, claimed by :mod:`autograder.uids`),
   so the process limit holds, files outside its folder are read-only, and every process it
   leaves can be killed by uid afterwards.

Without root or namespaces (an instructor's laptop, a container that forbids ``unshare``)
it falls back to the **weaker mode**: resource limits only, same user, network and files
visible; grading then relies on the trusted checks (:mod:`autograder.trusted`) and the
import blocker, and the run's summary says so.
"""
from __future__ import annotations

import argparse
import ctypes
import functools
import os
import resource
import shutil
import signal
import sys

from .limits import Limits

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x40000000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
# top-level folders the kernel keeps (read-only system files); every other one is hidden
SYSTEM_DIRS = {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc", "dev", "proc", "sys", "run"}


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype=None, flags=0, data=None):
    _check(_libc.mount(src.encode() if src else None, target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {src} {target}")


def _bind(src, target, readonly=False):
    _mount(src, target, None, MS_BIND | MS_REC)
    if readonly:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def _tmpfs(target):
    _mount("tmpfs", target, "tmpfs", 0, "mode=0755,size=64m")


def address_space_mb(limits: Limits, memory_cgroup: bool) -> int:
    """The kernel's address-space limit.

    Without a memory cgroup it is the memory limit itself (the weaker mode). With one, the cgroup
    limits the memory the submission really uses and the address space is only a backstop against
    absurd reservations: an address-space limit is a poor and unsteady memory limit (PyTorch's
    import alone reserves about 3 GB it never touches, and each thread's malloc arena reserves
    64 MB when the thread first allocates), so a cell after a memory bomb that kept its memory
    would pass or fail by how many arenas the kernel's threads happened to create."""
    return limits.mem_mb * 2 + 4096 if memory_cgroup else limits.mem_mb


def set_limits(limits: Limits, own_uid: bool, memory_cgroup: bool = False) -> None:
    """Resource limits of the kernel; the process count only where the kernel has a uid of its own
    (RLIMIT_NPROC counts every process of the uid)."""
    space = address_space_mb(limits, memory_cgroup) << 20
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_mb << 20, limits.fsize_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if own_uid:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))


def isolate(args) -> None:
    """Namespaces, hidden folders and a size-limited writable area (root only); raises OSError when impossible.

    The kernel's working folder, ``HOME`` and ``TMPDIR`` are folders of one tmpfs of
    ``Limits.disk_mb``: everything a submission writes counts against that one quota (and against
    its memory cgroup), so no notebook can fill the disk the gradebooks and the other workers use."""
    stage, cwd = args.stage, os.getcwd()
    # what stays visible, at the same paths: (path, source, read-only)
    keep = [(f"{stage}/ipc", f"{stage}/ipc", False),
            (f"{stage}/runtime", f"{stage}/runtime", False), (f"{stage}/site", f"{stage}/site", True),
            (f"{args.root}/.venv", f"{args.root}/.venv", True), (f"{args.root}/coursekit", f"{args.root}/coursekit", True),
            (os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_prefix), True)]
    if args.data and os.path.isdir(args.data):
        keep.append((f"{stage}/data", args.data, True))
    keep = [(t, src, ro) for t, src, ro in keep if os.path.isdir(src)]
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID), "unshare")
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        # park what stays visible on a private tmpfs, hide, then bind it back at the same paths
        park = "/run/course-sandbox"
        os.makedirs(park, exist_ok=True)
        _tmpfs(park)
        for i, (_, src, _) in enumerate(keep):
            os.mkdir(f"{park}/{i}")
            _bind(src, f"{park}/{i}")
        # the writable area: one tmpfs of disk_mb holding the working folder, HOME and TMPDIR
        quota = f"{park}/quota"
        os.mkdir(quota)
        _mount("tmpfs", quota, "tmpfs", 0, f"mode=0755,size={args.limits.disk_mb}m")
        shutil.copytree(cwd, f"{quota}/work", symlinks=True)
        shutil.copytree(f"{stage}/home", f"{quota}/home", symlinks=True)
        os.mkdir(f"{quota}/tmp")
        writable = [(f"{stage}/{sub}", f"{quota}/{sub}") for sub in ("work", "home", "tmp")]
        # hide everything but the system folders: other copies of the course, other users,
        # every temporary folder; then the listed paths, wherever they are
        tops = [os.path.join("/", e) for e in sorted(os.listdir("/"))
                if e not in SYSTEM_DIRS and not os.path.islink(os.path.join("/", e))]
        for path in [*tops, args.root, "/dev/shm", *args.hide]:
            if os.path.islink(path):
                continue
            if os.path.isdir(path):
                _tmpfs(path)
            elif os.path.exists(path):
                _bind("/dev/null", path)
        for i, (target, _, readonly) in enumerate(keep):
            os.makedirs(target, exist_ok=True)
            _bind(f"{park}/{i}", target, readonly=readonly)
        for target, source in writable:
            os.makedirs(target, exist_ok=True)
            _bind(source, target)
        _tmpfs("/run")  # the parking place last
    except OSError as err:  # half-isolated is worse than failing: the kernel must not start
        print(f"sandbox: isolation failed after unshare: {err}", file=sys.stderr)
        os._exit(70)
    os.makedirs(f"{stage}/data", exist_ok=True)
    for sub in ("work", "ipc", "home", "tmp", "runtime"):
        for dirpath, dirnames, filenames in os.walk(f"{stage}/{sub}"):
            os.chown(dirpath, args.uid, args.uid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), args.uid, args.uid)
    os.chdir(f"{stage}/work")


def die_with_parent(parent: int | None) -> None:
    """Be killed (SIGKILL) when the process that started this one dies; exit now if it already has.

    ``parent`` is its pid as that process knew it (None: whoever the parent is now). A grading
    worker is started in a session of its own, so killing its caller's process group (a Dask
    worker that dies) does not reach it; without this it would finish its job as an orphan and
    then sweep its kernel's uid, which the uid lock has by then handed to another submission."""
    parent = os.getppid() if parent is None else parent
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _exit_like(status: int) -> None:
    os._exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def run_in_pid_namespace(start_kernel) -> None:
    """After ``unshare(CLONE_NEWPID)``: fork the namespace's init, which starts the kernel.

    * this process (outside) waits for the init; SIGTERM or SIGHUP to it kill the init, and
      the init is killed too if this process dies (``PR_SET_PDEATHSIG``), which ends every
      process of the namespace: nothing a kernel forks can outlive its sandbox;
    * the init (pid 1 inside) mounts a ``/proc`` that shows only the namespace's processes,
      starts the kernel (pid 2), reaps orphans and exits with the kernel's status.

    SIGINT (the kernel manager's interrupt, sent to the process group) is ignored here and in
    the init, and reaches the kernel itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init = os.fork()
    if init:
        def stop(signum, frame):
            os.kill(init, signal.SIGKILL)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)
        _, status = os.waitpid(init, 0)
        _exit_like(status)
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the outside process died before the line above
            os._exit(1)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        kernel = os.fork()
        if kernel == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            start_kernel()  # never returns
        while True:
            pid, status = os.wait()
            if pid == kernel:
                _exit_like(status)
    except BaseException as err:  # noqa: BLE001 -- the init must never fall back into the caller
        print(f"sandbox: init failed: {err!r}", file=sys.stderr)
        os._exit(71)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox")
    parser.add_argument("--stage", required=True, help="the run's private staging folder")
    parser.add_argument("--root", required=True, help="the course repository root (hidden)")
    parser.add_argument("--data", default="", help="data root, bound read-only")
    parser.add_argument("--hide", action="append", default=[], help="more folders to hide")
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("--cgroup", default="", help="the submission's control group (created by the grader)")
    parser.add_argument("--limits", type=Limits.from_json, required=True, help="the job's Limits, as JSON")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    die_with_parent(None)  # the grading worker's kernel manager; the init dies with this process in turn
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    env = dict(os.environ)
    mode, group = "weak", None
    if os.geteuid() == 0 and args.cgroup:
        from .cgroup import attach
        group = attach(args.cgroup)
        if group is not None:
            group.add(os.getpid())  # before anything else: every process of the sandbox is counted
    if os.geteuid() == 0 and args.uid is not None:
        if "-f" in command:  # the connection file (0600, root's) must be readable by the kernel's uid
            os.chown(command[command.index("-f") + 1], args.uid, args.uid)
        try:
            isolate(args)
            mode = "isolated"
        except OSError as err:
            print(f"sandbox: namespaces unavailable ({err}); weaker mode", file=sys.stderr)
    stage = args.stage
    env.update(HOME=f"{stage}/home", MPLCONFIGDIR=f"{stage}/home/mpl", TMPDIR=f"{stage}/tmp", IPYTHONDIR=f"{stage}/home/.ipython",
               PYTHONPATH=f"{stage}/site", COURSE_SANDBOX=mode, PYTHONDONTWRITEBYTECODE="1",
               # PyTorch's compiler caches default to /tmp/torchinductor_$USER, outside the stage
               TORCHINDUCTOR_CACHE_DIR=f"{stage}/tmp/torchinductor", TRITON_CACHE_DIR=f"{stage}/tmp/triton",
               USER="student", LOGNAME="student")
    if mode == "isolated":
        env["COURSE_DATA"] = f"{stage}/data"
        # JPY_PARENT_PID: ipykernel polls its parent and exits when its parent is pid 1, which
        # the namespace's init is; the kernel dies with the init anyway
        for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JPY_PARENT_PID"):
            env.pop(var, None)
    elif args.data:
        env["COURSE_DATA"] = args.data
    os.makedirs(env["HOME"], exist_ok=True)
    os.makedirs(env["TMPDIR"], exist_ok=True)

    def start_kernel():
        if mode == "isolated":
            set_limits(args.limits, own_uid=True, memory_cgroup=group is not None)
            os.setgroups([])
            os.setgid(args.uid)
            os.setuid(args.uid)
        else:
            set_limits(args.limits, own_uid=False, memory_cgroup=group is not None)
        os.execve(command[0], command, env)

    if mode == "isolated":
        run_in_pid_namespace(start_kernel)
    start_kernel()


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (what a sandboxed kernel left behind, fork bombs included)."""
    import signal

    if os.geteuid() != 0 or uid is None:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(3):
                os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()


def isolation_wanted() -> bool:
    """``COURSE_ISOLATION=off`` grades in the weaker mode on purpose (to debug a notebook's grading)."""
    return os.environ.get("COURSE_ISOLATION", "auto") != "off"


@functools.lru_cache(maxsize=None)
def isolation_available() -> bool:
    """Whether kernels can be isolated here: root, and the namespaces can be entered (tried in a child)."""
    if os.geteuid() != 0 or not isolation_wanted():
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def describe() -> str:
    """One line for the run's summary: how strongly this machine confines a submission."""
    from .cgroup import describe as cgroups

    if isolation_available():
        return f"isolation: namespaces (mount, network, IPC, PID), own uid, disk quota; {cgroups()}"
    return (f"isolation: WEAKER MODE (not root, or namespaces unavailable): the kernel runs as this user with "
            f"network and files visible; the trusted checks still decide every grade; {cgroups()}")
