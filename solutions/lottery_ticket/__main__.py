"""python -m solutions.lottery_ticket --model lenet|textcnn --strategies init,late,random --rounds R --seeds S --profile smoke|full [--device ...] [--out DIR]

Iterative magnitude pruning (IMP) of LeNet-300-100 on Fashion-MNIST (or MNIST) or of a text
CNN on AG News, rewinding the surviving weights to their initial values (init), to their
values after an early iteration k (late) or to a fresh random initialisation (random).
Prints and saves the per-round table (weights remaining per layer and in total, the
early-stopping iteration, test accuracy there), result.json, and two figures: test accuracy
and the early-stopping iteration against the % of weights remaining.
"""
from __future__ import annotations

import sys

from .. import runner


def options(parser):
    parser.add_argument("--model", choices=("lenet", "textcnn"), default="lenet")
    parser.add_argument("--strategies", default=None,
                        help="comma-separated subset of init,late,random (default: all three)")
    parser.add_argument("--rounds", type=int, default=None, help="pruning rounds after the dense round 0")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (0, 1, ...); default: the profile's")
    parser.add_argument("--dataset", default=None, help="lenet: fashion-mnist (default) or mnist")
    parser.add_argument("--iterations", type=int, default=None, help="training iterations per round")
    parser.add_argument("--late-iteration", type=int, default=None, help="k of late rewinding")


def configure(args, profile):
    from .config import preset

    hp = preset(profile, args.model)
    changes = {}
    if args.strategies is not None:
        changes["strategies"] = tuple(s.strip() for s in args.strategies.split(",") if s.strip())
    if args.rounds is not None:
        changes["rounds"] = args.rounds
    if args.seeds is not None:
        changes["seeds"] = tuple(range(args.seeds))
    if args.dataset is not None:
        if args.model != "lenet":
            raise SystemExit("--dataset applies to --model lenet (the text CNN reads AG News)")
        changes["dataset"] = args.dataset
    if args.iterations is not None:
        changes["iterations"] = args.iterations
        if args.late_iteration is None:
            changes["late_iteration"] = min(hp.late_iteration, args.iterations)
    if args.late_iteration is not None:
        changes["late_iteration"] = args.late_iteration
    return hp.with_(**changes)


def describe(hp, device):
    from .pruning import expected_counts, layer_rates

    from .models import LeNet300100
    if hp.model != "lenet":
        return
    rates = layer_rates(LeNet300100())
    for name, rate in rates.items():
        size = LeNet300100().get_submodule(name.rpartition(".")[0]).weight.numel()
        print(f"{name}: {size:,} weights, {rate:.0%} per round -> {expected_counts(size, rate, hp.rounds)[-1]:,} "
              f"after {hp.rounds} rounds")


def main(argv=None) -> int:
    from .experiment import merge, run, split

    return runner.main(argv, chapter="lottery_ticket", doc=__doc__, configure=configure, run=run, options=options,
                       split=split, merge=merge, before=describe)


if __name__ == "__main__":
    sys.exit(main())
