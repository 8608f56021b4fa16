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


def _tiny(chapter):
    """A small configuration with more than one independent part."""
    from solutions.frn_vs_bn.config import PROFILES as FRN
    from solutions.lottery_ticket.config import PROFILES as LTH
    from solutions.mnist_tuning.config import PROFILES as MNIST

    return {"frn_vs_bn": FRN["smoke"].with_(seeds=(0, 1), batch_sizes=(32, 128), n_train=256, n_test=200,
                                            norms=("bn", "frn")),
            "mnist_tuning": MNIST["smoke"].with_(seeds=(0, 1), epochs=1, n_train=500, n_val=200, n_test=300),
            "lottery_ticket": LTH["smoke"].with_(seeds=(0, 1), rounds=2, iterations=60, eval_every=20, late_iteration=20,
                                                 n_train=600, n_val=200, n_test=300)}[chapter]


@pytest.mark.parametrize("chapter", ["frn_vs_bn", "mnist_tuning", "lottery_ticket"])
def test_the_parts_of_a_sweep_merge_into_the_local_result(chapter):
    """What a Dask cluster computes (``--scheduler``: each part of ``split(hp)`` run on its own,
    then ``merge``) is what one local run computes: the same table and the same result.json."""
    import torch

    exp = importlib.import_module(f"solutions.{chapter}.experiment")
    hp = _tiny(chapter)
    parts = exp.split(hp)
    assert len(parts) >= 2
    whole = exp.run(hp, torch.device("cpu"), progress=False)
    merged = exp.merge(hp, "cpu", [exp.run(p, torch.device("cpu"), progress=False) for p in parts], whole.seconds)
    if chapter == "frn_vs_bn":  # the other tables show seconds per epoch or round
        assert merged.table() == whole.table()

    def timeless(result):
        text = json.dumps(result.summary(), sort_keys=True, default=str)
        return json.loads(text)

    def strip(value):  # wall-clock seconds differ between runs; nothing else may
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if "second" not in k}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert strip(timeless(merged)) == strip(timeless(whole))


def test_lottery_parts_keep_the_random_control_with_its_ticket():
    from solutions.lottery_ticket.config import PROFILES
    from solutions.lottery_ticket.experiment import split

    parts = split(PROFILES["smoke"].with_(seeds=(0, 1, 2)))
    assert [(p.seeds, p.strategies) for p in parts[:2]] == [((0,), ("init", "random")), ((0,), ("late",))]
    assert len(parts) == 6
    own = split(PROFILES["smoke"].with_(random_masks="own"))
    assert [p.strategies for p in own] == [("init",), ("late",), ("random",)]


def test_the_local_paths_never_import_dask():
    """Without --scheduler, grading and the runners do not import Dask (its import costs a second
    and starts nothing we need)."""
    import subprocess
    import sys

    code = ("import sys, autograder.__main__, autograder.grading, solutions.runner, solutions.frn_vs_bn.__main__; "
            "import solutions.lottery_ticket.experiment, solutions.mnist_tuning.experiment; "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_what_a_worker_sends_back_holds_no_dataset(tmp_path):
    """A runner's result travels from a Dask worker without its dataset (two_layer_net's held the
    whole of CIFAR-10): the same table, summary and figures from a fraction of the bytes."""
    import pickle

    from solutions.two_layer_net.config import PROFILES
    from solutions.two_layer_net.experiment import run

    result = run(PROFILES["smoke"], progress=False)
    slim = result.without_data()
    assert slim.data is None and slim.fc_solver.X_train is None and result.fc_solver.X_train is not None
    assert len(pickle.dumps(slim)) < len(pickle.dumps(result)) / 5
    assert slim.table() == result.table() and slim.summary() == result.summary()
    assert sorted(slim.figures()) == sorted(result.figures())
