"""Unprivileged uids for sandboxed kernels, claimed so that concurrent runs never share one.

Every kernel runs as a uid of its own, and everything that uid runs is killed after the
submission (:func:`autograder.sandbox.kill_uid`). Two grading runs on one machine (a class
and a self-test, two chapters at once) must therefore never hold the same uid. A uid is
claimed with an exclusive ``flock`` on ``LOCK_DIR/<uid>.lock`` held for as long as the
submission is graded: the kernel releases the lock when the holder closes it or dies, so a
crashed run never leaks a claim, and no two holders, in one process or in many, can hold it
together.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

FIRST_UID, COUNT = 61000, 4000
LOCK_DIR = Path(os.environ.get("COURSE_UID_LOCKS", "/run/dl-course-uids"))


class UidLease:
    """A claimed uid; ``release()`` (or leaving the ``with`` block) gives it back."""

    def __init__(self, uid: int, fd: int):
        self.uid, self._fd = uid, fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    def __enter__(self) -> "UidLease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def claim(lock_dir: Path | None = None, first: int = FIRST_UID, count: int = COUNT) -> UidLease:
    """The first free uid of ``first .. first + count - 1``; raises RuntimeError when all are held."""
    lock_dir = Path(lock_dir or LOCK_DIR)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for uid in range(first, first + count):
        fd = os.open(lock_dir / f"{uid}.lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return UidLease(uid, fd)
    raise RuntimeError(f"all {count} sandbox uids from {first} are in use (locks in {lock_dir})")
