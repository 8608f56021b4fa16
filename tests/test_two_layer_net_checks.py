"""two_layer_net's trusted checks catch broken code with a useful message."""
from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check


def test_a_check_fails_with_a_useful_message_on_broken_code():
    ch = chapters.load("two_layer_net")
    ref = ch.reference

    def softmax_sum(scores, y):
        loss, d = ref["softmax_loss"](scores, y)
        return loss * len(y), d * len(y)

    message = run_check(ch.checks["test_softmax_loss"], ReferenceProbe(ch, {**ref, "softmax_loss": softmax_sum}))
    assert message and "softmax loss" in message and "relative error" in message
