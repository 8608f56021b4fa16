"""Every chapter's runner follows the one experiment contract (solutions/runner.py)."""
import importlib
import json

import pytest

from autograder import chapters
from solutions.runner import RESULT, TABLE


def without_seconds(value):
    """``value`` (JSON-like) without the keys that hold wall-clock seconds: they differ between runs; nothing else may."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if "second" not in k}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


@pytest.mark.parametrize("chapter", chapters.names())
def test_runner_smoke_writes_the_table_the_result_and_figures(chapter, tmp_path, capsys):
    main = importlib.import_module(f"solutions.{chapter}.__main__").main
    assert main(["--profile", "smoke", "--device", "cpu", "--out", str(tmp_path), "--no-progress"]) == 0
    table = (tmp_path / TABLE).read_text()
    assert table.startswith("|") and table in capsys.readouterr().out
    result = json.loads((tmp_path / RESULT).read_text())
    assert result["seconds"] > 0
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert figures and all((tmp_path / f).stat().st_size > 1000 for f in figures)


SWEEPS = [c for c in chapters.names() if hasattr(importlib.import_module(f"solutions.{c}.experiment"), "split")]


@pytest.mark.parametrize("chapter", SWEEPS)
def test_the_parts_of_a_sweep_merge_into_the_local_result(chapter):
    """What a Dask cluster computes (``--scheduler``: each part of ``split(hp)`` run on its own,
    then ``merge``) is what one local run computes: the same table and the same result.json."""
    import torch

    exp = importlib.import_module(f"solutions.{chapter}.experiment")
    hp = exp.sweep_example()
    parts = exp.split(hp)
    assert len(parts) >= 2
    whole = exp.run(hp, torch.device("cpu"), progress=False)
    merged = exp.merge(hp, "cpu", [exp.run(p, torch.device("cpu"), progress=False) for p in parts], whole.seconds)
    if "second" not in whole.table() and " s / " not in whole.table():  # some tables show seconds per epoch or round
        assert merged.table() == whole.table()

    def timeless(result):
        text = json.dumps(result.summary(), sort_keys=True, default=str)
        return json.loads(text)

    assert without_seconds(timeless(merged)) == without_seconds(timeless(whole))


def test_the_local_paths_never_import_dask():
    """Without --scheduler, grading and the runners do not import Dask (its import costs a second
    and starts nothing we need)."""
    import subprocess
    import sys

    runners = "; ".join(f"import solutions.{c}.__main__, solutions.{c}.experiment" for c in chapters.names())
    code = (f"import sys, autograder.__main__, autograder.grading, solutions.runner; {runners}; "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
