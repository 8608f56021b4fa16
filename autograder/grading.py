"""Grade a folder of submissions: ``python -m autograder grade SUBMISSIONS --out DIR``.

Each submission is graded in a private course folder (a copy of the chapter's generated
assignment and a gradebook of its own) by a separate worker process
(:mod:`autograder.worker`) under a wall-clock timeout, so a crash, a hang or a malformed
file only affects its own row. The trusted parent collects the results into
``DIR/grades.csv`` (``student_id,assignment,score,max_score,status,manual_pending``: the last
column counts the points of written answers still waiting for a person) and copies nbgrader's
feedback HTML to ``DIR/feedback/<student>/<chapter>.html``.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT, cgroup, chapters, uids
from .flags import mark_identical
from .intake import normalise
from .job import Job, JobResult, Status
from .limits import Limits
from .nbconfig import api

SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")
# grades.csv; ``flags`` holds what a person should look at (a link, the instructor's material, identical work)
GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "manual_pending", "flags"]


@dataclass
class Submission:
    student: str
    chapter: str
    path: Path
    problem: str = ""      # why it cannot be graded, found before it is opened (a symbolic link): a malformed row
    root: Path | None = None  # the submissions folder it was found in: opened from there without following links


@dataclass
class Skipped:
    """Something in the submissions folder that is not graded, and why."""
    path: str
    reason: str


@dataclass
class Row:
    student: str
    chapter: str
    score: float = 0.0
    max_score: float = 0.0
    status: Status = Status.OK
    detail: str = ""
    seconds: float = 0.0
    cells: dict = field(default_factory=dict)
    incidents: int = 0  # cells that timed out or killed the kernel
    feedback: Path | None = None
    flags: list[str] = field(default_factory=list)  # for a person to judge (autograder.flags); never change the score
    fingerprint: str = ""  # of the student's own cells, to find identical submissions (empty: nothing written)

    @property
    def status_text(self) -> str:
        return self.status.text(self.detail)

    @property
    def manual_pending(self) -> float:
        """Points of written answers still waiting for a person (nbgrader's manually graded cells):
        part of ``max_score`` but not of ``score`` until an instructor grades them in formgrader.
        An answer left as the prompt is scored 0 by nbgrader itself and waits for nobody; when
        the notebook could not be graded at all, every written answer waits."""
        if not self.cells:
            from . import chapters
            return chapters.load(self.chapter).manual_points
        return float(sum(c["max_score"] for c in self.cells.values() if c.get("pending")))

    @property
    def full_marks(self) -> bool:
        """Every autograded point earned (written answers, graded by a person, are not counted)."""
        from . import chapters
        manual = chapters.load(self.chapter).manual_points
        return self.status is Status.OK and self.max_score > 0 and abs(self.score - (self.max_score - manual)) < 1e-9


@dataclass
class Report:
    rows: list[Row]
    out: Path
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def csv_path(self) -> Path:
        return self.out / "grades.csv"

    def summary(self) -> str:
        counts = {s: sum(r.status is s for r in self.rows) for s in Status}
        lines = [f"graded {len(self.rows)} notebook(s): " + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n or s is Status.OK)
                 + f"; {sum(r.incidents > 0 for r in self.rows)} with cells that timed out or killed the kernel"]
        lines += [f"  {r.student:<16} {r.chapter:<16} {r.score:6.1f} / {r.max_score:<5.1f} {r.status_text}" for r in self.rows]
        flagged = [r for r in self.rows if r.flags]
        if flagged:
            lines.append(f"flagged for a person to look at ({len(flagged)}; the flags column of grades.csv):")
            lines += [f"  {r.student:<16} {r.chapter:<16} {'; '.join(r.flags)}" for r in flagged]
        if self.skipped:
            lines.append(f"not graded ({len(self.skipped)}; listed in {self.out / 'skipped.csv'}):")
            lines += [f"  {s.path}: {s.reason}" for s in self.skipped[:20]]
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more")
        lines += self.notes
        lines.append(f"grades:   {self.csv_path.resolve()}")
        lines.append(f"feedback: {(self.out / 'feedback').resolve()}")
        lines.append(f"gradebook: {(self.out / 'gradebook.db').resolve()}  histogram: {(self.out / 'score_histogram.png').resolve()}")
        return "\n".join(lines)


def safe_id(name: str) -> str:
    return SAFE_ID.sub("_", name).strip("._") or "student"


LAYOUT = "<student>/<chapter>/<chapter>.ipynb or <student>_<chapter>.ipynb"


LINK = ("a symbolic link, not a file: not followed (only regular files inside the submissions folder are "
        "submissions; hand in the notebook itself)")


def _link(path: Path) -> str:
    """What a link is, for the row: where it points (read from the link itself, never followed)."""
    return LINK.replace("a symbolic link,", f"a symbolic link (to {os.readlink(path)[:120]}),", 1)


def _place(rel: Path, gradable: list, known: list) -> tuple[str, str] | str:
    """(student, chapter) of a notebook at ``rel`` in either layout, or why it has none."""
    def not_gradable(chapter: str) -> str:
        released = ", ".join(gradable) or "none"
        if chapter in known:
            return f"chapter {chapter!r} is not released yet (released: {released})"
        return f"the course has no chapter {chapter!r} (released: {released})"

    if len(rel.parts) == 3:
        return (safe_id(rel.parts[0]), rel.parts[1]) if rel.parts[1] in gradable else not_gradable(rel.parts[1])
    if len(rel.parts) == 1:
        names = sorted(set(known) | set(gradable), key=len, reverse=True)  # the longest chapter name that ends it
        match = next((c for c in names if rel.stem.endswith("_" + c) and len(rel.stem) > len(c) + 1), None)
        if match in gradable:
            return safe_id(rel.stem[: -len(match) - 1]), match
        if match is not None:
            return not_gradable(match)
        return f"no released chapter in its name (expected <student>_<chapter>.ipynb; released: {', '.join(gradable) or 'none'})"
    return f"not in the layout {LAYOUT}"


def _walk(folder: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Regular files, everything else that is not a folder (links, pipes, devices), and the folders
    with nothing in them, under ``folder``; hidden names (``.ipynb_checkpoints``, ``.DS_Store``)
    left out. A linked folder is listed as a link and never entered."""
    files, others, folders = [], [], []
    for dirpath, dirnames, filenames in os.walk(folder):  # followlinks=False
        here = Path(dirpath)
        links = [n for n in dirnames if (here / n).is_symlink()]
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and n not in links)
        folders += [here / n for n in dirnames]
        for name in sorted(filenames + links):
            if name.startswith("."):
                continue
            mode = os.lstat(here / name).st_mode
            (files if stat.S_ISREG(mode) else others).append(here / name)
    empty = []
    for path in sorted(folders):
        if any(path.is_relative_to(e) for e in empty):
            continue
        if not any(f.is_relative_to(path) for f in files + others):  # report the top empty folder only
            empty.append(path)
    return files, others, empty


def discover(folder: Path, gradable=None, known=None) -> tuple[list[Submission], list[Skipped]]:
    """Submissions in nbgrader's tree (``<student>/<chapter>/*.ipynb``) or flat LMS files (``<student>_<chapter>.ipynb``).

    Only regular files are submissions: a symbolic link (to a file or a folder) or anything else
    that is not a regular file is never followed or read; where its place names a student and a
    chapter it is a submission with a ``problem`` (a ``malformed`` row with 0 points that says why),
    else a :class:`Skipped` entry. Everything else gets a :class:`Skipped` entry saying why: a
    notebook for a chapter that is not released (``known`` chapters without a release) or that
    the course does not have, a file that is not a notebook, a notebook outside the layout, an
    empty folder, or an older copy."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist")
    folder = folder.resolve()  # the instructor's own path may be a link; nothing below it is followed
    gradable = list(gradable if gradable is not None else chapters.released())
    known = list(known if known is not None else chapters.names())
    found: dict[tuple[str, str], Submission] = {}
    skipped: list[Skipped] = []
    files, others, empty = _walk(folder)
    skipped += [Skipped(f"{p.relative_to(folder)}/", "empty folder, no notebook in it") for p in empty]
    for path in sorted(files + others):
        rel = path.relative_to(folder)
        regular = path in files
        problem = "" if regular else _link(path) if path.is_symlink() else "not a regular file (a pipe or a device): not read"
        if regular and path.suffix != ".ipynb":
            skipped.append(Skipped(str(rel), f"not a notebook (expected {LAYOUT})"))
            continue
        place = _place(rel, gradable, known) if path.suffix == ".ipynb" else None
        if not regular and place is None and len(rel.parts) == 2 and rel.parts[1] in gradable:
            place = (safe_id(rel.parts[0]), rel.parts[1])  # <student>/<chapter> is a link to a folder
        if not isinstance(place, tuple):
            skipped.append(Skipped(str(rel), problem if problem else place))
            continue
        sub = Submission(place[0], place[1], path, problem=problem, root=folder)
        key = (sub.student, sub.chapter)
        if key in found:  # two files for one student and chapter: keep the newest
            mtime = lambda p: os.lstat(p).st_mtime  # noqa: E731 - of the link itself, never its target
            older, newer = (path, found[key].path) if mtime(path) <= mtime(found[key].path) else (found[key].path, path)
            skipped.append(Skipped(str(older.relative_to(folder)), f"an older file of {sub.student}'s {sub.chapter} (graded: {newer.relative_to(folder)})"))
            if newer is path:
                found[key] = sub
            continue
        found[key] = sub
    return sorted(found.values(), key=lambda s: (s.student, s.chapter)), skipped


class NotRegularFile(OSError):
    """A submission that is not a regular file inside its folder (a symbolic link on its way)."""


def read_submission(sub: Submission) -> bytes:
    """The bytes of ``sub``'s notebook, opened without following any link below its submissions folder
    (each folder on the way and the file itself with ``O_NOFOLLOW``; the file must be a regular one),
    so a file swapped for a link after :func:`discover` is not read either."""
    path = Path(sub.path)
    root = Path(sub.root) if sub.root is not None else path.parent
    parts = path.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:
                raise NotRegularFile(f"{part}/ on the way to it is {LINK}") from err
            os.close(fd)
            fd = nxt
        try:
            file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fd)
        except OSError as err:
            raise NotRegularFile(LINK if err.errno == errno.ELOOP else f"could not be opened ({err.strerror})") from err
    finally:
        os.close(fd)
    with os.fdopen(file_fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise NotRegularFile("not a regular file (a pipe or a device): not read")
        return fh.read()


def malformed_row(sub: Submission, detail: str, not_a_file: bool = False) -> Row:
    """The row of a submission that cannot be graded at all: 0 points, with why (flagged when it
    is not a regular file: a link or a pipe)."""
    row = Row(sub.student, sub.chapter, max_score=_chapter_points(sub.chapter), status=Status.MALFORMED, detail=detail)
    if not_a_file:
        row.flags.append("not a regular file: " + detail.split(":")[0])
    return row


def read_or_malformed(sub: Submission) -> tuple[bytes | None, Row | None]:
    """(the notebook's bytes, None), or (None, its malformed row) for a submission that is not a
    readable regular file: the one way both the local pool and Dask read a submission."""
    if sub.problem:
        return None, malformed_row(sub, sub.problem, not_a_file=True)
    try:
        return read_submission(sub), None
    except NotRegularFile as err:
        return None, malformed_row(sub, str(err), not_a_file=True)
    except OSError as err:
        return None, malformed_row(sub, f"could not be read ({err})")


def _chapter_points(chapter: str) -> float:
    try:
        return float(sum(chapters.load(chapter).points.values()))
    except Exception:  # noqa: BLE001 - a chapter the course does not have: the row says so anyway
        return 0.0


TEMPLATE_CACHE = ROOT / "_build" / "grading-templates"


def _template_key(chapters) -> str:
    import hashlib

    import nbgrader

    digest = hashlib.sha256(nbgrader.__version__.encode())
    digest.update((Path(__file__).parent / "nbconfig.py").read_bytes())
    for chapter in chapters:
        digest.update(chapter.encode())
        for path in sorted((ROOT / "source" / chapter).rglob("*")):
            if path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_template(chapters, work: Path) -> Path:
    """A course folder holding the chapters' sources and a gradebook that knows the assignments.

    nbgrader's ``generate_assignment`` takes seconds per chapter, so the result is kept in
    ``_build/grading-templates/<hash of the sources and configuration>`` and reused while
    the sources do not change."""
    template = work / "template"
    if template.exists():
        shutil.rmtree(template)
    cached = TEMPLATE_CACHE / _template_key(chapters)
    if (cached / "gradebook.db").exists():
        shutil.copytree(cached, template)
        return template
    nbg = api(template)
    for chapter in chapters:
        shutil.copytree(ROOT / "source" / chapter, template / "source" / chapter)
        result = nbg.generate_assignment(chapter, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"could not generate {chapter} for grading:\n{result.get('error') or result.get('log')}")
    shutil.rmtree(template / "release", ignore_errors=True)
    staging = TEMPLATE_CACHE / f".{cached.name}.{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(template, staging)
        staging.rename(cached)  # atomic: concurrent runs never see half a template
    except OSError:  # another run was first, or the cache is not writable (another user): no cache
        shutil.rmtree(staging, ignore_errors=True)
    return template


def worker_env(threads: int = 1) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("COURSE_PROFILE", "smoke")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class WorkerSlot:
    """One long-lived worker process (``python -m autograder.worker --serve``) used by one thread.

    A job that overruns its wall-clock limit, or a worker that dies, costs only that job:
    the worker's whole process group is killed, the kernel's uid is swept, and the next job
    starts a fresh worker."""

    def __init__(self, log: Path, env: dict, memory_mb: int | None = None):
        self.log, self.env, self.proc = log, env, None
        self.memory_mb = memory_mb  # the worker's own memory limit (None: none)
        self.group = None           # its control group, created with its first process
        self.peak_mb = 0.0          # the most memory the worker has used at once (its group's high-water mark)
        self.out_of_memory = False  # whether the last job's worker was killed at that limit

    def start(self):
        """Start the worker now (its imports then overlap with other work)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()

    def _start(self):
        env = dict(self.env, COURSE_WORKER_PARENT=str(os.getpid()))
        if self.memory_mb and self.group is None:
            self.group = cgroup.create_memory(f"{os.getpid()}-w{id(self):x}", self.memory_mb)
        if self.memory_mb and self.group is None:  # no control group: an address-space limit (the weaker mode)
            env["COURSE_WORKER_AS_MB"] = str(self.memory_mb * 2 + 4096)
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.worker", "--serve", str(self.log)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, start_new_session=True, text=True, bufsize=1)
        if self.group is not None:  # at once: the interpreter has barely started
            try:
                self.group.add(self.proc.pid)
            except OSError:
                pass

    def run(self, job: Job) -> int | None:
        """The worker's exit status for ``job``, or None when it overran ``job.limits.wall_s`` or died."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        ooms = self.group.oom_kills() if self.group is not None else 0
        self.out_of_memory = False
        rc = self._run(job)
        if self.group is not None:
            self.peak_mb = max(self.peak_mb, self.group.peak_mb())
            self.out_of_memory = rc is None and self.group.oom_kills() > ooms
        return rc

    def _run(self, job: Job) -> int | None:
        ticket, timeout = uuid.uuid4().hex, job.limits.wall_s
        try:
            self.proc.stdin.write(json.dumps({"id": ticket, "job": job.to_json()}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.kill()
            return None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                break
            line = self.proc.stdout.readline()
            if not line:  # the worker died
                break
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue
            if answer.get("id") == ticket:
                return int(answer["rc"])
        self.kill()
        return None

    def kill(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            self.proc = None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except Exception:
                self.kill()
        if self.group is not None:
            self.peak_mb = max(self.peak_mb, self.group.peak_mb())
            self.group.remove()
            self.group = None


def grade_one(sub: Submission, template: Path, work: Path, out: Path, limits: Limits, slot: WorkerSlot,
              hide: tuple = (), seed: int = 0) -> Row:
    notebook, unreadable = read_or_malformed(sub)  # before any work: a link or a pipe costs nothing
    if unreadable is not None:
        return unreadable
    row = Row(sub.student, sub.chapter)
    start = time.perf_counter()
    course = work / "runs" / f"{sub.student}__{sub.chapter}"
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(template, course, ignore=shutil.ignore_patterns("release"))
    target = course / "submitted" / sub.student / sub.chapter / f"{sub.chapter}.ipynb"
    target.parent.mkdir(parents=True)
    row.max_score = _max_score(template, sub.chapter)
    target.write_bytes(notebook)
    gradable, problems = normalise(target, template / "source" / sub.chapter / f"{sub.chapter}.ipynb")
    if not gradable:
        row.status, row.detail = Status.MALFORMED, "; ".join(problems)
        row.seconds = time.perf_counter() - start
        return row
    import nbformat

    from .flags import examine
    row.flags, row.fingerprint = examine(nbformat.read(str(target), 4), sub.chapter)
    from coursekit.data import data_root

    from .sandbox import isolation_available

    lease = uids.claim() if isolation_available() else None
    group = cgroup.create(f"{os.getpid()}-{lease.uid}", limits) if lease else None
    job = Job(str(course), sub.chapter, sub.student, limits, seed=seed, uid=lease.uid if lease else None,
              cgroup=group.name if group else "", data=str(data_root().resolve()),
              hide=tuple(str(p) for p in (out, *hide)))
    from .sandbox import kill_uid
    try:
        kill_uid(job.uid)  # nothing of a crashed earlier run may be left under this uid
        rc = slot.run(job)
    finally:
        if group:
            group.remove()
        kill_uid(job.uid)
        if lease:
            lease.release()
    result = JobResult.read(course) or JobResult(error="the worker stopped without a result")
    row.score = result.score
    row.max_score = result.max_score or row.max_score
    row.cells = result.cells
    row.incidents = result.timeouts + result.kernel_restarts
    if rc is None and slot.out_of_memory:
        row.status, row.score = Status.ERROR, 0.0
        row.detail = (f"the grader's worker was killed at its memory limit of {limits.grader_mb} MB while grading "
                      "this notebook (outputs are cut at the output limit: tell the course staff)")
    elif rc is None:
        row.status, row.detail, row.score = Status.TIMEOUT, f"notebook exceeded {limits.wall_s} s", 0.0
    elif rc != 0:
        detail = [p for p in result.problems if "Traceback" not in p and "see the the above" not in p]
        row.status = Status.ERROR
        row.detail = detail[0].replace("[ERROR] ", "").strip()[:200] if detail else _last_line(result.error)
    elif result.setup_failures:
        row.status = Status.ERROR
        row.detail = "the course's set-up cells failed (the grading environment is broken): " + result.setup_failures[0]
    else:
        notes = [f"{n} cell(s) {label}" for n, label in ((result.timeouts, "timed out"),
                                                         (result.kernel_restarts, "killed the kernel")) if n]
        if problems:
            notes.append("repaired: " + "; ".join(problems))
        if not result.feedback:  # graded, but the student would get no page: say so, loudly
            notes.append("no feedback page: " + next((p.splitlines()[-1][-160:] for p in result.problems
                                                      if p.startswith("feedback")), "generate_feedback failed"))
        row.detail = "; ".join(notes)
    feedback = course / "feedback" / sub.student / sub.chapter / f"{sub.chapter}.html"
    if feedback.exists():
        dest = out / "feedback" / sub.student / f"{sub.chapter}.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(feedback, dest)
        row.feedback = dest
    graded = course / "autograded" / sub.student / sub.chapter / f"{sub.chapter}.ipynb"
    if graded.exists():  # where nbgrader's formgrader looks for it in the class folder
        dest = out / "autograded" / sub.student / sub.chapter / f"{sub.chapter}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        # formgrader renders it inside the instructor's Jupyter server, unsanitised: clean it here
        from .sanitize import clean_notebook
        nbformat.write(clean_notebook(nbformat.read(str(graded), 4)), str(dest))
    row.seconds = time.perf_counter() - start
    return row


def _last_line(text: str) -> str:
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return (lines[-1] if lines else "worker failed")[:200]


@functools.lru_cache(maxsize=None)
def _max_score(template: Path, chapter: str) -> float:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
        return float(gb.find_assignment(chapter).max_score)


def write_csv(rows: list[Row], path: Path) -> None:
    from . import csvsafe

    csvsafe.write(path, GRADES_COLUMNS,
                  ([r.student, r.chapter, f"{r.score:g}", f"{r.max_score:g}", r.status_text, f"{r.manual_pending:g}",
                    "; ".join(r.flags)] for r in sorted(rows, key=lambda r: (r.student, r.chapter))))


def write_skipped(skipped: list[Skipped], path: Path) -> None:
    from . import csvsafe

    csvsafe.write(path, ["path", "reason"], ([s.path, s.reason] for s in skipped))


class CanaryFailed(RuntimeError):
    """The reference answers did not earn full marks in this grading environment: no student was graded."""


CANARY = "course-canary"


def write_canaries(names, folder: Path) -> list[Submission]:
    """One submission per chapter: the release notebook completed with the reference answers."""
    from .submissions import make_submission
    import nbformat

    out = []
    for name in names:
        path = folder / f"{CANARY}_{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(name, fill="all"), str(path))
        out.append(Submission(CANARY, name, path))
    return out


def check_canaries(rows: list[Row]) -> None:
    failed = []
    for row in rows:
        if not row.full_marks:
            lost = [g for g, c in row.cells.items() if not c.get("manual") and c["score"] < c["max_score"]]
            failed.append(f"{row.chapter}: the reference answers earned {row.score:g}/{row.max_score:g} "
                          f"[{row.status_text}]" + (f"; lost points in {', '.join(lost[:6])}" if lost else ""))
    if failed:
        raise CanaryFailed("the grading environment is broken, so no student was graded: the canary "
                           "(each chapter's reference answers, graded like a student) failed:\n  " + "\n  ".join(failed)
                           + "\n(a moved virtual environment, a data root the sandbox user cannot read, the process "
                           "limit...: see the canary's feedback and worker logs under OUT/work)")


def grade_submissions(subs: list[Submission], out: Path, workers: int = 1, limits: Limits = Limits(),
                      hide: tuple = (), seed: int = 0, canary: bool = True, scheduler: str | None = None) -> list[Row]:
    """Grade ``subs`` in parallel; every check draws its hidden inputs from ``seed``.

    With ``canary``, each chapter's reference answers are graded first, in the same environment;
    unless they earn full marks the run stops with :class:`CanaryFailed` before any student."""
    out = Path(out).resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    if not subs:
        return []
    for name in sorted({s.chapter for s in subs}):  # a chapter whose checks cannot load stops the run here, loudly
        chapters.load(name)
    if scheduler:  # every submission a task on a Dask cluster; this process stays the one writer
        from .dask_grading import grade_on_cluster
        template = prepare_template(sorted({s.chapter for s in subs}), work)
        rows = grade_on_cluster(subs, out, scheduler, limits, seed, canary=canary, work=work)
        mark_identical(rows)
        merge_gradebooks(rows, template, work, out / "gradebook.db")
        return rows
    workers = max(1, min(workers, len(subs)))
    # BLAS threads per notebook: no oversubscription (one where a control group gives each notebook one core)
    threads = 1 if cgroup.layout() else max(1, (os.cpu_count() or 1) // workers)
    env = worker_env(threads)
    slots = [WorkerSlot(work / f"worker-{n}.log", env, memory_mb=limits.grader_mb) for n in range(workers)]
    free = list(slots)
    local, lock = threading.local(), threading.Lock()

    def job(sub):
        if not hasattr(local, "slot"):
            with lock:
                local.slot = free.pop()
        return grade_one(sub, template, work, out, limits, local.slot, hide, seed)

    try:
        for slot in slots:  # workers import nbgrader while the template is generated
            slot.start()
        template = prepare_template(sorted({s.chapter for s in subs}), work)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            if canary:
                check_canaries(list(pool.map(job, write_canaries(sorted({s.chapter for s in subs}), work / "canary"))))
                shutil.rmtree(out / "feedback" / CANARY, ignore_errors=True)
            rows = list(pool.map(job, subs))
    finally:  # started workers are shut down whatever happened
        for slot in slots:
            slot.close()
        record_memory(out, slots)
    mark_identical(rows)
    merge_gradebooks(rows, template, work, out / "gradebook.db")
    return rows


def _own_peak_mb() -> float:
    """This process's own peak resident memory (VmHWM of its address space), in MB. Not
    ``ru_maxrss``: Linux carries that across fork and exec, so a grader started from a large
    process (a test runner) would report its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record_memory(out: Path, slots: list[WorkerSlot]) -> dict:
    """The grader's peak memory in this run, into ``OUT/memory.json``: this process's and each
    worker's high-water mark (from its control group; 0 without one) and their sum, an upper
    bound for the whole run at once."""
    parent = _own_peak_mb()
    workers = [round(s.peak_mb, 1) for s in slots]
    record = {"grader_mb": round(parent, 1), "workers_mb": workers, "total_mb": round(parent + sum(workers), 1),
              "worker_limit_mb": slots[0].memory_mb if slots else None,
              "measured": "cgroup high-water marks" if any(workers) else "this process only (no control groups)"}
    (out / "memory.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def merge_gradebooks(rows: list[Row], template: Path, work: Path, target: Path) -> None:
    """Write every row into one class gradebook (nbgrader's SQLite schema), from this process only.

    Each worker graded into a private gradebook; this single writer copies the results into
    ``target`` one after another, so concurrent grading never shares a database file."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's known, harmless "not in session" noise
    if target.exists():
        target.unlink()
    shutil.copyfile(template / "gradebook.db", target)
    with Gradebook(f"sqlite:///{target}") as gb:
        for row in sorted(rows, key=lambda r: (r.student, r.chapter)):
            gb.update_or_create_student(row.student)
            try:
                gb.remove_submission(row.chapter, row.student)
            except MissingEntry:
                pass
            sub = gb.add_submission(row.chapter, row.student)
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cell = row.cells.get(grade.name)
                    if cell is not None and cell.get("auto"):
                        grade.auto_score = cell["score"]
                        grade.needs_manual_grade = False
            gb.db.commit()


def plot_histogram(rows: list[Row], path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for chapter in sorted({r.chapter for r in rows}):
        pct = [100 * r.score / r.max_score for r in rows if r.chapter == chapter and r.max_score]
        ax.hist(pct, bins=range(0, 105, 5), alpha=0.7, label=f"{chapter} ({len(pct)})")
    ax.set_xlabel("score (% of the autograded points)")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_formgrader_config(out: Path) -> Path:
    """``OUT/nbgrader_config.py``: with it, ``OUT`` is an nbgrader course folder (the class
    gradebook, ``autograded/<student>/<chapter>/``) that nbgrader's formgrader opens, so an
    instructor can score the written answers; ``python -m autograder export OUT`` then writes
    the final grades."""
    from .nbconfig import COURSE_ID

    path = out / "nbgrader_config.py"
    path.write_text("# Written by `python -m autograder grade`: this folder is the class's nbgrader course folder.\n"
                    "# Score the written answers with `make formgrader OUT=<this folder>`, then export the final\n"
                    "# grades with `python -m autograder export <this folder>`.\n"
                    "c = get_config()  # noqa: F821\n"
                    f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
                    "c.CourseDirectory.ignore = ['work', 'feedback', '.ipynb_checkpoints']\n")
    return path


def new_seed() -> int:
    """A fresh seed for a grading run (kept in the trusted process; recorded in ``run.json``)."""
    import secrets

    return secrets.randbits(31)


def grade_folder(submissions: Path, out: Path, workers: int = 1, limits: Limits = Limits(),
                 seed: int | None = None, scheduler: str | None = None) -> Report:
    """Grade a class folder. ``seed`` (default: a fresh one) draws every hidden input; it is written
    to ``OUT/run.json`` with the limits, so the run can be reproduced exactly."""
    seed = new_seed() if seed is None else int(seed)
    subs, skipped = discover(submissions)
    out = Path(out).resolve()
    for earlier in ("feedback", "autograded"):
        shutil.rmtree(out / earlier, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    from .feedback import install_mathjax
    install_mathjax(out / "feedback")
    write_formgrader_config(out)
    from .sandbox import describe

    (out / "run.json").write_text(json.dumps({"seed": seed, "limits": json.loads(limits.to_json()), "isolation": describe(),
                                              "submissions": str(Path(submissions).resolve()),
                                              "scheduler": scheduler or "local"}, indent=1) + "\n")
    rows = grade_submissions(subs, out, workers=workers, limits=limits, hide=(Path(submissions).resolve(),), seed=seed,
                             scheduler=scheduler)
    if (out / "memory.json").exists():  # the grader's peak memory, beside the run's seed and limits
        run = json.loads((out / "run.json").read_text())
        run["memory"] = json.loads((out / "memory.json").read_text())
        (out / "run.json").write_text(json.dumps(run, indent=1) + "\n")
    write_csv(rows, out / "grades.csv")
    write_skipped(skipped, out / "skipped.csv")
    if rows:
        plot_histogram(rows, out / "score_histogram.png")
    return Report(rows, out, skipped, notes=[f"seed:     {seed} (hidden inputs; rerun with --seed {seed} to reproduce)",
                                             describe()])
