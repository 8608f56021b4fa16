"""The trusted hidden checks of every chapter against the reference package itself (kernel-free)."""
import pytest

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

CHECKED = [(name, check) for name in chapters.names() for check in chapters.load(name).checks]


@pytest.mark.parametrize("chapter,check", CHECKED)
def test_every_check_passes_on_the_reference(chapter, check):
    ch = chapters.load(chapter)
    state = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(check)
    probe = ReferenceProbe(ch, state=state(ch.reference) if state else None)
    assert run_check(ch.checks[check], probe) is None


@pytest.mark.parametrize("chapter", chapters.names())
def test_a_crashing_student_function_fails_every_check_with_its_message(chapter):
    ch = chapters.load(chapter)

    def boom(*a, **k):
        raise ValueError("not today")

    broken = {name: (boom if callable(value) else value) for name, value in ch.reference.items()}
    for name, check in ch.checks.items():
        state = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(name)
        if state:
            continue  # reads notebook state, not functions
        message = run_check(check, ReferenceProbe(ch, broken))
        assert message and "not today" in message, (name, message)
