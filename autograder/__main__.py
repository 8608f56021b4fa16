"""python -m autograder {build,release,archive,grade,export,selftest,demo} ..."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .limits import SELFTEST_SEED, Limits



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="Course autograder (built on nbgrader).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="regenerate source/<chapter>/<chapter>.ipynb from the chapter specs")
    p.add_argument("chapters", nargs="*")
    p.add_argument("--check", action="store_true", help="only report stale source notebooks (exit 1 if any)")

    p = sub.add_parser("release", help="regenerate release/ from source/")
    p.add_argument("chapters", nargs="*")

    p = sub.add_parser("archive", help="build each chapter's student download (_build/student/<chapter>.zip)")
    p.add_argument("chapters", nargs="*")

    p = sub.add_parser("grade", help="autograde a folder of submissions")
    p.add_argument("submissions", type=Path, help="<student>/<chapter>/<chapter>.ipynb tree or flat <student>_<chapter>.ipynb files")
    p.add_argument("--out", type=Path, required=True, help="output folder for grades.csv and feedback/")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="notebooks graded at once (default: CPU count)")
    p.add_argument("--timeout", type=int, default=Limits.wall_s, help=f"wall-clock seconds per notebook (default {Limits.wall_s})")
    p.add_argument("--cell-timeout", type=int, default=Limits.cell_s, help=f"seconds per cell (default {Limits.cell_s})")
    p.add_argument("--seed", type=int, default=None, help="seed of the hidden inputs (default: a fresh one, written to OUT/run.json)")
    p.add_argument("--scheduler", default=None,
                   help="grade on a Dask cluster: the scheduler's address, e.g. tcp://HOST:8786 (workers need the course at the same commit)")

    p = sub.add_parser("export", help="final grades of a graded class (written answers scored in formgrader included)")
    p.add_argument("out", type=Path, help="the --out folder of a grade run")
    p.add_argument("--to", type=Path, default=None, help="CSV to write (default OUT/final_grades.csv)")

    p = sub.add_parser("selftest", help="grade source, release, mutants, variants and attacks of each chapter")
    p.add_argument("chapters", nargs="*")
    p.add_argument("--out", type=Path, default=Path("_build/selftest"))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=SELFTEST_SEED, help=f"seed of the hidden inputs (default {SELFTEST_SEED}: deterministic)")

    p = sub.add_parser("demo", help="build the bundled demo class from release/ and grade it")
    p.add_argument("--out", type=Path, default=Path("_build/demo"))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)

    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_PROFILE", "smoke")

    if args.command == "build":
        from .build import build
        stale = build(args.chapters or None, check=args.check)
        verb = "stale" if args.check else "rebuilt"
        print(f"{verb}: {', '.join(stale) if stale else 'none'}")
        return 1 if (args.check and stale) else 0
    if args.command == "release":
        from .release import release
        for path in release(args.chapters or None):
            print(f"wrote {path}")
        return 0
    if args.command == "archive":
        from .student_archive import build_archives
        for path in build_archives(args.chapters or None):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        from .grading import CanaryFailed, grade_folder
        limits = Limits(wall_s=args.timeout, cell_s=args.cell_timeout)
        try:
            report = grade_folder(args.submissions, args.out, workers=args.workers, limits=limits, seed=args.seed,
                                  scheduler=args.scheduler)
        except CanaryFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 3
        print(report.summary())
        return 0
    if args.command == "export":
        from .export import ExportError, export
        try:
            path, rows = export(args.out, args.to)
        except ExportError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        waiting = [g for g in rows if g.manual_pending]
        print(f"wrote {path}: {len(rows)} grade(s); {len(waiting)} with written answers still to score"
              + (f" ({', '.join(f'{g.student_id}/{g.assignment}' for g in waiting[:5])}{', ...' if len(waiting) > 5 else ''});"
                 f" score them with `make formgrader OUT={args.out}`" if waiting else ""))
        return 0
    if args.command == "selftest":
        from .selftest import selftest
        ok = selftest(args.chapters or None, out=args.out, workers=args.workers, seed=args.seed)
        return 0 if ok else 1
    if args.command == "demo":
        from .demo import run_demo
        report = run_demo(args.out, workers=args.workers)
        print(report.summary())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
