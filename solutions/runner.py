"""The end every chapter runner shares: run, report a missing dataset clearly, save, say where."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from coursekit.data import DatasetNotFoundError


def run_and_save(run: Callable[[], object], save: Callable[[object, Path], list[Path]], out: Path) -> int:
    """Call ``run()``; print its table (when it has one), save it under ``out`` and return the exit status
    (2, with the dataset error's message, when a dataset is missing)."""
    try:
        result = run()
    except DatasetNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if hasattr(result, "table"):
        print(result.table())
    for path in save(result, out):
        print(f"wrote {path}")
    print(f"done in {result.seconds:.1f} s")
    return 0
