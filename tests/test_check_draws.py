"""Hidden inputs are drawn fresh for every grading run: correct code must pass on every draw.

For each chapter, the reference and every valid variant of the catalogue are checked by every
trusted check under many per-run seeds, in this process (no kernel). Every numeric bound a
check uses (``probe.below`` / ``probe.close``) records its worst ratio of error to bound; the
table is printed (``pytest -s``) and each ratio must stay far below 1, so that correct code
never fails on a rounding accident and a wrong answer fails by the property it breaks."""
import os

import pytest

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

SEEDS = range(int(os.environ.get("COURSE_DRAWS", "100")))
MARGIN = 0.5  # the worst error of correct code stays below half of any bound


def subjects(ch):
    """name -> namespace: the reference, then each variant's cells run over the reference."""
    out = {"reference": ch.reference}
    prelude = getattr(ch.checks_module, "VARIANT_PRELUDE", "")
    for v in ch.variants:
        ns = dict(ch.reference)
        exec(compile(prelude, f"<{ch.name} prelude>", "exec"), ns)
        for cell, source in v.cells.items():
            exec(compile(source, f"<variant {v.name}: {cell}>", "exec"), ns)
        out[f"variant {v.name}"] = ns
    return out


def notebook_state(ch, check, namespace):
    make = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(check)
    return make(namespace) if make else None


@pytest.mark.parametrize("chapter", chapters.names())
def test_correct_code_passes_every_check_on_every_draw(chapter):
    ch = chapters.load(chapter)
    worst: dict[tuple[str, str], tuple[float, int, str]] = {}
    for subject, namespace in subjects(ch).items():
        states = {check: notebook_state(ch, check, namespace) for check in ch.checks}
        for seed in SEEDS:
            for name, check in ch.checks.items():
                probe = ReferenceProbe(ch, namespace, state=states[name], seed=seed)
                message = run_check(check, probe)
                assert message is None, f"{subject} fails {name} with seed {seed}: {message}"
                for bound, ratio in probe.margins.items():
                    if ratio > worst.get((name, bound), (-1.0,))[0]:
                        worst[(name, bound)] = (ratio, seed, subject)
    print(f"\n{chapter}: worst error / bound over {len(SEEDS)} seeds, reference and {len(ch.variants)} variants")
    for (name, bound), (ratio, seed, subject) in sorted(worst.items()):
        print(f"  {name:<28} {bound:<44} {ratio:9.2e}  (seed {seed}, {subject})")
    loose = {k: v for k, v in worst.items() if not v[0] < MARGIN}
    assert not loose, f"bounds without a wide margin over correct code: {loose}"
