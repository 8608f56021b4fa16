"""python -m solutions.nn_debugging --profile smoke|full [--dataset NAME] [--setups a,b,...] [--epochs E]
[--device ...] [--out DIR]

Writes the dataset as the seed notebook's PNG folder (once; cached under the data root),
trains the healthy recipe, then every broken setup beside its fix (and beside the seed
notebook's own fix where that differs), each diagnosed by ``sanity_report`` before training.
Saves table.md (final validation accuracy broken / fixed, the findings), result.json and the
curves of each broken setup beside its fix under ``--out``.
"""
from __future__ import annotations

import sys

from .. import runner


def options(parser):
    from .config import CASE_NAMES
    from .data import DATASETS

    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="fashion-mnist (offline default), mnist or synthetic digits")
    parser.add_argument("--setups", default=None,
                        help=f"comma-separated cases to run (default: all): {','.join(CASE_NAMES)}")
    parser.add_argument("--epochs", type=int, default=None, help="epochs from scratch (default: the profile's)")


def configure(args, profile):
    from .config import PROFILES

    hp = PROFILES[profile]
    if args.dataset is not None:
        hp = hp.with_(dataset=args.dataset)
    if args.setups:
        hp = hp.with_(cases=tuple(name.strip() for name in args.setups.split(",") if name.strip()))
    if args.epochs is not None:
        hp = hp.with_(epochs=args.epochs)
    return hp


def check_cases(hp, device):
    from .setups import CASES

    unknown = [name for name in hp.cases if name not in CASES]
    if unknown:
        raise SystemExit(f"error: unknown setup(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")


def main(argv=None) -> int:
    from .experiment import run

    return runner.main(argv, chapter="nn_debugging", doc=__doc__, configure=configure, run=run, options=options,
                       before=check_cases)


if __name__ == "__main__":
    sys.exit(main())
