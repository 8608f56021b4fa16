"""Mistakes written without reading the checks (``tests/fresh_mutants/``, how: its README.md):
every one the checks catch stays caught, and every one is either caught, not a mistake under the
chapter's contract, or an open blind spot named with why (``tests/fresh_mutants/verdicts.py``).
Kernel-free, as ``tests/test_mutants.py``."""
import importlib

import pytest

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check
from fresh_mutants.verdicts import CATCHES, NOT_MISTAKES, OPEN
from test_check_draws import in_processes, notebook_state
from test_mutants import namespace


def fresh(chapter):
    return importlib.import_module(f"fresh_mutants.{chapter}").FRESH


def escapes(chapter, seeds) -> list[str]:
    """'<mutant> passes <check> with seed s' for every recorded catch that no longer holds."""
    ch = chapters.load(chapter)
    out = []
    for m in fresh(chapter):
        checks = CATCHES.get(chapter, {}).get(m.name, [])
        if not checks:
            continue
        ns = namespace(ch, {m.cell: m.source(ch.solutions[m.cell])})
        for check in checks:
            for seed in seeds:
                if not run_check(ch.checks[check], ReferenceProbe(ch, ns, state=notebook_state(ch, check, ns), seed=seed)):
                    out.append(f"{m.name} passes {check} with seed {seed}")
    return out


@pytest.mark.parametrize("chapter", chapters.names())
def test_every_fresh_mutant_has_a_verdict(chapter):
    names = {m.name for m in fresh(chapter)}
    judged = set(CATCHES.get(chapter, {})) | {n for c, n in NOT_MISTAKES if c == chapter} | {n for c, n in OPEN if c == chapter}
    assert names == judged, f"without a verdict: {sorted(names - judged)}; verdicts of no mutant: {sorted(judged - names)}"
    assert len(names) >= 5


@pytest.mark.parametrize("chapter", chapters.names())
def test_the_fresh_mutants_that_are_caught_stay_caught(chapter):
    found = escapes(chapter, [0])
    assert not found, "; ".join(found)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", chapters.names())
def test_the_fresh_mutants_stay_caught_on_more_draws(chapter):
    found = [hole for part in in_processes(escapes, chapter, range(1, 7)) for hole in part]
    assert not found, "; ".join(found)
