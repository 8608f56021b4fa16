"""The trusted hidden tests against the reference package itself, and against broken code."""
import numpy as np
import pytest

from autograder import checks
from autograder.checks import two_layer_net as tln
from autograder.trusted import Probe, run_check


class ReferenceProbe(Probe):
    """A probe whose 'kernel' is a namespace in this process (the reference, or a mutant of it)."""

    def __init__(self, namespace, extra=None, chapter="two_layer_net"):
        super().__init__(runner=None, reference_namespace=checks.reference(chapter), timeout=10)
        self.namespace = {**namespace, **(extra or {})}

    def run(self, code, **inputs):
        saved, self._reference = self._reference, self.namespace
        try:
            return self.reference(code, **inputs)
        finally:
            self._reference = saved


def overfit_state():
    from coursekit.solver import Solver
    from solutions.two_layer_net import FullyConnectedNet
    rng = np.random.default_rng(0)
    small = {"X_train": rng.standard_normal((50, 20)), "y_train": rng.integers(4, size=50),
             "X_val": rng.standard_normal((10, 20)), "y_val": rng.integers(4, size=10)}
    model = FullyConnectedNet([30], input_dim=20, num_classes=4, weight_scale=0.1, seed=0)
    solver = Solver(model, small, optim_config={"learning_rate": 0.5}, num_epochs=30, batch_size=25, verbose=False)
    solver.train()
    return {"small_data": small, "overfit_model": model, "solver": solver}


CHECKED = [(chapter, name) for chapter in ("two_layer_net", "mnist_tuning") for name in sorted(checks.load(chapter))]


@pytest.mark.parametrize("chapter,name", CHECKED)
def test_every_check_passes_on_the_reference(chapter, name):
    probe = ReferenceProbe(checks.reference(chapter), overfit_state() if name == "test_overfit_small" else None,
                           chapter=chapter)
    assert run_check(checks.load(chapter)[name], probe) is None


def test_mnist_checks_fail_a_training_loop_that_never_shuffles():
    import torch
    ref = checks.reference("mnist_tuning")

    def in_order(model, images, labels, optimizer, batch_size=128, generator=None, augment=None):
        model.train()
        total = 0.0
        for start in range(0, len(labels), batch_size):
            x, y = ref["to_input"](images[start:start + batch_size]), labels[start:start + batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(augment(x, generator) if augment else x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        return total / len(labels)

    message = run_check(checks.load("mnist_tuning")["test_train_one_epoch"],
                        ReferenceProbe(ref, {"train_one_epoch": in_order}, chapter="mnist_tuning"))
    assert message and "stored order" in message


def test_a_check_fails_with_a_useful_message_on_broken_code():
    ref = checks.reference("two_layer_net")

    def softmax_sum(scores, y):
        loss, d = ref["softmax_loss"](scores, y)
        return loss * len(y), d * len(y)

    message = run_check(tln.test_softmax_loss, ReferenceProbe(ref, {"softmax_loss": softmax_sum}))
    assert message and "softmax loss" in message and "relative error" in message


def test_a_crashing_student_function_fails_the_check():
    def boom(*a, **k):
        raise ValueError("not today")

    message = run_check(tln.test_affine_forward, ReferenceProbe(checks.reference("two_layer_net"), {"affine_forward": boom}))
    assert message and "not today" in message
