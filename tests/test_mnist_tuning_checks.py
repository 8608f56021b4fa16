"""mnist_tuning's trusted checks: fresh hidden inputs per run, every mutant caught kernel-free,
and broken training loops fail with a useful message."""
import pytest
import torch

from autograder import chapters
from autograder.limits import SELFTEST_SEED
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("mnist_tuning")


def namespace(cell_sources):
    """The reference, the notebook's given names (VARIANT_PRELUDE), then ``cell_sources`` run over them."""
    ns = dict(CH.reference)
    exec(compile(CH.checks_module.VARIANT_PRELUDE, "<prelude>", "exec"), ns)
    for name, source in cell_sources.items():
        exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


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


@pytest.mark.parametrize("mutant", CH.mutants, ids=lambda m: m.name)
def test_every_mutant_fails_the_checks_it_names_kernel_free(mutant):
    ns = namespace({mutant.cell: mutant.source(CH.solutions[mutant.cell])})
    for check in mutant.catches:
        for seed in (SELFTEST_SEED, 1):
            message = run_check(CH.checks[check], ReferenceProbe(CH, ns, seed=seed))
            assert message, f"{mutant.name} passes {check} with seed {seed}"


def test_receptive_field_draws_deep_stacks_and_large_strides():
    stacks = [layers for seed in range(20) for _, layers, _ in CH.checks_module.rf_cases(ReferenceProbe(CH, seed=seed))]
    assert max(len(layers) for layers in stacks) >= 8
    assert {stride for layers in stacks for _, stride, _ in layers} == {1, 2, 3, 4}
    assert {kernel for layers in stacks for kernel, _, _ in layers} == set(range(1, 8))
