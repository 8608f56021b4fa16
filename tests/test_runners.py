"""Every chapter's runner follows the one experiment contract (solutions/runner.py)."""
import importlib
import json

import pytest

from autograder import chapters
from solutions.runner import RESULT, TABLE


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
