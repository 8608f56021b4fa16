"""lottery_ticket's trusted checks, kernel-free: the seed notebook's "late rewinding" (back to
the fully trained weights) loses the IMP points with a message that says why."""
from autograder import chapters
from autograder.limits import SELFTEST_SEED
from autograder.trusted import ReferenceProbe, run_check

CH = chapters.load("lottery_ticket")


def namespace(cell_sources):
    """The reference, the notebook's given names (VARIANT_PRELUDE), then ``cell_sources`` run over them."""
    ns = dict(CH.reference)
    exec(compile(CH.checks_module.VARIANT_PRELUDE, "<prelude>", "exec"), ns)
    for name, source in cell_sources.items():
        exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


SEED_STYLE_IMP = """
def iterative_magnitude_pruning(make_model, train_fn, rounds, rates, strategy="init", *, late_iteration=0, seed=0,
                                fixed_masks=None):
    model = seeded(make_model, seed)
    masks = {n: torch.ones_like(effective_weight(model, n), dtype=torch.bool) for n in rates}
    target = snapshot(model)
    results = []
    for r in range(rounds + 1):
        if r > 0:
            masks = prune_layerwise(model, masks, rates)
            rewind(model, masks, target)
        report = train_fn(model, None)
        if r == 0 and strategy == "late":
            target = snapshot(model)              # "late rewinding": the weights at the end of training
        results.append(RoundResult(round=r, remaining={n: int(m.sum()) for n, m in masks.items()},
                                   sizes={n: m.numel() for n, m in masks.items()},
                                   early_stop_iteration=report.early_stop_iteration, test_acc=report.test_acc,
                                   val_loss=report.val_loss, masks={n: m.clone() for n, m in masks.items()}))
    return results
"""


def test_the_seed_notebooks_late_rewinding_loses_the_imp_points():
    """The original notebook saved the weights at the end of the first training and rewound
    every later round to them: fine-tuning under the name of late rewinding."""
    ns = namespace({"imp": SEED_STYLE_IMP})
    message = run_check(CH.checks["test_imp"], ReferenceProbe(CH, ns, seed=SELFTEST_SEED))
    assert message and "'late'" in message, message
    assert "END of its training" in message and "fine-tuning" in message and "late_iteration" in message, message


def test_the_checks_pass_the_reference_and_name_their_case():
    for check in CH.checks.values():
        assert run_check(check, ReferenceProbe(CH, seed=SELFTEST_SEED)) is None
