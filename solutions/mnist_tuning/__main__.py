"""python -m solutions.mnist_tuning --profile smoke|full [--seeds N] [--epochs E] [--dataset NAME] [--device ...] [--out DIR]

Trains the chapter's CNN (< 10,000 parameters) once per seed and prints a table of
parameters, best-validation epoch and test accuracy per seed; saves the table, result.json,
the learning curves and a grid of misclassified test images under ``--out``.
"""
from __future__ import annotations

import sys

from .. import runner


def options(parser):
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (0, 1, ...); default: the profile's")
    parser.add_argument("--epochs", type=int, default=None, help="default: the profile's (15 in full)")
    parser.add_argument("--dataset", default=None, help="mnist or fashion-mnist (default: the profile's)")


def configure(args, profile):
    from .config import PROFILES, for_dataset

    hp = PROFILES[profile]
    if args.seeds is not None:
        hp = hp.with_(seeds=tuple(range(args.seeds)))
    if args.epochs is not None:
        hp = hp.with_(epochs=args.epochs)
    if args.dataset is not None:
        hp = for_dataset(hp, args.dataset)
    return hp


def summary(hp, device):
    from torchinfo import summary

    from .model import Net
    print(summary(Net(width=hp.width, dropout=hp.dropout), input_size=(1, 1, 28, 28),
                  col_names=("output_size", "num_params"), verbose=0))


def main(argv=None) -> int:
    from .experiment import merge, run, split

    return runner.main(argv, chapter="mnist_tuning", doc=__doc__, configure=configure, run=run, options=options,
                       split=split, merge=merge, before=summary)


if __name__ == "__main__":
    sys.exit(main())
