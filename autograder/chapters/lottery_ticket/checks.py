"""Trusted hidden tests of lottery_ticket (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

The probes build small networks in the kernel from values drawn here, call the student's
functions on them and return plain arrays: masks, the weights a network computes with (read
after a forward pass), its outputs, what a recording ``train_fn`` saw. The expected values come
from :mod:`solutions.lottery_ticket` run on the same inputs in this process; the properties any
correct answer has (pruned weights exactly zero, the smallest survivors pruned first, negative
weights still training, a reproducible random re-initialisation, ...) are measured here on the
returned arrays.

Every hidden input (layers and their sizes, weights, masks, rates, optimizers, batches,
seeds, the perturbations of the recording trainer) is drawn from ``probe.rng(<name>)``: fresh
for every grading run. The IMP check swaps the student's ``prune_layerwise``, ``apply_masks``
and ``rewind`` for instrumented stand-ins (a pruning rule of their own, not magnitude pruning)
for the duration of the call, so the loop's points depend on the loop alone.
"""
import json

import numpy as np

import solutions.lottery_ticket as ref
from autograder.trusted import CheckFailed

REFERENCE = {name: getattr(ref, name) for name in ref.__all__}

# What the notebook's given cells define before a student's cells run (the setup cell's
# imports and the type names; the helpers themselves are in REFERENCE): the valid variants
# of the catalogue run on it, kernel-free.
VARIANT_PRELUDE = """
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize, prune
PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
Masks = dict[str, torch.Tensor]
State = dict[str, torch.Tensor]
STRATEGIES = ("init", "late", "random")
TrainFn = Callable[[nn.Module, "int | None"], TrainReport]
"""


def _seed(rng) -> int:
    return int(rng.integers(1, 2 ** 31 - 1))


def _run(probe, code: str, what: str, **inputs) -> dict:
    """``probe.run`` with the case described in an error raised by the student's code."""
    try:
        return probe.run(code, **inputs)
    except CheckFailed as err:
        raise CheckFailed(f"{what}: your code raised {err}") from None


def _relerr(actual, expected, floor=1.0) -> float:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
        return float("inf")
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), floor)) if expected.size else 0.0


# ------------------------------------------------------------------ models described by a spec

# A network is a JSON list of layers: ["linear", in, out], ["conv1d"/"conv2d", in, out, k],
# ["embedding", rows, dim], ["tanh"], ["flatten"]; its parameters are loaded, in the order of
# named_parameters(), from one flat float32 array.
BUILD = """
import json
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

def _build(layers, flat):
    mods = []
    for layer in layers:
        kind, dims = layer[0], [int(d) for d in layer[1:]]
        if kind == "linear":
            mods.append(nn.Linear(dims[0], dims[1]))
        elif kind == "conv1d":
            mods.append(nn.Conv1d(dims[0], dims[1], dims[2]))
        elif kind == "conv2d":
            mods.append(nn.Conv2d(dims[0], dims[1], dims[2]))
        elif kind == "embedding":
            mods.append(nn.Embedding(dims[0], dims[1]))
        elif kind == "tanh":
            mods.append(nn.Tanh())
        else:
            mods.append(nn.Flatten())
    net = nn.Sequential(*mods)
    with torch.no_grad():
        at = 0
        for p in net.parameters():
            p.copy_(torch.from_numpy(np.asarray(flat[at:at + p.numel()], dtype=np.float32)).reshape(p.shape))
            at += p.numel()
    return net

def _unflatten(bits, names, shapes):
    out, at = {}, 0
    for n in names:
        size = int(np.prod(shapes[n]))
        out[n] = torch.from_numpy(np.asarray(bits[at:at + size], dtype=bool).copy()).reshape(shapes[n])
        at += size
    return out
"""


def param_shapes(layers) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every parameter of ``_build(layers)``, in the order of named_parameters()."""
    out = []
    for i, layer in enumerate(layers):
        kind, dims = layer[0], [int(d) for d in layer[1:]]
        if kind == "linear":
            out += [(f"{i}.weight", (dims[1], dims[0])), (f"{i}.bias", (dims[1],))]
        elif kind == "conv1d":
            out += [(f"{i}.weight", (dims[1], dims[0], dims[2])), (f"{i}.bias", (dims[1],))]
        elif kind == "conv2d":
            out += [(f"{i}.weight", (dims[1], dims[0], dims[2], dims[2])), (f"{i}.bias", (dims[1],))]
        elif kind == "embedding":
            out += [(f"{i}.weight", (dims[0], dims[1]))]
    return out


def _split(flat, names, shapes) -> dict:
    out, at = {}, 0
    for n in names:
        size = int(np.prod(shapes[n]))
        out[n] = np.asarray(flat[at:at + size]).reshape(shapes[n])
        at += size
    return out


def _draw_values(rng, shapes) -> np.ndarray:
    """Weights of both signs at the scale of a fresh layer, biases ~ N(0, 0.3)."""
    parts = []
    for name, shape in shapes:
        size = int(np.prod(shape))
        if name.endswith("weight") and len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
            parts.append(rng.normal(0, 1.0 / np.sqrt(fan_in), size))
        else:
            parts.append(rng.normal(0, 0.3, size))
    return np.concatenate(parts).astype(np.float32)


def _random_mask(rng, size, keep_low=0.35, keep_high=0.8) -> np.ndarray:
    """A mask keeping a random fraction of ``size`` entries, never all and never none."""
    keep = rng.random(size) < rng.uniform(keep_low, keep_high)
    keep[rng.integers(size)] = True
    keep[rng.integers(size)] = False
    return keep


def _rate(rng, alive: int, upper: bool | None = None) -> float:
    """A pruning rate whose count ``rate * alive`` has a fractional part far from 0.5 (so that
    Python's round, floor(x + 0.5) and NumPy's rounding agree), between 1 and alive - 1 weights;
    ``upper=True`` puts the fractional part above 0.5 (int() and round() then differ)."""
    whole = int(rng.integers(1, max(2, alive - 1)))
    high = bool(rng.random() < 0.5) if upper is None else upper
    frac = float(rng.uniform(0.6, 0.92) if high else rng.uniform(0.08, 0.4))
    return min((whole + frac) / alive, 1.0)


# ------------------------------------------------------------------ Part 1: prune_layerwise

PRUNE_OBS = BUILD + """
spec = json.loads(str(spec_json))
net = _build(spec["layers"], values)
shapes = {n: tuple(p.shape) for n, p in net.named_parameters()}
given_masks = None if spec["masks"] is None else _unflatten(mask_bits, spec["masks"], shapes)
current = np.zeros(0)
if spec.get("stale"):  # the state the chapter's trainer leaves: masked with torch's pruning, then one step
    import torch.nn.utils.prune as _torch_prune
    for n, m in given_masks.items():
        owner, _, attr = n.rpartition(".")
        _torch_prune.custom_from_mask(net.get_submodule(owner), attr, m.clone())
    opt = torch.optim.SGD(net.parameters(), lr=float(spec["lr"]))
    (net(torch.from_numpy(x_stale)) * torch.from_numpy(g_stale)).sum().backward()
    opt.step()   # no forward pass after it: module.weight still holds the values from before the step
    parts = []
    for n in shapes:
        owner, _, attr = n.rpartition(".")
        module = net.get_submodule(owner)
        orig, mask = module._parameters.get(attr + "_orig"), getattr(module, attr + "_mask", None)
        now = orig * mask if orig is not None else getattr(module, attr)
        parts.append(now.detach().double().numpy().ravel())
    current = np.concatenate(parts)
before = {n: p.detach().clone() for n, p in net.named_parameters()}
copies = None if given_masks is None else {n: m.clone() for n, m in given_masks.items()}
out = prune_layerwise(net, given_masks, {n: float(r) for n, r in spec["rates"].items()})
meta = {"type": type(out).__name__, "keys": sorted(str(k) for k in out) if isinstance(out, dict) else [],
        "shapes": {}, "dtypes": {}}
bits = []
for n in meta["keys"]:
    m = out[n]
    meta["shapes"][n] = [int(s) for s in getattr(m, "shape", ())]
    meta["dtypes"][n] = str(getattr(m, "dtype", type(m).__name__))
    if torch.is_tensor(m) and tuple(m.shape) == shapes.get(n):
        bits.append(m.detach().cpu().numpy().astype(bool).ravel())
meta["model_unchanged"] = (sorted(n for n, _ in net.named_parameters()) == sorted(before)
                           and all(torch.equal(p, before[n]) for n, p in net.named_parameters()))
meta["masks_unchanged"] = given_masks is None or all(torch.equal(given_masks[n], copies[n]) for n in copies)
__obs__ = {"meta": json.dumps(meta), "bits": np.concatenate(bits) if bits else np.zeros(0, dtype=bool),
           "_current": current}
"""


def prune_cases(probe) -> list[dict]:
    """Five models, drawn afresh every run:

    1. three Linear layers, one of them scaled by 1e-3 (a global threshold empties it first),
       no masks yet, and one count whose fractional part is above 0.5 (int() is not round());
    2. a Conv2d and a Linear layer whose masks pruned their *largest* weights, the pruned
       values still stored (ranking them again changes the counts);
    3. a Conv1d and a Linear layer with random masks and their pruned entries read as 0, as a
       masked network reads them (the smallest "weights" are the pruned ones);
    4. ties: magnitudes from three values, random signs, in a Linear and a Conv2d layer;
    5. rates 0 and 1, a mask without a rate, an Embedding and biases that are never pruned.
    """
    rng = probe.rng("prune", "cases")
    cases = []

    def linear(a, b):
        return ["linear", int(a), int(b)]

    # 1
    sizes = [int(v) for v in rng.integers(5, 16, size=4)]
    layers = [linear(a, b) for a, b in zip(sizes, sizes[1:])]
    shapes = param_shapes(layers)
    values = _draw_values(rng, shapes)
    small = int(rng.integers(0, 3))
    named = dict(shapes)
    at = 0
    for name, shape in shapes:
        size = int(np.prod(shape))
        if name == f"{small}.weight":
            values[at:at + size] *= 1e-3
        at += size
    weights = [n for n, s in shapes if n.endswith("weight")]
    rates = {n: _rate(rng, int(np.prod(named[n])), upper=(i == 0)) for i, n in enumerate(weights)}
    cases.append(dict(what="three Linear layers, one with weights 1000 times smaller, no masks yet",
                      layers=layers, values=values, masks=None, rates=rates, scaled=f"{small}.weight"))

    # 2
    c_in, c_out, k = int(rng.integers(1, 4)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
    layers = [["conv2d", c_in, c_out, k], linear(rng.integers(6, 14), rng.integers(4, 10))]
    shapes = param_shapes(layers)
    values = _draw_values(rng, shapes)
    flat = _split(values, [n for n, _ in shapes], dict(shapes))
    masks, rates = {}, {}
    for name, shape in shapes:
        if not name.endswith("weight"):
            continue
        mag = np.abs(flat[name]).ravel()
        n_big = int(rng.integers(max(1, mag.size // 10), max(2, int(mag.size * 0.6))))
        keep = np.ones(mag.size, dtype=bool)
        keep[np.argsort(-mag, kind="stable")[:n_big]] = False
        masks[name] = keep
        rates[name] = _rate(rng, int(keep.sum()))
    cases.append(dict(what="a Conv2d and a Linear layer whose masks pruned their largest weights (the pruned "
                           "values still stored)", layers=layers, values=values, masks=masks, rates=rates))

    # 3
    layers = [["conv1d", int(rng.integers(1, 4)), int(rng.integers(2, 6)), int(rng.integers(2, 5))],
              linear(rng.integers(5, 12), rng.integers(4, 10))]
    shapes = param_shapes(layers)
    names, named = [n for n, _ in shapes], dict(shapes)
    values = _draw_values(rng, shapes)
    parts = _split(values, names, named)
    masks, rates = {}, {}
    for name in names:
        if name.endswith("weight"):
            keep = _random_mask(rng, parts[name].size)
            parts[name] = np.where(keep.reshape(parts[name].shape), parts[name], 0.0)
            masks[name] = keep
            rates[name] = _rate(rng, int(keep.sum()))
    values = np.concatenate([parts[n].ravel() for n in names]).astype(np.float32)
    cases.append(dict(what="a Conv1d and a Linear layer with masks applied (pruned entries read as 0)",
                      layers=layers, values=values, masks=masks, rates=rates))

    # 4
    layers = [linear(rng.integers(4, 9), rng.integers(4, 9)), ["conv2d", int(rng.integers(1, 3)),
                                                               int(rng.integers(2, 4)), 2]]
    shapes = param_shapes(layers)
    levels = np.sort(rng.uniform(0.05, 0.5, 3))
    parts = []
    for name, shape in shapes:
        size = int(np.prod(shape))
        parts.append(rng.choice(levels, size) * rng.choice([-1.0, 1.0], size))
    values = np.concatenate(parts).astype(np.float32)
    names, named = [n for n, _ in shapes], dict(shapes)
    split = _split(values, names, named)
    rates = {}
    for name in names:
        if name.endswith("weight"):
            mag = np.abs(split[name]).ravel()
            # a count that ends inside a group of equal magnitudes, with a fractional part far from 0.5
            low = int((mag == mag.min()).sum())
            rates[name] = min((max(1, low // 2) + float(rng.uniform(0.1, 0.35))) / mag.size, 1.0) if low > 1 else \
                _rate(rng, mag.size)
    cases.append(dict(what="a Linear and a Conv2d layer whose weights take three magnitudes (ties)",
                      layers=layers, values=values, masks=None, rates=rates))

    # 5
    layers = [["embedding", int(rng.integers(5, 12)), int(rng.integers(3, 7))],
              linear(rng.integers(4, 10), rng.integers(4, 10)), linear(rng.integers(4, 10), rng.integers(3, 8)),
              linear(rng.integers(3, 8), rng.integers(2, 6))]
    shapes = param_shapes(layers)
    names, named = [n for n, _ in shapes], dict(shapes)
    values = _draw_values(rng, shapes)
    order = ["1.weight", "2.weight", "3.weight"]
    rng.shuffle(order)
    zero, one, unrated = order
    masks = {n: _random_mask(rng, int(np.prod(named[n]))) for n in (zero, one, unrated)}
    rates = {zero: 0.0, one: 1.0}
    cases.append(dict(what="an Embedding, biases, rates 0 and 1, and a mask with no rate", layers=layers,
                      values=values, masks=masks, rates=rates))

    # 6
    a, b, c = (int(v) for v in rng.integers(5, 12, size=3))
    layers = [linear(a, b), ["tanh"], linear(b, c)]
    shapes = param_shapes(layers)
    named = dict(shapes)
    values = _draw_values(rng, shapes)
    masks = {n: _random_mask(rng, int(np.prod(named[n])), 0.5, 0.9) for n, _ in shapes if n.endswith("weight")}
    rates = {n: _rate(rng, int(masks[n].sum())) for n in masks}
    batch = int(rng.integers(4, 9))
    cases.append(dict(what="a network masked with torch.nn.utils.prune and trained one SGD step since its last "
                           "forward pass (module.weight is stale: the weights are weight_orig * weight_mask)",
                      layers=layers, values=values, masks=masks, rates=rates, stale=True, lr=float(rng.uniform(0.5, 1.5)),
                      x_stale=rng.normal(0, 1, (batch, a)).astype(np.float32),
                      g_stale=rng.normal(0, 1, (batch, c)).astype(np.float32)))
    for case in cases:
        probe.hit("prune: model state", "masked and trained (stale module.weight)" if case.get("stale") else
                  "dense" if case["masks"] is None else "masked")
    return cases


def _prune_inputs(case) -> dict:
    names = None if case["masks"] is None else list(case["masks"])
    bits = (np.concatenate([np.asarray(case["masks"][n], bool).ravel() for n in names]) if names
            else np.zeros(0, dtype=bool))
    spec = {"layers": case["layers"], "masks": names, "rates": case["rates"], "stale": bool(case.get("stale")),
            "lr": case.get("lr", 0.0)}
    extra = {k: case[k] for k in ("x_stale", "g_stale") if k in case}
    return dict(spec_json=json.dumps(spec), values=case["values"], mask_bits=bits, **extra)


def test_prune_layerwise(probe):
    probe.domain("prune: model state", "dense", "masked", "masked and trained (stale module.weight)")
    for case in prune_cases(probe):
        inputs = _prune_inputs(case)
        what = f"prune_layerwise on {case['what']}"
        obs = _run(probe, PRUNE_OBS, what, **inputs)
        exp = probe.reference(PRUNE_OBS, **inputs)
        meta, want = json.loads(str(obs["meta"])), json.loads(str(exp["meta"]))
        assert meta["type"] == "dict", f"{what}: return a dict {{name: bool tensor}}, got a {meta['type']}"
        if meta["keys"] != want["keys"]:
            extra = sorted(set(meta["keys"]) - set(want["keys"]))
            raise AssertionError(
                f"{what}: returned masks for {meta['keys']}, expected exactly {want['keys']} (every name in rates "
                "or in masks, nothing else)"
                + ("; never prune a bias or an embedding: only the tensors named in rates" if extra else ""))
        shapes = dict(param_shapes(case["layers"]))
        for n in meta["keys"]:
            assert meta["shapes"][n] == list(shapes[n]), (
                f"{what}: the mask of {n} has shape {tuple(meta['shapes'][n])}, the weight {shapes[n]}")
            assert meta["dtypes"][n] == "torch.bool", f"{what}: the mask of {n} should be a bool tensor, got {meta['dtypes'][n]}"
        assert meta["model_unchanged"], f"{what}: prune_layerwise changed the model's weights; pruning only computes masks"
        assert meta["masks_unchanged"], (
            f"{what}: prune_layerwise modified the masks it was given; leave them as they were and return new "
            "tensors (clone before editing: .to() returns the same tensor when nothing changes)")
        got = _split(np.asarray(obs["bits"], bool), meta["keys"], shapes)
        expected = _split(np.asarray(exp["bits"], bool), want["keys"], shapes)
        # the weights the network computes with now (after the stale case's step: not the values it was built with)
        now = np.asarray(exp["_current"]) if case.get("stale") else case["values"]
        weights = _split(now, [n for n, _ in param_shapes(case["layers"])], shapes)
        for n in meta["keys"]:
            old = (np.ones(shapes[n], bool) if case["masks"] is None or n not in case["masks"]
                   else np.asarray(case["masks"][n], bool).reshape(shapes[n]))
            new = got[n]
            where = f"{what}, {n}"
            assert not (new & ~old).any(), f"{where}: a weight that was already pruned is alive again"
            if n not in case["rates"]:
                assert np.array_equal(new, old), f"{where} has no rate: its mask must come back unchanged"
                continue
            rate, alive = case["rates"][n], int(old.sum())
            k, pruned = round(rate * alive), int(alive - new.sum())
            if pruned != k:
                hint = ""
                if pruned == min(round(rate * old.size), alive) and alive < old.size:
                    hint = ("; the rate is a fraction of the surviving weights, not of all the weights of the tensor "
                            "(count and rank the survivors only)")
                elif pruned == int(rate * alive):
                    hint = "; use Python's round(), not int(), for the count"
                elif case.get("scaled"):
                    hint = (f"; rank each tensor on its own (a layer-wise threshold): {case['scaled']} has weights "
                            "1000 times smaller than the other layers, and a global threshold prunes it first")
                elif alive < old.size:
                    hint = "; rank the surviving weights only: already-pruned ones are never ranked again"
                raise AssertionError(
                    f"{where}: {alive} surviving weights at rate {rate:.4f} should lose round({rate:.4f} x {alive}) = "
                    f"{k}; your mask pruned {pruned}{hint}")
            newly = old & ~new
            kept = new
            mag = np.abs(weights[n].astype(np.float64))
            if newly.any() and kept.any() and mag[newly].max() > mag[kept].min():
                signed = np.sort(weights[n][old].ravel())[:k]
                hint = (" (rank by magnitude |w|: the most negative weights are not the smallest)"
                        if np.allclose(np.sort(weights[n][newly].ravel()), signed) else "")
                raise AssertionError(
                    f"{where}: you pruned a weight with |w| = {mag[newly].max():.4g} and kept one with |w| = "
                    f"{mag[kept].min():.4g}: prune the survivors of smallest magnitude first{hint}")
            if not np.array_equal(new, expected[n]):
                raise AssertionError(
                    f"{where}: the right number of the smallest magnitudes, but not the right ones among equal "
                    "magnitudes: break ties by position, the lower flat (row-major) index is pruned first")


# ------------------------------------------------------------------ Part 2: apply_masks

# Optimizers by name: each case trains with one of them from *before* the masks (its momentum
# or moments already hold values for the weights about to be pruned), then a fresh one.
OPTIMIZERS = {
    "sgd_momentum": "torch.optim.SGD(params, lr=0.05, momentum=0.9)",
    "sgd_nesterov": "torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True)",
    "sgd_weight_decay": "torch.optim.SGD(params, lr=0.05, weight_decay=0.05)",
    "adam_weight_decay": "torch.optim.Adam(params, lr=0.02, weight_decay=0.01)",
    "adamw": "torch.optim.AdamW(params, lr=0.02, weight_decay=0.05)",
    "sgd": "torch.optim.SGD(params, lr=0.05)",
    "adam": "torch.optim.Adam(params, lr=0.02)",
}
DESCRIBE = {
    "sgd_momentum": "SGD with momentum 0.9", "sgd_nesterov": "SGD with Nesterov momentum",
    "sgd_weight_decay": "SGD with weight decay", "adam_weight_decay": "Adam with weight decay",
    "adamw": "AdamW", "sgd": "plain SGD", "adam": "Adam",
}

TRAIN = """
_OPTIMIZERS = {optimizers}
def _optimizer(kind, params):
    return eval(_OPTIMIZERS[kind], {{"torch": torch, "params": list(params)}})

def _step(model, optimizer, i):
    optimizer.zero_grad()
    (model(torch.from_numpy(xs[i % len(xs)])) * torch.from_numpy(gs[i % len(gs)])).sum().backward()
    optimizer.step()

def _attrs(model, names):
    \"\"\"The listed tensors as the modules hold them now (module.weight: refreshed by a forward pass).\"\"\"
    parts = []
    for n in names:
        owner, _, attr = n.rpartition(".")
        parts.append(getattr(model.get_submodule(owner), attr).detach().double().numpy().ravel())
    return np.concatenate(parts)

def _read(model, names):
    \"\"\"The output on x_eval and the listed tensors the network computes with, read after that forward pass.\"\"\"
    out = model(torch.from_numpy(x_eval)).detach().double().numpy()
    return out, _attrs(model, names)
""".format(optimizers=repr(OPTIMIZERS))

APPLY_OBS = BUILD + TRAIN + """
spec = json.loads(str(spec_json))
net = _build(spec["layers"], values)
names = spec["names"]
shapes = {n: tuple(p.shape) for n, p in net.named_parameters()}
before = sorted(id(p) for p in net.parameters())
opt = _optimizer(spec["opt"], net.parameters())
_step(net, opt, 0)                                      # state for the weights about to be pruned
masks1, masks2 = _unflatten(bits1, names, shapes), _unflatten(bits2, names, shapes)
copies = [{n: m.clone() for n, m in masks1.items()}, {n: m.clone() for n, m in masks2.items()}]
returned = apply_masks(net, masks1)
same_params = sorted(id(p) for p in net.parameters()) == before
direct = _attrs(net, names)                 # module.weight as read right after the call, before any forward
out1, w1 = _read(net, names)
for i in range(1, 1 + int(spec["steps"])):
    _step(net, opt, i)
out2, w2 = _read(net, names)
unchanged1 = all(torch.equal(masks1[n], copies[0][n]) for n in names)
for n in names:            # the caller reuses its mask tensors: the model must hold copies of its own
    masks1[n].fill_(True)
_, w2_after_edit = _read(net, names)
own_copies = bool(np.array_equal(w2_after_edit, w2))
apply_masks(net, masks2)
direct2 = _attrs(net, names)                # ... and right after masks applied over earlier ones
_, w3 = _read(net, names)
opt2 = _optimizer(spec["opt2"], net.parameters())
for i in range(1, 1 + int(spec["steps"])):
    _step(net, opt2, 100 + i)
_, w4 = _read(net, names)   # (the outputs: what a regrown weight restarts from is not part of the contract)
unchanged = unchanged1 and all(torch.equal(masks2[n], copies[1][n]) for n in names)
for n in names:
    masks2[n].fill_(True)
_, w4_after_edit = _read(net, names)
own_copies = own_copies and bool(np.array_equal(w4_after_edit, w4))
__obs__ = {"returned": returned is net, "same_params": same_params, "unchanged": unchanged, "own_copies": own_copies,
           "direct": direct, "direct2": direct2,
           "out1": out1, "out2": out2, "w1": w1, "w2": w2, "w3": w3, "w4": w4}
"""


def _net_layers(rng, conv: bool):
    """A tanh network (every weight gets a gradient): an MLP, or Conv2d -> Linear -> Linear."""
    if conv:
        c_in, c1, k, hw = int(rng.integers(1, 3)), int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(4, 6))
        d, o = int(rng.integers(4, 9)), int(rng.integers(2, 5))
        layers = [["conv2d", c_in, c1, k], ["tanh"], ["flatten"], ["linear", c1 * (hw - k + 1) ** 2, d], ["tanh"],
                  ["linear", d, o]]
        return layers, (c_in, hw, hw), o
    a, b, c, o = (int(v) for v in rng.integers(3, 10, size=4))
    return [["linear", a, b], ["tanh"], ["linear", b, c], ["tanh"], ["linear", c, o]], (a,), o


def _batches(rng, input_shape, outputs, count, batch=8):
    xs = rng.normal(0, 1, (count, batch) + tuple(input_shape)).astype(np.float32)
    gs = rng.normal(0, 1, (count, batch, outputs)).astype(np.float32)
    return xs, gs


def apply_cases(probe) -> list[dict]:
    """Four networks (MLPs and Conv2d nets, chosen at random), each trained from *before* the
    masks with one of: SGD + momentum (or Nesterov), SGD + weight decay, Adam + weight decay,
    AdamW; then a second, non-nested mask and a fresh optimizer (plain SGD or Adam)."""
    rng = probe.rng("apply_masks", "cases")
    first = ["sgd_momentum" if rng.random() < 0.5 else "sgd_nesterov", "sgd_weight_decay", "adam_weight_decay", "adamw"]
    rng.shuffle(first)
    cases = []
    for kind in first:
        layers, input_shape, outputs = _net_layers(rng, conv=bool(rng.random() < 0.5))
        shapes = param_shapes(layers)
        names = [n for n, s in shapes if n.endswith("weight")]
        sizes = [int(np.prod(s)) for n, s in shapes if n.endswith("weight")]
        bits1 = np.concatenate([_random_mask(rng, s) for s in sizes])
        bits2 = np.concatenate([_random_mask(rng, s) for s in sizes])
        steps = int(rng.integers(3, 6))
        xs, gs = _batches(rng, input_shape, outputs, 2 * steps + 2)
        x_eval = rng.normal(0, 1, (5,) + tuple(input_shape)).astype(np.float32)
        spec = {"layers": layers, "names": names, "opt": kind, "opt2": "sgd" if rng.random() < 0.5 else "adam",
                "steps": steps}
        cases.append(dict(spec=spec, inputs=dict(spec_json=json.dumps(spec), values=_draw_values(rng, shapes),
                                                  bits1=bits1, bits2=bits2, xs=xs, gs=gs, x_eval=x_eval)))
    return cases


def _frozen(before, after, where) -> float:
    """Fraction of the entries ``where`` that did not move between ``before`` and ``after``
    (``where`` should hold entries that do move in a correct network: a weight whose unit has
    lost all its outgoing weights gets no gradient)."""
    return float((before[where] == after[where]).mean()) if where.any() else 0.0


def _moved(exp, before, after):
    """The entries that move between two observations of the reference."""
    return np.asarray(exp[before]) != np.asarray(exp[after])


def test_apply_masks(probe):
    for case in apply_cases(probe):
        spec, inputs = case["spec"], case["inputs"]
        opt, opt2 = DESCRIBE[spec["opt"]], DESCRIBE[spec["opt2"]]
        what = (f"apply_masks on a network with layers {[l for l in spec['layers'] if l[0] in ('linear', 'conv2d')]} "
                f"trained with {opt}")
        obs = _run(probe, APPLY_OBS, what, **inputs)
        exp = probe.reference(APPLY_OBS, **inputs)
        assert bool(obs["returned"]), f"{what}: apply_masks should return the model it was given"
        assert bool(obs["same_params"]), (
            f"{what}: after apply_masks the model's parameters are not the same objects as before, so an optimizer "
            "built before the call no longer trains the model (prune.custom_from_mask keeps the Parameter as weight_orig)")
        m1, m2 = np.asarray(inputs["bits1"], bool), np.asarray(inputs["bits2"], bool)
        w0 = np.asarray(exp["w1"])  # the reference right after the masks: the weights times the first mask
        w1, w2, w3, w4 = (np.asarray(obs[k], np.float64) for k in ("w1", "w2", "w3", "w4"))
        if w1.shape != w0.shape:
            raise AssertionError(f"{what}: the network's weights changed shape after apply_masks")
        assert (w1[~m1] == 0).all(), (
            f"{what}: right after apply_masks, {int((w1[~m1] != 0).sum())} pruned weights that the network computes "
            "with are not zero" + (" (are True and False the right way round? True keeps a weight)"
                                   if (w1[m1] == 0).mean() > 0.5 else ""))
        assert np.array_equal(w1[m1], w0[m1]), f"{what}: apply_masks changed the values of weights it keeps"
        direct = np.asarray(obs["direct"], np.float64)
        assert direct.shape == w1.shape and np.array_equal(direct, w1), (
            f"{what}: right after apply_masks, before any forward pass, module.weight still holds other values "
            f"({int((direct != w1).sum()) if direct.shape == w1.shape else 'all'} entries) than the masked weights the "
            "network computes with: set it (weight_orig * mask) when you apply the masks")
        assert bool(obs["own_copies"]), (
            f"{what}: after the caller changed the mask tensors it had passed to apply_masks, the network computed "
            "with other weights: the model must keep its own copy of each mask (copy into the weight_mask buffer, "
            "or clone), never the caller's tensor")
        err = _relerr(obs["out1"], exp["out1"])
        probe.below("apply_masks: output right after the masks", err, 1e-5,
                    f"{what}: right after apply_masks the network's output differs from that of a network computing "
                    f"with weight * mask by {err:.1e} of its scale")
        bad = int((w2[~m1] != 0).sum())
        assert bad == 0, (
            f"{what}: after {spec['steps']} steps of {opt} with an optimizer built before the masks (so it already "
            f"had momentum or moments), {bad} pruned weights are no longer zero. Zeroing weights once or masking "
            "their gradients does not stop momentum or Adam's moments (a hook controls the gradient, not the "
            "update): make the network compute with "
            "weight_orig * mask on every forward pass (torch.nn.utils.prune.custom_from_mask)")
        moved12, moved34 = _moved(exp, "w1", "w2"), _moved(exp, "w3", "w4")
        negative = m1 & (w1 < 0) & moved12
        probe.below("apply_masks: frozen negative weights", _frozen(w1, w2, negative), 0.1,
                    f"{what}: {_frozen(w1, w2, negative):.0%} of the unpruned negative weights did not move during "
                    "training: masking gradients where `tensor < eps` freezes every negative weight (the bug of a "
                    "popular public implementation); unpruned weights must all keep training")
        probe.below("apply_masks: frozen unpruned weights", _frozen(w1, w2, m1 & moved12), 0.1,
                    f"{what}: {_frozen(w1, w2, m1 & moved12):.0%} of the unpruned weights did not move during training: the "
                    "optimizer built before apply_masks must still train the model")
        err = max(_relerr(obs["out2"], exp["out2"]), _relerr(w2, exp["w2"], floor=1e-3))
        probe.below("apply_masks: training vs reference", err, 1e-4,
                    f"{what}: after {spec['steps']} steps the unpruned weights and the output differ from those of a "
                    f"correctly masked network by {err:.1e} of their scale: the masked weights' gradients must be "
                    "those of weight * mask, and nothing else may change the unpruned weights")
        # a second mask, not nested in the first: it replaces the first
        bad = int((w3[~m2] != 0).sum())
        assert bad == 0, (f"{what}: after apply_masks with new masks, {bad} weights the new masks prune are not zero")
        direct2 = np.asarray(obs["direct2"], np.float64)
        assert direct2.shape == w3.shape and np.array_equal(direct2, w3), (
            f"{what}: right after apply_masks with new masks, before any forward pass, module.weight still holds "
            "the values of the old masks: set it (weight_orig * mask) when you apply the masks")
        both = m1 & m2
        assert np.array_equal(w3[both], w2[both]), (
            f"{what}: applying new masks changed the values of weights that both masks keep")
        bad = int((w4[~m2] != 0).sum())
        assert bad == 0, (f"{what}: after new masks and {spec['steps']} steps of a fresh {opt2}, {bad} pruned "
                          "weights are not zero")

        regrown = m2 & ~m1 & moved34
        probe.below("apply_masks: regrown weights train", _frozen(w3, w4, regrown), 0.1,
                    f"{what}: weights that the new masks keep but the first masks pruned stay at zero through "
                    f"training ({_frozen(w3, w4, regrown):.0%} never moved): new masks must replace the old ones, not "
                    "stack on them (prune.custom_from_mask applied twice multiplies the two masks; overwrite the "
                    "weight_mask buffer instead)")
        negative = m2 & (w3 < 0) & moved34
        probe.below("apply_masks: frozen negative weights", _frozen(w3, w4, negative), 0.1,
                    f"{what}: with a fresh {opt2} after the masks, {_frozen(w3, w4, negative):.0%} of the unpruned "
                    "negative weights did not move: masking gradients where `tensor < eps` freezes every negative "
                    "weight; unpruned weights must all keep training")
        assert bool(obs["unchanged"]), (
            f"{what}: apply_masks modified the caller's mask tensors; the model keeps its own copy of each mask")


# ------------------------------------------------------------------ Part 3: rewind

REWIND_OBS = BUILD + TRAIN + """
spec = json.loads(str(spec_json))
names, dense = spec["names"], spec["dense"]
net = _build(spec["layers"], values)
shapes = {n: tuple(p.shape) for n, p in net.named_parameters()}
def _state(flat):
    out, at = {}, 0
    for n in dense:
        size = int(np.prod(shapes[n]))
        out[n] = torch.from_numpy(np.asarray(flat[at:at + size], dtype=np.float32).copy()).reshape(shapes[n])
        at += size
    return out
masks1, masks2, masks3 = (_unflatten(b, names, shapes) for b in (bits1, bits2, bits3))
apply_masks(net, masks1)
opt = _optimizer(spec["opt"], net.parameters())
for i in range(int(spec["steps"])):
    _step(net, opt, i)
had_state = sum(len(s) for s in opt.state.values()) > 0
given = _state(state1)
kept = {n: t.clone() for n, t in given.items()}
returned = rewind(net, masks2, given, optimizer=opt)
cleared = all(len(s) == 0 for s in opt.state.values())
out1, w1 = _read(net, dense)
for i in range(int(spec["steps"])):
    _step(net, opt, 50 + i)
out2, w2 = _read(net, dense)
state_intact = all(torch.equal(given[n], kept[n]) for n in dense)   # training must not write into the caller's state
rewind(net, masks3, _state(state2))
out3, w3 = _read(net, dense)
net2 = _build(spec["layers"], values2)          # never masked before
rewind(net2, masks2, _state(state3))
out4, w4 = _read(net2, dense)
opt2 = _optimizer("sgd_momentum", net2.parameters())
for i in range(int(spec["steps"])):
    _step(net2, opt2, 80 + i)
out5, w5 = _read(net2, dense)
net3 = _build(spec["layers"], values2)
incomplete = {n: v for n, v in _state(state3).items() if n != spec["drop"]}
_, before3 = _read(net3, dense)
try:
    rewind(net3, masks1, incomplete)
    refused = False
except Exception:
    refused = True
_, after3 = _read(net3, dense)
untouched3 = bool(np.array_equal(before3, after3))
__obs__ = {"returned": returned is net, "had_state": had_state, "cleared": cleared, "refused": refused,
           "state_intact": state_intact, "untouched3": untouched3,
           "out1": out1, "out2": out2, "out3": out3, "out4": out4, "out5": out5,
           "w1": w1, "w2": w2, "w3": w3, "w4": w4, "w5": w5}
"""


def rewind_cases(probe) -> list[dict]:
    """Two networks (an MLP and a Conv2d net, in random order). Each: masks applied, trained
    with Adam or SGD + momentum (the optimizer has state), rewound with smaller masks to a
    drawn state (theta0, say) with that optimizer, trained on; rewound again, without an
    optimizer, to another state (theta_k, say) with smaller masks still; and a never-masked
    copy rewound to a third state (a fresh random init), then trained. A state missing one
    bias must be refused."""
    rng = probe.rng("rewind", "cases")
    cases = []
    for conv in rng.permutation([False, True]):
        layers, input_shape, outputs = _net_layers(rng, conv=bool(conv))
        shapes = param_shapes(layers)
        dense = [n for n, _ in shapes]
        names = [n for n in dense if n.endswith("weight")]
        sizes = [int(np.prod(s)) for n, s in shapes if n.endswith("weight")]
        bits1 = np.concatenate([_random_mask(rng, s, 0.6, 0.9) for s in sizes])
        bits2 = bits1 & (rng.random(bits1.size) < rng.uniform(0.5, 0.85))
        bits3 = bits2 & (rng.random(bits1.size) < rng.uniform(0.5, 0.85))
        steps = int(rng.integers(3, 6))
        xs, gs = _batches(rng, input_shape, outputs, 120)
        spec = {"layers": layers, "names": names, "dense": dense, "steps": steps,
                "opt": "adam" if rng.random() < 0.5 else "sgd_momentum",
                "drop": str(rng.choice([n for n in dense if n.endswith("bias")]))}
        inputs = dict(spec_json=json.dumps(spec), values=_draw_values(rng, shapes), values2=_draw_values(rng, shapes),
                      state1=_draw_values(rng, shapes), state2=_draw_values(rng, shapes),
                      state3=_draw_values(rng, shapes), bits1=bits1, bits2=bits2, bits3=bits3, xs=xs, gs=gs,
                      x_eval=rng.normal(0, 1, (5,) + tuple(input_shape)).astype(np.float32))
        cases.append(dict(spec=spec, inputs=inputs))
    return cases


def _full_mask(bits, shapes, dense):
    """The prunable masks expanded over every parameter (True for biases)."""
    parts, at = [], 0
    for n in dense:
        size = int(np.prod(shapes[n]))
        if n.endswith("weight"):
            parts.append(np.asarray(bits[at:at + size], bool))
            at += size
        else:
            parts.append(np.ones(size, bool))
    return np.concatenate(parts)


def _is_bias(shapes, dense):
    return np.concatenate([np.full(int(np.prod(shapes[n])), not n.endswith("weight")) for n in dense])


def _expect_rewound(got, state, full, bias, where):
    """Diagnose ``got`` against ``state * full`` (exact)."""
    want = np.where(full, state, 0.0)
    if got.shape != want.shape:
        raise AssertionError(f"{where}: the model's parameters changed shape")
    if np.array_equal(got, want):
        return
    if not np.array_equal(got[bias], want[bias]):
        raise AssertionError(f"{where}: the biases were not rewound: every parameter, biases included, takes its "
                             "value from state")
    if (got[~full] != 0).any():
        raise AssertionError(f"{where}: {int((got[~full] != 0).sum())} weights the new masks prune are not zero: "
                             "apply the masks after copying the values")
    raise AssertionError(
        f"{where}: the surviving weights the network computes with are not the state's values ({int((got[full] != want[full]).sum())} "
        "differ). Copy the values into the tensors that are stored and trained (logical_parameters: weight_orig "
        "for a masked weight); module.weight is recomputed by the next forward pass, so values written into it are lost")


def test_rewind(probe):
    for case in rewind_cases(probe):
        spec, inputs = case["spec"], case["inputs"]
        layers = [l for l in spec["layers"] if l[0] in ("linear", "conv2d")]
        what = f"rewind on a network with layers {layers}"
        obs = _run(probe, REWIND_OBS, what, **inputs)
        exp = probe.reference(REWIND_OBS, **inputs)
        shapes = dict(param_shapes(spec["layers"]))
        dense = spec["dense"]
        bias = _is_bias(shapes, dense)
        full1, full2, full3 = (_full_mask(inputs[b], shapes, dense) for b in ("bits1", "bits2", "bits3"))
        state1, state2, state3 = (np.asarray(inputs[s], np.float64) for s in ("state1", "state2", "state3"))
        assert bool(obs["returned"]), f"{what}: rewind should return the model it was given"
        step1 = f"{what}, masked and trained with {DESCRIBE[spec['opt']]}, then rewound with smaller masks"
        _expect_rewound(np.asarray(obs["w1"], np.float64), state1, full2, bias, step1)
        err = _relerr(obs["out1"], exp["out1"])
        probe.below("rewind: output after rewinding", err, 1e-5,
                    f"{step1}: the network's output differs from that of a network with the rewound weights by {err:.1e}")
        assert not bool(obs["had_state"]) or bool(obs["cleared"]), (
            f"{step1}: rewind(..., optimizer=opt) left the optimizer's per-parameter state (momentum, Adam's "
            "moments) in place; that state belongs to the weights before rewinding: clear it")
        w1, w2 = np.asarray(obs["w1"], np.float64), np.asarray(obs["w2"], np.float64)
        bad = int((w2[~full2] != 0).sum())
        assert bad == 0, (
            f"{step1}, then trained {spec['steps']} steps with the same optimizer: {bad} pruned weights are no longer "
            "zero; rewinding must leave the new masks applied and enforced (apply_masks), not only zero the values once")
        live = full2 & ~bias & _moved(exp, "w1", "w2")
        probe.below("rewind: weights train after rewinding", _frozen(w1, w2, live), 0.1,
                    f"{step1}, then trained with the same optimizer: {_frozen(w1, w2, live):.0%} of the "
                    "surviving weights did not move; keep the same Parameter objects (copy the values in place) so "
                    "that the optimizer still trains the model")
        err = max(_relerr(obs["out2"], exp["out2"]), _relerr(w2, exp["w2"], floor=1e-3))
        probe.below("rewind: training after rewinding vs reference", err, 1e-4,
                    f"{step1}, then trained {spec['steps']} steps with the same optimizer: the weights differ from a "
                    f"fresh start's by {err:.1e} of their scale (the optimizer must start afresh: no momentum or "
                    "moments from before the rewind)")
        assert bool(obs["state_intact"]), (
            f"{step1}, then trained: the state passed to rewind changed with the training (the model's parameters "
            "share memory with it), so theta0 is lost for the next round: copy the values in (param.copy_(...)), "
            "never assign the state's tensors to the parameters")
        step3 = f"{what}, rewound a second time (no optimizer) to another state with smaller masks"
        _expect_rewound(np.asarray(obs["w3"], np.float64), state2, full3, bias, step3)
        step4 = f"{what}, never masked before, rewound with masks"
        _expect_rewound(np.asarray(obs["w4"], np.float64), state3, full2, bias, step4)
        for key, where in (("out3", step3), ("out4", step4), ("out5", f"{step4}, then trained with SGD + momentum")):
            err = _relerr(obs[key], exp[key])
            probe.below(f"rewind: output ({key}) vs reference", err, 1e-4,
                        f"{where}: the network's output differs from the reference's by {err:.1e} of its scale")
        w5 = np.asarray(obs["w5"], np.float64)
        bad = int((w5[~full2] != 0).sum())
        assert bad == 0, (
            f"{step4}, then trained {spec['steps']} steps with SGD + momentum: {bad} pruned weights are no longer "
            "zero; rewind must apply the masks (apply_masks), not only multiply the values by them")
        assert bool(obs["refused"]), (
            f"{what}: rewind accepted a state without {spec['drop']}; a state must hold every parameter of the model "
            "(raise a KeyError), or the model is left half rewound")
        assert bool(obs["untouched3"]), (
            f"{what}: rewind refused a state without {spec['drop']} but had already changed the model: check that the "
            "state holds every parameter before copying anything")


# ------------------------------------------------------------------ Part 4: the IMP loop

# make_model builds a tanh MLP from the global generator (so seeded() fixes it) and records
# every network it builds; train_fn records where each round starts and ends and moves every
# parameter by a drawn amount; the stand-ins record their calls. Each run gets a fresh record.
IMP_OBS = """
import json
import numpy as np
import torch
from torch import nn

spec = json.loads(str(spec_json))
dims, order, names = spec["dims"], spec["order"], spec["names"]
shapes = {n: tuple(s) for n, s in spec["shapes"].items()}
at, offsets = 0, {}
for n in order:
    offsets[n] = (at, at + int(np.prod(shapes[n])))
    at += int(np.prod(shapes[n]))
rec = {}

def _flat(state):
    return np.concatenate([state[n].detach().double().cpu().numpy().ravel() for n in order])

def _bits(masks):
    return np.concatenate([masks[n].detach().cpu().numpy().astype(bool).ravel() for n in names])

def _masks_of(bits):
    out, lo = {}, 0
    for n in names:
        hi = lo + int(np.prod(shapes[n]))
        out[n] = torch.from_numpy(np.asarray(bits[lo:hi], dtype=bool).copy()).reshape(shapes[n])
        lo = hi
    return out

def make_model():
    layers = [nn.Linear(dims[0], dims[1])]
    for a, b in zip(dims[1:], dims[2:]):
        layers += [nn.Tanh(), nn.Linear(a, b)]
    net = nn.Sequential(*layers)
    rec["built"].append(np.concatenate([p.detach().double().numpy().ravel() for p in net.parameters()]))
    return net

def _delta(i, n):
    lo, hi = offsets[n]
    return torch.from_numpy(np.asarray(deltas[i % len(deltas)][lo:hi], dtype=np.float32)).reshape(shapes[n])

def train_fn(model, snapshot_at=None):
    i = len(rec["starts"])
    rec["log"].append(["train", None if snapshot_at is None else int(snapshot_at)])
    start = snapshot(model)
    rec["starts"].append(_flat(start))
    taken = None
    if snapshot_at is not None:
        frac = float(snapshot_at) / float(spec["iterations"])
        taken = {n: (start[n] + frac * _delta(i, n)).clone() for n in order}
    with torch.no_grad():
        for n, p in logical_parameters(model).items():
            p.add_(_delta(i, n).to(p.dtype))
    rec["ends"].append(_flat(snapshot(model)))
    row = reports[i % len(reports)]
    return TrainReport(early_stop_iteration=int(row[0]), val_loss=float(row[1]), test_acc=float(row[2]),
                       iterations=int(spec["iterations"]), snapshot=taken)

def _prune(model, masks, rates):
    rec["log"].append(["prune", sorted((str(n), float(r)) for n, r in rates.items())])
    rec["prune_given"].append(masks is None or len(masks) == 0)
    rec["prune_masks"].append(np.ones(sum(int(np.prod(shapes[n])) for n in names), bool) if not masks
                              else _bits({n: masks.get(n, torch.ones(shapes[n], dtype=torch.bool)) for n in names}))
    rec["prune_weights"].append(np.concatenate([effective_weight(model, n).detach().double().numpy().ravel()
                                                for n in names]))
    out = {n: m.clone() for n, m in (masks or {}).items()}
    for n, rate in rates.items():
        m = out.get(n)
        m = torch.ones(shapes[n], dtype=torch.bool) if m is None else m.clone().bool()
        lo = sum(int(np.prod(shapes[x])) for x in names[:names.index(n)])
        perm = torch.from_numpy(np.asarray(perms[lo:lo + m.numel()], dtype=np.int64))
        alive = perm[m.flatten()[perm]]
        m.view(-1)[alive[:round(float(rate) * len(alive))]] = False
        out[n] = m
    rec["prune_out"].append(_bits(out))
    return out

def _apply(model, masks):
    rec["log"].append(["apply_masks"])
    params = logical_parameters(model)
    with torch.no_grad():
        for n, m in masks.items():
            params[n].mul_(m.to(params[n].dtype))
    return model

def _rewind(model, masks, state, optimizer=None):
    rec["log"].append(["rewind"])
    params = logical_parameters(model)
    with torch.no_grad():
        for n, p in params.items():
            p.copy_(state[n] * masks[n].to(p.dtype) if n in masks else state[n])
    return model

space = iterative_magnitude_pruning.__globals__
missing = object()
saved = {k: space.get(k, missing) for k in ("prune_layerwise", "apply_masks", "rewind")}
obs = {}
try:
    space.update(prune_layerwise=_prune, apply_masks=_apply, rewind=_rewind)
    for j, run in enumerate(spec["runs"]):
        rec.clear()
        rec.update(log=[], built=[], starts=[], ends=[], prune_given=[], prune_masks=[], prune_weights=[], prune_out=[])
        fixed = None
        if run["fixed"]:
            fixed = [_masks_of(fixed_bits[j][r]) for r in range(int(run["rounds"]) + 1)]
        torch.manual_seed(int(run["scramble"]))
        results = iterative_magnitude_pruning(make_model, train_fn, int(run["rounds"]), dict(spec["rates"]),
                                              run["strategy"], late_iteration=int(run["late"]), seed=int(run["seed"]),
                                              fixed_masks=fixed)
        table = []
        for r in results:
            masks = getattr(r, "masks", None) or {}
            table.append({"round": int(r.round), "remaining": {str(k): int(v) for k, v in r.remaining.items()},
                          "sizes": {str(k): int(v) for k, v in r.sizes.items()},
                          "early_stop_iteration": int(r.early_stop_iteration), "test_acc": float(r.test_acc),
                          "val_loss": float(r.val_loss), "has_masks": all(n in masks for n in names)})
        total = sum(int(np.prod(shapes[n])) for n in order)
        pruned_total = sum(int(np.prod(shapes[n])) for n in names)
        def _stack(rows, width, dtype=np.float64):
            return np.stack(rows).astype(dtype) if rows else np.zeros((0, width), dtype)
        obs.update({
            f"{j}_results": json.dumps({"type": type(results).__name__, "rows": table, "log": rec["log"],
                                        "prune_given": rec["prune_given"]}),
            f"{j}_masks": _stack([_bits(r.masks) if t["has_masks"] else np.zeros(pruned_total, bool)
                                  for r, t in zip(results, table)], pruned_total, bool),
            f"{j}_built": _stack(rec["built"], total), f"{j}_starts": _stack(rec["starts"], total),
            f"{j}_ends": _stack(rec["ends"], total), f"{j}_prune_masks": _stack(rec["prune_masks"], pruned_total, bool),
            f"{j}_prune_weights": _stack(rec["prune_weights"], pruned_total),
            f"{j}_prune_out": _stack(rec["prune_out"], pruned_total, bool)})
finally:
    for k, v in saved.items():
        if v is missing:
            space.pop(k, None)
        else:
            space[k] = v
__obs__ = obs
"""


def _imp_model(rng):
    dims = [int(v) for v in rng.integers(3, 9, size=int(rng.integers(3, 5)))]
    shapes = {}
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        shapes[f"{2 * i}.weight"] = [b, a]
        shapes[f"{2 * i}.bias"] = [b]
    order = list(shapes)
    names = [n for n in order if n.endswith("weight")]
    return dims, shapes, order, names


def imp_cases(probe) -> list[dict]:
    """Two probes, each a tanh MLP of 2-3 layers and random sizes, per-layer rates, a recording
    train_fn that moves every parameter by a drawn amount and reports drawn values:

    * ``init`` for 2-4 rounds; ``late`` (k drawn) for 3 rounds; ``init`` with ``fixed_masks``;
    * ``random`` for 3 rounds, twice with the same seed (the global generator scrambled
      differently before each run: the run must not depend on it), once with another seed.
    """
    rng = probe.rng("imp", "cases")
    out = []
    for kinds in (("init", "late", "fixed"), ("random", "random", "random")):
        dims, shapes, order, names = _imp_model(rng)
        sizes = [int(np.prod(shapes[n])) for n in names]
        total = sum(int(np.prod(shapes[n])) for n in order)
        rates = {n: float(rng.uniform(0.15, 0.6)) for n in names}
        iterations = int(rng.integers(50, 400))
        seed = _seed(rng)
        runs = []
        for i, kind in enumerate(kinds):
            rounds = int(rng.integers(2, 5)) if kind == "init" else 3 if kind != "fixed" else 2
            run = {"strategy": "init" if kind == "fixed" else kind, "rounds": rounds,
                   "late": int(rng.integers(1, iterations)) if kind == "late" else 0,
                   "seed": (seed if i < 2 else _seed(rng)) if kind == "random" else _seed(rng),
                   "scramble": _seed(rng), "fixed": kind == "fixed"}
            runs.append(run)
        fixed_bits = np.zeros((len(runs), 5, sum(sizes)), bool)
        for j, run in enumerate(runs):
            if run["fixed"]:
                current = np.ones(sum(sizes), bool)
                for r in range(run["rounds"] + 1):
                    if r > 0:
                        current = current & (rng.random(sum(sizes)) < 0.7)
                    fixed_bits[j, r] = current
        spec = {"dims": dims, "shapes": shapes, "order": order, "names": names, "rates": rates,
                "iterations": iterations, "runs": runs}
        inputs = dict(spec_json=json.dumps(spec),
                      deltas=rng.normal(0, 0.5, (8, total)).astype(np.float32),
                      reports=np.stack([rng.integers(1, iterations + 1, 8), rng.uniform(0.1, 2.5, 8),
                                        rng.uniform(0.1, 0.99, 8)], axis=1),
                      perms=np.concatenate([rng.permutation(s) for s in sizes]).astype(np.int64),
                      fixed_bits=fixed_bits)
        out.append(dict(spec=spec, inputs=inputs))
    return out


def _imp_run_checks(probe, spec, inputs, obs, exp, j):
    run = spec["runs"][j]
    strategy, rounds = run["strategy"], run["rounds"]
    call = (f"iterative_magnitude_pruning(make_model, train_fn, {rounds}, rates, {strategy!r}"
            + (f", late_iteration={run['late']}" if strategy == "late" else "") + f", seed={run['seed']}"
            + (", fixed_masks=masks" if run["fixed"] else "") + ")")
    meta, want = json.loads(str(obs[f"{j}_results"])), json.loads(str(exp[f"{j}_results"]))
    assert meta["type"] == "list", f"{call} should return a list of RoundResult, got a {meta['type']}"
    rows = meta["rows"]
    assert len(rows) == rounds + 1, (
        f"{call} returned {len(rows)} results: one per round, round 0 (the dense network) and rounds 1 to {rounds}")
    assert [r["round"] for r in rows] == list(range(rounds + 1)), (
        f"{call}: the results' round numbers are {[r['round'] for r in rows]}, expected 0 to {rounds}")
    trains = [e for e in meta["log"] if e[0] == "train"]
    assert len(trains) == rounds + 1, f"{call} called train_fn {len(trains)} times: once per round, {rounds + 1} in all"
    names, order = spec["names"], spec["order"]
    shapes = {n: tuple(s) for n, s in spec["shapes"].items()}
    weight_positions = np.concatenate([np.full(int(np.prod(shapes[n])), n.endswith("weight")) for n in order])
    starts, ends = np.asarray(obs[f"{j}_starts"]), np.asarray(obs[f"{j}_ends"])
    masks = np.asarray(obs[f"{j}_masks"], bool)

    def full(r):
        out = np.ones(len(weight_positions), bool)
        out[weight_positions] = masks[r]
        return out

    if strategy != "random":
        for r in range(1, rounds + 1):
            if np.array_equal(starts[r], np.where(full(r), ends[0], 0.0)):
                raise AssertionError(
                    f"{call}: round {r} started from the weights round 0 had at the END of its training (times the "
                    "masks). That is fine-tuning the trained network, not rewinding, and it is what the original "
                    "notebook called late rewinding. Rewind to theta_k, the weights after iteration late_iteration "
                    "of round 0 (ask train_fn for them in round 0), or to theta0 for 'init'")
    asked = [e[1] for e in trains]
    want_asked = [e[1] for e in want["log"] if e[0] == "train"]
    if asked != want_asked:
        if strategy == "late" and asked[0] != run["late"]:
            raise AssertionError(f"{call}: round 0 should ask train_fn for the weights after iteration "
                                 f"late_iteration={run['late']} (train_fn(model, {run['late']})), asked {asked[0]}")
        raise AssertionError(
            f"{call} asked train_fn for snapshots {asked}; expected {want_asked}: theta_k is taken once, in round 0 "
            "of 'late', and reused in every later round")
    sizes = {n: int(np.prod(shapes[n])) for n in names}
    assert np.array_equal(starts[0], np.asarray(exp[f"{j}_starts"])[0]), (
        f"{call}: round 0 did not train the network that seeded(make_model, {run['seed']}) builds; build it with the "
        "given seed so that a run can be reproduced")
    reports = np.asarray(inputs["reports"])
    for r, row in enumerate(rows):
        assert row["has_masks"], f"{call}: result {r} should hold the round's masks (RoundResult.masks)"
        rep = reports[r % len(reports)]
        assert (row["early_stop_iteration"] == int(rep[0]) and abs(row["test_acc"] - float(rep[2])) < 1e-12
                and abs(row["val_loss"] - float(rep[1])) < 1e-12), (
            f"{call}: result {r} should copy round {r}'s TrainReport (early_stop_iteration, test_acc, val_loss)")
        parts = _split(masks[r], names, sizes)
        assert row["remaining"] == {n: int(parts[n].sum()) for n in names}, (
            f"{call}: result {r}'s remaining should count the survivors of each tensor, {{name: int}}")
        assert row["sizes"] == sizes, f"{call}: result {r}'s sizes should be the number of weights of each tensor"
    assert masks[0].all(), f"{call}: round 0 trains the dense network: its masks keep every weight"
    prune_masks, prune_weights = np.asarray(obs[f"{j}_prune_masks"], bool), np.asarray(obs[f"{j}_prune_weights"])
    prune_out = np.asarray(obs[f"{j}_prune_out"], bool)
    prunes = [e for e in meta["log"] if e[0] == "prune"]
    if run["fixed"]:
        fixed = np.asarray(inputs["fixed_bits"])[j]
        for r in range(1, rounds + 1):
            assert np.array_equal(masks[r], fixed[r]), (
                f"{call}: round {r} should use fixed_masks[{r}] instead of pruning")
    else:
        assert len(prunes) == rounds, (
            f"{call} called prune_layerwise {len(prunes)} times: once per round after round 0 ({rounds})")
        want_rates = sorted((n, float(v)) for n, v in spec["rates"].items())
        for r in range(1, rounds + 1):
            assert [tuple(x) for x in prunes[r - 1][1]] == want_rates, (
                f"{call}: round {r} pruned with rates {prunes[r - 1][1]}, expected the rates given")
            before = masks[r - 1]
            assert np.array_equal(prune_masks[r - 1], before), (
                f"{call}: round {r} pruned from other masks than round {r - 1}'s"
                + (" (it passed no masks: every weight was ranked again, from scratch)" if meta["prune_given"][r - 1]
                   else "") + "; pass the previous round's masks so that only the survivors are ranked")
            trained = ends[r - 1][weight_positions]
            if not np.array_equal(prune_weights[r - 1][before], trained[before]):
                rewound = starts[r - 1][weight_positions]
                hint = (" (those of the start of the round: prune before rewinding)"
                        if np.array_equal(prune_weights[r - 1][before], rewound[before]) else "")
                raise AssertionError(
                    f"{call}: round {r} ranked weights that are not the ones round {r - 1} ended its training with"
                    f"{hint}; prune the trained weights, then rewind the survivors")
            assert np.array_equal(masks[r], prune_out[r - 1]), (
                f"{call}: round {r} should train with (and report) the masks prune_layerwise returned")
    # where each round started
    theta0 = starts[0]
    expected_starts = np.asarray(exp[f"{j}_starts"])
    targets = []
    for r in range(1, rounds + 1):
        got, keep = starts[r], full(r)
        where = f"{call}: round {r}"
        assert not (got[~keep] != 0).any(), (
            f"{where} started training with {int((got[~keep] != 0).sum())} pruned weights that are not zero: rewind "
            "with the round's masks")
        if strategy == "random":
            built = np.asarray(obs[f"{j}_built"])
            matches = [b for b in built if np.array_equal(got[keep], b[keep]) and not np.array_equal(b, theta0)]
            if not matches:
                hint = (" (those are the initial weights theta0: random re-initialisation needs a new network)"
                        if np.array_equal(got[keep], theta0[keep]) else
                        " (those are the weights the previous round ended with)"
                        if np.array_equal(got[keep], ends[r - 1][keep]) else "")
                raise AssertionError(
                    f"{where} did not start from the initial weights of a new network built by make_model{hint}: "
                    "rewind to snapshot(seeded(make_model, s)) with a new seed s every round")
            targets.append(matches[0].tobytes())
            continue
        want = expected_starts[r]
        if np.array_equal(got, want):
            continue
        if np.array_equal(got, np.where(keep, ends[r - 1], 0.0)):
            raise AssertionError(f"{where} continued from the weights round {r - 1} ended with (fine-tuning): rewind "
                                 "the survivors to the strategy's target first")
        if strategy == "late" and np.array_equal(got, np.where(keep, theta0, 0.0)):
            raise AssertionError(f"{where} rewound to the initial weights theta0; late rewinding goes back to theta_k, "
                                 "the snapshot train_fn took after late_iteration iterations in round 0")
        raise AssertionError(
            f"{where} did not start from {'theta0' if strategy == 'init' else 'theta_k'} times the round's masks "
            "(biases: their target values)")
    return targets, starts


def test_imp(probe):
    for case in imp_cases(probe):
        spec, inputs = case["spec"], case["inputs"]
        what = (f"iterative_magnitude_pruning on a tanh MLP {spec['dims']} with a recording train_fn and "
                "stand-ins for prune_layerwise and rewind")
        obs = _run(probe, IMP_OBS, what, **inputs)
        exp = probe.reference(IMP_OBS, **inputs)
        runs = [_imp_run_checks(probe, spec, inputs, obs, exp, j) for j in range(len(spec["runs"]))]
        if spec["runs"][0]["strategy"] != "random":
            continue
        (first, starts), (_, again), (_, other) = runs
        call = f"iterative_magnitude_pruning(..., 'random', seed={spec['runs'][0]['seed']})"
        assert len(set(first)) == len(first), (
            f"{call} rewound two rounds to the same random network: draw a new one every round")
        assert np.array_equal(starts, again), (
            f"{call} gave other random networks when run again with the same seed (the global random generator was "
            "in another state): build them with seeded(make_model, s), the seeds s drawn from a generator seeded "
            "with `seed`, so that a run can be reproduced")
        assert not np.array_equal(starts[1:], other[1:]), (
            f"{call} and a run with seed={spec['runs'][2]['seed']} rewound to the same random networks: the new "
            "seeds must come from `seed`")
