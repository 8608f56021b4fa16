"""python -m solutions.two_layer_net --profile smoke|full [--device ...] [--out DIR]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.device import CHOICES
from coursekit.profiles import PROFILES, current_profile

from ..runner import run_and_save


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.two_layer_net", description=__doc__)
    parser.add_argument("--profile", choices=PROFILES, default=None, help="default: $COURSE_PROFILE or smoke")
    parser.add_argument("--device", choices=CHOICES, default="auto",
                        help="accepted for symmetry with the other runners; this chapter is NumPy and runs on the CPU")
    parser.add_argument("--data", default=None, help="data root (default: $COURSE_DATA or the user cache)")
    parser.add_argument("--out", type=Path, default=Path("_build/experiments/two_layer_net"))
    args = parser.parse_args(argv)
    from .experiment import run, save

    return run_and_save(lambda: run(current_profile(args.profile), root=args.data), save, args.out)


if __name__ == "__main__":
    sys.exit(main())
