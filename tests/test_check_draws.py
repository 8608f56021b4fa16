"""Hidden inputs are drawn fresh for every grading run: correct code must pass on every draw.

For each chapter, the reference (every check) and every valid variant of the catalogue (the
checks of the cells it replaces) are checked under many per-run seeds, in this process (no
kernel). Every numeric bound a check uses (``probe.below`` / ``probe.close``) records its
worst ratio of error to bound; the table is printed (``pytest -s``) and each ratio must stay
far below 1, so that correct code never fails on a rounding accident and a wrong answer fails
by the property it breaks. The fast suite draws seeds 0-9; the slow suite 50 more (10-59)."""
import pytest

from autograder import chapters
from autograder.trusted import ReferenceProbe, run_check

MARGIN = 0.5  # the worst error of correct code stays below half of any bound


def subjects(ch):
    """(name, namespace, checks): the reference with every check, then each variant's cells run
    over the reference with the checks of the cells it replaces."""
    out = [("reference", ch.reference, list(ch.checks))]
    prelude = getattr(ch.checks_module, "VARIANT_PRELUDE", "")
    for v in ch.variants:
        ns = dict(ch.reference)
        exec(compile(prelude, f"<{ch.name} prelude>", "exec"), ns)
        for cell, source in v.cells.items():
            exec(compile(source, f"<variant {v.name}: {cell}>", "exec"), ns)
        out.append((f"variant {v.name}", ns, sorted({t for cell in v.cells for t in ch.tests_of(cell)})))
    return out


def notebook_state(ch, check, namespace):
    make = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(check)
    return make(namespace) if make else None


def in_processes(fn, chapter, seeds, processes=2):
    """``[fn(chapter, part) for part in parts]`` with ``seeds`` dealt into ``processes`` parts,
    each part in its own process (kernel-free checks use one core; the slow suite runs nothing
    beside them)."""
    import multiprocessing

    parts = [list(seeds)[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.starmap(fn, [(chapter, part) for part in parts])


def draw_part(chapter, seeds):
    """(the first failure or None, {(check, bound): (worst ratio, seed, subject)}) over ``seeds``."""
    ch = chapters.load(chapter)
    worst: dict[tuple[str, str], tuple[float, int, str]] = {}
    for subject, namespace, names in subjects(ch):
        if not names:
            return f"{subject} is checked by no test cell", worst
        states = {check: notebook_state(ch, check, namespace) for check in names}
        for seed in seeds:
            for name in names:
                probe = ReferenceProbe(ch, namespace, state=states[name], seed=seed)
                message = run_check(ch.checks[name], probe)
                if message is not None:
                    return f"{subject} fails {name} with seed {seed}: {message}", worst
                for bound, ratio in probe.margins.items():
                    if ratio > worst.get((name, bound), (-1.0,))[0]:
                        worst[(name, bound)] = (ratio, seed, subject)
    return None, worst


def draws(chapter, seeds, processes=1):
    ch = chapters.load(chapter)
    parts = in_processes(draw_part, chapter, seeds, processes) if processes > 1 else [draw_part(chapter, seeds)]
    worst: dict[tuple[str, str], tuple[float, int, str]] = {}
    for failure, part in parts:
        assert failure is None, failure
        for key, value in part.items():
            if value[0] > worst.get(key, (-1.0,))[0]:
                worst[key] = value
    print(f"\n{chapter}: worst error / bound over {len(seeds)} seeds, reference and {len(ch.variants)} variants")
    for (name, bound), (ratio, seed, subject) in sorted(worst.items()):
        print(f"  {name:<22} {bound:<62} {ratio:9.2e}  (seed {seed}, {subject})")
    loose = {k: v for k, v in worst.items() if not v[0] < MARGIN}
    assert not loose, f"bounds without a wide margin over correct code: {loose}"


@pytest.mark.parametrize("chapter", chapters.names())
def test_correct_code_passes_every_check_on_10_draws(chapter):
    draws(chapter, range(10))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", chapters.names())
def test_correct_code_passes_every_check_on_50_more_draws(chapter):
    draws(chapter, range(10, 60), processes=2)


def blind_spots(ch, seeds) -> list[str]:
    """Observations a check's probes record and the check never reads, and declared domain
    values (``probe.domain``) that a run's cases do not reach: each a blind spot of the check."""
    found = []
    for name, check in ch.checks.items():
        for seed in seeds:
            probe = ReferenceProbe(ch, ch.reference, state=notebook_state(ch, name, ch.reference), seed=seed)
            run_check(check, probe)
            if probe.unused():
                found.append(f"{ch.name}.{name}: observations recorded and never compared: {sorted(probe.unused())}")
            for dimension, values in probe.missed().items():
                found.append(f"{ch.name}.{name} (seed {seed}): {dimension!r} never reached {sorted(map(str, values))}")
    return sorted(set(found))


@pytest.mark.parametrize("chapter", chapters.names())
def test_every_observation_is_compared_and_every_declared_case_is_drawn(chapter):
    """Every run (seeds 0-2 here) reaches every value of every dimension a check declares, and no
    probe records an observation its check never reads."""
    found = blind_spots(chapters.load(chapter), range(3))
    assert not found, "\n".join(found)


def test_the_blind_spot_finder_sees_an_unread_observation_and_an_unreached_case():
    import types

    ch = chapters.load(chapters.names()[0])

    def check(probe):
        probe.domain("dtype", "float32", "float16")
        probe.hit("dtype", "float32")
        obs = probe.reference("__obs__ = {'value': 1.0, 'dtype': 'float32'}")
        probe._observed(dict(obs))["value"]

    fake = types.SimpleNamespace(name="fake", checks={"test_fake": check}, reference=ch.reference, checks_module=None)
    found = blind_spots(fake, [0])
    assert any("never compared: ['dtype']" in f for f in found), found
    assert any("'dtype' never reached ['float16']" in f for f in found), found
