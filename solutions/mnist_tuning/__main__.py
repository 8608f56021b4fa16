"""python -m solutions.mnist_tuning --profile smoke|full [--seeds N] [--dataset NAME] [--device ...] [--out DIR]

Trains the chapter's CNN (< 10,000 parameters) once per seed and prints a table of
parameters, best-validation epoch and test accuracy per seed; saves the table, the
learning curves and a grid of misclassified test images under ``--out``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.device import CHOICES, pick_device
from coursekit.profiles import PROFILES, current_profile

from ..runner import run_and_save


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.mnist_tuning", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default=None, help="default: $COURSE_PROFILE or smoke")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (0, 1, ...); default: the profile's")
    parser.add_argument("--epochs", type=int, default=None, help="default: the profile's (15 in full)")
    parser.add_argument("--dataset", default=None, help="mnist or fashion-mnist (default: the profile's)")
    parser.add_argument("--device", choices=CHOICES, default="auto", help="default: CUDA when available, else CPU")
    parser.add_argument("--data", default=None, help="data root (default: $COURSE_DATA or the user cache)")
    parser.add_argument("--out", type=Path, default=Path("_build/experiments/mnist_tuning"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    from .config import PROFILES as PRESETS, for_dataset
    from .experiment import run, save

    profile = current_profile(args.profile)
    hp = PRESETS[profile]
    if args.seeds is not None:
        hp = hp.with_(seeds=tuple(range(args.seeds)))
    if args.epochs is not None:
        hp = hp.with_(epochs=args.epochs)
    if args.dataset is not None:
        hp = for_dataset(hp, args.dataset)
    device = pick_device(args.device)
    print(f"profile {profile}: {hp.dataset}, {hp.epochs} epochs, seeds {list(hp.seeds)}, device {device}")
    from torchinfo import summary

    from .model import Net
    print(summary(Net(width=hp.width, dropout=hp.dropout), input_size=(1, 1, 28, 28),
                  col_names=("output_size", "num_params"), verbose=0))
    return run_and_save(lambda: run(hp, device, root=args.data, progress=not args.no_progress), save, args.out)


if __name__ == "__main__":
    sys.exit(main())
