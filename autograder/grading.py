"""Grade a folder of submissions: ``python -m autograder grade SUBMISSIONS --out DIR``.

Each submission is graded in a private course folder (a copy of the chapter's generated
assignment and a gradebook of its own) by a separate worker process
(:mod:`autograder.worker`) under a wall-clock timeout, so a crash, a hang or a malformed
file only affects its own row. The trusted parent collects the results into
``DIR/grades.csv`` (``student_id,assignment,score,max_score,status``) and copies nbgrader's
feedback HTML to ``DIR/feedback/<student>/<chapter>.html``.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import CHAPTERS, ROOT
from .nbconfig import api

SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Submission:
    student: str
    chapter: str
    path: Path


@dataclass
class Row:
    student: str
    chapter: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "ok"
    seconds: float = 0.0
    cells: dict = field(default_factory=dict)
    feedback: Path | None = None


@dataclass
class Report:
    rows: list[Row]
    out: Path
    skipped: list[str] = field(default_factory=list)

    @property
    def csv_path(self) -> Path:
        return self.out / "grades.csv"

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.rows:
            key = r.status.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines = [f"graded {len(self.rows)} notebook(s): {parts or 'none'}"]
        lines += [f"  {r.student:<16} {r.chapter:<16} {r.score:6.1f} / {r.max_score:<5.1f} {r.status}" for r in self.rows]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file(s) that are not submissions: " + ", ".join(self.skipped[:10]))
        lines.append(f"grades:   {self.csv_path.resolve()}")
        lines.append(f"feedback: {(self.out / 'feedback').resolve()}")
        return "\n".join(lines)


def safe_id(name: str) -> str:
    return SAFE_ID.sub("_", name).strip("._") or "student"


def discover(folder: Path, chapters=CHAPTERS) -> tuple[list[Submission], list[str]]:
    """Submissions in nbgrader's tree (``<student>/<chapter>/*.ipynb``) or flat LMS files (``<student>_<chapter>.ipynb``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist")
    found: dict[tuple[str, str], Submission] = {}
    skipped = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder)
        sub = None
        if len(rel.parts) == 3 and rel.parts[1] in chapters:
            sub = Submission(safe_id(rel.parts[0]), rel.parts[1], path)
        elif len(rel.parts) == 1:
            for chapter in chapters:
                if path.stem.endswith("_" + chapter) and len(path.stem) > len(chapter) + 1:
                    sub = Submission(safe_id(path.stem[: -len(chapter) - 1]), chapter, path)
                    break
        if sub is None:
            skipped.append(str(rel))
            continue
        key = (sub.student, sub.chapter)
        if key in found:  # two files for one student and chapter: keep the newest
            if path.stat().st_mtime <= found[key].path.stat().st_mtime:
                skipped.append(str(rel))
                continue
            skipped.append(str(found[key].path.relative_to(folder)))
        found[key] = sub
    return sorted(found.values(), key=lambda s: (s.student, s.chapter)), skipped


def prepare_template(chapter: str, work: Path) -> Path:
    """A course folder holding the chapter's source and a gradebook that knows the assignment."""
    template = work / "templates" / chapter
    if template.exists():
        shutil.rmtree(template)
    shutil.copytree(ROOT / "source" / chapter, template / "source" / chapter)
    result = api(template).generate_assignment(chapter, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"could not generate {chapter} for grading:\n{result.get('error') or result.get('log')}")
    return template


def _check_json(path: Path) -> str | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"malformed: not a notebook ({type(err).__name__})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "malformed: no cells"
    return None


def worker_env(threads: int = 1) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("COURSE_PROFILE", "smoke")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


UID_BASE = 61000 + 16 * (os.getpid() % 200)  # one unprivileged uid per submission of this run


def grade_one(sub: Submission, template: Path, work: Path, out: Path, timeout: int, cell_timeout: int,
              threads: int = 1, uid: int | None = None, hide: tuple = ()) -> Row:
    row = Row(sub.student, sub.chapter)
    start = time.perf_counter()
    course = work / "runs" / f"{sub.student}__{sub.chapter}"
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(template, course, ignore=shutil.ignore_patterns("release"))
    target = course / "submitted" / sub.student / sub.chapter / f"{sub.chapter}.ipynb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(sub.path, target)
    problem = _check_json(target)
    if problem:
        row.status = problem
        row.max_score = _max_score(template, sub.chapter)
        row.seconds = time.perf_counter() - start
        return row
    from coursekit.data import data_root

    cmd = [sys.executable, "-m", "autograder.worker", str(course), sub.chapter, sub.student,
           "--cell-timeout", str(cell_timeout), "--data", str(data_root().resolve())]
    if uid is not None:
        cmd += ["--uid", str(uid)]
    for path in (out, *hide):
        cmd += ["--hide", str(path)]
    log = course / "worker.log"
    try:
        with open(log, "wb") as fh:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout,
                                  env=worker_env(threads), cwd=course, start_new_session=True)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        from .sandbox import kill_uid
        kill_uid(uid)
    result = {}
    if (course / "result.json").exists():
        result = json.loads((course / "result.json").read_text())
    row.max_score = float(result.get("max_score") or _max_score(template, sub.chapter))
    row.score = float(result.get("score") or 0.0)
    row.cells = result.get("cells", {})
    if rc is None:
        row.status = f"timeout: notebook exceeded {timeout} s"
        row.score = 0.0
    elif rc != 0:
        err = ((result.get("autograde") or {}).get("error") or log.read_text(errors="replace"))
        row.status = "error: " + _last_line(err)
    else:
        row.status = "ok"
    feedback = course / "feedback" / sub.student / sub.chapter / f"{sub.chapter}.html"
    if feedback.exists():
        dest = out / "feedback" / sub.student / f"{sub.chapter}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(feedback, dest)
        row.feedback = dest
    row.seconds = time.perf_counter() - start
    return row


def _last_line(text: str) -> str:
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return (lines[-1] if lines else "worker failed")[:200]


_MAX_CACHE: dict[tuple[str, str], float] = {}


def _max_score(template: Path, chapter: str) -> float:
    key = (str(template), chapter)
    if key not in _MAX_CACHE:
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
            _MAX_CACHE[key] = float(gb.find_assignment(chapter).max_score)
    return _MAX_CACHE[key]


def write_csv(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student_id", "assignment", "score", "max_score", "status"])
        for r in sorted(rows, key=lambda r: (r.student, r.chapter)):
            w.writerow([r.student, r.chapter, f"{r.score:g}", f"{r.max_score:g}", r.status])


def grade_submissions(subs: list[Submission], out: Path, workers: int = 1, timeout: int = 600,
                      cell_timeout: int = 120, hide: tuple = ()) -> list[Row]:
    out = Path(out).resolve()
    work = out / "work"
    templates = {ch: prepare_template(ch, work) for ch in sorted({s.chapter for s in subs})}
    workers = max(1, workers)
    threads = max(1, (os.cpu_count() or 1) // workers)  # BLAS threads per notebook: no oversubscription
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(lambda i_s: grade_one(i_s[1], templates[i_s[1].chapter], work, out, timeout, cell_timeout,
                                                   threads, UID_BASE + i_s[0] if os.geteuid() == 0 else None, hide),
                             enumerate(subs)))
    return rows


def grade_folder(submissions: Path, out: Path, workers: int = 1, timeout: int = 600, cell_timeout: int = 120) -> Report:
    subs, skipped = discover(submissions)
    out = Path(out).resolve()
    if (out / "feedback").exists():
        shutil.rmtree(out / "feedback")
    rows = grade_submissions(subs, out, workers=workers, timeout=timeout, cell_timeout=cell_timeout,
                             hide=(Path(submissions).resolve(),))
    write_csv(rows, out / "grades.csv")
    return Report(rows, out, skipped)
