"""Attacks of the catalogue that can be checked without a kernel."""
import pytest

from autograder import chapters
from autograder.attacks import REPLAY, replay_table
from autograder.trusted import ReferenceProbe, probe_source, run_check


def probe_cells(ch, seed):
    """The probe cells the grader sends to the kernel for every check in a run with ``seed``."""
    sent = []

    class Capture(ReferenceProbe):
        def run(self, code, **inputs):
            sent.append((code, inputs))
            return super().run(code, **inputs)

    for name, check in ch.checks.items():
        state = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(name)
        run_check(check, Capture(ch, state=state(ch.reference) if state else None, seed=seed))
    return sent


@pytest.mark.parametrize("chapter", chapters.names())
def test_the_replay_attack_answers_a_replayed_run_and_no_fresh_one(chapter):
    """The attack is real (it answers every hidden probe of the run it recorded), and useless
    against grading runs that draw fresh hidden inputs."""
    ch = chapters.load(chapter)

    class Shell:
        input_transformers_post = []

    namespace = {"get_ipython": lambda: Shell}
    exec(REPLAY.format(table=replay_table(chapter, seed=11, max_bytes=10**9)), namespace)
    transform = Shell.input_transformers_post[0]
    marker = "__COURSE_OBS_" + "ab" * 16 + "__"

    def answered(seed):
        cells = [probe_source(code, inputs, marker) for code, inputs in probe_cells(ch, seed)]
        return [transform(c.splitlines(keepends=True)) != c.splitlines(keepends=True) for c in cells]

    same = answered(11)
    assert same and all(same), "the attack answers every probe of the run it recorded"
    fresh = answered(12)
    assert not any(fresh), f"{sum(fresh)} of {len(fresh)} hidden probes repeat their inputs in another run"
