"""Attacks of the catalogue that can be checked without a kernel."""
import numpy as np
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
        before = len(sent)
        run_check(check, Capture(ch, state=state(ch.reference) if state else None, seed=seed))
        sent[before:] = [(name, code, inputs) for code, inputs in sent[before:]]
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
        """check -> for each of its probes, whether the table answers it."""
        out = {}
        for name, code, inputs in probe_cells(ch, seed):
            cell = probe_source(code, inputs, marker).splitlines(keepends=True)
            out.setdefault(name, []).append(transform(cell) != cell)
        return out

    same = answered(11)
    assert set(same) == set(ch.checks) and all(all(v) for v in same.values()), \
        "the attack answers every probe of the run it recorded"
    fresh = answered(12)
    # a check may repeat a fixed case (the original notebook's network), but at least one of its
    # probes must be new in every run: the table cannot answer it, so the check cannot pass
    replayable = [name for name, hits in fresh.items() if all(hits)]
    assert not replayable, f"checks whose every probe repeats its inputs in another run: {replayable}"


def _same(a, b):
    return len(a) == len(b) and all(x.keys() == y.keys() and all(np.shape(x[k]) == np.shape(y[k]) and np.array_equal(x[k], y[k])
                                                                 for k in x) for x, y in zip(a, b))


@pytest.mark.parametrize("chapter,check", [(name, check) for name in chapters.names() for check in chapters.load(name).checks])
def test_hidden_inputs_are_drawn_from_the_run_seed(chapter, check):
    """The same seed gives the same hidden inputs (a run can be reproduced); another seed, others."""
    ch = chapters.load(chapter)

    def inputs(seed):
        return [{k: np.asarray(v) for k, v in given.items()} for name, _, given in probe_cells(ch, seed) if name == check]

    first, again, other = inputs(11), inputs(11), inputs(12)
    assert first, f"{check} sends no probe"
    assert _same(first, again), f"{check}: one run seed must give the same hidden inputs"
    assert not _same(first, other), f"{check}: another run seed must give other hidden inputs"
