"""two_layer_net's trusted checks: useful messages, fresh hidden inputs, and every mutant caught
kernel-free on every draw (the selftest grades them in kernels at one seed)."""
import pytest

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("two_layer_net")
SEEDS = range(3)


def test_a_check_fails_with_a_useful_message_on_broken_code():
    ref = CH.reference

    def softmax_sum(scores, y):
        loss, d = ref["softmax_loss"](scores, y)
        return loss * len(y), d * len(y)

    message = run_check(CH.checks["test_softmax_loss"], ReferenceProbe(CH, {**ref, "softmax_loss": softmax_sum}))
    assert message and "softmax loss" in message and "relative error" in message
    assert "scores of scale" in message  # says which input


def _namespace(cells: dict) -> dict:
    """The notebook with ``cells`` replaced (given cells and reference answers elsewhere), as in the kernel."""
    ns = dict(CH.reference)
    exec(compile(CH.checks_module.VARIANT_PRELUDE, "<prelude>", "exec"), ns)
    ns["plt"] = CH.checks_module._NoPlots()
    for cell, source in cells.items():
        exec(compile(source, f"<{cell}>", "exec"), ns)
    return ns


@pytest.mark.parametrize("mutant", CH.mutants, ids=lambda m: m.name)
def test_every_mutant_is_caught_by_its_checks_on_every_draw(mutant):
    ns = _namespace({mutant.cell: mutant.source(CH.solutions[mutant.cell])})
    for check in mutant.catches:
        make = CH.checks_module.NOTEBOOK_STATE.get(check)
        state = make(ns) if make else None
        for seed in SEEDS:
            message = run_check(CH.checks[check], ReferenceProbe(CH, ns, state=state, seed=seed))
            assert message, f"mutant {mutant.name} passes {check} with seed {seed}"
