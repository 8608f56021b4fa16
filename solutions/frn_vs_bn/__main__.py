"""python -m solutions.frn_vs_bn --profile smoke|full [--dataset cifar10|fashion-mnist] [--seeds N] [--epochs E]
                                 [--batch-sizes 2,4,8,32,128] [--norms bn,frn,gn] [--device ...] [--out DIR]

Trains a fresh NiN for every (normalisation, batch size, seed), from the same seed and under
the same schedule, with the learning rate scaled with the batch size; prints and saves the
table of test accuracies (markdown and result.json), test accuracy against batch size, and
the learning curves.
"""
from __future__ import annotations

import sys

from .. import runner


def _ints(text):
    return tuple(int(v) for v in text.split(",") if v.strip())


def options(parser):
    parser.add_argument("--dataset", default=None, help="cifar10 (full default) or fashion-mnist (offline)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (0, 1, ...); default: the profile's")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-sizes", type=_ints, default=None, help="comma-separated, e.g. 2,4,8,32,128")
    parser.add_argument("--norms", default=None, help="comma-separated among bn, frn, gn, none")
    parser.add_argument("--width", type=float, default=None, help="NiN channel multiplier (1.0 = the paper's 192)")


def configure(args, profile):
    from .config import PROFILES, for_dataset
    from .nin import NORMS

    hp = PROFILES[profile]
    if args.dataset is not None:
        hp = for_dataset(hp, args.dataset)
    changes = {}
    if args.seeds is not None:
        changes["seeds"] = tuple(range(args.seeds))
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.batch_sizes:
        changes["batch_sizes"] = args.batch_sizes
    if args.width is not None:
        changes["width"] = args.width
    if args.norms:
        norms = tuple(n.strip() for n in args.norms.split(",") if n.strip())
        unknown = [n for n in norms if n not in NORMS]
        if unknown:
            raise SystemExit(f"error: unknown normalisation(s) {unknown}; choose among {', '.join(NORMS)}")
        changes["norms"] = norms
    return hp.with_(**changes)


def main(argv=None) -> int:
    from .experiment import merge, run, split

    return runner.main(argv, chapter="frn_vs_bn", doc=__doc__, configure=configure, run=run, options=options,
                       split=split, merge=merge)


if __name__ == "__main__":
    sys.exit(main())
