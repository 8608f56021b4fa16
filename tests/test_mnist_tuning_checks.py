"""mnist_tuning's trusted checks: broken training loops fail with a useful message, and the
receptive-field draws reach deep stacks and large strides (every mutant: tests/test_mutants.py)."""
import torch

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("mnist_tuning")


def test_mnist_checks_fail_a_training_loop_that_never_shuffles():
    ref = CH.reference

    def in_order(model, images, labels, optimizer, batch_size=128, generator=None, augment=None):
        model.train()
        total = 0.0
        for start in range(0, len(labels), batch_size):
            x, y = ref["to_input"](images[start:start + batch_size]), labels[start:start + batch_size]
            if augment:
                x = augment(x, generator)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        return total / len(labels)

    message = run_check(CH.checks["test_train_one_epoch"], ReferenceProbe(CH, {**ref, "train_one_epoch": in_order}))
    assert message and "stored order" in message


def test_receptive_field_draws_deep_stacks_and_large_strides():
    stacks = [layers for seed in range(20) for _, layers, _ in CH.checks_module.rf_cases(ReferenceProbe(CH, seed=seed))]
    assert max(len(layers) for layers in stacks) >= 8
    assert {stride for layers in stacks for _, stride, _ in layers} == {1, 2, 3, 4}
    assert {kernel for layers in stacks for kernel, _, _ in layers} == set(range(1, 8))
