"""frn_vs_bn's trusted checks, kernel-free: every mutant fails the checks it names on two
per-run seeds, and the seed notebook's comparison bug loses the protocol's points with a
message that says why."""
import pytest
import torch

from autograder import chapters
from autograder.limits import SELFTEST_SEED
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("frn_vs_bn")


def namespace(cell_sources):
    """The reference, the notebook's given names (VARIANT_PRELUDE), then ``cell_sources`` run over them."""
    ns = dict(CH.reference)
    exec(compile(CH.checks_module.VARIANT_PRELUDE, "<prelude>", "exec"), ns)
    for name, source in cell_sources.items():
        exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


@pytest.mark.parametrize("mutant", CH.mutants, ids=lambda m: m.name)
def test_every_mutant_fails_the_checks_it_names_kernel_free(mutant):
    ns = namespace({mutant.cell: mutant.source(CH.solutions[mutant.cell])})
    for check in mutant.catches:
        for seed in (SELFTEST_SEED, 1):
            message = run_check(CH.checks[check], ReferenceProbe(CH, ns, seed=seed))
            assert message, f"{mutant.name} passes {check} with seed {seed}"


def test_the_seed_notebooks_comparison_loses_the_protocol_points():
    def seed_style(norms, make_model, make_optimizer, train, seed=0):
        torch.manual_seed(seed)
        model = make_model(norms[0])           # built once ...
        optimizer = make_optimizer(model)
        return {norm: train(model, optimizer, seed) for norm in norms}   # ... and trained again for every norm

    message = run_check(CH.checks["test_compare_norms"], ReferenceProbe(CH, {**CH.reference, "compare_norms": seed_style}))
    assert message and "new model for every norm" in message
