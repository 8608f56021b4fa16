"""mnist_tuning's trusted checks catch broken training loops with a useful message."""
import torch

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check


def test_mnist_checks_fail_a_training_loop_that_never_shuffles():
    ch = chapters.load("mnist_tuning")
    ref = ch.reference

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

    message = run_check(ch.checks["test_train_one_epoch"], ReferenceProbe(ch, {**ref, "train_one_epoch": in_order}))
    assert message and "stored order" in message
