"""``python -m autograder.bench``: plain sequential ``nbgrader autograde`` against ours, same 20 submissions, one run.

The submissions are the demo class (complete, partial, buggy, empty; :mod:`autograder.demo`) repeated to 20.
Plain nbgrader runs its own command line in a fresh course folder with its default
configuration (one process, one notebook after another). Ours is
``python -m autograder grade --workers N`` (sandboxed, trusted checks, feedback and the class
gradebook included), then the same command through a Dask scheduler with 1 and with 2
``dask worker`` processes on this machine (``--dask 1,2``; the cluster is started before the
clock starts, as an instructor's would be). Prints every wall-clock time, the throughput and the
ratios, and checks that every way of grading gave the same grades.
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
    parser.add_argument("--dask", default="1,2", help="Dask worker counts to time too (comma-separated; empty: none)")
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

    def ours(dest: str, *extra: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out / dest), "--seed", "1",
                        *extra], env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    timings = {f"python -m autograder grade --workers {args.workers}": ours("ours", "--workers", str(args.workers))}
    outs = ["ours"]
    for n in [int(v) for v in args.dask.split(",") if v.strip()]:
        from .dask_grading import LoopbackCluster
        with LoopbackCluster(n, out / f"dask{n}-logs") as cluster:
            timings[f"... --scheduler (Dask, {n} worker{'s' if n > 1 else ''})"] = ours(f"dask{n}", "--scheduler",
                                                                                   cluster.address)
        outs.append(f"dask{n}")
    same = len({(out / o / "grades.csv").read_text() for o in outs}) == 1
    print(f"{args.n} submissions ({', '.join(covered)}), {os.cpu_count()} cores")
    print(f"{'plain sequential nbgrader autograde':<48} {plain_s:6.1f} s  {60 * args.n / plain_s:5.1f} notebooks/min")
    for name, seconds in timings.items():
        print(f"{name:<48} {seconds:6.1f} s  {60 * args.n / seconds:5.1f} notebooks/min  "
              f"{plain_s / seconds:.2f}x plain")
    print("(ours: sandboxed, trusted checks, feedback and class gradebook included; "
          f"grades.csv {'identical' if same else 'DIFFERS'} across the runs of ours)")
    if not same:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
