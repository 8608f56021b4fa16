"""The one experiment contract every chapter runner follows.

A chapter's ``solutions/<chapter>/experiment.py`` has a typed configuration (its ``Hparams``
with per-profile presets) and ``run(hp, device, root=None, progress=True) -> Result``, where the
result satisfies :class:`ExperimentResult`: a markdown ``table()``, a JSON-able ``summary()``,
its ``figures()`` and the ``seconds`` it took. ``python -m solutions.<chapter>`` is
:func:`main` with the chapter's own options; :func:`save` writes every result the same way:

``OUT/table.md``, ``OUT/result.json``, one ``OUT/<figure>.png`` per figure and, from
:func:`main`, ``OUT/provenance.json`` (:mod:`solutions.provenance`: command, commit, clean tree,
device, torch, date, seconds, seeds, profile and hyper-parameters).
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Callable, Protocol

from coursekit.data import DatasetNotFoundError
from coursekit.device import CHOICES, pick_device
from coursekit.profiles import PROFILES, current_profile

TABLE, RESULT = "table.md", "result.json"


class ExperimentResult(Protocol):
    seconds: float

    def table(self) -> str: ...                 # markdown

    def summary(self) -> dict: ...              # what result.json holds

    def figures(self) -> dict[str, Any]: ...    # file stem -> matplotlib figure


def save(result: ExperimentResult, out: Path, provenance: dict | None = None) -> list[Path]:
    """Write ``table.md``, ``result.json``, the figures and (when given) ``provenance.json``
    under ``out``; returns the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / TABLE, out / RESULT]
    paths[0].write_text(result.table() + "\n")
    paths[1].write_text(json.dumps({**result.summary(), "seconds": result.seconds}, indent=1, default=str) + "\n")
    for name, fig in result.figures().items():
        paths.append(out / f"{name}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    if provenance is not None:
        from . import provenance as prov
        paths.append(prov.write(out, provenance))
    return paths


def main(argv, *, chapter: str, doc: str, configure: Callable[[argparse.Namespace, str], Any],
         run: Callable[..., ExperimentResult], options: Callable[[argparse.ArgumentParser], None] | None = None,
         before: Callable[[Any, Any], None] | None = None, split: Callable[[Any], list] | None = None,
         merge: Callable[..., ExperimentResult] | None = None) -> int:
    """``python -m solutions.<chapter>``: the common options (``--profile --device --data --out
    --no-progress --scheduler``) plus the chapter's ``options``; ``configure(args, profile)`` gives
    the chapter's hyper-parameters, ``run`` the result, which is printed and saved. A missing
    dataset ends with its message and exit status 2.

    With ``--scheduler tcp://HOST:8786`` the independent parts of the experiment (``split(hp)``,
    each a smaller configuration that ``run`` accepts) run on the Dask cluster there, one per
    task, and ``merge(hp, device, parts, seconds)`` puts them together into the result a local
    run gives (:mod:`solutions.cluster`)."""
    parser = argparse.ArgumentParser(prog=f"python -m solutions.{chapter}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default=None, help="default: $COURSE_PROFILE or smoke")
    parser.add_argument("--device", choices=CHOICES, default="auto", help="default: CUDA when available, else CPU")
    parser.add_argument("--data", default=None, help="data root (default: $COURSE_DATA or the user cache)")
    parser.add_argument("--out", type=Path, default=Path("_build/experiments") / chapter)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                        help="run the independent parts on this Dask scheduler's workers (see the README)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="run the independent parts on a local Dask cluster of N processes, one thread each "
                             "(e.g. 2 on a 2-core machine)")
    if options:
        options(parser)
    args = parser.parse_args(argv)
    profile = current_profile(args.profile)
    try:
        hp = configure(args, profile)
    except KeyError as err:
        if str(err).strip("'\"") != profile:
            raise
        print(f"error: {chapter} has no {profile!r} preset yet (solutions/{chapter}/config.py)", file=sys.stderr)
        return 2
    if args.workers and args.scheduler:
        parser.error("--workers starts a local cluster; --scheduler names a running one: choose one")
    device = pick_device(args.device) if not (args.scheduler or args.workers) else f"{args.device} on each Dask worker"
    print(f"profile {profile}, device {device}: {hp}")
    if before:
        before(hp, device)
    from . import provenance as prov
    git = prov.git_state()  # the code that runs: edits made while it runs are not in it
    try:
        if args.scheduler or args.workers:
            from .cluster import local_cluster, run_on_cluster
            with local_cluster(args.workers) as address:
                result = run_on_cluster(chapter, hp, scheduler=args.scheduler or address, device=args.device,
                                        root=args.data, split=split, merge=merge, progress=not args.no_progress)
        else:
            result = run(hp, device, root=args.data, progress=not args.no_progress)
    except DatasetNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result.table())
    words = list(sys.argv[1:] if argv is None else argv)
    # a local cluster runs on this machine: its device is this machine's (named, not "auto")
    record = prov.record(command=shlex.join(["python", "-m", f"solutions.{chapter}", *words]), chapter=chapter,
                         profile=profile, hp=hp, device=pick_device(args.device) if args.workers else device,
                         seconds=result.seconds, workers=args.workers or None, git=git)
    for path in save(result, args.out, provenance=record):
        print(f"wrote {path}")
    print(f"done in {result.seconds:.1f} s")
    return 0
