"""python -m solutions.two_layer_net --profile smoke|full [--device ...] [--out DIR]

Tunes a TwoLayerNet by a learning-rate / regularisation search, trains a FullyConnectedNet
with the Solver, and saves the table, result.json, the training curves and the first-layer
weights under ``--out``. The chapter is NumPy: it runs on the CPU whatever ``--device`` says.
"""
from __future__ import annotations

import sys

from .. import runner


def configure(args, profile):
    from .config import PROFILES

    return PROFILES[profile]


def main(argv=None) -> int:
    from .experiment import run

    return runner.main(argv, chapter="two_layer_net", doc=__doc__, configure=configure, run=run)


if __name__ == "__main__":
    sys.exit(main())
