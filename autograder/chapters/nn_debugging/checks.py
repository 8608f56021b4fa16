"""Trusted hidden tests of nn_debugging (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

Every detector is run on broken inputs *and* on healthy ones: a detector that always fires,
or never does, loses its points. The probes run the student's functions in the kernel and
send back plain observations (the findings as JSON, tensors as arrays); the expected answers
come from :mod:`solutions.nn_debugging` run on the same inputs in this process.

The fixes are judged by what they do to training, measured here and not by the student's
code: a small network on a class-sorted task (the seed notebook's sorted CSV in miniature)
is trained with the student's batch order, the student's training step or the student's
fixed :class:`~solutions.nn_debugging.setups.Setup`, and its validation accuracy is computed
in this process, with the reference evaluation, single-threaded and from fixed seeds (the
grade does not depend on the machine's load). The fixed setups must reach the smoke
profile's target accuracy.

Every hidden input (class counts, tolerances, logits, label batches, pixel batches, which
tensors are damaged and how, optimiser groups, seeds, the task itself) is drawn from
``probe.rng(<name>)``: fresh for every grading run. Every numeric comparison goes through
``probe.below`` / ``probe.close``.
"""
import contextlib
import json
import math
from dataclasses import asdict

import numpy as np
import torch

import solutions.nn_debugging as ref
from solutions.nn_debugging.config import PROFILES
from solutions.nn_debugging.loop import (accumulating_step, evaluate_with, sequential_batches, train_loop,
                                         train_mode_predict)
from solutions.nn_debugging.setups import STARTS, VAL_INPUTS, fix_unshuffled, fix_weight_decay

#: The original notebook's first two bugs as a setup, and what the fixes make of it (the
#: notebook's ``seed_setup`` and ``fixed_setup``, which the student writes in the fixes cell).
SEED_SETUP = ref.Setup(shuffle=False, weight_decay=0.9)
REFERENCE = {**{name: getattr(ref, name) for name in ref.__all__},
             "fix_unshuffled": fix_unshuffled, "fix_weight_decay": fix_weight_decay,
             "STARTS": STARTS, "VAL_INPUTS": VAL_INPUTS,
             "seed_setup": SEED_SETUP, "fixed_setup": fix_weight_decay(fix_unshuffled(SEED_SETUP))}

# What the notebook's given cells define before a student's cells run (the setup cell's
# imports; Finding, CODES and Setup come with REFERENCE): the valid variants run on it, kernel-free.
VARIANT_PRELUDE = """
import copy
import math
from dataclasses import dataclass, replace
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
"""

#: The validation accuracy every fixed setup must reach on the checks' task (the smoke profile's target).
TARGET = PROFILES["smoke"].target_acc
#: The healthy recipe the checks train with (the chapter's: SGD, lr 0.02, momentum 0.9, weight decay 5e-4).
LR, MOMENTUM, WEIGHT_DECAY, BATCH, EPOCHS = 0.02, 0.9, 5e-4, 16, 6


def _seed(rng) -> int:
    return int(rng.integers(1, 2 ** 31 - 1))


@contextlib.contextmanager
def _one_thread():
    """Training here is single-threaded: the same result whatever the machine's load."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------ shared probe code

# Findings as JSON rows: what a detector returned, whatever it returned.
FINDINGS = '''
import json
def _f(out):
    if not isinstance(out, list):
        return {"error": "returned " + type(out).__name__ + ", not a list"}
    rows = []
    for item in out:
        value = getattr(item, "value", None)
        try:
            value = None if value is None else float(value)
        except Exception:
            value = "not a number: " + type(value).__name__
        rows.append({"type": type(item).__name__, "code": str(getattr(item, "code", "")),
                     "subject": str(getattr(item, "subject", "")), "value": value})
    return rows
'''

# The checks' network and training loop (the same code runs in the kernel and here).
TASK = '''
import json
import torch
import torch.nn.functional as F
from torch import nn
def make_net(d, k, seed):
    torch.manual_seed(int(seed))
    return nn.Sequential(nn.Linear(int(d), 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, int(k)))
def _plain_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()
def _plain_order(n, batch_size, generator):
    return list(torch.randperm(n, generator=generator).split(batch_size))
def _train(order, step, x, y, d, k, seed, epochs, batch, lr, momentum, wd):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        net = make_net(d, k, seed)
        opt = torch.optim.SGD(net.parameters(), lr=float(lr), momentum=float(momentum), weight_decay=float(wd))
        gen = torch.Generator().manual_seed(int(seed))
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(int(epochs)):
            net.train()
            for idx in order(len(yt), int(batch), gen):
                step(net, opt, xt[idx], yt[idx])
    finally:
        torch.set_num_threads(threads)
    return net
def _state(net):
    sd = net.state_dict()
    return {"state_names": json.dumps([[name, list(v.shape)] for name, v in sd.items()]),
            "state": np.concatenate([v.detach().double().numpy().ravel() for v in sd.values()])}
def _load(net, names, flat):
    sd, start = net.state_dict(), 0
    new = {}
    for name, shape in json.loads(str(names)):
        size = int(np.prod(shape))
        new[name] = torch.from_numpy(np.asarray(flat[start:start + size]).reshape(shape)).to(sd[name].dtype)
        start += size
    net.load_state_dict(new)
    return net
'''

def _task_namespace() -> dict:
    """:data:`TASK`'s functions, here (a fresh namespace each time: nothing is shared between checks)."""
    ns = {"np": np}
    exec(compile(TASK, "<nn_debugging task>", "exec"), ns)
    return ns


def sorted_task(rng) -> dict:
    """A class-sorted task: ``k`` (5-10) classes, each a random prototype in ``d`` (24-40)
    dimensions plus Gaussian noise of standard deviation 1.2; 48 training and 40 validation
    examples per class, both stored in class order (as the seed's sorted CSV files). The
    healthy recipe reaches 95-100 % on it (30 draws); unshuffled batches or weight decay 0.9
    reach 13 % on average, 32 % at most."""
    k, d = int(rng.integers(5, 11)), int(rng.integers(24, 41))
    protos = rng.normal(0, 1, (k, d))

    def sample(per):
        y = np.repeat(np.arange(k), per)
        return (protos[y] + 1.2 * rng.standard_normal((len(y), d))).astype(np.float32), y.astype(np.int64)

    (x, y), (xv, yv) = sample(48), sample(40)
    return dict(x=x, y=y, xv=xv, yv=yv, d=d, k=k, seed=_seed(rng))


def _train_inputs(task: dict) -> dict:
    return dict(x=task["x"], y=task["y"], d=task["d"], k=task["k"], seed=task["seed"], epochs=EPOCHS, batch=BATCH,
                lr=LR, momentum=MOMENTUM, wd=WEIGHT_DECAY)


def _val_accuracy(net, task: dict) -> float:
    """Accuracy on the task's (class-sorted) validation set with the reference evaluation."""
    with _one_thread():
        return evaluate_with(ref.predict, net, (torch.from_numpy(task["xv"]), torch.from_numpy(task["yv"])),
                             lambda t: t, 64)[1]


def _accuracy_of_state(obs: dict, task: dict, what: str) -> float:
    ns = _task_namespace()
    net = ns["make_net"](task["d"], task["k"], 0)
    try:
        ns["_load"](net, obs["state_names"], obs["state"])
    except Exception as err:  # the trained network came back in another shape
        raise AssertionError(f"{what}: the trained network could not be read back ({type(err).__name__}: {err})")
    if not all(torch.isfinite(t).all() for t in net.state_dict().values() if t.is_floating_point()):
        return 0.0
    return _val_accuracy(net, task)


def train_setup_accuracy(fields: dict, task: dict) -> float:
    """Train the checks' network on ``task`` with the recipe ``fields`` (a Setup's fields:
    batch order, training step, evaluation, SGD's lr, momentum and weight decay) and return its
    validation accuracy: the reference loop, here, single-threaded."""
    ns = _task_namespace()
    setup = ref.Setup(**fields)
    with _one_thread():
        net = ns["make_net"](task["d"], task["k"], task["seed"])
        opt = torch.optim.SGD(net.parameters(), lr=setup.lr, momentum=setup.momentum, weight_decay=setup.weight_decay)
        train_loop(net, (torch.from_numpy(task["x"]), torch.from_numpy(task["y"])), epochs=EPOCHS, optimizer=opt,
                   batch_size=BATCH, prepare=lambda t: t,
                   order=ref.shuffled_batches if setup.shuffle else sequential_batches,
                   step=ref.train_step if setup.zero_grad else accumulating_step, seed=task["seed"])
        if not all(torch.isfinite(p).all() for p in net.parameters()):
            return 0.0
        return evaluate_with(ref.predict if setup.eval_mode else train_mode_predict, net,
                             (torch.from_numpy(task["xv"]), torch.from_numpy(task["yv"])), lambda t: t, 64)[1]


def _at_least_target(probe, name: str, acc: float, message: str) -> None:
    """Validation accuracy ``acc`` must reach :data:`TARGET` (recorded as error 1 - acc against 1 - TARGET)."""
    probe.below(name, 1.0 - acc, 1.0 - TARGET, message)


# ------------------------------------------------------------------ comparing findings

def _rows(obs, key="results"):
    return json.loads(str(obs[key]))


def _codes(rows) -> list[str]:
    return sorted(r["code"] for r in rows)


def _compare(probe, fn: str, got, want, what: str, hints: dict | None = None, values: dict | None = None) -> None:
    """``fn``'s findings ``got`` for the case ``what`` against the reference's ``want``: the same
    codes (once each), subjects and, for the codes in ``values`` (code -> (bound name, relative
    tolerance)), the same values. ``hints``: code -> why it should (or should not) be there."""
    hints = hints or {}
    if isinstance(got, dict):
        raise AssertionError(f"for {what}, {fn} {got['error']}: return a list of Finding ([] when nothing is wrong)")
    wrong_type = sorted({r["type"] for r in got} - {"Finding"})
    assert not wrong_type, (
        f"for {what}, {fn} returned {wrong_type[0]} objects: return Finding(code, subject, message, value) objects")
    g, w = _codes(got), _codes(want)
    if g != w:
        missing = [c for c in dict.fromkeys(w) if w.count(c) > g.count(c)]
        extra = [c for c in dict.fromkeys(g) if g.count(c) > w.count(c)]
        parts = []
        if missing:
            parts.append("should report " + ", ".join(repr(c) for c in missing)
                         + "".join(f" ({hints[c]})" for c in missing if c in hints))
        if extra:
            parts.append("should not report " + ", ".join(repr(c) for c in extra)
                         + (" more than once" if all(c in w for c in extra) else "")
                         + "".join(f" ({hints['no ' + c]})" for c in extra if "no " + c in hints))
        raise AssertionError(f"for {what}, {fn} returned findings {g or '[]'}, expected {w or '[]'}: "
                             + "; ".join(parts))
    for row in want:
        same_code = [r for r in got if r["code"] == row["code"]]
        mine = next((r for r in same_code if r["subject"] == row["subject"]), None)
        if mine is None:
            raise AssertionError(f"for {what}, the {row['code']!r} findings of {fn} are about "
                                 f"{sorted(r['subject'] for r in same_code)}, expected {row['subject']!r} (the subjects "
                                 f"expected: {sorted(r['subject'] for r in want if r['code'] == row['code'])})")
        if values and row["code"] in values and row["value"] is not None and math.isfinite(row["value"]):
            bound, tol = values[row["code"]]
            value = mine["value"]
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise AssertionError(f"for {what}, the {row['code']!r} finding of {fn} has value {value!r}, expected "
                                     f"{row['value']:.6g}")
            err = abs(value - row["value"]) / max(abs(row["value"]), 1e-12)
            probe.below(bound, err, tol, f"for {what}, the {row['code']!r} finding of {fn} has value {value:.6g}, "
                                         f"expected {row['value']:.6g}")


# ------------------------------------------------------------------ loss at initialisation

LOSS_OBS = FINDINGS + """
import torch
results = []
for i in range(len(tols)):
    logits = torch.from_numpy(globals()["logits%d" % i])
    if "nan%d" % i in globals():                       # NaN placed here: the inputs themselves stay comparable
        logits = logits.masked_fill(torch.from_numpy(globals()["nan%d" % i]), float("nan"))
    logits = logits.requires_grad_(bool(grads[i]))
    results.append(_f(check_loss_at_init(logits, torch.from_numpy(globals()["labels%d" % i]), tolerance=float(tols[i]))))
__obs__ = {"results": json.dumps(results)}
"""


def _logits_with_loss(rng, c: int, n: int, loss: float):
    """Logits ``(n, c)`` and labels whose mean cross-entropy is exactly ``loss``: every row is a
    random shift plus ``a`` on its label, with ``a`` chosen so that p(label) = exp(-loss)."""
    labels = rng.integers(0, c, n)
    p = math.exp(-loss)
    a = math.log((c - 1) * p / (1 - p))
    logits = rng.normal(0, 2, (n, 1)) + np.zeros((n, c))
    logits[np.arange(n), labels] += a
    return logits.astype(np.float32), labels.astype(np.int64)


def loss_cases(probe):
    """Unsure models (logits near 0) with few and with many classes; losses inside the band
    on both sides of ln(C); far above (confidently wrong) and far below (confidently right);
    a NaN and an Inf logit. Class counts from 3 to 400, tolerances from 0.25 to 1."""
    rng = probe.rng("loss_at_init", "cases")
    cases = []

    def tol():
        return float(rng.uniform(0.25, 1.0))

    def add(what, logits, labels, t, grad=False, nan=None):
        cases.append(dict(what=what, logits=logits, labels=labels, tol=t, grad=grad, nan=nan))

    for c in (int(rng.integers(3, 7)), int(rng.integers(30, 401))):
        n = int(rng.integers(16, 65))
        add(f"a freshly initialised model ({c} classes, logits near 0)", rng.normal(0, 0.02, (n, c)).astype(np.float32),
            rng.integers(0, c, n).astype(np.int64), tol(), grad=c > 10)
    # a batch whose labels come from a few of the classes only: C is the number of logits, not of labels seen
    c, few, n = int(rng.integers(60, 401)), int(rng.integers(3, 8)), int(rng.integers(16, 65))
    add(f"a freshly initialised model ({c} classes, logits near 0) on a batch whose labels are among the first {few} "
        "classes only", rng.normal(0, 0.02, (n, c)).astype(np.float32), rng.integers(0, few, n).astype(np.int64), tol())
    for side in (1, -1):
        c, t = int(rng.integers(3, 401)), tol()
        loss = math.log(c) + side * float(rng.uniform(0.3, 0.75)) * t
        add(f"logits whose loss is {loss:.3f}, {'above' if side > 0 else 'below'} ln({c}) = {math.log(c):.3f} "
            f"by less than the tolerance {t:.2f}", *_logits_with_loss(rng, c, int(rng.integers(16, 65)), loss), t)
    c, t = int(rng.integers(3, 401)), tol()
    loss = math.log(c) + float(rng.uniform(1.3, 4.0)) * t
    add(f"a model that is sure of wrong classes (loss {loss:.3f}, ln({c}) = {math.log(c):.3f}, tolerance {t:.2f})",
        *_logits_with_loss(rng, c, int(rng.integers(16, 65)), loss), t, grad=True)
    c, t = int(rng.integers(8, 401)), tol()
    loss = float(rng.uniform(0.02, math.log(c) - 1.3 * t))
    add(f"a model that is already sure of the right classes (loss {loss:.3f}, ln({c}) = {math.log(c):.3f}, "
        f"tolerance {t:.2f})", *_logits_with_loss(rng, c, int(rng.integers(16, 65)), loss), t)
    for bad in ("nan", "inf"):
        c, n = int(rng.integers(3, 401)), int(rng.integers(8, 33))
        logits = rng.normal(0, 0.02, (n, c)).astype(np.float32)
        spot = np.zeros((n, c), bool)
        spot[int(rng.integers(n)), int(rng.integers(c))] = True
        if bad == "inf":
            logits[spot] = np.inf
        add(f"logits of {c} classes with one {'NaN' if bad == 'nan' else '+Inf'} entry (the loss is not finite)",
            logits, rng.integers(0, c, n).astype(np.int64), tol(), nan=spot if bad == "nan" else None)
    return cases


def test_loss_at_init(probe):
    cases = loss_cases(probe)
    probe.domain("loss_at_init: labels", "every class possible", "a few classes only")
    for c in cases:
        probe.hit("loss_at_init: labels", "a few classes only" if int(c["labels"].max()) + 1 < c["logits"].shape[1] // 4
                  else "every class possible")
    inputs = {"tols": np.array([c["tol"] for c in cases]), "grads": np.array([c["grad"] for c in cases])}
    for i, c in enumerate(cases):
        inputs[f"logits{i}"], inputs[f"labels{i}"] = c["logits"], c["labels"]
        if c["nan"] is not None:
            inputs[f"nan{i}"] = c["nan"]
    got, want = _rows(probe.run(LOSS_OBS, **inputs)), _rows(probe.reference(LOSS_OBS, **inputs))
    hints = {"loss_at_init": "flag |loss - ln(C)| > tolerance on both sides, and a loss that is not finite "
                             "(a comparison with NaN is always False)",
             "no loss_at_init": "within the tolerance of ln(C), where C is logits.shape[1], the loss is fine"}
    for i, c in enumerate(cases):
        _compare(probe, "check_loss_at_init", got[i], want[i],
                 f"{c['what']} (check_loss_at_init(logits, labels, tolerance={c['tol']:.2f}))", hints,
                 {"loss_at_init": ("loss_at_init: value vs the mean cross-entropy", 1e-4)})


# ------------------------------------------------------------------ label diversity

DIVERSITY_OBS = FINDINGS + """
import torch
results = []
for i in range(len(classes)):
    sizes = [int(s) for s in globals()["sizes%d" % i]]
    labels = torch.from_numpy(globals()["labels%d" % i])
    batches = list(labels.split(sizes)) if sizes else []
    try:
        results.append(_f(check_label_diversity(batches, int(classes[i]), min_fraction=float(fractions[i]))))
    except ValueError:
        if sizes:
            raise
        results.append("ValueError")
__obs__ = {"results": json.dumps(results)}
"""


def _diversity(batches, c) -> float:
    return float(np.mean([len(np.unique(b)) / min(c, len(b)) for b in batches]))


def diversity_cases(probe):
    """Batches of a class-sorted dataset in file order; the same dataset shuffled; one class per
    batch in turn (every class seen over the batches, none mixed); one mixed batch followed by
    sorted ones; shuffled batches smaller than the number of classes, with a smaller last batch;
    one batch; no batch at all. The limit is drawn per case, away from the case's diversity."""
    rng = probe.rng("label_diversity", "cases")
    cases = []

    def add(what, batches, c, broken, low=0.05, high=0.95):
        """``broken``: the limit lies above the case's diversity (a finding), else below it (none),
        at least 0.06 away either way (and within [low, high])."""
        mean = _diversity(batches, c)
        frac = (rng.uniform(mean + 0.06, min(high, mean + 0.4)) if broken
                else rng.uniform(max(low, mean - 0.4), mean - 0.06))
        cases.append(dict(what=what, batches=[np.asarray(b, np.int64) for b in batches], c=c, frac=float(frac)))

    c, per, b = int(rng.integers(5, 13)), int(rng.integers(40, 121)), int(rng.integers(16, 41))
    data = np.repeat(np.arange(c), per)
    k = int(rng.integers(3, 8))
    add(f"the first {k} batches of {b} of a class-sorted dataset ({c} classes, {per} examples each) read in file order",
        [data[i * b:(i + 1) * b] for i in range(k)], c, True)
    shuffled = rng.permutation(data)
    add(f"the first {k} batches of {b} of the same dataset, shuffled", [shuffled[i * b:(i + 1) * b] for i in range(k)],
        c, False)
    c2 = int(rng.integers(5, 13))
    b2 = int(rng.integers(8, 65))
    start = int(rng.integers(c2))
    add(f"{c2} batches of {b2} that each hold one class, a different one each time (all {c2} classes over the batches)",
        [np.full(b2, (start + i) % c2) for i in range(c2)], c2, True)
    k3 = int(rng.integers(5, 9))
    add(f"one shuffled batch of {b} followed by {k3 - 1} batches of the class-sorted dataset",
        [shuffled[:b]] + [data[i * b:(i + 1) * b] for i in range(1, k3)], c, True,
        high=_diversity([shuffled[:b]], c) - 0.05)
    c4 = int(rng.integers(12, 25))
    b4 = int(rng.integers(3, c4 // 3 + 1))
    pool = rng.permutation(np.repeat(np.arange(c4), 10))
    k4 = int(rng.integers(4, 9))
    small = [pool[i * b4:(i + 1) * b4] for i in range(k4)] + [pool[k4 * b4:k4 * b4 + max(1, b4 - 2)]]
    add(f"{k4 + 1} shuffled batches of {b4} (the last smaller) for {c4} classes: a batch cannot hold more classes "
        "than examples", small, c4, False, low=0.4)
    add(f"one shuffled batch of {b} ({c} classes)", [shuffled[-b:]], c, False)
    # batches of unequal sizes with a finding: one large mixed batch, then small one-class batches; the
    # mean over batches is low, a mean weighted by batch size (or over examples) is high
    c5, k5 = int(rng.integers(5, 13)), int(rng.integers(3, 7))
    big = rng.permutation(np.repeat(np.arange(c5), 8))
    uneven = [big] + [np.full(c5, int(v)) for v in rng.integers(c5, size=k5)]
    per_batch = _diversity(uneven, c5)
    weighted = float(sum(len(np.unique(v)) / min(c5, len(v)) * len(v) for v in uneven) / sum(len(v) for v in uneven))
    cases.append(dict(what=f"one shuffled batch of {len(big)} then {k5} one-class batches of {c5} ({c5} classes: "
                           "batches of unequal sizes)", batches=[np.asarray(v, np.int64) for v in uneven], c=c5,
                      frac=float(rng.uniform(per_batch + 0.06, min(weighted - 0.06, 0.95)))))
    for case in cases:
        sizes = {len(v) for v in case["batches"]}
        probe.hit("label diversity: batch sizes", "equal" if len(sizes) == 1 else "unequal" if sizes else "none")
        if case["batches"]:
            probe.hit("label diversity: finding", _diversity(case["batches"], case["c"]) < case["frac"])
    cases.append(dict(what="an empty list of batches", batches=[], c=c, frac=0.5))
    return cases


def test_label_diversity(probe):
    probe.domain("label diversity: batch sizes", "equal", "unequal")
    probe.domain("label diversity: finding", True, False)
    cases = diversity_cases(probe)
    inputs = {"classes": np.array([c["c"] for c in cases]), "fractions": np.array([c["frac"] for c in cases])}
    for i, c in enumerate(cases):
        inputs[f"sizes{i}"] = np.array([len(b) for b in c["batches"]], np.int64)
        inputs[f"labels{i}"] = np.concatenate(c["batches"]) if c["batches"] else np.zeros(0, np.int64)
    got, want = _rows(probe.run(DIVERSITY_OBS, **inputs)), _rows(probe.reference(DIVERSITY_OBS, **inputs))
    hints = {"label_diversity": "average, over every batch given, the distinct labels of the batch divided by "
                                "min(num_classes, batch size)",
             "no label_diversity": "a batch of b < C examples holds at most b classes: divide by min(C, b)"}
    for i, c in enumerate(cases):
        if not c["batches"]:
            assert got[i] == "ValueError", (
                "check_label_diversity([], ...) should raise ValueError (no batches: nothing to measure), "
                f"it returned {got[i]!r}")
            continue
        _compare(probe, "check_label_diversity", got[i], want[i],
                 f"{c['what']} (num_classes={c['c']}, min_fraction={c['frac']:.2f}; the mean fraction is "
                 f"{_diversity(c['batches'], c['c']):.2f})", hints,
                 {"label_diversity": ("label_diversity: value vs the mean fraction", 1e-6)})


# ------------------------------------------------------------------ input statistics

INPUTS_OBS = FINDINGS + """
import torch
results = []
for i in range(len(channels)):
    x = torch.from_numpy(globals()["x%d" % i])
    if "nan%d" % i in globals():                       # NaN placed here: the inputs themselves stay comparable
        x = x.masked_fill(torch.from_numpy(globals()["nan%d" % i]), float("nan"))
    results.append(_f(check_input_statistics(x, expected_channels=int(channels[i]), max_abs=float(limits[i]))))
__obs__ = {"results": json.dumps(results)}
"""


def input_cases(probe):
    """Healthy batches (normalised and [0, 1] floats; float32, float64, float16; one or three
    channels) and broken ones: uint8 pixels, 0/1 uint8 masks, OpenCV's BGR uint8 channels last,
    0..255 floats, NaN, +Inf and -Inf at random places, large negative values, a missing channel
    axis, the wrong channel count. Sizes, channels, limits and positions drawn per run."""
    rng = probe.rng("input_statistics", "cases")
    cases = []

    def add(what, x, ch, limit=None, nan=None):
        cases.append(dict(what=what, x=x, ch=ch, limit=float(rng.uniform(4.0, 20.0)) if limit is None else limit,
                          nan=nan))

    def shape(ch):
        return (int(rng.integers(2, 9)), ch, int(rng.integers(5, 17)), int(rng.integers(5, 17)))

    for ch in (1, 3):
        add(f"a normalised float32 batch with {ch} channel(s)", np.clip(rng.standard_normal(shape(ch)), -3.5, 3.5)
            .astype(np.float32), ch)
    add("a float64 batch of values in [0, 1]", rng.random(shape(1)), 1)
    add("a normalised float16 batch", np.clip(rng.standard_normal(shape(1)), -3, 3).astype(np.float16), 1)
    ch = int(rng.choice([1, 3]))
    add(f"uint8 pixels 0..255 with {ch} channel(s)", rng.integers(0, 256, shape(ch)).astype(np.uint8), ch)
    add("a uint8 batch of 0/1 masks", rng.integers(0, 2, shape(1)).astype(np.uint8), 1)
    n, h, w = int(rng.integers(2, 9)), int(rng.integers(5, 17)), int(rng.integers(5, 17))
    add("images as OpenCV reads them (BGR uint8, channels last) for a grayscale model",
        rng.integers(0, 256, (n, h, w, 3)).astype(np.uint8), 1)
    add("0..255 pixels cast to float but not scaled", (rng.integers(0, 256, shape(1)) * 1.0).astype(np.float32), 1)
    for bad in ("nan", "inf", "-inf"):
        x = np.clip(rng.standard_normal(shape(1)), -3, 3).astype(np.float32)
        spot = np.zeros(x.shape, bool)
        spot.reshape(-1)[rng.choice(x.size, size=int(rng.integers(1, 4)), replace=False)] = True
        if bad != "nan":
            x[spot] = float(bad)
        add(f"a normalised batch with {bad.replace('nan', 'NaN').replace('inf', 'Inf')} at random places", x, 1,
            nan=spot if bad == "nan" else None)
    limit = float(rng.uniform(4.0, 20.0))
    x = np.clip(rng.standard_normal(shape(1)), -3, 3).astype(np.float32)
    x.reshape(-1)[rng.choice(x.size, size=3, replace=False)] = -limit * float(rng.uniform(2, 10))
    add("a normalised batch with a few large negative values", x, 1, limit)
    x = (rng.integers(0, 256, shape(1)) * 1.0).astype(np.float32)
    spot = np.zeros(x.shape, bool)
    spot.reshape(-1)[int(rng.integers(x.size))] = True
    add("0..255 floats with one NaN", x, 1, nan=spot)
    add("a float batch without a channel axis (N, H, W)", rng.standard_normal(shape(1)[:1] + shape(1)[2:])
        .astype(np.float32), 1)
    add("a one-channel normalised batch for a model that expects three channels",
        np.clip(rng.standard_normal(shape(1)), -3, 3).astype(np.float32), 3)
    return cases


def test_input_statistics(probe):
    cases = input_cases(probe)
    inputs = {"channels": np.array([c["ch"] for c in cases]), "limits": np.array([c["limit"] for c in cases])}
    for i, c in enumerate(cases):
        inputs[f"x{i}"] = c["x"]
        if c["nan"] is not None:
            inputs[f"nan{i}"] = c["nan"]
    got, want = _rows(probe.run(INPUTS_OBS, **inputs)), _rows(probe.reference(INPUTS_OBS, **inputs))
    hints = {"input_dtype": "anything but floating point: x.is_floating_point()",
             "input_channels": "x must be 4-D with x.shape[1] == expected_channels",
             "input_nonfinite": "torch.isfinite catches NaN, +Inf and -Inf; torch.isnan misses both infinities",
             "input_scale": "compare the largest *absolute* finite value with max_abs (negative values count too; "
                            "leave NaN/Inf out of it)",
             "no input_scale": "only the largest |x| over the finite values counts, compared with max_abs",
             "no input_nonfinite": "only NaN or Inf values are non-finite"}
    for i, c in enumerate(cases):
        _compare(probe, "check_input_statistics", got[i], want[i],
                 f"{c['what']} of shape {tuple(c['x'].shape)} and dtype {c['x'].dtype} "
                 f"(expected_channels={c['ch']}, max_abs={c['limit']:.1f})", hints,
                 {"input_scale": ("inputs: value vs the largest finite |x|", 1e-3),
                  "input_nonfinite": ("inputs: value vs the count of NaN/Inf", 1e-9)})


# ------------------------------------------------------------------ labels

LABELS_OBS = FINDINGS + """
import torch
results = []
for i in range(len(outputs)):
    results.append(_f(check_labels(torch.from_numpy(globals()["y%d" % i]), int(outputs[i]))))
__obs__ = {"results": json.dumps(results)}
"""


def label_cases(probe):
    """Healthy int64 labels; int32, float32 and uint8 labels; labels counted from 1 (1..C);
    one label too large (0..C); labels that never reach 0 but stay below C; -1 labels; int32
    labels counted from 1. Class counts 2-100, batches of 20-200."""
    rng = probe.rng("labels", "cases")
    cases = []

    def labels(c, low=0, high=None):
        high = c if high is None else high
        y = rng.integers(low, high, int(rng.integers(20, 201)))
        y[rng.choice(len(y), 2, replace=False)] = [low, high - 1]      # both ends appear
        return y

    def add(what, y, c):
        cases.append(dict(what=what, y=y, c=c))

    c = int(rng.integers(2, 101))
    add(f"int64 labels 0..{c - 1} for {c} outputs", labels(c).astype(np.int64), c)
    c, more = int(rng.integers(2, 101)), int(rng.integers(1, 4))
    add(f"int64 labels 0..{c - 1} for {c + more} outputs (some classes absent)", labels(c).astype(np.int64), c + more)
    for dtype in (np.int32, np.float32, np.uint8):
        c = int(rng.integers(2, 101))
        add(f"{np.dtype(dtype).name} labels 0..{c - 1} for {c} outputs", labels(c).astype(dtype), c)
    c = int(rng.integers(2, 101))
    add(f"int64 labels counted from 1 (1..{c}) for {c} outputs", labels(c, 1, c + 1).astype(np.int64), c)
    c = int(rng.integers(2, 101))
    add(f"int64 labels 0..{c} (one value too large) for {c} outputs", labels(c, 0, c + 1).astype(np.int64), c)
    c = int(rng.integers(3, 101))
    add(f"int64 labels 1..{c - 1} (never 0) for {c} outputs", labels(c, 1, c).astype(np.int64), c)
    c = int(rng.integers(2, 101))
    y = labels(c).astype(np.int64)
    y[rng.choice(len(y), int(rng.integers(1, 4)), replace=False)] = -1
    add(f"int64 labels with -1 entries (an 'ignore' marker) for {c} outputs", y, c)
    c = int(rng.integers(2, 101))
    add(f"int32 labels counted from 1 (1..{c}) for {c} outputs", labels(c, 1, c + 1).astype(np.int32), c)
    return cases


def test_labels(probe):
    cases = label_cases(probe)
    inputs = {"outputs": np.array([c["c"] for c in cases])}
    for i, c in enumerate(cases):
        inputs[f"y{i}"] = c["y"]
    got, want = _rows(probe.run(LABELS_OBS, **inputs)), _rows(probe.reference(LABELS_OBS, **inputs))
    hints = {"label_dtype": "cross-entropy wants int64 class indices: labels.dtype == torch.int64",
             "label_range": "every label in 0 .. num_outputs - 1 (a label equal to num_outputs is out of range), "
                            "and the smallest label 0 (labels that never reach 0 were counted from 1)",
             "no label_range": "labels within 0 .. num_outputs - 1 that include 0 are fine, even if some class is "
                               "missing"}
    for i, c in enumerate(cases):
        _compare(probe, "check_labels", got[i], want[i], f"{c['what']} (check_labels(labels, {c['c']}))", hints,
                 {"label_range": ("labels: value vs the offending label", 1e-9)})


# ------------------------------------------------------------------ degenerate tensors

DEGENERATE_NET = '''
import json
import torch
from torch import nn
class _Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
class _Net(nn.Module):
    def __init__(self, cin, c, h, k):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer1 = nn.Sequential(_Block(c), _Block(c))
        self.fc1 = nn.Linear(c, h)
        self.ln = nn.LayerNorm(h)
        self.fc2 = nn.Linear(h, k)
def _damaged(dims, seed, actions, trained):
    torch.manual_seed(int(seed))
    model = _Net(*[int(v) for v in dims])
    state = model.state_dict(keep_vars=True)
    with torch.no_grad():
        if trained:
            for name, t in state.items():
                if not t.is_floating_point():
                    t.fill_(int(seed) % 97 + 1)
                elif name.endswith("running_var"):
                    t.uniform_(0.5, 2.0)
                else:
                    t.add_(0.2 * torch.randn_like(t))
        for name, kind, arg in actions:
            t = state[name].view(-1)
            if kind == "zero":
                t.zero_()
            elif kind == "const":
                t.fill_(float(arg))
            else:
                bad = {"nan": float("nan"), "+inf": float("inf"), "-inf": -float("inf")}[kind]
                t[int(arg * t.numel()) % t.numel()] = bad
    return model
'''

DEGENERATE_OBS = DEGENERATE_NET + """
def _kinds(found):
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else "returned " + type(found).__name__
results, same = [], []
for i, (seed, trained) in enumerate(zip(seeds, trained_flags)):
    model = _damaged(dims, seed, json.loads(str(plans[i])), bool(trained))
    found = find_degenerate_tensors(model)
    results.append(_kinds(found))
    again = find_degenerate_tensors(model.state_dict())
    same.append(isinstance(again, dict) and _kinds(again) == results[-1])
plain = {"proj.weight": torch.zeros(int(dims[1]), int(dims[2])), "proj.bias": torch.zeros(int(dims[2])),
         "scale": torch.zeros(int(dims[2])), "table": torch.full((int(dims[3]), 3), float(table_value)),
         "emb.weight": torch.from_numpy(emb), "steps": torch.tensor(7), "one.weight": torch.full((1, 1), 0.5)}
found = find_degenerate_tensors(plain)
results.append(_kinds(found))
__obs__ = {"results": json.dumps(results), "same": np.array(same)}
"""

CONVS = ("conv1.weight", "layer1.0.conv1.weight", "layer1.0.conv2.weight", "layer1.1.conv1.weight",
         "layer1.1.conv2.weight")
LINEARS = ("fc1.weight", "fc2.weight")
NORMS = ("bn1", "layer1.0.bn1", "layer1.0.bn2", "layer1.1.bn1", "layer1.1.bn2")
DEGENERATE_HINTS = {
    "nan": "any NaN makes a tensor degenerate, in a parameter or in a buffer (BatchNorm's running statistics are "
           "buffers: read model.state_dict(), not only parameters())",
    "inf": "+Inf and -Inf count too (torch.isinf or torch.isfinite, not only torch.isnan)",
    "zero": "an all-zero weight (a name ending in 'weight' or 'running_var', or 2+ dimensions) is degenerate, "
            "buffers included",
    "constant": "a weight matrix or kernel (2+ dimensions, 2+ elements) with one non-zero value everywhere is "
                "degenerate, whatever its sign",
}


def degenerate_plan(rng) -> list:
    """Damage for one model: among the convolutions a NaN, an Inf of random sign, an all-zero
    kernel and a constant kernel of random sign; among the linear weights one all-zero and one
    constant; in the BatchNorms a zero weight, a zero running variance, a NaN running mean, and
    (not degenerate) a zero shift and a zero running mean; a zero bias and a NaN bias or not;
    LayerNorm's weight constant and its bias zero (not degenerate)."""
    plan = []
    convs = list(rng.permutation(CONVS))
    plan += [[convs[0], "nan", float(rng.random())], [convs[1], str(rng.choice(["+inf", "-inf"])), float(rng.random())],
             [convs[2], "zero", 0], [convs[3], "const", float(rng.uniform(0.05, 1.0) * rng.choice([-1, 1]))]]
    lin = list(rng.permutation(LINEARS))
    plan += [[lin[0], "zero", 0], [lin[1], "const", float(rng.uniform(0.05, 1.0) * rng.choice([-1, 1]))]]
    norms = list(rng.permutation(NORMS))
    plan += [[norms[0] + ".weight", "zero", 0], [norms[1] + ".running_var", "zero", 0],
             [norms[2] + ".running_mean", "nan", float(rng.random())], [norms[3] + ".bias", "zero", 0],
             [norms[4] + ".running_mean", "zero", 0]]
    biases = list(rng.permutation(["fc1.bias", "fc2.bias"]))
    plan.append([biases[0], "zero", 0])
    if rng.random() < 0.5:
        plan.append([biases[1], "nan", float(rng.random())])
    plan += [["ln.weight", "const", float(rng.uniform(0.5, 1.5))], ["ln.bias", "zero", 0]]
    return plan


def test_find_degenerate_tensors(probe):
    rng = probe.rng("find_degenerate_tensors", "models")
    dims = np.array([int(rng.choice([1, 3])), int(rng.integers(3, 7)), int(rng.integers(4, 9)), int(rng.integers(2, 11))])
    plans = [[], degenerate_plan(rng), degenerate_plan(rng), [["layer1.1.bn2.running_var", "zero", 0]]]
    what = ["a freshly initialised model (BatchNorm and LayerNorm weights all one, shifts all zero)",
            "a trained model with damaged tensors", "another trained model with other damaged tensors",
            "a trained model whose only damage is an all-zero running variance (a buffer)"]
    inputs = dict(dims=dims, seeds=np.array([_seed(rng) for _ in plans]), trained_flags=np.array([False, True, True, True]),
                  plans=np.array([json.dumps(p) for p in plans]),
                  table_value=float(rng.uniform(0.1, 2) * rng.choice([-1, 1])),
                  emb=rng.standard_normal((int(rng.integers(3, 8)), 4)).astype(np.float32))
    obs, exp = probe.run(DEGENERATE_OBS, **inputs), probe.reference(DEGENERATE_OBS, **inputs)
    got, want = _rows(obs), _rows(exp)
    what.append("a plain state dict {'proj.weight': zeros (2-D), 'proj.bias': zeros, 'scale': zeros (1-D), 'table': "
                "one value everywhere (2-D), 'emb.weight': random, 'steps': an integer, 'one.weight': a 1x1 tensor}")
    for i, w in enumerate(want):
        g = got[i]
        assert isinstance(g, dict), f"for {what[i]}, find_degenerate_tensors {g}: return a dict {{name: kind}}"
        if g != w:
            missing = {k: v for k, v in w.items() if k not in g}
            wrong = {k: (g[k], v) for k, v in w.items() if k in g and g[k] != v}
            extra = {k: v for k, v in g.items() if k not in w}
            parts = []
            if missing:
                parts.append("missed " + ", ".join(f"{k} ({v})" for k, v in missing.items()) + ": "
                             + "; ".join(dict.fromkeys(DEGENERATE_HINTS[v] for v in missing.values())))
            if wrong:
                parts.append("gave the wrong kind for "
                             + ", ".join(f"{k} ({a!r} instead of {b!r})" for k, (a, b) in wrong.items())
                             + ": the first that applies, in the order nan, inf, zero, constant")
            if extra:
                parts.append("flagged " + ", ".join(f"{k} ({v})" for k, v in extra.items()) + ", which are not "
                             "degenerate: biases, shifts and running means may be zero, 1-D norm weights may be "
                             "constant (BatchNorm's weight starts at all ones), and integer buffers are skipped")
            raise AssertionError(f"for {what[i]}, find_degenerate_tensors " + "; ".join(parts))
    for i, same in enumerate(np.asarray(obs["same"]).tolist()):
        assert same, (f"for {what[i]}, find_degenerate_tensors(model.state_dict()) differs from "
                      "find_degenerate_tensors(model): a module and its state dict hold the same tensors")


# ------------------------------------------------------------------ parameters without gradient

GRADIENT_OBS = """
import json
import torch
import torch.nn.functional as F
from torch import nn
class _GradNet(nn.Module):
    def __init__(self, cin, c, k, aux):
        super().__init__()
        self.conv = nn.Conv2d(cin, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.proj = nn.Linear(c, c)
        self.proj.requires_grad_(False)
        self.fc = nn.Linear(c, k)
        self.aux = nn.Linear(c, k) if aux else None
    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3))
        return self.fc(torch.relu(self.proj(h)))
def _backward(aux, zero_stem, seed):
    torch.manual_seed(int(seed))
    model = _GradNet(int(cin), int(c), int(k), aux)
    if zero_stem:
        with torch.no_grad():
            model.conv.weight.zero_(); model.conv.bias.zero_(); model.bn.weight.zero_()
    F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    return model
results = [params_without_gradient(_backward(False, False, seeds[0]))]
results.append(params_without_gradient(_backward(False, True, seeds[1])))
results.append(params_without_gradient(_backward(True, False, seeds[2])))
model = _backward(False, False, seeds[3])
model.fc.bias.grad = torch.zeros_like(model.fc.bias)
pattern = torch.ones(model.fc.weight.numel())
pattern[1::2] = -1
if len(pattern) % 2:
    pattern[-1] = 0
model.fc.weight.grad = pattern.view_as(model.fc.weight).clone()
results.append(params_without_gradient(model))
__obs__ = {"results": json.dumps([[str(n) for n in r] if isinstance(r, (list, tuple)) else "returned " + type(r).__name__
                                  for r in results])}
"""

GRADIENT_CASES = (
    "a healthy model after one backward pass",
    "a model whose stem (convolution weight and bias, BatchNorm weight) is all zero, after one backward pass: the "
    "BatchNorm outputs its shift, 0, which the ReLU after it blocks, so no gradient reaches the stem",
    "a model with a head `aux` that the forward pass never uses (its .grad stays None)",
    "a model whose fc.bias.grad was set to zeros (as zero_grad(set_to_none=False) leaves it) and whose fc.weight.grad "
    "holds +1 and -1 (sums to 0, but is not zero)",
)


def test_params_without_gradient(probe):
    rng = probe.rng("params_without_gradient", "inputs")
    cin, c, k, n = int(rng.choice([1, 3])), int(rng.integers(3, 9)), int(rng.integers(2, 11)), int(rng.integers(4, 13))
    inputs = dict(cin=cin, c=c, k=k, seeds=np.array([_seed(rng) for _ in range(4)]),
                  x=rng.standard_normal((n, cin, int(rng.integers(4, 9)), int(rng.integers(4, 9)))).astype(np.float32),
                  y=rng.integers(0, k, n).astype(np.int64))
    got, want = _rows(probe.run(GRADIENT_OBS, **inputs)), _rows(probe.reference(GRADIENT_OBS, **inputs))
    for what, g, w in zip(GRADIENT_CASES, got, want):
        assert isinstance(g, list), f"for {what}, params_without_gradient {g}: return a list of parameter names"
        if g != w:
            hint = []
            if set(w) - set(g):
                hint.append(f"missed {sorted(set(w) - set(g))}: a gradient that is None *or* all zero counts "
                            "(not p.grad.any())")
            if set(g) - set(w):
                hint.append(f"listed {sorted(set(g) - set(w))}, which did receive a gradient or are frozen "
                            "(requires_grad=False parameters are not meant to learn; a gradient whose entries sum to "
                            "0 is not zero)")
            if not hint:
                hint.append("list the names in the order of model.named_parameters()")
            raise AssertionError(f"for {what}, params_without_gradient returned {g}, expected {w}: " + "; ".join(hint))


# ------------------------------------------------------------------ the repair

REPAIR_OBS = """
import json
import torch
from torch import nn
class _Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(k))
class _RBlock(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride=2, bias=False), nn.BatchNorm2d(c))
class _RNet(nn.Module):
    def __init__(self, cin, c, k):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer1 = nn.Sequential(_RBlock(c, 2 * c))
        self.fc = nn.Linear(2 * c, k)
        self.scale = _Scale(k)
        self.alpha = nn.Parameter(torch.zeros(1))
def _checkpoint():
    torch.manual_seed(int(seeds[0]))
    model = _RNet(int(cin), int(c), int(k))
    state = model.state_dict(keep_vars=True)
    with torch.no_grad():
        for name, t in state.items():
            if not t.is_floating_point():
                t.fill_(int(seeds[0]) % 97 + 3)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
            else:
                t.add_(0.1 * torch.randn_like(t))
        for name in json.loads(str(zeroed)):
            state[name].zero_()
    return model
def _flat(model):
    return np.concatenate([v.detach().double().numpy().ravel() for v in model.state_dict().values()])
model = _checkpoint()
before = _flat(model)
torch.manual_seed(int(seeds[1]))
owners = repair_degenerate(model, json.loads(str(names)))
after = _flat(model)
errors = []
for bad in json.loads(str(bad_names)):
    try:
        repair_degenerate(_checkpoint(), bad)
        errors.append("no error")
    except Exception as err:
        errors.append(type(err).__name__)
listed = [str(o) for o in owners] if isinstance(owners, (list, tuple)) else "returned " + type(owners).__name__
__obs__ = {"owners": json.dumps(listed),
           "before": before, "after": after, "errors": json.dumps(errors),
           "layout": json.dumps([[name, list(v.shape)] for name, v in model.state_dict().items()])}
"""

REPAIRABLE = ("conv1.weight", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias", "layer1.0.conv2.weight",
              "layer1.0.bn2.running_var", "layer1.0.bn1.weight", "layer1.0.downsample.0.weight",
              "layer1.0.downsample.1.weight")


def repair_inputs(probe) -> dict:
    """A damaged checkpoint: the seed's four zeroed tensors (stem convolution, its BatchNorm's
    weight and shift, the classifier's weight) plus the classifier's bias and two to four more
    (a buffer among the candidates), named in random order with one name repeated. Tensors
    whose owner has no ``reset_parameters`` (a custom module's parameter, the model's own)."""
    rng = probe.rng("repair_degenerate", "inputs")
    extra = list(rng.permutation(REPAIRABLE[5:]))[:int(rng.integers(2, 5))]
    zeroed = ["conv1.weight", "bn1.weight", "bn1.bias", "fc.weight"] + extra
    names = list(rng.permutation(zeroed + ["fc.bias"]))
    names.insert(int(rng.integers(len(names) + 1)), str(rng.choice(names)))
    bad = [["scale.gamma"], ["alpha"], [str(rng.choice(REPAIRABLE)), "scale.gamma"]]
    return dict(cin=int(rng.choice([1, 3])), c=int(rng.integers(3, 7)), k=int(rng.integers(2, 11)),
                seeds=np.array([_seed(rng), _seed(rng)]), zeroed=json.dumps(zeroed), names=json.dumps(names),
                bad_names=json.dumps(bad))


def test_repair_degenerate(probe):
    inputs = repair_inputs(probe)
    names = json.loads(inputs["names"])
    obs, exp = probe.run(REPAIR_OBS, **inputs), probe.reference(REPAIR_OBS, **inputs)
    call = f"repair_degenerate(model, {names})"
    owners, want_owners = json.loads(str(obs["owners"])), json.loads(str(exp["owners"]))
    assert isinstance(owners, list), f"{call} {owners}: return the list of the owning modules' names"
    assert owners == want_owners, (
        f"{call} returned {owners}, expected {want_owners}: the owner of 'a.b.weight' is the module 'a.b' "
        "(model.get_submodule), each owner once, in the order of its first tensor in names")
    layout = json.loads(str(exp["layout"]))
    assert json.loads(str(obs["layout"])) == layout, f"{call} changed the model's tensors' names or shapes"
    before, after, want = (np.asarray(obs["before"], np.float64), np.asarray(obs["after"], np.float64),
                           np.asarray(exp["after"], np.float64))
    start = 0
    for name, shape in layout:
        size = int(np.prod(shape))
        part = slice(start, start + size)
        start += size
        owner = name.rpartition(".")[0]
        if owner not in want_owners:
            assert np.array_equal(after[part], before[part]), (
                f"{call} changed {name}, whose module {owner or 'model'} owns none of the damaged tensors: reset only "
                "the owners, keep the rest of the checkpoint")
            continue
        if name.endswith("weight") and len(shape) >= 2 and (np.all(after[part] >= 0) or np.all(after[part] <= 0)):
            raise AssertionError(
                f"after {call}, every entry of {name} has the same sign (largest |w| {np.abs(after[part]).max():.3g}): "
                "uniform_ on [0, 1) is the original notebook's repair, not the layer's own initialisation. Call the "
                "owning module's reset_parameters()")
        err = float(np.abs(after[part] - want[part]).max()) if size else 0.0
        probe.below("repair: reset tensors vs reset_parameters()", err, 1e-6,
                    f"after {call}, {name} differs from what {owner}.reset_parameters() gives (by up to {err:.3g}): "
                    "re-initialise each owner with its own reset_parameters(), once, in the order you return them, "
                    "under the random state the function is called in (the check seeds torch before the call and "
                    "compares with the reference under the same seed)")
    errors = json.loads(str(obs["errors"]))
    bad = json.loads(inputs["bad_names"])
    for names_bad, error in zip(bad, errors):
        assert error == "ValueError", (
            f"repair_degenerate(model, {names_bad}) gave {error!r}, expected ValueError: the module that owns "
            f"{names_bad[-1]!r} ({names_bad[-1].rpartition('.')[0] or 'the model itself'}) has no reset_parameters(), "
            "so it cannot be re-initialised its own way; say so instead of skipping it or filling it by hand")


# ------------------------------------------------------------------ weight decay

DECAY_OBS = FINDINGS + """
import torch
from torch import nn
effective, results = [], []
for s in json.loads(str(spec)):
    groups = []
    for g in s["groups"]:
        group = {"params": [nn.Parameter(torch.zeros(int(g["n"])))]}
        for key in ("lr", "weight_decay"):
            if g.get(key) is not None:
                group[key] = g[key]
        groups.append(group)
    opt = getattr(torch.optim, s["kind"])(groups, **s["defaults"])
    for i, lr in s["set_lr"]:
        opt.param_groups[i]["lr"] = lr
    e = effective_weight_decay(opt)
    effective.append([float(v) for v in e] if isinstance(e, (list, tuple)) else "returned " + type(e).__name__)
    results.append(_f(check_weight_decay(opt, max_per_step=float(s["max"]))))
__obs__ = {"effective": json.dumps(effective), "results": json.dumps(results)}
"""


def decay_cases(probe) -> list:
    """The original notebook's optimiser (SGD, lr 0.1, weight decay 0.9) and its "fix" (lr 0.01,
    weight decay 0.1); a usual SGD recipe; AdamW with its default weight decay; optimisers with
    two to four parameter groups of their own learning rates and weight decays, one group's
    learning rate changed after construction (as a scheduler does), the first group within the
    limit and a later one above it. Limits drawn per case; every group's decay per step is at
    least twice or at most half the limit."""
    rng = probe.rng("weight_decay", "optimisers")

    def limit():
        return float(10 ** rng.uniform(-4, math.log10(8e-4)))

    cases = [
        dict(what="SGD(lr=0.1, weight_decay=0.9), the original notebook's optimiser", kind="SGD",
             defaults={"lr": 0.1, "weight_decay": 0.9}, groups=[{"n": 3}], set_lr=[], max=limit()),
        dict(what="SGD(lr=0.01, weight_decay=0.1), the original notebook's 'fix'", kind="SGD",
             defaults={"lr": 0.01, "weight_decay": 0.1}, groups=[{"n": 3}], set_lr=[], max=limit()),
        dict(what="SGD(lr=0.1, momentum=0.9, weight_decay=5e-4), a usual recipe", kind="SGD",
             defaults={"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}, groups=[{"n": 3}], set_lr=[],
             max=limit()),
        dict(what="AdamW(lr=1e-3) with its default weight decay 0.01", kind="AdamW", defaults={"lr": 1e-3},
             groups=[{"n": 3}], set_lr=[], max=limit()),
    ]
    for _ in range(2):
        m = limit()
        n_groups = int(rng.integers(2, 5))
        highs = [False] + [bool(rng.random() < 0.5) for _ in range(n_groups - 1)]
        highs[int(rng.integers(1, n_groups))] = True          # a group after the first is above the limit
        groups = []
        for high in highs:
            if high:
                lr = float(10 ** rng.uniform(-2, 0))
                wd = m * float(10 ** rng.uniform(math.log10(2), 2)) / lr
            else:
                lr = float(10 ** rng.uniform(-4, 0))
                wd = m * float(10 ** rng.uniform(-2, math.log10(0.5))) / lr if rng.random() < 0.7 else None
            groups.append({"n": int(rng.integers(1, 5)), "lr": lr, "weight_decay": wd})
        default_lr = float(10 ** rng.uniform(-4, 0))
        set_j = int(rng.integers(n_groups))                   # built with another lr, set to its own afterwards
        new_lr = groups[set_j]["lr"]
        old = new_lr / float(rng.choice([0.1, 10.0]))
        built = [dict(g, lr=(old if j == set_j else g["lr"])) for j, g in enumerate(groups)]
        kind = str(rng.choice(["SGD", "Adam", "AdamW"]))
        cases.append(dict(what=f"{kind} with {n_groups} parameter groups (group {set_j}'s learning rate changed from "
                               f"{old:.3g} to {new_lr:.3g} after the optimiser was built, as a scheduler does)",
                          kind=kind, defaults={"lr": default_lr, "weight_decay": 0.0}, groups=built,
                          set_lr=[[set_j, new_lr]], max=m))
    return cases


def test_weight_decay(probe):
    cases = decay_cases(probe)
    spec = json.dumps([{k: v for k, v in c.items() if k != "what"} for c in cases])
    obs, exp = probe.run(DECAY_OBS, spec=spec), probe.reference(DECAY_OBS, spec=spec)
    eff, eff_want = json.loads(str(obs["effective"])), json.loads(str(exp["effective"]))
    got, want = _rows(obs), _rows(exp)
    for i, c in enumerate(cases):
        assert isinstance(eff[i], list), f"for {c['what']}, effective_weight_decay {eff[i]}: return a list of floats"
        assert len(eff[i]) == len(eff_want[i]), (
            f"for {c['what']}, effective_weight_decay returned {len(eff[i])} values, expected one per parameter group "
            f"({len(eff_want[i])})")
        for j, (a, b) in enumerate(zip(eff[i], eff_want[i])):
            err = abs(a - b) / max(abs(b), 1e-300) if b else abs(a)
            probe.below("weight decay: effective per group vs lr * weight_decay", err, 1e-9,
                        f"for {c['what']}, effective_weight_decay gives {a:.4g} for param_groups[{j}], expected "
                        f"{b:.4g}: the fraction removed per step is the group's *current* lr times its weight_decay")
        hints = {"weight_decay": "one finding per parameter group whose lr * weight_decay exceeds max_per_step, "
                                 "every group, subject 'param_groups[i]'",
                 "no weight_decay": "only groups whose lr * weight_decay exceeds max_per_step are flagged"}
        _compare(probe, "check_weight_decay", got[i], want[i], f"{c['what']} (max_per_step={c['max']:.3g}; decay per "
                 f"step of each group: {', '.join(f'{v:.3g}' for v in eff_want[i])})", hints,
                 {"weight_decay": ("weight decay: finding value vs lr * weight_decay", 1e-9)})


# ------------------------------------------------------------------ batch order

BATCHES_OBS = TASK + """
def _rows(epoch):
    return {"type": type(epoch).__name__,
            "sizes": [int(len(t)) for t in epoch],
            "flat": [int(v) for t in epoch for v in torch.as_tensor(t).reshape(-1).tolist()],
            "kinds": sorted({type(t).__name__ + ":" + str(getattr(t, "dtype", "")) for t in epoch})}
cases = []
for n, b, s, other in sizes:
    gen = torch.Generator().manual_seed(int(s))
    torch.manual_seed(int(other))
    first = _rows(shuffled_batches(int(n), int(b), gen))
    second = _rows(shuffled_batches(int(n), int(b), gen))
    torch.manual_seed(int(other) + 1)
    again = _rows(shuffled_batches(int(n), int(b), torch.Generator().manual_seed(int(s))))
    cases.append({"first": first, "second": second, "again": again})
net = _train(shuffled_batches, _plain_step, x, y, d, k, seed, epochs, batch, lr, momentum, wd)
__obs__ = {"cases": json.dumps(cases), **_state(net)}
"""


def batch_cases(probe):
    rng = probe.rng("shuffled_batches", "sizes")
    rows = []
    n = int(rng.integers(37, 251))
    b = int(rng.choice([v for v in range(5, 41) if n % v]))
    rows.append((n, b))
    b = int(rng.integers(4, 13))
    rows.append((b * int(rng.integers(3, 9)), b))
    n = int(rng.integers(5, 16))
    rows.append((n, n + int(rng.integers(1, 10))))
    return np.array([(n, b, _seed(rng), _seed(rng)) for n, b in rows], dtype=np.int64)


def test_shuffled_batches(probe):
    sizes = batch_cases(probe)
    task = sorted_task(probe.rng("shuffled_batches", "task"))
    inputs = dict(sizes=sizes, **_train_inputs(task))
    obs = probe.run(BATCHES_OBS, **inputs)
    cases = json.loads(str(obs["cases"]))
    for (n, b, _, _), case in zip(sizes.tolist(), cases):
        call = f"shuffled_batches({n}, {b}, generator)"
        want_sizes = [b] * (n // b) + ([n % b] if n % b else [])
        for key, when in (("first", "the first call"), ("second", "a second call with the same generator")):
            e = case[key]
            assert e["type"] in ("list", "tuple"), f"{call} returned a {e['type']}: return a list of index tensors"
            assert e["kinds"] == ["Tensor:torch.int64"], (
                f"{call}: the batches are {e['kinds']}, expected int64 tensors (torch.randperm gives them)")
            assert e["sizes"] == want_sizes, (
                f"{call} ({when}) gave batches of sizes {e['sizes']}, expected {want_sizes}: batches of batch_size, "
                "the last one smaller, none dropped")
            assert sorted(e["flat"]) == list(range(n)), (
                f"{call} ({when}) does not use every example exactly once"
                + (f" ({n - len(set(e['flat']))} missing, some repeated: draw a permutation, not indices with "
                   "replacement)" if len(set(e["flat"])) < n else ""))
        first, second, again = case["first"]["flat"], case["second"]["flat"], case["again"]["flat"]
        if n > 8:
            assert first != list(range(n)), f"{call} gave the examples in file order: shuffle them (torch.randperm)"
            runs = [f for f in (first[i:i + b] for i in range(0, n, b)) if len(f) == b]
            contiguous = sum(max(f) - min(f) == len(f) - 1 for f in runs) / max(len(runs), 1)
            assert contiguous < 0.5, (
                f"{call}: {contiguous:.0%} of the batches are runs of consecutive examples (only the batch order "
                "was shuffled): shuffle the examples themselves")
            assert first != second, (
                f"two calls of {call} with the same generator gave the same order: each epoch needs a new order, "
                "drawn from the generator that is passed in (do not make or re-seed a generator inside)")
        assert first == again, (
            f"{call} gave another order for a generator with the same seed (after torch.manual_seed changed the "
            "global state): draw the permutation from `generator` (torch.randperm(n, generator=generator)), not "
            "from the global random state")
    acc = _accuracy_of_state(obs, task, "training with your shuffled_batches")
    _at_least_target(probe, "batches: training error with shuffled_batches", acc,
                     f"the checks' network trained on a class-sorted dataset ({task['k']} classes) with your "
                     f"shuffled_batches reaches {acc:.0%} validation accuracy, below {TARGET:.0%}")


# ------------------------------------------------------------------ the training step

STEP_OBS = TASK + """
def _net(seed):
    torch.manual_seed(int(seed))
    return nn.Sequential(nn.Linear(int(d), 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, int(k)))
def _params(model):
    return np.concatenate([p.detach().double().numpy().ravel() for p in model.parameters()])
xa, ya, xb, yb = (torch.from_numpy(v) for v in (x_a, y_a, x_b, y_b))
model = _net(seeds[0])
F.cross_entropy(model(xb), yb).backward()            # the previous batch's gradient is still in .grad
opt = torch.optim.SGD(model.parameters(), lr=float(step_lr))
start = _params(model)
loss = train_step(model, opt, xa, ya)
one = _params(model)
model2 = _net(seeds[1])
opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2)
smooth = lambda out, target: F.cross_entropy(out, target, label_smoothing=float(smoothing))
for _ in range(3):
    loss2 = train_step(model2, opt2, xa, ya, loss_fn=smooth)
model3 = _net(seeds[2])
opt3 = torch.optim.SGD(model3.parameters(), lr=1e-3)
moves = []
for _ in range(2):
    before = _params(model3)
    train_step(model3, opt3, xa, ya)
    moves.append(float(np.sqrt(((_params(model3) - before) ** 2).sum())))
net = _train(_plain_order, train_step, x, y, d, k, seed, epochs, batch, lr, momentum, wd)
__obs__ = {"start": start, "one": one, "adam": _params(model2), "moves": np.array(moves),
           "loss": float(loss.detach()) if torch.is_tensor(loss) and loss.numel() == 1 else float("nan"),
           "loss_kind": type(loss).__name__, "loss_grad": bool(getattr(loss, "requires_grad", False)),
           "loss2": float(loss2.detach()) if torch.is_tensor(loss2) and loss2.numel() == 1 else float("nan"), **_state(net)}
"""


def test_train_step(probe):
    rng = probe.rng("train_step", "inputs")
    task = sorted_task(probe.rng("train_step", "task"))
    d, k = task["d"], task["k"]
    n = int(rng.integers(8, 25))
    inputs = dict(seeds=np.array([_seed(rng) for _ in range(3)]), step_lr=float(rng.uniform(0.05, 0.5)),
                  smoothing=float(rng.uniform(0.1, 0.4)),
                  x_a=rng.standard_normal((n, d)).astype(np.float32), y_a=rng.integers(0, k, n).astype(np.int64),
                  x_b=rng.standard_normal((n, d)).astype(np.float32), y_b=rng.integers(0, k, n).astype(np.int64),
                  **_train_inputs(task))
    obs, exp = probe.run(STEP_OBS, **inputs), probe.reference(STEP_OBS, **inputs)
    assert str(obs["loss_kind"]) == "Tensor" and np.isfinite(float(obs["loss"])), (
        f"train_step returned a {obs['loss_kind']}: return the batch's loss as a one-element tensor (loss.detach(); "
        "not loss.item(), which waits for the GPU at every step)")
    assert not bool(obs["loss_grad"]), (
        "train_step returned a loss that still requires grad: return loss.detach(), so that whoever sums the losses "
        "does not keep every step's graph alive")
    probe.close(float(obs["loss"]), float(exp["loss"]), "train_step: the returned loss", tol=1e-5,
                hint="return the loss of the batch computed before the update")
    start, one, want = (np.asarray(v, np.float64) for v in (obs["start"], obs["one"], exp["one"]))
    scale = max(float(np.abs(want - start).max()), 1e-12)
    err = float(np.abs(one - want).max()) / scale
    moves = np.asarray(obs["moves"], np.float64)
    ratio = float(moves[1] / moves[0]) if moves[0] > 0 else float("inf")
    hint = ("the parameters did not move: optimizer.zero_grad() between backward() and step() throws the gradient "
            "away" if float(np.abs(one - start).max()) == 0 else
            f"two identical steps moved the weights {ratio:.2f}x as far the second time: the gradients of earlier "
            "steps were still in .grad (call optimizer.zero_grad() before backward())" if ratio > 1.5 else
            "clear the gradients, forward, loss, backward, then optimizer.step(), once")
    probe.below("train_step: parameters after one SGD step vs reference", err, 1e-4,
                f"after one SGD step from a model whose .grad still held the previous batch's gradient, the parameters "
                f"differ from one step on this batch's gradient alone by {err:.2g} of the update: {hint}")
    probe.below("train_step: two identical steps, ratio of moves - 1", max(ratio - 1.0, 0.0), 0.5,
                f"two identical SGD steps on the same batch moved the weights {ratio:.2f}x as far the second time as "
                "the first (about 1x expected): gradients accumulate across steps; call optimizer.zero_grad() "
                "before backward()")
    adam, adam_want = np.asarray(obs["adam"], np.float64), np.asarray(exp["adam"], np.float64)
    err = float(np.abs(adam - adam_want).max() / max(np.abs(adam_want).max(), 1e-12))
    probe.below("train_step: parameters after 3 Adam steps with loss_fn vs reference", err, 1e-4,
                f"after three steps with Adam and loss_fn=cross-entropy with label smoothing, the parameters differ "
                f"from the reference's by {err:.2g} of their scale: use the loss_fn you are given and the optimizer's "
                "own step()")
    probe.close(float(obs["loss2"]), float(exp["loss2"]), "train_step: the loss returned with loss_fn", tol=1e-4,
                hint="return the loss that loss_fn computed for the batch (here cross-entropy with label smoothing), "
                     "not a cross-entropy of your own")
    acc = _accuracy_of_state(obs, task, "training with your train_step")
    _at_least_target(probe, "train_step: training error with train_step", acc,
                     f"the checks' network trained with your train_step (shuffled batches, SGD with momentum) "
                     f"reaches {acc:.0%} validation accuracy, below {TARGET:.0%}")


# ------------------------------------------------------------------ evaluation

PREDICT_OBS = TASK + """
net = _load(make_net(d, k, 0), state_names, state)
xv_t = torch.from_numpy(xv)
net.train()
buffers = [b.detach().clone() for b in net.buffers()]
out = predict(net, xv_t)
train_kept = all(m.training for m in net.modules())
moved = any(not torch.equal(a, b) for a, b in zip(buffers, net.buffers()))
graph = bool(getattr(out, "requires_grad", False))
net.eval()
half = predict(net, xv_t[:int(cut)])
eval_kept = not any(m.training for m in net.modules())
net.train()
batches = [predict(net, xv_t[i:i + 64]) for i in range(0, len(xv_t), 64)]
__obs__ = {"out": torch.as_tensor(out).detach().double().numpy(), "half": torch.as_tensor(half).detach().double().numpy(),
           "batched": torch.cat([torch.as_tensor(b).detach() for b in batches]).double().numpy(),
           "train_kept": train_kept, "eval_kept": eval_kept, "moved": moved, "graph": graph}
"""


def test_predict(probe):
    task = sorted_task(probe.rng("predict", "task"))
    ns = _task_namespace()
    with _one_thread():
        net = ns["make_net"](task["d"], task["k"], task["seed"])
        opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
        train_loop(net, (torch.from_numpy(task["x"]), torch.from_numpy(task["y"])), epochs=EPOCHS, optimizer=opt,
                   batch_size=BATCH, prepare=lambda t: t, seed=task["seed"])
    state = ns["_state"](net)
    cut = int(probe.rng("predict", "cut").integers(3, 30))
    inputs = dict(xv=task["xv"], d=task["d"], k=task["k"], cut=cut, **state)
    obs, exp = probe.run(PREDICT_OBS, **inputs), probe.reference(PREDICT_OBS, **inputs)
    out, want = np.asarray(obs["out"]), np.asarray(exp["out"])
    assert out.shape == want.shape, (
        f"predict(model, x) for x of shape {task['xv'].shape} returned shape {out.shape}, expected {want.shape}")
    yv = task["yv"]
    acc, acc_want = float(np.mean(out.argmax(1) == yv)), float(np.mean(want.argmax(1) == yv))
    err = float(np.abs(out - want).max() / max(np.abs(want).max(), 1e-12))
    probe.below("predict: logits vs evaluation mode", err, 1e-5,
                f"predict(model, x) on a model left in training mode gives logits {err:.2g} (of their scale) away from "
                f"the model's evaluation-mode logits (validation accuracy {acc:.0%} instead of {acc_want:.0%}): switch "
                "to model.eval() (BatchNorm's running statistics, no dropout) before the forward pass")
    assert not bool(obs["moved"]), (
        "predict changed the model's buffers (BatchNorm's running statistics moved): evaluate in model.eval() mode")
    assert not bool(obs["graph"]), (
        "predict built a graph (its output requires grad): run the forward pass under torch.no_grad()")
    assert bool(obs["train_kept"]), (
        "after predict, a model that was in training mode is no longer in it: restore the mode it was in "
        "(model.train(was_training)), or the training loop that calls it goes on in evaluation mode")
    assert bool(obs["eval_kept"]), (
        "after predict, a model that was in evaluation mode is back in training mode: restore the mode it was in")
    err = float(np.abs(np.asarray(obs["half"]) - out[:cut]).max() / max(np.abs(out).max(), 1e-12))
    probe.below("predict: a sample alone vs in its batch", err, 1e-5,
                "predict gives other logits for the same images in a smaller batch: in evaluation mode each image's "
                "logits depend on that image only")
    batched = np.asarray(obs["batched"])
    acc_batched = float(np.mean(batched.argmax(1) == yv)) if batched.shape == want.shape else 0.0
    _at_least_target(probe, "predict: validation error of a trained model, sorted batches of 64", acc_batched,
                     f"a trained network evaluated with your predict, 64 images at a time from the class-sorted "
                     f"validation set (as the original notebook's val.csv), reaches {acc_batched:.0%} "
                     f"(evaluation mode gives {acc_want:.0%})")


# ------------------------------------------------------------------ the fixes

FIXES_OBS = """
import dataclasses
import json
def _fields(s):
    return dataclasses.asdict(s) if dataclasses.is_dataclass(s) and not isinstance(s, type) else "a " + type(s).__name__
setups = [Setup(**fields) for fields in json.loads(str(spec))]
unshuffled = [_fields(fix_unshuffled(s)) for s in setups]
decayed = [_fields(fix_weight_decay(s, max_decay_per_step=float(m))) for s, m in zip(setups, limits)]
default = _fields(fix_weight_decay(setups[0]))
both = _fields(fix_weight_decay(fix_unshuffled(Setup(shuffle=False, weight_decay=float(seed_decay)))))
values = [_fields(seed_setup), _fields(fixed_setup), _fields(fix_weight_decay(fix_unshuffled(seed_setup)))]
__obs__ = {"unshuffled": json.dumps(unshuffled), "decayed": json.dumps(decayed), "default": json.dumps(default),
           "both": json.dumps(both), "inputs_kept": json.dumps([_fields(s) for s in setups]),
           "values": json.dumps(values)}
"""


def fix_cases(probe):
    """Setups with other fields changed too (learning rates from 1e-3 to 1, momentum, the batch
    order, the evaluation, the start), their weight decay either at least 3x above the limit or
    at most a third of it; limits per step from 1e-6 to 1e-4."""
    rng = probe.rng("fixes", "setups")
    setups, limits = [], []
    for i in range(6):
        lr = float(10 ** rng.uniform(-3, 0))
        m = float(10 ** rng.uniform(-6, -4))
        high = i % 2 == 0
        decay = m * float(10 ** (rng.uniform(math.log10(3), 3) if high else rng.uniform(-2, -math.log10(3))))
        setups.append(dict(lr=lr, momentum=float(rng.choice([0.0, 0.5, 0.9])), weight_decay=decay / lr,
                           shuffle=bool(rng.random() < 0.5), zero_grad=bool(rng.random() < 0.8),
                           eval_mode=bool(rng.random() < 0.8), val_input=str(rng.choice(VAL_INPUTS)),
                           label_offset=int(rng.integers(0, 2)), start=str(rng.choice(STARTS))))
        limits.append(m)
    setups[0]["lr"] = float(rng.uniform(0.05, 0.5))   # the default limit 1e-5: far exceeded
    setups[0]["weight_decay"] = float(rng.uniform(0.01, 0.9))
    return setups, limits


def test_fixes(probe):
    setups, limits = fix_cases(probe)
    seed_decay = float(probe.rng("fixes", "seed").choice([0.9, 0.5, 0.1]))
    inputs = dict(spec=json.dumps(setups), limits=np.array(limits), seed_decay=seed_decay)
    obs, exp = probe.run(FIXES_OBS, **inputs), probe.reference(FIXES_OBS, **inputs)
    kept = json.loads(str(obs["inputs_kept"]))
    assert kept == json.loads(str(exp["inputs_kept"])), (
        "the fixes changed the setups they were given: return new ones (dataclasses.replace)")

    def show(fields):
        return ", ".join(f"{k}={v!r}" if not isinstance(v, float) else f"{k}={v:.3g}" for k, v in fields.items())

    def same(a, b):
        def equal(x, y):
            if isinstance(y, float) and isinstance(x, (int, float)):
                return abs(x - y) <= 1e-9 * max(abs(y), 1e-300)
            return x == y
        return isinstance(a, dict) and sorted(a) == sorted(b) and all(equal(a[f], b[f]) for f in b)

    for fields, got, want in zip(setups, json.loads(str(obs["unshuffled"])), json.loads(str(exp["unshuffled"]))):
        assert isinstance(got, dict), f"fix_unshuffled(Setup({show(fields)})) returned {got}, expected a Setup"
        changed = sorted(f for f in want if got.get(f) != want[f])
        assert not changed, (
            f"fix_unshuffled(Setup({show(fields)})) returned Setup({show(got)}): the fix draws a new batch order every "
            "epoch (shuffle=True) and changes nothing else" + (f"; {changed} differ" if changed else ""))
    for fields, m, got, want in zip(setups, limits, json.loads(str(obs["decayed"])), json.loads(str(exp["decayed"]))):
        call = f"fix_weight_decay(Setup({show(fields)}), max_decay_per_step={m:.3g})"
        assert isinstance(got, dict), f"{call} returned {got}, expected a Setup"
        if not same(got, want):
            per_step = got.get("lr", float("nan")) * got.get("weight_decay", float("nan"))
            others = sorted(f for f in want if f != "weight_decay" and got.get(f) != want[f])
            hint = (f"it changed {others}: only weight_decay may change (lowering the learning rate would slow "
                    "training down, not fix the decay)" if others else
                    f"lr * weight_decay = {per_step:.3g} is above the limit: weight_decay = max_decay_per_step / lr"
                    if per_step > m * (1 + 1e-9) else
                    "a setup already within the limit comes back unchanged" if fields["lr"] * fields["weight_decay"] <= m
                    else "lower weight_decay to exactly max_decay_per_step / lr")
            raise AssertionError(f"{call} returned weight_decay={got.get('weight_decay')!r}, expected "
                                 f"{want['weight_decay']:.4g}: {hint}")
    default, want_default = json.loads(str(obs["default"])), json.loads(str(exp["default"]))
    assert same(default, want_default), (
        f"fix_weight_decay(Setup({show(setups[0])})) with the default limit returned weight_decay="
        f"{default.get('weight_decay') if isinstance(default, dict) else default!r}, expected "
        f"{want_default['weight_decay']:.4g} (max_decay_per_step=1e-5 by default)")
    seed_value, fixed_value, refixed = json.loads(str(obs["values"]))
    assert isinstance(seed_value, dict) and seed_value == asdict(SEED_SETUP), (
        f"seed_setup is {seed_value if not isinstance(seed_value, dict) else 'Setup(' + show(seed_value) + ')'}: it "
        "should be the healthy Setup() with the original notebook's two bugs, batches in file order (shuffle=False) "
        "and weight decay 0.9")
    assert isinstance(fixed_value, dict) and fixed_value == refixed, (
        "fixed_setup should be what your two fixes make of seed_setup: fix_weight_decay(fix_unshuffled(seed_setup))")
    both = json.loads(str(obs["both"]))
    assert isinstance(both, dict), f"fix_weight_decay(fix_unshuffled(...)) returned {both}, expected a Setup"
    task = sorted_task(probe.rng("fixes", "task"))
    try:
        acc = train_setup_accuracy(both, task)
    except Exception as err:
        raise AssertionError(f"the fixed setup Setup({show(both)}) cannot be trained: {type(err).__name__}: {err}")
    broken = dict(asdict(ref.Setup()), shuffle=False, weight_decay=seed_decay)
    _at_least_target(probe, "fixes: training error of the fixed seed setup", acc,
                     f"the original notebook's setup (class-sorted data read in file order, weight decay {seed_decay:g}) "
                     f"after your fixes, Setup({show(both)}), trains the checks' network to {acc:.0%} validation "
                     f"accuracy on a class-sorted task, below {TARGET:.0%} (the broken setup "
                     f"reaches {train_setup_accuracy(broken, task):.0%})")
