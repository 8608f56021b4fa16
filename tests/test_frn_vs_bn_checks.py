"""frn_vs_bn's trusted checks, kernel-free: the seed notebook's comparison bug loses the
protocol's points with a message that says why (every mutant: tests/test_mutants.py)."""
import torch

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("frn_vs_bn")


def test_the_seed_notebooks_comparison_loses_the_protocol_points():
    def seed_style(norms, make_model, make_optimizer, train, seed=0):
        torch.manual_seed(seed)
        model = make_model(norms[0])           # built once ...
        optimizer = make_optimizer(model)
        return {norm: train(model, optimizer, seed) for norm in norms}   # ... and trained again for every norm

    message = run_check(CH.checks["test_compare_norms"], ReferenceProbe(CH, {**CH.reference, "compare_norms": seed_style}))
    assert message and "new model for every norm" in message
