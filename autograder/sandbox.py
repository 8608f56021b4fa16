"""The kernel launcher that confines a student's notebook (``python -m autograder.sandbox``).

The grading worker starts each student kernel through this module (it is the first word of
a private kernelspec). Running as root, before it ``exec``s ipykernel it:

1. enters new **mount and network namespaces** (``unshare(CLONE_NEWNS | CLONE_NEWNET)``):
   the kernel has no network at all (not even loopback); it talks to the worker over Unix
   sockets (ZeroMQ ``ipc`` transport) in its private staging folder;
2. hides the course: an empty tmpfs is mounted over every top-level folder but the system
   ones (``/usr``, ``/etc``, ``/lib``...), so ``/tmp``, ``/root``, ``/home``, ``/work``,
   ``/opt``, ``/var``... and any other copy of the course disappear, and over the repository
   root, the submissions and the grading output wherever they are. Bound back, at the same
   paths: the Python installation, ``.venv`` and the student library ``coursekit``
   (read-only), and the staging folder with the submission's working folder, a read-only
   data root and empty ``HOME``/``TMPDIR``;
3. sets resource limits: address space, CPU seconds, file size, open files, no core dumps,
   and a process count;
4. drops to an unprivileged uid of its own (one per submission), so the process limit
   holds, files outside its folder are read-only, and every process it leaves can be
   killed by uid afterwards.

Without root or namespaces (an instructor's laptop, a container that forbids ``unshare``)
it falls back to the **weaker mode**: resource limits only, same user, network and files
visible; grading then relies on the trusted checks (:mod:`autograder.trusted`) and the
import blocker, and the worker log says so.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import resource
import sys

from .limits import Limits

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18

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


def set_limits(limits: Limits, own_uid: bool) -> None:
    """Resource limits of the kernel; the process count only where the kernel has a uid of its own
    (RLIMIT_NPROC counts every process of the uid)."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.mem_mb << 20, limits.mem_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_mb << 20, limits.fsize_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if own_uid:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))


def isolate(args) -> None:
    """Namespaces, hidden folders and the uid switch (root only); raises OSError when impossible."""
    stage, cwd = args.stage, os.getcwd()
    # what stays visible, at the same paths: (path, source, read-only)
    keep = [(f"{stage}/work", cwd, False), (f"{stage}/ipc", f"{stage}/ipc", False),
            (f"{stage}/runtime", f"{stage}/runtime", False), (f"{stage}/site", f"{stage}/site", True),
            (f"{stage}/home", f"{stage}/home", False),
            (f"{args.root}/.venv", f"{args.root}/.venv", True), (f"{args.root}/coursekit", f"{args.root}/coursekit", True),
            (os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_prefix), True)]
    if args.data and os.path.isdir(args.data):
        keep.append((f"{stage}/data", args.data, True))
    keep = [(t, src, ro) for t, src, ro in keep if os.path.isdir(src)]
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        # park what stays visible on a private tmpfs, hide, then bind it back at the same paths
        park = "/run/course-sandbox"
        os.makedirs(park, exist_ok=True)
        _tmpfs(park)
        for i, (_, src, _) in enumerate(keep):
            os.mkdir(f"{park}/{i}")
            _bind(src, f"{park}/{i}")
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
        _tmpfs("/run")  # the parking place last
    except OSError as err:  # half-isolated is worse than failing: the kernel must not start
        print(f"sandbox: isolation failed after unshare: {err}", file=sys.stderr)
        os._exit(70)
    os.makedirs(f"{stage}/tmp", exist_ok=True)
    os.makedirs(f"{stage}/data", exist_ok=True)
    for sub in ("work", "ipc", "home", "tmp", "runtime"):
        for dirpath, dirnames, filenames in os.walk(f"{stage}/{sub}"):
            os.chown(dirpath, args.uid, args.uid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), args.uid, args.uid)
    os.chdir(f"{stage}/work")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox")
    parser.add_argument("--stage", required=True, help="the run's private staging folder")
    parser.add_argument("--root", required=True, help="the course repository root (hidden)")
    parser.add_argument("--data", default="", help="data root, bound read-only")
    parser.add_argument("--hide", action="append", default=[], help="more folders to hide")
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("--limits", type=Limits.from_json, required=True, help="the job's Limits, as JSON")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    env = dict(os.environ)
    mode = "weak"
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
        for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
            env.pop(var, None)
    elif args.data:
        env["COURSE_DATA"] = args.data
    os.makedirs(env["HOME"], exist_ok=True)
    os.makedirs(env["TMPDIR"], exist_ok=True)
    if mode == "isolated":
        set_limits(args.limits, own_uid=True)
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
    else:
        set_limits(args.limits, own_uid=False)
    os.execve(command[0], command, env)


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
