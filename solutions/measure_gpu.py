"""python -m solutions.measure_gpu [--budget 480] [--out DIR] [--epochs 10] [--parallel 3] [--smoke] [--plan]

What one GPU can measure of the course in a few minutes (``make measure-gpu``), in this order:

1. the pipeline benchmark of frn_vs_bn (:mod:`solutions.frn_vs_bn.bench`): the original
   notebook's per-image DataLoader against the course's on-device pipeline, NiN at full width,
   50,000 CIFAR-10-sized images (random pixels where CIFAR-10 is absent), median of 3 epochs
   each, side by side in one run;
2. as much of frn_vs_bn's sweep (BatchNorm, FRN, GroupNorm; a fresh model and optimizer for
   every run) as the budget allows: the full profile's NiN, optimizer, schedule and learning
   rates, on **Fashion-MNIST** (the dataset that is present offline; CIFAR-10 is the full
   profile's) and ``--epochs`` epochs (default 10, the full profile's 40 do not fit). Cells
   (one batch size and one seed: the three normalisations, trained at the same time in
   ``--parallel`` processes) run in the order (128, 0), (32, 0), (128, 1), (128, 2), (32, 1),
   (32, 2), then batch 8, 4 and 2; before each, the time it will take is estimated from the
   step time measured at start and the slowdown seen so far, and a cell that would end past
   the budget is left out (printed, and recorded with its estimate in ``provenance.json``).

Everything is written under ``--out`` (default ``book/frn_vs_bn/measured/gpu``) as it is
measured: ``bench.json`` after the benchmark, ``table.md``, ``result.json`` and
``provenance.json`` after every cell, the two figures at the end (``--figures-from
result.json`` draws them again from a result, e.g. a run that was cut off). The other chapters'
full profiles are not attempted: they are listed at the end with the reason.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

DEFAULT_OUT = Path("book/frn_vs_bn/measured/gpu")
ORDER = [(128, 0), (32, 0), (128, 1), (128, 2), (32, 1), (32, 2),
         (8, 0), (8, 1), (8, 2), (4, 0), (4, 1), (4, 2), (2, 0), (2, 1), (2, 2)]
DATASET_NOTE = "Fashion-MNIST ({}): the full profile's dataset, CIFAR-10, cannot be downloaded here"
NOT_ATTEMPTED = {
    "two_layer_net": "NumPy on the CPU: nothing to measure on a GPU",
    "mnist_tuning": "its full budget on Fashion-MNIST was measured on an H200 before (book/mnist_tuning/measured/); "
                    "MNIST, the dataset of its 99.4 % goal, is absent",
    "nn_debugging": "its full profile (ResNet-18 on the PNG folder, 8 broken setups beside their fixes) does not fit "
                    "beside the frn_vs_bn sweep in one budget",
    "lottery_ticket": "its full profile is 3 seeds x 3 strategies x 13+ rounds of 50,000 iterations (hours of "
                      "launch-bound LeNet steps); MNIST is absent",
}

_SPLITS = None   # the worker process's data, loaded once by _init_worker


def sweep_hparams(epochs: int, smoke: bool = False):
    from .frn_vs_bn.config import PROFILES

    if smoke:  # seconds on a CPU: the code path, not a result
        return PROFILES["full"].with_(dataset="fashion-mnist", n_train=256, n_val=128, n_test=256, width=0.25,
                                      epochs=2)
    return PROFILES["full"].with_(dataset="fashion-mnist", epochs=epochs)


def _init_worker(hp, root):
    global _SPLITS
    from coursekit.splits import image_splits

    _SPLITS = image_splits(hp.dataset, n_val=hp.n_val, n_train=hp.n_train, n_test=hp.n_test, seed=0, root=root)


def _train(hp, norm: str, batch_size: int, seed: int, device: str):
    """One fresh NiN of ``norm``: exactly the run that ``run_batch_size`` gives it among the other norms."""
    import torch
    from .frn_vs_bn.experiment import run_batch_size

    return run_batch_size(hp.with_(norms=(norm,)), _SPLITS, batch_size, seed, torch.device(device),
                          progress=False)[0]


def probe(hp, splits, device, batch_sizes, steps: int = 20) -> dict:
    """Seconds per training step of each norm at each batch size (the second of two short epochs
    through :func:`coursekit.train.fit`, alone on the device) and seconds of one epoch's evaluation
    (validation + test)."""
    import torch
    from coursekit.train import evaluate, fit
    from .frn_vs_bn.data import make_augment, make_prepare, settings
    from .frn_vs_bn.experiment import make_model_factory

    s = settings(hp.dataset)
    prepare, augment = make_prepare(s), make_augment(s)
    make = make_model_factory(hp, s.in_channels)
    out = {"step": {}, "eval": {}}
    for norm in hp.norms:
        out["step"][norm] = {}
        for b in batch_sizes:
            n = min(b * steps, len(splits.train[1]))
            torch.manual_seed(0)
            model = make(norm)
            optimizer = torch.optim.SGD(model.parameters(), lr=hp.lr(b), momentum=hp.momentum, nesterov=True,
                                        weight_decay=hp.weight_decay)
            h = fit(model, (splits.train[0][:n], splits.train[1][:n]), epochs=2, optimizer=optimizer, batch_size=b,
                    device=device, prepare=prepare, augment=augment, progress=False, amp=hp.amp)
            out["step"][norm][str(b)] = h.seconds[-1] / -(-n // b)
        start = time.perf_counter()
        evaluate(model, splits.val, prepare=prepare, amp=hp.amp)
        evaluate(model, splits.test, prepare=prepare, amp=hp.amp)
        out["eval"][norm] = time.perf_counter() - start
    return out


def estimate(hp, probed: dict, n_train: int, batch_size: int, slowdown: float, together: bool) -> float:
    """Seconds of one cell, ``slowdown`` times the standalone estimate: its norms trained at the same
    time (``together``: the slowest one) or one after the other (their sum)."""
    steps = -(-n_train // batch_size)
    each = [hp.epochs * (steps * probed["step"][norm][str(batch_size)] + probed["eval"][norm]) for norm in hp.norms]
    return (max(each) if together else sum(each)) * slowdown


def result_from_json(path: Path):
    """The frn_vs_bn ``Result`` of a saved ``result.json`` (to draw its figures again)."""
    from .frn_vs_bn.config import Hparams
    from .frn_vs_bn.experiment import Result, Run

    data = json.loads(Path(path).read_text())
    hp = Hparams(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["hp"].items()})
    return Result(hp=hp, device=data["device"], runs=[Run(**r) for r in data["runs"]],
                  dependence=data.get("dependence", {}), seconds=data.get("seconds", 0.0))


def save_figures(result, out: Path, log=print) -> list[Path]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is missing: no figures (draw them later with --figures-from result.json)")
        return []
    paths = []
    for name, fig in result.figures().items():
        paths.append(out / f"{name}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.measure_gpu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=480.0,
                        help="seconds: no training is started that would end after this (default 480)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=None,
                        help="processes that train a cell's norms at the same time (default: 3 on CUDA, 1 on a CPU)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--data", default=None, help="data root (default: $COURSE_DATA or the user cache)")
    parser.add_argument("--no-bench", action="store_true")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds on a CPU: a tiny benchmark and sweep (the code path; the numbers mean nothing)")
    parser.add_argument("--plan", action="store_true", help="probe the step times, print the plan, train nothing")
    parser.add_argument("--figures-from", type=Path, default=None, metavar="RESULT_JSON",
                        help="only draw the figures of a saved result.json into --out")
    args = parser.parse_args(argv)
    if args.figures_from:
        for p in save_figures(result_from_json(args.figures_from), args.out):
            print(f"wrote {p}")
        return 0

    import torch
    from coursekit.device import pick_device
    from coursekit.splits import image_splits
    from . import provenance as prov
    from .frn_vs_bn import bench
    from .frn_vs_bn.experiment import Result, measure_dependence

    start = time.perf_counter()
    deadline = start + args.budget
    command = shlex.join(["python", "-m", "solutions.measure_gpu", *(sys.argv[1:] if argv is None else argv)])
    device = pick_device(args.device)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    name = prov.device_name(device)
    print(f"measure_gpu on {name}, torch {torch.__version__}, budget {args.budget:.0f} s, out {out}", flush=True)
    if device.type != "cuda" and not args.smoke:
        print("warning: no GPU: these are CPU figures (use --smoke for a quick check of the code path)")
    left_out: list[dict] = []

    # 1. the pipeline benchmark
    if args.no_bench:
        left_out.append({"what": "pipeline benchmark", "why": "--no-bench"})
    else:
        t = time.perf_counter()
        size = dict(n=32, repeats=1, batch_size=16, workers=0) if args.smoke else dict(repeats=3)
        m = bench.measure(device=device, root=args.data, **size)
        print(bench.report(m), flush=True)
        rec = prov.record(command=command, chapter="frn_vs_bn", profile="full", hp=None,
                          device=device, seconds=time.perf_counter() - t, seeds=[0],
                          what="solutions.frn_vs_bn.bench.measure: seconds per epoch, seed pipeline vs course pipeline")
        path = prov.write(out / "bench.json", {**m, "provenance": rec})
        print(f"wrote {path}", flush=True)

    # 2. the frn_vs_bn sweep
    hp = sweep_hparams(args.epochs, args.smoke)
    order = [(64, 0), (32, 0)] if args.smoke else [(b, s) for b, s in ORDER if b in hp.batch_sizes and s in hp.seeds]
    parallel = args.parallel or (len(hp.norms) if device.type == "cuda" else 1)
    t_sweep = time.perf_counter()
    splits = image_splits(hp.dataset, n_val=hp.n_val, n_train=hp.n_train, n_test=hp.n_test, seed=0, root=args.data)
    n_train = len(splits.train[1])
    print(f"sweep: {hp.dataset}, {splits.describe()}; NiN width {hp.width}, {hp.epochs} epochs, "
          f"{parallel} training(s) at a time", flush=True)
    dependence = measure_dependence(hp, splits, device)
    probed = probe(hp, splits, device, sorted({b for b, _ in order}), steps=3 if args.smoke else 20)
    for norm, row in probed["step"].items():
        print(f"  step seconds {norm}: " + ", ".join(f"batch {b} {1000 * v:.2f} ms" for b, v in row.items())
              + f"; evaluation {probed['eval'][norm]:.2f} s / epoch", flush=True)
    slowdown = float(parallel)        # until a cell is measured: no gain from running the norms together
    me = sys.modules.get("solutions.measure_gpu") or __import__("solutions.measure_gpu", fromlist=["_train"])
    runs, done = [], []
    pool = None

    def write_records(final: bool):
        sizes = tuple(sorted({b for b, _ in done}))
        seeds = tuple(sorted({s for _, s in done}))
        rec_hp = hp.with_(batch_sizes=sizes or hp.batch_sizes[:0], seeds=seeds or hp.seeds[:0])
        result = Result(hp=rec_hp, device=name, runs=list(runs), dependence=dependence,
                        seconds=time.perf_counter() - t_sweep)
        (out / "table.md").write_text(result.table() + "\n")
        (out / "result.json").write_text(json.dumps({**result.summary(), "seconds": result.seconds}, indent=1,
                                                    default=str) + "\n")
        rec = prov.record(command=command, chapter="frn_vs_bn", profile="full", hp=rec_hp,
                          device=device, seconds=result.seconds, data=DATASET_NOTE.format(splits.describe()), complete=final,
                          cells=[{"batch_size": b, "seed": s} for b, s in done], concurrent_trainings=parallel,
                          step_seconds=probed, budget=args.budget, left_out=left_out,
                          not_attempted=NOT_ATTEMPTED)
        prov.write(out / "provenance.json", rec)
        return result

    if args.plan:
        for b, s in order:
            print(f"  plan: batch {b} seed {s}: about {estimate(hp, probed, n_train, b, slowdown, parallel > 1):.0f} s "
                  f"(slowdown {slowdown:.1f}, before any cell is measured)")
        return 0
    try:
        for b, s in order:
            left = deadline - time.perf_counter()
            est = estimate(hp, probed, n_train, b, slowdown, parallel > 1)
            if est > left:
                why = f"estimated {est:.0f} s, {max(left, 0):.0f} s of the budget left"
                left_out.append({"what": f"batch {b} seed {s}", "why": why, "estimated_seconds": round(est)})
                print(f"left out: batch {b} seed {s} ({why})", flush=True)
                continue
            t = time.perf_counter()
            cell = []
            if parallel > 1:
                if pool is None:
                    import multiprocessing
                    from concurrent.futures import ProcessPoolExecutor
                    pool = ProcessPoolExecutor(max_workers=parallel, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=me._init_worker, initargs=(hp, args.data))
                try:
                    futures = [pool.submit(me._train, hp, norm, b, s, str(device)) for norm in hp.norms]
                    cell = [f.result() for f in futures]
                except Exception as err:  # a broken pool: train this cell and the rest one at a time here
                    print(f"parallel training failed ({type(err).__name__}: {err}); training one at a time",
                          flush=True)
                    pool.shutdown(cancel_futures=True)
                    pool, parallel, slowdown, cell = None, 1, 1.0, []
            if not cell:
                me._SPLITS = splits
                cell = [me._train(hp, norm, b, s, str(device)) for norm in hp.norms]
            took = time.perf_counter() - t
            slowdown = max(1.0, took / estimate(hp, probed, n_train, b, 1.0, parallel > 1))
            runs.extend(cell)
            done.append((b, s))
            print(f"batch {b} seed {s}: " + ", ".join(f"{r.norm} {100 * r.test_acc:.2f} % ({r.seconds:.0f} s)"
                                                      for r in cell)
                  + f"; cell {took:.0f} s, {slowdown:.2f}x the standalone estimate", flush=True)
            write_records(final=False)
    finally:
        if pool is not None:
            pool.shutdown()
    result = write_records(final=True)
    print(result.table())
    for p in save_figures(result, out):
        print(f"wrote {p}")
    print(f"left out of the frn_vs_bn full profile: CIFAR-10 (absent: {hp.dataset} instead), epochs "
          f"{hp.epochs} instead of 40" + "".join(f"; {d['what']} ({d['why']})" for d in left_out))
    for chapter, why in NOT_ATTEMPTED.items():
        print(f"not attempted: {chapter}: {why}")
    print(f"done in {time.perf_counter() - start:.0f} s; records in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
