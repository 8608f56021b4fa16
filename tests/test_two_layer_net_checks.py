"""two_layer_net's trusted checks: useful messages (every mutant: tests/test_mutants.py)."""
from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("two_layer_net")


def test_a_check_fails_with_a_useful_message_on_broken_code():
    ref = CH.reference

    def softmax_sum(scores, y):
        loss, d = ref["softmax_loss"](scores, y)
        return loss * len(y), d * len(y)

    message = run_check(CH.checks["test_softmax_loss"], ReferenceProbe(CH, {**ref, "softmax_loss": softmax_sum}))
    assert message and "softmax loss" in message and "relative error" in message
    assert "scores of scale" in message  # says which input
