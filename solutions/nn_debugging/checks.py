"""Detectors: small checks that each look at one thing a training recipe can get wrong.

Every detector returns a list of :class:`Finding` (empty when nothing is wrong) or, for the
two that measure rather than judge, plain values. Each is meant to be run on a broken setup
*and* on a healthy one: a detector that always fires is as useless as one that never does.
:func:`solutions.nn_debugging.report.sanity_report` runs them all on a model and its batches.

The functions between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines are the chapter's
graded cells; each uses only ``torch``, ``math``, ``F``, ``nn`` and :class:`Finding`, so its
source pastes into a notebook cell as it is.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

#: Every finding code, with what it means. Codes are stable: tests and the grader match on them.
CODES: dict[str, str] = {
    "loss_at_init": "the loss before training is far from ln(C), the loss of a uniform guess",
    "cannot_overfit": "the model cannot drive the loss of one small batch towards zero",
    "diverging": "the loss of one small batch grows (or becomes NaN/Inf) as it is trained on",
    "no_gradient": "a parameter receives no gradient (None or all zero) from the loss",
    "label_diversity": "the batches hold few classes each: the data are read in class order",
    "label_range": "labels outside 0..C-1 for the model's C outputs, or never 0 (counted from 1?)",
    "label_dtype": "labels are not int64 class indices",
    "num_outputs": "the model's number of outputs differs from the number of classes",
    "input_dtype": "inputs are not floating point (uint8 pixels where floats are expected)",
    "input_channels": "inputs do not have the model's channel count in dimension 1 (channels last? BGR?)",
    "input_scale": "input values far outside a normalised range (0..255 pixels where ~N(0, 1) is expected)",
    "input_nonfinite": "inputs hold NaN or Inf",
    "input_mismatch": "evaluation inputs are distributed unlike the training inputs (another pipeline)",
    "zero_tensor": "a weight (or running variance) is all zero: its layer passes nothing on, or divides by ~0",
    "constant_tensor": "a weight matrix or kernel has one value everywhere: its units stay identical",
    "one_sign_tensor": "a weight matrix or kernel is all positive (or all negative): uniform_ on [0, 1)?",
    "nan_tensor": "a tensor holds NaN",
    "inf_tensor": "a tensor holds +Inf or -Inf",
    "weight_decay": "the weights shrink by an absurd fraction every step (learning rate x weight decay)",
    "grad_accumulation": "the training step adds to the previous step's gradients (zero_grad forgotten)",
    "no_update": "the training step leaves the parameters unchanged",
    "eval_mode": "predictions depend on the batch and change from call to call (eval() forgotten)",
    "forward_error": "the model raised an error on the batch",
}


@dataclass(frozen=True)
class Finding:
    """One thing a check found wrong.

    ``code`` is one of :data:`CODES`; ``subject`` names what it concerns (a tensor's name,
    ``"labels"``, ``"inputs"``, ``"loss"``, ``"param_groups[0]"``...); ``message`` is one
    readable sentence with the numbers; ``value`` is the measured number behind it, if any."""

    code: str
    subject: str
    message: str
    value: float | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.subject}: {self.message}"


# ----------------------------------------------------------------------------- before training


def check_loss_at_init(logits: torch.Tensor, labels: torch.Tensor, tolerance: float = 0.5) -> list[Finding]:
    """Compare the mean cross-entropy of ``logits`` ``(N, C)`` against ``labels`` with ln(C).

    A freshly initialised classifier should be unsure: its loss is close to ln(C), the loss of
    predicting 1/C for every class. Returns one ``Finding("loss_at_init", "loss", ..., value=loss)``
    when ``|loss - ln(C)| > tolerance`` or the loss is not finite, else ``[]``."""
    ### BEGIN SOLUTION
    num_classes = logits.shape[1]
    loss = F.cross_entropy(logits.detach().float(), labels).item()
    expected = math.log(num_classes)
    if math.isfinite(loss) and abs(loss - expected) <= tolerance:
        return []
    side = "above" if not math.isfinite(loss) or loss > expected else "below"
    return [Finding("loss_at_init", "loss",
                    f"loss at initialisation {loss:.3f} is {side} ln({num_classes}) = {expected:.3f} "
                    f"by more than {tolerance}", loss)]
    ### END SOLUTION


def check_label_diversity(label_batches: list[torch.Tensor], num_classes: int,
                          min_fraction: float = 0.5) -> list[Finding]:
    """Do the first batches mix the classes? Look at *every* batch given, not only the first.

    For each batch, the number of distinct labels divided by the most it could hold,
    ``min(num_classes, len(batch))``; the mean of these fractions over the batches is the
    diversity (1.0 for well shuffled batches bigger than C, 1/C when each batch is one class).
    Returns ``[Finding("label_diversity", "labels", ..., value=mean)]`` when the mean is below
    ``min_fraction``, else ``[]``. An empty sequence raises ``ValueError``."""
    ### BEGIN SOLUTION
    if len(label_batches) == 0:
        raise ValueError("check_label_diversity needs at least one batch of labels")
    fractions = [torch.unique(y).numel() / min(num_classes, y.numel()) for y in label_batches]
    mean = sum(fractions) / len(fractions)
    if mean >= min_fraction:
        return []
    return [Finding("label_diversity", "labels",
                    f"the first {len(fractions)} batches hold on average {mean:.0%} of the classes they could "
                    f"(below {min_fraction:.0%}): the data are read in class order, shuffle them", mean)]
    ### END SOLUTION


def check_labels(labels: torch.Tensor, num_outputs: int) -> list[Finding]:
    """Labels fit for cross-entropy on ``num_outputs`` logits: int64 (``"label_dtype"``), and
    every value in ``0 .. num_outputs-1`` with the smallest one 0 (``"label_range"``: below 0,
    too large, or never 0, i.e. counted from 1). Returns the findings (at most one per code)."""
    ### BEGIN SOLUTION
    findings = []
    if labels.dtype != torch.int64:
        findings.append(Finding("label_dtype", "labels", f"labels are {labels.dtype}; cross-entropy wants int64 "
                                                         "class indices"))
    low, high = labels.min().item(), labels.max().item()
    if low < 0 or high >= num_outputs:
        findings.append(Finding("label_range", "labels", f"labels span {low:g}..{high:g} but the model has "
                                                         f"{num_outputs} outputs (0..{num_outputs - 1})", high))
    elif low > 0:
        findings.append(Finding("label_range", "labels", f"the smallest of {labels.numel()} labels is {low:g}, "
                                                         "never 0: are the labels counted from 1?", low))
    return findings
    ### END SOLUTION


def check_input_statistics(x: torch.Tensor, expected_channels: int = 1, max_abs: float = 10.0) -> list[Finding]:
    """Is ``x`` a batch the model expects: floats ``(N, expected_channels, H, W)`` of moderate size?

    Findings (at most one per code, in this order): ``"input_dtype"`` when ``x`` is not floating
    point; ``"input_channels"`` when ``x`` is not 4-D or ``x.shape[1] != expected_channels``
    (an image read channels last, or with three BGR channels for a grayscale model);
    ``"input_nonfinite"`` when it holds NaN or Inf; ``"input_scale"`` when the largest finite
    ``|x|`` exceeds ``max_abs`` (0..255 pixels where normalised values, about N(0, 1), or values
    in [0, 1] were expected). ``value`` is the offending number (channels, count or largest |x|)."""
    ### BEGIN SOLUTION
    findings = []
    if not x.is_floating_point():
        findings.append(Finding("input_dtype", "inputs", f"inputs are {x.dtype}, not floats: convert and scale them"))
    if x.dim() != 4 or x.shape[1] != expected_channels:
        channels = x.shape[1] if x.dim() == 4 else float("nan")
        findings.append(Finding("input_channels", "inputs",
                                f"inputs of shape {tuple(x.shape)}; the model expects (N, {expected_channels}, H, W)",
                                channels))
    xf = x.float()
    finite = torch.isfinite(xf)
    if not finite.all():
        bad = int((~finite).sum())
        findings.append(Finding("input_nonfinite", "inputs", f"{bad} input values are NaN or Inf", bad))
    if finite.any():
        largest = xf[finite].abs().max().item()
        if largest > max_abs:
            findings.append(Finding("input_scale", "inputs",
                                    f"inputs reach |x| = {largest:g} (mean {xf[finite].mean().item():.3g}): "
                                    f"raw 0..255 pixels? expected values within +-{max_abs:g}", largest))
    return findings
    ### END SOLUTION


def input_stats(x: torch.Tensor) -> dict[str, float]:
    """Minimum, maximum, mean and standard deviation of a batch, as floats."""
    xf = x.detach().float()
    return {"min": xf.min().item(), "max": xf.max().item(), "mean": xf.mean().item(), "std": xf.std().item()}


def check_input_mismatch(train_x: torch.Tensor, eval_x: torch.Tensor, max_shift: float = 1.0,
                         max_ratio: float = 3.0) -> list[Finding]:
    """Do training and evaluation inputs come from the same pipeline? ``"input_mismatch"`` when
    their means differ by more than ``max_shift`` training standard deviations or their standard
    deviations by more than a factor ``max_ratio``."""
    a, b = input_stats(train_x), input_stats(eval_x)
    scale = max(a["std"], 1e-8)
    shift = abs(b["mean"] - a["mean"]) / scale
    ratio = max(b["std"], 1e-8) / scale
    if shift <= max_shift and 1 / max_ratio <= ratio <= max_ratio:
        return []
    return [Finding("input_mismatch", "eval inputs",
                    f"evaluation inputs have mean {b['mean']:.3g} and std {b['std']:.3g}, training inputs "
                    f"{a['mean']:.3g} and {a['std']:.3g}: the two pipelines prepare images differently", shift)]


# ----------------------------------------------------------------------------- weights


def find_degenerate_tensors(tensors: nn.Module | dict[str, torch.Tensor]) -> dict[str, str]:
    """Name -> kind of every degenerate floating-point tensor of a model (its ``state_dict``:
    parameters *and* buffers) or of a state dict.

    Kinds, the first that applies: ``"nan"`` (any NaN), ``"inf"`` (any +-Inf), ``"zero"`` (all
    zero, for a tensor whose name ends in ``weight`` or ``running_var`` or that has two or more
    dimensions: a multiplicative weight, or a variance BatchNorm divides by), ``"constant"``
    (one non-zero value everywhere in a tensor of two or more dimensions with at least two
    elements: a weight matrix or kernel whose units stay identical). Biases and 1-D norm
    parameters that are zero or constant are *not* degenerate (that is how they start:
    BatchNorm's weight is all ones, biases often all zeros); integer tensors
    (``num_batches_tracked``) are skipped."""
    ### BEGIN SOLUTION
    if isinstance(tensors, nn.Module):
        tensors = tensors.state_dict()
    found = {}
    for name, t in tensors.items():
        if not torch.is_tensor(t) or not t.is_floating_point() or t.numel() == 0:
            continue
        t = t.detach()
        is_weight = name.rsplit(".", 1)[-1] in ("weight", "running_var") or t.dim() >= 2
        if torch.isnan(t).any():
            found[name] = "nan"
        elif torch.isinf(t).any():
            found[name] = "inf"
        elif is_weight and not t.any():
            found[name] = "zero"
        elif t.dim() >= 2 and t.numel() >= 2 and (t == t.flatten()[0]).all():
            found[name] = "constant"
    return found
    ### END SOLUTION


def find_one_sign_weights(model: nn.Module, min_size: int = 16) -> list[str]:
    """Names of the trainable weight matrices and kernels (two or more dimensions, at least
    ``min_size`` elements) whose non-zero entries all share one sign. No initialisation and no
    training produces that (a random init has about half of each sign); ``uniform_`` on [0, 1)
    does, the seed notebook's repair of its zeroed checkpoint."""
    names = []
    for name, p in model.named_parameters():
        if p.requires_grad and p.is_floating_point() and p.dim() >= 2 and p.numel() >= min_size:
            w = p.detach()
            if w.any() and torch.isfinite(w).all() and ((w >= 0).all() or (w <= 0).all()):
                names.append(name)
    return names


def degenerate_findings(found: Mapping[str, str]) -> list[Finding]:
    """:func:`find_degenerate_tensors`' answer as findings (``zero_tensor``, ``nan_tensor``...)."""
    what = {"nan": "holds NaN", "inf": "holds Inf", "zero": "is all zero", "constant": "has one value everywhere"}
    return [Finding(f"{kind}_tensor", name, f"{name} {what[kind]}") for name, kind in found.items()]


def params_without_gradient(model: nn.Module) -> list[str]:
    """After a backward pass: names of the trainable parameters (``requires_grad``) whose
    ``.grad`` is ``None`` or all zero, in ``named_parameters`` order. Frozen parameters are
    not listed (they are not meant to learn)."""
    ### BEGIN SOLUTION
    return [name for name, p in model.named_parameters()
            if p.requires_grad and (p.grad is None or not p.grad.any())]
    ### END SOLUTION


# ----------------------------------------------------------------------------- the optimiser


def effective_weight_decay(optimizer: torch.optim.Optimizer) -> list[float]:
    """Per parameter group, the fraction by which weight decay alone shrinks the weights in one
    step: ``lr * weight_decay`` (exact for SGD without momentum and for AdamW; momentum
    multiplies it by up to 1/(1-momentum) in the long run). A group without the key counts 0."""
    ### BEGIN SOLUTION
    return [group["lr"] * group.get("weight_decay", 0.0) for group in optimizer.param_groups]
    ### END SOLUTION


def check_weight_decay(optimizer: torch.optim.Optimizer, max_per_step: float = 5e-4) -> list[Finding]:
    """One ``Finding("weight_decay", f"param_groups[{i}]", ..., value=decay)`` per parameter group
    whose ``effective_weight_decay`` exceeds ``max_per_step``.

    Usual recipes shrink by 1e-6 to 5e-5 per step (SGD 0.1 x 5e-4, AdamW 1e-3 x 0.01); the
    default limit is ten times the largest of these. The original notebook's lr 0.1 x weight
    decay 0.9 = 0.09 removes 9 % of every weight at every step."""
    ### BEGIN SOLUTION
    findings = []
    for i, group in enumerate(optimizer.param_groups):
        decay = group["lr"] * group.get("weight_decay", 0.0)
        if decay > max_per_step:
            findings.append(Finding("weight_decay", f"param_groups[{i}]",
                                    f"lr {group['lr']:g} x weight_decay {group.get('weight_decay', 0.0):g} = "
                                    f"{decay:.3g}: every step removes {decay:.2%} of each weight "
                                    f"(more than {max_per_step:g})", decay))
    return findings
    ### END SOLUTION


# ----------------------------------------------------------------------------- the loop

TrainStep = Callable[[nn.Module, torch.optim.Optimizer, torch.Tensor, torch.Tensor], torch.Tensor]
Predict = Callable[[nn.Module, torch.Tensor], torch.Tensor]


def _snapshot(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _distance(after: list[torch.Tensor], before: list[torch.Tensor]) -> float:
    return math.sqrt(sum(float((a - b).double().pow(2).sum()) for a, b in zip(after, before)))


def check_zero_grad(train_step: TrainStep, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                    lr: float = 1e-3, max_ratio: float = 1.5, seed: int = 0) -> list[Finding]:
    """Does ``train_step(model, optimizer, x, y)`` clear the previous step's gradients?

    On a copy of ``model`` (gradients cleared) with plain SGD at a small ``lr``, the step is
    taken twice on the same batch (same random seed, so the same dropout masks). The second
    update should be about as large as the first; without ``zero_grad`` it carries the first
    gradient too and is about twice as large. ``"grad_accumulation"`` when the ratio of the
    update sizes exceeds ``max_ratio``; ``"no_update"`` when the first step changes nothing.
    ``model`` is not modified."""
    probe = copy.deepcopy(model)
    probe.train()
    for p in probe.parameters():
        p.grad = None
    optimizer = torch.optim.SGD(probe.parameters(), lr=lr)
    steps = []
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        for _ in range(2):
            before = _snapshot(probe)
            torch.manual_seed(seed)
            train_step(probe, optimizer, x, y)
            steps.append(_distance(_snapshot(probe), before))
    if steps[0] == 0.0:
        return [Finding("no_update", "train_step", "one training step left every parameter unchanged", 0.0)]
    ratio = steps[1] / steps[0]
    if ratio > max_ratio:
        return [Finding("grad_accumulation", "train_step",
                        f"the second of two identical steps moved the weights {ratio:.2f}x as far as the first: "
                        "gradients accumulate across steps (optimizer.zero_grad() missing)", ratio)]
    return []


def check_eval_consistency(predict: Predict, model: nn.Module, x: torch.Tensor, tol: float = 1e-3) -> list[Finding]:
    """Is ``predict(model, x)`` a deterministic function of each example alone?

    On a copy of ``model`` left in training mode (as a training loop leaves it), the logits of
    the first half of ``x`` are computed inside the whole batch, on their own, and the whole
    batch once more; they must agree within ``tol`` times the largest logit (at least 1: GPU
    kernels may round differently for another batch size) and the model's buffers (BatchNorm's
    running statistics) must not change. In training mode BatchNorm normalises with the
    batch's statistics and dropout drops units at random, so all three can differ:
    ``"eval_mode"``. ``model`` is not modified."""
    probe = copy.deepcopy(model)
    probe.train()
    buffers = [b.detach().clone() for b in probe.buffers()]
    half = max(1, len(x) // 2)
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        whole = predict(probe, x).detach().float()
        alone = predict(probe, x[:half]).detach().float()
        again = predict(probe, x).detach().float()
    if not (torch.isfinite(whole).all() and torch.isfinite(alone).all()):
        return []             # NaN/Inf logits are the degenerate-tensor check's business, not this one's
    gap = max((whole[:half] - alone).abs().max().item(), (whole - again).abs().max().item())
    moved = any(not torch.equal(a, b) for a, b in zip(buffers, probe.buffers()))
    if gap <= tol * max(1.0, whole.abs().max().item()) and not moved:
        return []
    return [Finding("eval_mode", "predict",
                    f"the same images got logits up to {gap:.3g} apart depending on their batch and the call"
                    + (", and evaluation changed the running statistics" if moved else "")
                    + ": evaluate in model.eval() mode", gap)]


def check_overfit_one_batch(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                            optimizer: torch.optim.Optimizer | None = None, steps: int = 40,
                            max_fraction: float = 0.5, max_growth: float = 1.5,
                            loss_fn: Callable = F.cross_entropy) -> tuple[list[Finding], list[float]]:
    """Train a copy of ``model`` on the single batch ``(x, y)`` for ``steps`` steps with a fresh
    optimizer of ``optimizer``'s class and hyper-parameters (Adam at 1e-3 when ``None``).

    A healthy model and optimizer memorise a small batch: the last loss falls below
    ``max_fraction`` of the first (the chapter's healthy setups reach 1-15 % of it in 40 steps).
    ``"diverging"`` when a loss is not finite or the mean of the last quarter of the losses is
    above ``max_growth`` times the first; ``"cannot_overfit"`` when the last loss is not below
    ``max_fraction`` of the first (a loss stuck near ln(C), as under weight decay 0.9).
    Returns the findings and the losses. ``model`` is not modified."""
    probe = copy.deepcopy(model)
    probe.train()
    if optimizer is None:
        opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    else:
        opt = clone_optimizer(optimizer, model, probe)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(probe(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
    first, last = losses[0], losses[-1]
    tail = losses[-max(1, len(losses) // 4):]
    if not all(math.isfinite(v) for v in losses) or sum(tail) / len(tail) > max_growth * first:
        return [Finding("diverging", "loss", f"training on one batch took the loss from {first:.3g} to {last:.3g} "
                                             f"in {len(losses)} steps: the learning rate is too high", last)], losses
    if last > max_fraction * first:
        return [Finding("cannot_overfit", "loss", f"{len(losses)} steps on one batch of {len(y)} took the loss "
                                                  f"only from {first:.3g} to {last:.3g} (want below "
                                                  f"{max_fraction * first:.3g})", last)], losses
    return [], losses


def clone_optimizer(optimizer: torch.optim.Optimizer, original: nn.Module, clone: nn.Module) -> torch.optim.Optimizer:
    """A fresh optimizer of ``optimizer``'s class and per-group hyper-parameters over the
    parameters of ``clone``, a deep copy of ``original`` (the model ``optimizer`` was made for;
    parameters are matched by position). The state (momentum buffers) is not copied."""
    twin = {id(p): q for p, q in zip(original.parameters(), clone.parameters())}
    groups = []
    for group in optimizer.param_groups:
        missing = [p for p in group["params"] if id(p) not in twin]
        if missing:
            raise ValueError(f"the optimizer holds {len(missing)} tensors that are not parameters of the model")
        groups.append({**{k: v for k, v in group.items() if k != "params"},
                       "params": [twin[id(p)] for p in group["params"]]})
    return type(optimizer)(groups)
