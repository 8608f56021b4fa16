"""The grading job and its answer, as typed values that cross the process boundary as JSON.

The trusted parent (:mod:`autograder.grading`) hands a :class:`Job` to a worker
(:mod:`autograder.worker`); the worker writes a :class:`JobResult` into the job's course
folder. A row of ``grades.csv`` has a :class:`Status` and a detail string.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from .limits import Limits


class Status(str, Enum):
    OK = "ok"                # graded; the detail notes repairs and cells that timed out or killed the kernel
    MALFORMED = "malformed"  # not a notebook: 0 points
    ERROR = "error"          # the worker or nbgrader failed, or a given cell failed
    TIMEOUT = "timeout"      # the whole notebook overran its wall-clock limit

    def text(self, detail: str = "") -> str:
        return f"{self.value}: {detail}" if detail else self.value


@dataclass(frozen=True)
class Job:
    course: str
    chapter: str
    student: str
    limits: Limits
    seed: int = 0                 # the grading run's seed for the hidden inputs
    uid: int | None = None
    cgroup: str = ""              # the submission's control group ("" where the machine has none)
    data: str = ""
    hide: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "limits": asdict(self.limits), "hide": list(self.hide)})

    @classmethod
    def from_json(cls, text: str) -> "Job":
        raw = json.loads(text)
        return cls(**{**raw, "limits": Limits(**raw["limits"]), "hide": tuple(raw["hide"])})


@dataclass
class JobResult:
    autograded: bool = False
    error: str = ""                                   # why autograde failed (its last words)
    problems: list[str] = field(default_factory=list)  # nbgrader's error lines
    log: str = ""
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, dict] = field(default_factory=dict)  # grade id -> score, max_score, auto
    timeouts: int = 0                                  # cells that hit the cell time limit
    kernel_restarts: int = 0                           # cells whose kernel died
    setup_failures: list[str] = field(default_factory=list)  # given cells before the first student cell that raised
    feedback: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    FILE = "result.json"

    def write(self, course: Path) -> None:
        (Path(course) / self.FILE).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, course: Path) -> "JobResult | None":
        path = Path(course) / cls.FILE
        if not path.exists():
            return None
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            return cls(error=f"unreadable {cls.FILE}")
