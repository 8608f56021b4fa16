"""Trusted hidden tests of frn_vs_bn (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

The probes run the student's classes and functions in the kernel on inputs drawn here and
return plain arrays; the expected values come from :mod:`solutions.frn_vs_bn` run on the same
inputs in this process. Every hidden input (shapes, scales, signs, epsilons, parameter
values, widths, seeds, the norms compared) is drawn from ``probe.rng(<name>)``: fresh for
every grading run. Every numeric comparison goes through ``probe.below`` / ``probe.close``.
"""
import json
import math

import numpy as np

import solutions.frn_vs_bn as ref
from coursekit.cnn import count_parameters

REFERENCE = {**{name: getattr(ref, name) for name in ref.__all__}, "count_parameters": count_parameters}

# What the notebook's given cells define before a student's cells run (the setup cell's
# imports, LAYOUT, channels and norm_layer): the valid variants run on it, kernel-free.
VARIANT_PRELUDE = """
import math
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
"""


def _seed(rng) -> int:
    return int(rng.integers(1, 2 ** 31 - 1))


def _relerr(actual, expected, floor=1.0) -> float:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
        return float("inf")
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), floor)) if expected.size else 0.0


# ------------------------------------------------------------------ FRN

FRN_OBS = """
import json
import torch
layer = FilterResponseNorm2d(int(c), eps=float(eps), learnable_eps=bool(learn))
params = {k: (list(v.shape), v.detach().double().numpy().ravel().tolist(), bool(v.requires_grad))
          for k, v in layer.named_parameters()}
bufs = {k: (list(v.shape), v.detach().double().numpy().ravel().tolist()) for k, v in layer.named_buffers()}
keys = sorted(layer.state_dict())
with torch.no_grad():
    for name in ("gamma", "beta", "tau") + (("eps_l",) if learn else ()):
        getattr(layer, name).copy_(torch.from_numpy(values[name_index[name]]).reshape(getattr(layer, name).shape))
layer.train()
x_t = torch.from_numpy(x)
y = layer(x_t)
alone = layer(x_t[1:2]) if len(x_t) > 1 else y
with torch.no_grad():
    y16 = layer(torch.from_numpy(x16).half())
    ybf = layer(torch.from_numpy(x16.astype(np.float32)).bfloat16())
double = FilterResponseNorm2d(int(c), eps=float(eps), learnable_eps=bool(learn)).double()
with torch.no_grad():
    for name in ("gamma", "beta", "tau") + (("eps_l",) if learn else ()):
        getattr(double, name).copy_(torch.from_numpy(values[name_index[name]]).reshape(getattr(double, name).shape))
xg = torch.from_numpy(x).double().requires_grad_(True)    # gradients compared in float64: 1x1 maps cancel badly in float32
(double(xg) * torch.from_numpy(w).double()).sum().backward()
grads = {name: (p.grad.numpy() if p.grad is not None else np.zeros(0)) for name, p in double.named_parameters()}
gradcheck, gradcheck_msg = True, ""
if bool(check_grad):
    xd = torch.from_numpy(xgc).double().requires_grad_(True)
    try:
        gradcheck = bool(torch.autograd.gradcheck(double, (xd,), eps=1e-6, atol=1e-5, rtol=1e-4, raise_exception=True))
    except Exception as err:
        gradcheck, gradcheck_msg = False, f"{type(err).__name__}: {str(err)[:300]}"
__obs__ = {"meta": json.dumps({"params": params, "bufs": bufs, "keys": keys}),
           "y": y.detach().double().numpy(), "alone": alone.detach().double().numpy(),
           "x_grad": xg.grad.double().numpy() if xg.grad is not None else np.zeros(0),
           "g_gamma": grads.get("gamma", np.zeros(0)), "g_beta": grads.get("beta", np.zeros(0)),
           "g_tau": grads.get("tau", np.zeros(0)), "g_eps_l": grads.get("eps_l", np.zeros(0)),
           "y16": y16.detach().float().numpy(), "y16_dtype": str(y16.dtype), "y_dtype": str(y.dtype),
           "ybf": ybf.detach().float().numpy(), "ybf_dtype": str(ybf.dtype),
           "x_grad_dtype": str(xg.grad.dtype) if xg.grad is not None else "none",
           "gradcheck": gradcheck, "gradcheck_msg": gradcheck_msg}
"""

NAME_INDEX = {"gamma": 0, "beta": 1, "tau": 2, "eps_l": 3}


def frn_cases(probe):
    """Random layers and inputs: 1-6 channels, maps from 1x1 to 9x7, per-channel scales from
    1e-3 to 1e3 with random signs and offsets (channels are far from centred), one all-zero
    channel, parameters of both signs; epsilons of both signs, tiny to large; learnable eps on
    1x1 maps."""
    rng = probe.rng("frn", "cases")
    cases = []
    for i in range(6):
        learn = i >= 4
        n, c = int(rng.integers(2, 5)), int(rng.integers(2, 7))
        h, w = (1, 1) if learn or i == 3 else (int(rng.integers(2, 10)), int(rng.integers(2, 8)))
        sign = float(rng.choice([1.0, -1.0]))
        sign = {0: -1.0, 4: -1.0, 1: 1.0, 5: 1.0}.get(i, sign)  # both signs every run, a negative one beside an all-zero map
        eps = float(rng.choice([1e-6, 1e-3, 0.05, 0.5])) * sign
        scale = 10.0 ** rng.uniform(-3, 3, size=(1, c, 1, 1))
        offset = rng.normal(0, 1.5, size=(1, c, 1, 1)) * rng.choice([0.0, 1.0], size=(1, c, 1, 1))
        x = (scale * (rng.standard_normal((n, c, h, w)) + offset)).astype(np.float32)
        if h * w > 1:
            x[int(rng.integers(n)), int(rng.integers(c))] = 0.0     # an all-zero map: nu2 = 0, only eps left
        values = [rng.uniform(0.3, 2.0, c) * rng.choice([-1, 1], c), rng.normal(0, 0.7, c), rng.normal(0, 0.7, c),
                  rng.uniform(1e-4, 0.3, c) * rng.choice([-1, 1], c)]
        if learn:  # one channel where a learned epsilon's sign shows: negative, not small beside nu2, not cut by tau
            values[3][0] = -rng.uniform(0.05, 0.3)
            values[2][0] = -5.0
            x[:, 0] = (10.0 ** rng.uniform(-1, -0.5)) * rng.standard_normal((n, h, w))
        x16 = (rng.uniform(150, 400, size=(n, c, max(h, 2), max(w, 2))) * rng.choice([-1, 1], size=(n, c, 1, 1))
               ).astype(np.float16)
        xgc = rng.standard_normal((2, c, min(max(h, 2), 4), min(max(w, 2), 4))) * 2
        cases.append(dict(c=c, eps=eps, learn=learn, x=x, check_grad=i in (0, 5), w=rng.standard_normal(x.shape).astype(np.float32),
                          x16=x16, xgc=xgc, values=np.stack([np.asarray(v, np.float32) for v in values])))
    return cases


def test_frn(probe):
    probe.domain("frn: input dtype", "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64")
    for i, case in enumerate(frn_cases(probe)):
        c, eps, learn = case["c"], case["eps"], case["learn"]
        inputs = case
        code = "name_index = " + repr(NAME_INDEX) + "\n" + FRN_OBS
        obs, exp = probe.run(code, **inputs), probe.reference(code, **inputs)
        what = (f"FilterResponseNorm2d({c}, eps={eps:g}{', learnable_eps=True' if learn else ''}) on an input of "
                f"shape {tuple(case['x'].shape)}")
        meta = json.loads(str(obs["meta"]))
        want_params = ["beta", "gamma", "tau"] + (["eps_l"] if learn else [])
        assert sorted(meta["params"]) == sorted(want_params), (
            f"{what}: the trainable parameters should be {sorted(want_params)}, got {sorted(meta['params'])}"
            + (" (eps is a constant: keep it in a buffer, register_buffer('eps', ...))" if "eps" in meta["params"] else ""))
        for name in want_params:
            shape, vals, grad = meta["params"][name]
            assert shape == [c], f"{what}: {name} should have shape ({c},), one value per channel; got {tuple(shape)}"
            assert grad, f"{what}: {name} should be trainable (requires_grad=True)"
        start = {"gamma": 1.0, "beta": 0.0, "tau": 0.0, "eps_l": 1e-4}
        for name in want_params:
            vals = np.array(meta["params"][name][1])
            assert np.allclose(vals, start[name], rtol=1e-6, atol=0), (
                f"{what}: {name} should start at {start[name]:g} for every channel, got {np.round(vals, 4).tolist()}"
                " (a new layer is a normalisation followed by a ReLU: gamma = 1, beta = 0, tau = 0)")
        assert "eps" in meta["bufs"] and meta["bufs"]["eps"][0] == [], (
            f"{what}: eps should be a 0-d buffer (self.register_buffer('eps', torch.tensor(eps)))"
            + (f", got shape {tuple(meta['bufs']['eps'][0])}" if "eps" in meta["bufs"] else ", there is no buffer 'eps'"))
        assert abs(abs(meta["bufs"]["eps"][1][0]) - abs(eps)) <= 1e-6 * abs(eps), (
            f"{what}: the buffer eps holds {meta['bufs']['eps'][1][0]:g}, not the eps given ({eps:g})")
        assert sorted(meta["keys"]) == sorted(want_params + ["eps"]), (
            f"{what}: state_dict should hold exactly {sorted(want_params + ['eps'])}, got {meta['keys']}")

        y, y_ref = np.asarray(obs["y"]), np.asarray(exp["y"])
        assert y.shape == y_ref.shape, f"{what}: the output has shape {y.shape}, expected {y_ref.shape}"
        alone = _relerr(obs["alone"], np.asarray(obs["y"])[1:2])
        probe.below("frn: sample alone vs in its batch", alone, 1e-5,
                    f"{what}: the second sample's output changes when it is passed alone: FRN normalises each sample "
                    "with its own statistics, never the batch's (in training mode too)")
        err = _relerr(y, y_ref)
        probe.below("frn: output vs reference", err, 1e-4,
                    f"{what}, random gamma, beta, tau{' and eps_l' if learn else ''}: the output differs from "
                    f"y = max(gamma * x * rsqrt(nu2 + |eps|{' + |eps_l|' if learn else ''}) + beta, tau) by {err:.1e} "
                    "of its scale. nu2 is the mean of x**2 over H and W, for each sample and channel; gamma, beta and "
                    "tau are per channel")
        for key, name in (("x_grad", "the input"), ("g_gamma", "gamma"), ("g_beta", "beta"), ("g_tau", "tau"),
                          ("g_eps_l", "eps_l")):
            if key == "g_eps_l" and not learn:
                continue
            err = _relerr(obs[key], exp[key], floor=1e-3)
            probe.below(f"frn: gradient of {name} vs reference", err, 1e-3,
                        f"{what}: the gradient of a weighted sum of the output with respect to {name} differs from the "
                        f"reference's by {err:.1e} of its scale")
        assert bool(obs["gradcheck"]), (
            f"torch.autograd.gradcheck fails for FilterResponseNorm2d({c}) in float64 ({obs['gradcheck_msg']}): the "
            "layer must work in double precision (do not force float32 on a float64 input) and its backward pass "
            "must match finite differences")
        # the input's dtype in, the input's dtype out: float32, float16, bfloat16 (and float64, below)
        for key, dtype in (("y_dtype", "torch.float32"), ("y16_dtype", "torch.float16"), ("ybf_dtype", "torch.bfloat16"),
                           ("x_grad_dtype", "torch.float64")):
            probe.hit("frn: input dtype", dtype)
            assert str(obs[key]) == dtype, (
                f"{what}: on a {dtype[6:]} input the output is {str(obs[key])[6:]}: return the input's dtype "
                "(compute in float32 where you need to, then .to(x.dtype))")
        errbf = _relerr(obs["ybf"], exp["ybf"])
        probe.below("frn: bfloat16 input vs reference", errbf, 5e-2,
                    f"{what}: on a bfloat16 input the output is off by {errbf:.1e} of its scale: compute nu2 and the "
                    "normalisation in float32, then return the input's dtype")
        err16 = _relerr(obs["y16"], exp["y16"])
        probe.below("frn: float16 input vs reference", err16, 2e-2,
                    f"{what}: on a float16 input with values of a few hundred the output is off by {err16:.1e} of its "
                    "scale (x**2 overflows float16 above 256): compute nu2 and the normalisation in float32, then "
                    "return the input's dtype")


# ------------------------------------------------------------------ NiN

NIN_SHAPES = """
import json
import torch
nets = {}
for norm in NORMS:
    torch.manual_seed(0)
    net = NiN(norm, in_channels=int(cin), num_classes=int(k), width=float(width), dropout=float(p))
    nets[norm] = {"params": [list(t.shape) for t in net.parameters()],
                  "names": [name for name, _ in net.named_parameters()],
                  "buffers": [list(t.shape) for t in net.buffers() if t.is_floating_point()],
                  "n": sum(t.numel() for t in net.parameters() if t.requires_grad),
                  "dropout": sorted(float(m.p) for m in net.modules() if isinstance(m, torch.nn.Dropout))}
__obs__ = {"nets": json.dumps(nets)}
"""

# FRN itself is checked in its own cell: here every FRN is replaced by a stand-in with the same
# parameters and buffer (a different, fixed normalisation), so that NiN's points depend on NiN only.
NIN_OUT = """
import torch
from torch import nn
class _StandIn(nn.Module):
    def __init__(self, num_features, eps=1e-6, learnable_eps=False):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("eps", torch.tensor(float(eps)))
        self.eps_l = None
    def forward(self, x):
        s = x.float() * torch.rsqrt(x.float().pow(2).mean(dim=(1, 2, 3), keepdim=True) + 1.0)
        v = (1, -1, 1, 1)
        return torch.maximum(self.gamma.view(v) * s + self.beta.view(v), self.tau.view(v)).to(x.dtype)
spaces = [norm_layer.__globals__]
if hasattr(NiN.__init__, "__globals__"):
    spaces.append(NiN.__init__.__globals__)
saved = [(space, space.get("FilterResponseNorm2d")) for space in spaces]
try:
    for space in spaces:
        space["FilterResponseNorm2d"] = _StandIn
    torch.manual_seed(0)
    net = NiN(str(norm), in_channels=int(cin), num_classes=int(k), width=float(width), dropout=float(p))
finally:
    for space, old in saved:
        space["FilterResponseNorm2d"] = old
with torch.no_grad():
    start = 0
    for t in net.parameters():
        t.copy_(torch.from_numpy(values[start:start + t.numel()]).reshape(t.shape)); start += t.numel()
    start = 0
    for t in (b for b in net.buffers() if b.is_floating_point()):
        t.copy_(torch.from_numpy(bvalues[start:start + t.numel()]).reshape(t.shape)); start += t.numel()
net.eval()
with torch.no_grad():
    out = net(torch.from_numpy(x))
net.train()
torch.manual_seed(int(seed))
with torch.no_grad():
    train1 = net(torch.from_numpy(x))
    train2 = net(torch.from_numpy(x))
__obs__ = {"out": out.double().numpy(), "train": train1.double().numpy(),
           "train_differs": bool((train1 - train2).abs().max() > 0)}
"""


def _draw_values(rng, shapes, kind, names=()):
    """Random weights in the order of ``shapes`` (roles from the reference's parameter ``names``):
    convolution weights ~ He; scales (FRN's gamma, BatchNorm's and GroupNorm's weight) in
    [0.5, 1.5], a fifth of them negative; FRN's thresholds tau ~ N(-0.2, 0.5), so that many
    channels let negative values through; shifts and biases ~ N(0, 0.3). Float buffers:
    BatchNorm's running means ~ N(0, 0.5) and variances in [0.5, 2], FRN's eps 1e-6."""
    parts = []
    for i, shape in enumerate(shapes):
        size = int(np.prod(shape))
        name = names[i] if i < len(names) else ""
        if kind == "params" and len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            parts.append(rng.normal(0, math.sqrt(2.0 / fan_in), size))
        elif kind == "params" and (name.endswith("gamma") or name.endswith(".weight")):
            parts.append(rng.uniform(0.5, 1.5, size) * np.where(rng.random(size) < 0.2, -1.0, 1.0))
        elif kind == "params" and name.endswith("tau"):
            parts.append(rng.normal(-0.2, 0.5, size))
        elif kind == "params":
            parts.append(rng.normal(0, 0.3, size))
        elif len(shape) == 0:
            parts.append(np.full(1, 1e-6))
        elif i % 2 == 0:
            parts.append(rng.normal(0, 0.5, size))
        else:
            parts.append(rng.uniform(0.5, 2.0, size))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def nin_cases(probe):
    rng = probe.rng("nin", "cases")
    return [dict(cin=3, size=32, k=int(rng.choice([10, 7, 13])), width=float(rng.choice([0.125, 0.25])),
                 p=float(rng.uniform(0.2, 0.6))),
            dict(cin=1, size=28, k=int(rng.choice([10, 5])), width=float(rng.choice([0.125, 0.25])),
                 p=float(rng.uniform(0.2, 0.6)))]


def test_nin(probe):
    rng = probe.rng("nin", "values")
    for case in nin_cases(probe):
        shape_inputs = dict(cin=case["cin"], k=case["k"], width=case["width"], p=case["p"])
        call = (f"NiN(norm, in_channels={case['cin']}, num_classes={case['k']}, width={case['width']}, "
                f"dropout={case['p']:.2f})")
        got = json.loads(str(probe.run(NIN_SHAPES, **shape_inputs)["nets"]))
        want = json.loads(str(probe.reference(NIN_SHAPES, **shape_inputs)["nets"]))
        for norm in ref.NORMS:
            g, w = got[norm], want[norm]
            assert g["n"] == w["n"], (
                f"{call.replace('norm', repr(norm))} has {g['n']:,} trainable parameters, expected {w['n']:,}: "
                + ("a convolution followed by a normalisation needs no bias; only norm='none' has biases"
                   if g["n"] - w["n"] in (sum(s[0] for s in w["params"] if len(s) == 4 and s[0] != case["k"]),
                                          -sum(s[0] for s in w["params"] if len(s) == 4 and s[0] != case["k"]))
                   else "follow LAYOUT, channels(c, width) for the hidden widths and norm_layer after every "
                        "convolution but the last"))
            if g["params"] != w["params"]:
                first = next(i for i, (a, b) in enumerate(zip(g["params"] + [None], w["params"] + [None])) if a != b)
                raise AssertionError(
                    f"{call.replace('norm', repr(norm))}: parameter {first} (in the order of parameters()) has shape "
                    f"{g['params'][first] if first < len(g['params']) else 'none'}, expected "
                    f"{w['params'][first] if first < len(w['params']) else 'none'}: build the layers in the order "
                    "they run, as in the table")
            assert g["buffers"] == w["buffers"], (
                f"{call.replace('norm', repr(norm))}: its buffers (BatchNorm's running statistics, FRN's eps) have "
                f"shapes {g['buffers']}, expected {w['buffers']}")
            assert g["dropout"] == w["dropout"], (
                f"{call.replace('norm', repr(norm))} has dropout layers with p = {g['dropout']}, expected "
                f"{w['dropout']}: one dropout after each of the first two poolings, with the given p")
            values = _draw_values(rng, [tuple(s) for s in w["params"]], "params", w["names"])
            bvalues = _draw_values(rng, [tuple(s) for s in w["buffers"]], "buffers")
            x = rng.standard_normal((3, case["cin"], case["size"], case["size"])).astype(np.float32)
            inputs = dict(shape_inputs, norm=norm, values=values, bvalues=bvalues, x=x, seed=_seed(rng))
            obs, exp = probe.run(NIN_OUT, **inputs), probe.reference(NIN_OUT, **inputs)
            out, expected = np.asarray(obs["out"]), np.asarray(exp["out"])
            assert out.shape == expected.shape, (
                f"{call.replace('norm', repr(norm))} maps {x.shape} to {out.shape}, expected {expected.shape} "
                "(global average pooling, then flatten to (N, num_classes))")
            err = _relerr(out, expected, floor=1e-3)
            hint = ("the logits are the last convolution's averages: nothing after it (no ReLU, no softmax)"
                    if np.all(out >= 0) and np.any(expected < 0) else
                    "check the order of the layers, the kernel sizes and paddings, max-pooling after block 1 and "
                    "average-pooling after block 2 (3x3, stride 2, padding 1), and norm_layer after every hidden "
                    "convolution (FRN has no ReLU after it: the TLU is its activation)")
            probe.below("nin: eval-mode logits vs reference", err, 1e-4,
                        f"{call.replace('norm', repr(norm))} with random weights loaded in the order of parameters(), "
                        f"in evaluation mode: the logits differ from the reference network's by {err:.1e} of their "
                        f"scale. Hint: {hint}")
            # training mode, the same seed: the same dropout masks where dropout sits where it should (after
            # each of the first two poolings, on the pooled maps), other outputs where it does not
            err = _relerr(obs["train"], exp["train"], floor=1e-3)
            probe.below("nin: training-mode logits vs reference (same seed)", err, 1e-4,
                        f"{call.replace('norm', repr(norm))} in training mode, after torch.manual_seed: the logits "
                        f"differ from the reference network's by {err:.1e} of their scale, though evaluation mode "
                        "agrees: dropout (nn.Dropout(p)) belongs right after the first two poolings (not before them, "
                        "not elsewhere), and nothing else may differ between the two modes")
            if norm == "none":
                assert bool(obs["train_differs"]), (
                    f"{call.replace('norm', repr(norm))} in training mode gives the same output twice: dropout "
                    "(nn.Dropout(p)) belongs after the first two poolings")


# ------------------------------------------------------------------ batch dependence

DEP_OBS = """
import torch
from torch import nn
class Mixer(nn.Module):
    \"\"\"Each row's output mixes in the batch mean of its features, with weight `alpha` (in training mode only).\"\"\"
    def __init__(self, c, k, alpha, gain):
        super().__init__()
        self.fc = nn.Linear(c, k)
        self.alpha, self.gain = float(alpha), float(gain)
    def forward(self, x):
        h = self.fc(x.flatten(2).mean(2)) * self.gain
        return h + self.alpha * h.mean(0, keepdim=True) if self.training else h
def small(norm, c, seed):
    torch.manual_seed(int(seed))
    layers = [nn.Conv2d(c, 6, 3, padding=1, bias=False)]
    layers += [nn.BatchNorm2d(6, momentum=0.5)] if norm == "bn" else [nn.GroupNorm(2, 6)]
    layers += [nn.ReLU(), nn.Conv2d(6, 5, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)
results, modes, unchanged, grads = [], [], [], []
for i, (kind, train_mode) in enumerate([("bn", False), ("bn", True), ("gn", False), ("mix", False), ("mix", True)]):
    model = Mixer(int(c), 4, alpha, gain) if kind == "mix" else small(kind, int(c), seeds[i])
    if kind == "bn":
        with torch.no_grad():
            model[1].running_mean.normal_(); model[1].running_var.uniform_(0.5, 2)
    model.train(train_mode)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    xs = torch.from_numpy(x[i])
    d = batch_dependence(model, xs[0], xs[1:1 + int(na)], xs[1 + int(na):])
    results.append(float(d))
    modes.append(model.training == train_mode and all(m.training == train_mode for m in model.modules()))
    after = model.state_dict()
    unchanged.append(sorted(after) == sorted(before) and all(torch.equal(before[k], after[k]) for k in before))
    grads.append(any(p.grad is not None for p in model.parameters()))
__obs__ = {"d": np.array(results), "modes": np.array(modes), "unchanged": np.array(unchanged),
           "grads": np.array(grads), "type": type(d).__name__}
"""
DEP_CASES = ["a small BatchNorm network in evaluation mode", "a small BatchNorm network in training mode",
             "a small GroupNorm network", "a model that mixes in its batch's mean, in evaluation mode",
             "a model that mixes in its batch's mean, in training mode"]


def test_batch_dependence(probe):
    rng = probe.rng("batch_dependence", "inputs")
    c, na = int(rng.integers(1, 4)), int(rng.integers(2, 7))
    nb = int(rng.integers(2, 7)) if rng.random() < 0.3 else na
    size = int(rng.integers(4, 9))
    scale = 10.0 ** rng.uniform(-1, 1)
    x = (rng.standard_normal((5, 1 + na + nb, c, size, size)) * scale
         + rng.normal(0, 1, (5, 1 + na + nb, 1, 1, 1))).astype(np.float32)
    inputs = dict(x=x, c=c, na=na, seeds=np.array([_seed(rng) for _ in range(5)]),
                  alpha=float(rng.uniform(0.3, 3.0)) * float(rng.choice([-1, 1])), gain=10.0 ** rng.uniform(-2, 3))
    obs, exp = probe.run(DEP_OBS, **inputs), probe.reference(DEP_OBS, **inputs)
    d, want = np.asarray(obs["d"], np.float64), np.asarray(exp["d"], np.float64)
    for i, what in enumerate(DEP_CASES):
        assert bool(obs["modes"][i]), (
            f"for {what}, batch_dependence left the model in another mode: put it back in the mode it was in")
        assert bool(obs["unchanged"][i]), (
            f"for {what}, batch_dependence changed the model's parameters or buffers (a training-mode pass moves "
            "BatchNorm's running statistics): restore them, or measure on a copy")
        assert not bool(obs["grads"][i]), f"for {what}, batch_dependence computed gradients: use torch.no_grad()"
    assert str(obs["type"]) in ("float", "float64", "float32"), (
        f"batch_dependence should return a Python float, got {obs['type']}")
    probe.below("dependence: groupnorm (should be 0)", abs(d[2]), 1e-5,
                f"for {DEP_CASES[2]} batch_dependence returned {d[2]:.2e}: a GroupNorm network's output for one sample "
                "does not depend on the rest of the batch (compare the sample's own output row, the first, in both batches)")
    for i in (0, 1, 3, 4):
        probe.close(d[i], want[i], f"batch_dependence for {DEP_CASES[i]}", tol=1e-4,
                    hint="in training mode, max |y_a - y_b| / max |y_a| over the first row of each output (the sample "
                         "placed first, before batch_a or batch_b)")


# ------------------------------------------------------------------ the fair comparison

COMPARE_OBS = """
import json
import torch
from torch import nn
log = []
class Rec(nn.Module):
    def __init__(self, norm):
        super().__init__()
        self.norm = norm
        self.conv = nn.Conv2d(3, 4, 3)                      # drawn from the global generator: same seed, same weights
        self.extra = nn.Linear(2, int(extra[norm]))         # each norm consumes a different amount of randomness
        self.start = self.conv.weight.detach().clone()
def make_model(norm):
    model = Rec(norm)
    log.append(("model", norm, id(model)))
    return model
def make_optimizer(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    log.append(("optimizer", id(model), id(opt)))
    return opt
calls = []
def train(model, optimizer, seed):
    owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
    calls.append({"norm": getattr(model, "norm", None), "model": id(model), "opt": id(optimizer),
                  "opt_owns_model": owned == {id(p) for p in model.parameters()}, "seed": int(seed),
                  "start": model.conv.weight.detach().double().numpy().ravel().tolist(),
                  "unchanged": bool(torch.equal(model.conv.weight, model.start))})
    with torch.no_grad():                                   # training moves the weights and the global generator
        model.conv.weight.add_(torch.randn_like(model.conv.weight))
    torch.rand(int(extra[getattr(model, "norm", "bn")]) + 7)
    return f"result of {getattr(model, 'norm', None)} #{len(calls)}"
out = compare_norms(tuple(str(n) for n in norms), make_model, make_optimizer, train, seed=int(seed))
__obs__ = {"log": json.dumps([list(e) for e in log]), "calls": json.dumps(calls),
           "out": json.dumps(list(out.items()) if isinstance(out, dict) else repr(type(out)))}
"""


def compare_inputs(probe):
    rng = probe.rng("compare_norms", "inputs")
    norms = [str(n) for n in rng.permutation(list(ref.NORMS))[:int(rng.integers(2, 5))]]
    extra = {norm: int(rng.integers(1, 40)) for norm in ref.NORMS}
    return dict(norms=np.array(norms), seed=_seed(rng), extra=extra)


def test_compare_norms(probe):
    inputs = compare_inputs(probe)
    norms, seed = [str(n) for n in inputs["norms"]], inputs["seed"]
    code = f"extra = {inputs['extra']!r}\n" + COMPARE_OBS
    run_inputs = dict(norms=inputs["norms"], seed=seed)
    obs, exp = probe.run(code, **run_inputs), probe.reference(code, **run_inputs)
    log, calls = json.loads(str(obs["log"])), json.loads(str(obs["calls"]))
    want_calls = json.loads(str(exp["calls"]))
    called = f"compare_norms({norms}, make_model, make_optimizer, train, seed={seed})"
    built = [e[1] for e in log if e[0] == "model"]
    assert built == norms, (
        f"{called} called make_model with {built}: build a new model for every norm, in the order given "
        "(reusing one model for every norm trains the same network again: the original notebook's bug)")
    models = [e[2] for e in log if e[0] == "model"]
    opt_models = [e[1] for e in log if e[0] == "optimizer"]
    assert opt_models == models, (
        f"{called}: make_optimizer should be called once for each new model, with that model "
        f"({len(opt_models)} optimizer(s) for {len(models)} model(s)); an optimizer's momentum belongs to one model")
    assert [c["norm"] for c in calls] == norms, (
        f"{called} trained {[c['norm'] for c in calls]}: train every norm's model once, in the order given")
    opts = [e[2] for e in log if e[0] == "optimizer"]
    for i, (c, norm) in enumerate(zip(calls, norms)):
        assert c["model"] == models[i] and c["opt"] == opts[i] and c["opt_owns_model"], (
            f"{called}: the run of {norm!r} was not trained with its own new model and the optimizer built for it")
        assert c["unchanged"], f"{called}: the model of {norm!r} changed between make_model and train"
        assert c["seed"] == seed, (
            f"{called}: the run of {norm!r} was trained with seed {c['seed']}: every run gets the same seed, so that "
            "every run sees the same batches in the same order")
    for i, (c, w) in enumerate(zip(calls, want_calls)):
        err = _relerr(c["start"], w["start"], floor=1e-6)
        probe.below("compare: initial weights vs seeded", err, 1e-9,
                    f"{called}: the model of {norms[i]!r} did not start from the weights torch.manual_seed({seed}) gives: "
                    "seed PyTorch's generator with `seed` right before building each model, so that every run starts "
                    "from the same initial weights")
    out = json.loads(str(obs["out"]))
    want = json.loads(str(exp["out"]))
    assert out == want, (
        f"{called} returned {out if isinstance(out, str) else dict(out)}; expected {{norm: train's result}} for "
        f"every norm in order: {dict(want)}")
