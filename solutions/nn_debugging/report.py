"""``sanity_report``: the checks of a good training recipe, run before training, in one call.

What it looks at, in order (a check whose inputs were not given is listed as skipped):

1. **inputs** of the first batches (and of the evaluation batches, and whether the two look
   alike): dtype, channels, scale, NaN/Inf;
2. **labels**: dtype, range against the model's outputs, and how many classes each of the
   first batches mixes (several batches, not one);
3. **weights**: every degenerate tensor by name (all-zero, constant, NaN, Inf), and weight
   matrices of one sign (what ``uniform_`` on [0, 1) leaves);
4. **the optimiser**: the effective weight decay per step, lr x weight decay;
5. **the loss at initialisation** against ln(C);
6. **gradients**: one backward pass; every trainable parameter must receive a gradient;
7. **overfitting one batch**: a copy of the model trained on one small batch with the same
   optimiser settings must drive its loss down (a diverging learning rate shows up here);
8. **the training step** (when given): it must clear the previous gradients;
9. **the evaluation forward** (when given): predictions must not depend on the batch.

Nothing it does changes the model, the optimiser or the global random state.
"""
from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .checks import (CODES, Finding, Predict, TrainStep, check_eval_consistency, check_input_mismatch,
                     check_input_statistics, check_label_diversity, check_labels, check_loss_at_init,
                     check_overfit_one_batch, check_weight_decay, check_zero_grad, degenerate_findings,
                     effective_weight_decay, find_degenerate_tensors, find_one_sign_weights, input_stats,
                     params_without_gradient)

CHECKS = ("inputs", "eval inputs", "labels", "label diversity", "degenerate tensors", "weight decay",
          "loss at init", "gradients", "overfit one batch", "zero_grad", "eval mode")


@dataclass
class SanityReport:
    """What :func:`sanity_report` found: the findings, the numbers it measured, and the state
    of every check (``"ok"``, ``"flagged"`` or ``"skipped: why"``)."""

    findings: list[Finding] = field(default_factory=list)
    measurements: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_code(self, code: str) -> list[Finding]:
        if code not in CODES:
            raise KeyError(f"unknown finding code {code!r}")
        return [f for f in self.findings if f.code == code]

    def summary(self, per_code: int = 4) -> str:
        """The checks with their state, then the findings grouped by code (at most
        ``per_code`` messages each, the rest named), then the measured numbers."""
        lines = [f"sanity report: {len(self.findings)} finding(s)" + (" - all clear" if self.ok else "")]
        for check, state in self.checks.items():
            lines.append(f"  {'!!' if state == 'flagged' else '  '} {check:<20} {state}")
        for code in dict.fromkeys(f.code for f in self.findings):
            group = [f for f in self.findings if f.code == code]
            lines += [f"  - {f}" for f in group[:per_code]]
            if len(group) > per_code:
                rest = [f.subject for f in group[per_code:]]
                lines.append(f"  - [{code}] and {len(rest)} more: {', '.join(rest)}")
        if self.measurements:
            lines.append("  measured: " + ", ".join(f"{k} {_fmt(v)}" for k, v in self.measurements.items()))
        return "\n".join(lines)

    __str__ = summary

    def as_dict(self) -> dict:
        return {"codes": sorted(self.codes), "checks": self.checks, "measurements": self.measurements,
                "findings": [{"code": f.code, "subject": f.subject, "message": f.message, "value": f.value}
                             for f in self.findings]}


def _fmt(v: float) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _record(report: SanityReport, check: str, findings: list[Finding]) -> None:
    report.findings.extend(findings)
    report.checks[check] = "flagged" if findings else "ok"


def first_batches(batches: Iterable, n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The first ``n`` ``(x, y)`` pairs of ``batches`` (a DataLoader, a list...); a dict batch
    is read by its ``"sample"``/``"image"`` and ``"label"`` keys, as the seed's were."""
    out = []
    for batch in itertools.islice(iter(batches), n):
        if isinstance(batch, dict):
            x = next(batch[k] for k in ("sample", "image", "x") if k in batch)
            y = next(batch[k] for k in ("label", "y") if k in batch)
        else:
            x, y = batch
        out.append((x, y))
    if not out:
        raise ValueError("sanity_report needs at least one batch")
    return out


def expected_channels(model: nn.Module) -> int | None:
    """Input channels of the model's first convolution (``None`` when it has none)."""
    conv = next((m for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)), None)
    return None if conv is None else conv.in_channels


def sanity_report(model: nn.Module, batches: Iterable, *, num_classes: int | None = None,
                  optimizer: torch.optim.Optimizer | None = None, eval_batches: Iterable | None = None,
                  train_step: TrainStep | None = None, predict: Predict | None = None,
                  pretrained: bool = False, n_batches: int = 5, overfit_steps: int = 40, overfit_size: int = 16,
                  loss_tolerance: float = 0.5, min_label_fraction: float = 0.5, max_decay_per_step: float = 5e-4,
                  max_input_abs: float = 10.0, loss_fn: Callable = F.cross_entropy, seed: int = 0) -> SanityReport:
    """Run the checks of a good training recipe on ``model`` and the first ``n_batches`` of
    ``batches`` (``(x, y)`` pairs exactly as the training loop will see them).

    ``num_classes`` defaults to the model's number of outputs; ``optimizer`` (the one training
    will use) enables the weight-decay check and sets the overfit check's optimiser (Adam at 1e-3
    without it); ``eval_batches`` are checked like the training inputs and against them;
    ``train_step(model, optimizer, x, y)`` and ``predict(model, x)`` are the loop's own step and
    evaluation forward. ``pretrained=True`` (a checkpoint, not a fresh model) only flags a loss
    at initialisation *above* ln(C). Returns a :class:`SanityReport`."""
    report = SanityReport()
    cuda = [d for d in {p.device for p in model.parameters()} if d.type == "cuda"]
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        _run_checks(report, model, first_batches(batches, n_batches), num_classes, optimizer,
                    None if eval_batches is None else first_batches(eval_batches, n_batches), train_step, predict,
                    pretrained, overfit_steps, overfit_size, loss_tolerance, min_label_fraction, max_decay_per_step,
                    max_input_abs, loss_fn, seed)
    return report


def _run_checks(report, model, batches, num_classes, optimizer, eval_batches, train_step, predict, pretrained,
                overfit_steps, overfit_size, loss_tolerance, min_label_fraction, max_decay_per_step, max_input_abs,
                loss_fn, seed):
    device = next(model.parameters()).device
    batches = [(x.to(device), y.to(device)) for x, y in batches]
    xs, ys = [x for x, _ in batches], [y for _, y in batches]
    channels = expected_channels(model) or xs[0].shape[1]

    # 1. inputs
    x_all = torch.cat(xs)
    _record(report, "inputs", check_input_statistics(x_all, channels, max_input_abs))
    report.measurements.update({f"input {k}": v for k, v in input_stats(x_all).items()})
    eval_x = None
    if eval_batches is None:
        report.checks["eval inputs"] = "skipped: no eval_batches"
    else:
        eval_x = torch.cat([x.to(device) for x, _ in eval_batches])
        found = [Finding(f.code, "eval inputs", f.message, f.value)
                 for f in check_input_statistics(eval_x, channels, max_input_abs)]
        if x_all.is_floating_point() and eval_x.is_floating_point():
            found += check_input_mismatch(x_all, eval_x)
        _record(report, "eval inputs", found)
        report.measurements.update({f"eval input {k}": v for k, v in input_stats(eval_x).items()})
    input_ok = not any(f.code in ("input_dtype", "input_channels") for f in report.findings)

    # the model's outputs (a forward pass on a copy, in training mode as the first step will run)
    num_outputs = None
    if input_ok:
        probe = copy.deepcopy(model).train()
        try:
            with torch.no_grad():
                logits = [probe(x) for x in xs]
            num_outputs = logits[0].shape[1]
        except Exception as err:   # noqa: BLE001 - the report says what went wrong instead of stopping
            report.findings.append(Finding("forward_error", "model", f"{type(err).__name__}: {err}"))
    classes = num_classes or num_outputs

    # 2. labels
    y_all = torch.cat(ys)
    found = check_labels(y_all, num_outputs or classes or int(y_all.max()) + 1)
    if num_classes is not None and num_outputs is not None and num_classes != num_outputs:
        found.append(Finding("num_outputs", "model", f"the model has {num_outputs} outputs for {num_classes} "
                                                     "classes", num_outputs))
    _record(report, "labels", found)
    if classes:
        found = check_label_diversity(ys, classes, min_label_fraction)
        report.measurements["label diversity"] = sum(
            torch.unique(y).numel() / min(classes, y.numel()) for y in ys) / len(ys)
        _record(report, "label diversity", found)
    else:
        report.checks["label diversity"] = "skipped: number of classes unknown"
    labels_ok = y_all.dtype == torch.int64 and num_outputs is not None and bool(
        (y_all >= 0).all() and (y_all < num_outputs).all())

    # 3. weights
    found = degenerate_findings(find_degenerate_tensors(model))
    found += [Finding("one_sign_tensor", name, f"every entry of {name} has the same sign: no layer initialises "
                                               "its weights that way (uniform_ on [0, 1)?)")
              for name in find_one_sign_weights(model)]
    _record(report, "degenerate tensors", found)

    # 4. the optimiser
    if optimizer is None:
        report.checks["weight decay"] = "skipped: no optimizer"
    else:
        decay = effective_weight_decay(optimizer)
        report.measurements["decay per step"] = max(decay) if decay else 0.0
        _record(report, "weight decay", check_weight_decay(optimizer, max_decay_per_step))

    if not (input_ok and labels_ok):
        why = "skipped: the inputs or labels cannot go through the model and the loss"
        for check in ("loss at init", "gradients", "overfit one batch", "zero_grad", "eval mode"):
            report.checks[check] = why
        return

    # 5. the loss at initialisation, on every batch given
    found = check_loss_at_init(torch.cat(logits), y_all, loss_tolerance)
    report.measurements["loss at init"] = F.cross_entropy(torch.cat(logits).float(), y_all).item()
    report.measurements["ln(C)"] = math.log(num_outputs)
    if pretrained:
        found = [f for f in found if not (f.value is not None and f.value < math.log(num_outputs))]
    _record(report, "loss at init", found)

    # 6. gradients
    probe = copy.deepcopy(model).train()
    for p in probe.parameters():
        p.grad = None
    loss_fn(probe(xs[0]), ys[0]).backward()
    _record(report, "gradients", [Finding("no_gradient", name, f"{name} received no gradient (None or all zero)")
                                  for name in params_without_gradient(probe)])

    # 7. overfit one small batch with the same optimiser settings
    x_small, y_small = _mixed_batch(xs, ys, overfit_size)
    found, losses = check_overfit_one_batch(model, x_small, y_small, optimizer, steps=overfit_steps,
                                            loss_fn=loss_fn)
    report.measurements["overfit first loss"], report.measurements["overfit last loss"] = losses[0], losses[-1]
    _record(report, "overfit one batch", found)

    # 8. the training step
    if train_step is None:
        report.checks["zero_grad"] = "skipped: no train_step"
    else:
        _record(report, "zero_grad", check_zero_grad(train_step, model, xs[0], ys[0], seed=seed))

    # 9. the evaluation forward (on evaluation inputs when given: that is what predict sees)
    if predict is None:
        report.checks["eval mode"] = "skipped: no predict"
    else:
        x_eval = eval_x[:64] if eval_x is not None else x_small
        _record(report, "eval mode", check_eval_consistency(predict, model, x_eval))


def _mixed_batch(xs, ys, size):
    """``size`` examples drawn at random from all the given batches (the overfit check should
    not depend on the batch order being right)."""
    x, y = torch.cat(xs), torch.cat(ys)
    pick = torch.randperm(len(y), device=y.device)[:size]
    return x[pick], y[pick]
