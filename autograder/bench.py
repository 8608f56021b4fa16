"""``python -m autograder.bench``: plain sequential ``nbgrader autograde`` against ours, same 20 submissions, one run.

The submissions are the demo class (complete, partial, buggy, empty; :mod:`autograder.demo`) repeated to 20.
Plain nbgrader runs its own command line in a fresh course folder with its default
configuration (one process, one notebook after another). Ours is
``python -m autograder grade --workers N`` (sandboxed, trusted checks, feedback and the class
gradebook included). Prints both wall-clock times and the ratio.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from . import ROOT
from .demo import demo_notebooks


def make_class(folder: Path, n: int) -> list[str]:
    """``n`` students, the demo class's notebooks in turn; returns the chapters they cover."""
    demo = demo_notebooks()
    for i in range(n):
        _, chapter, nb = demo[i % len(demo)]
        path = folder / f"student{i:02d}" / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    return sorted({chapter for _, chapter, _ in demo})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.bench")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    subs = out / "submitted"
    covered = make_class(subs, args.n)
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "COURSE_PROFILE": "smoke"}

    # plain nbgrader: its own course folder and default configuration
    plain = out / "plain"
    shutil.copytree(subs, plain / "submitted")
    (plain / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'bench'\n")
    for chapter in covered:
        shutil.copytree(ROOT / "source" / chapter, plain / "source" / chapter)
        subprocess.run([str(bindir / "nbgrader"), "generate_assignment", chapter, "--force"], cwd=plain, env=env,
                       check=True, capture_output=True)
    plain_s = 0.0
    for chapter in covered:
        start = time.perf_counter()
        proc = subprocess.run([str(bindir / "nbgrader"), "autograde", chapter, "--force"], cwd=plain, env=env,
                              capture_output=True, text=True)
        plain_s += time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr[-2000:])

    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out / "ours"),
                    "--workers", str(args.workers)], env=env, check=True, capture_output=True)
    ours_s = time.perf_counter() - start
    print(f"plain sequential nbgrader autograde: {plain_s:6.1f} s for {args.n} submissions ({plain_s / args.n:.1f} s each)")
    print(f"python -m autograder grade --workers {args.workers}: {ours_s:6.1f} s "
          f"(sandboxed, trusted checks, feedback and class gradebook included)")
    print(f"ratio: {plain_s / ours_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
