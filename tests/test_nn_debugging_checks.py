"""nn_debugging's trusted checks, kernel-free: a detector that always fires, or never fires,
loses its points; the checks' own training separates the broken recipes from the fixed ones, the same way every time."""
from dataclasses import asdict

import numpy as np
import pytest

from autograder import chapters
from autograder.limits import SELFTEST_SEED
from autograder.trusted import ReferenceProbe, run_check
from solutions.nn_debugging import CASES, HEALTHY, Finding

CH = chapters.load("nn_debugging")
CHECKS = CH.checks_module


def namespace(cell_sources):
    """The reference, the notebook's given names (VARIANT_PRELUDE), then ``cell_sources`` run over them."""
    ns = dict(CH.reference)
    exec(compile(CHECKS.VARIANT_PRELUDE, "<prelude>", "exec"), ns)
    for name, source in cell_sources.items():
        exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


# A detector is judged on broken and healthy inputs: one that never fires and one that always
# fires (with the right code and subject) both lose the points of its cell.
DETECTORS = {
    "check_loss_at_init": ("test_loss_at_init", lambda *a, **k: [Finding("loss_at_init", "loss", "always", 2.3)]),
    "check_label_diversity": ("test_label_diversity",
                              lambda *a, **k: [Finding("label_diversity", "labels", "always", 0.1)]),
    "check_input_statistics": ("test_input_statistics",
                               lambda *a, **k: [Finding("input_scale", "inputs", "always", 255.0)]),
    "check_labels": ("test_labels", lambda *a, **k: [Finding("label_range", "labels", "always", 1.0)]),
    "check_weight_decay": ("test_weight_decay",
                           lambda *a, **k: [Finding("weight_decay", "param_groups[0]", "always", 0.09)]),
}


@pytest.mark.parametrize("name", sorted(DETECTORS))
@pytest.mark.parametrize("kind", ["never fires", "always fires"])
def test_a_detector_that_never_or_always_fires_loses_its_points(name, kind):
    check, always = DETECTORS[name]
    detector = (lambda *a, **k: []) if kind == "never fires" else always
    for seed in (SELFTEST_SEED, 1, 2):
        message = run_check(CH.checks[check], ReferenceProbe(CH, {**CH.reference, name: detector}, seed=seed))
        assert message, f"a {name} that {kind} passes {check} with seed {seed}"


@pytest.mark.parametrize("answer", [{}, {"conv1.weight": "zero"}], ids=["never fires", "always the same"])
def test_a_degenerate_tensor_finder_that_ignores_its_input_loses_its_points(answer):
    message = run_check(CH.checks["test_find_degenerate_tensors"],
                        ReferenceProbe(CH, {**CH.reference, "find_degenerate_tensors": lambda tensors: dict(answer)}))
    assert message


def test_the_original_notebooks_fixes_lose_their_points():
    """Weight decay 0.1 after 0.9, and uniform_ on [0, 1) for the zeroed layers."""
    def seed_weight_decay_fix(setup, max_decay_per_step=1e-5):
        return setup.with_(weight_decay=0.1) if setup.lr * setup.weight_decay > max_decay_per_step else setup

    message = run_check(CH.checks["test_fixes"],
                        ReferenceProbe(CH, {**CH.reference, "fix_weight_decay": seed_weight_decay_fix}))
    assert message and "weight_decay=0.1" in message

    def seed_repair(model, names):
        import torch

        owners = list(dict.fromkeys(n.rpartition(".")[0] for n in names))
        with torch.no_grad():
            for owner in owners:
                for p in model.get_submodule(owner).parameters(recurse=False):
                    torch.nn.init.uniform_(p)
        return owners

    message = run_check(CH.checks["test_repair_degenerate"], ReferenceProbe(CH, {**CH.reference,
                                                                                 "repair_degenerate": seed_repair}))
    assert message and "uniform_" in message


def test_the_checks_training_separates_broken_recipes_from_their_fixes_and_is_repeatable():
    """On the checks' class-sorted task the fixed recipe reaches the target and the original
    notebook's bugs stay far below it; the same draw gives the same accuracy twice."""
    for seed in range(3):
        task = CHECKS.sorted_task(np.random.default_rng(seed))
        healthy = CHECKS.train_setup_accuracy(asdict(HEALTHY), task)
        assert healthy >= CHECKS.TARGET + 0.15, (seed, healthy)
        assert CHECKS.train_setup_accuracy(asdict(HEALTHY), task) == healthy
        for name in ("unshuffled", "weight_decay"):
            broken = CHECKS.train_setup_accuracy(asdict(CASES[name].broken), task)
            assert broken < CHECKS.TARGET - 0.2, (seed, name, broken)
        both = CHECKS.train_setup_accuracy(asdict(CHECKS.SEED_SETUP), task)
        assert both < CHECKS.TARGET - 0.2, (seed, both)
