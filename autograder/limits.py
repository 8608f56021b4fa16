"""What one submission may use while it is graded: one frozen value, declared once.

The command line (``grade --timeout --cell-timeout``), the grading worker and the kernel
sandbox all take a :class:`Limits`; it travels between processes as JSON, so no process has
defaults of its own.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Limits:
    wall_s: int = 600       # the whole notebook, wall clock (the worker is killed past it)
    cell_s: int = 120       # one cell, wall clock (nbgrader's Execute.timeout)
    mem_mb: int = 6144      # memory of the submission's processes (its cgroup; address space without one)
    cpu_s: int = 900        # CPU seconds of the kernel
    nproc: int = 64         # processes and threads of the kernel's uid
    fsize_mb: int = 256     # the largest file the kernel may write
    disk_mb: int = 1024     # everything the kernel may write in all (its folder, HOME, TMPDIR)
    output_mb: int = 64     # what the grader reads from one cell (outputs, the checks' observations, one message)
    grader_mb: int = 1024   # memory of one grading worker process (its own cgroup; address space without one)

    def __post_init__(self):
        bad = [k for k, v in asdict(self).items() if not (isinstance(v, int) and v > 0)]
        if bad:
            raise ValueError(f"limits must be positive integers: {', '.join(bad)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Limits":
        return cls(**json.loads(text))

    def with_(self, **changes) -> "Limits":
        return replace(self, **changes)


# the self-test's catalogue of small notebooks: tighter, so a hanging attack costs seconds (every
# legitimate cell of every chapter needs under 3 CPU seconds; the largest is the set-up cell's imports)
SELFTEST = Limits(wall_s=300, cell_s=10)
# ... and a fixed seed for its hidden inputs, so that its verdicts are deterministic
SELFTEST_SEED = 20261126
