"""The chapter's experiment: every broken setup trained beside its fix, each diagnosed first.

1. The PNG folder of the dataset is written (once, cached) and read into tensors.
2. The healthy setup is trained from scratch with the shared trainer :func:`coursekit.train.fit`;
   its final weights are the checkpoint that the checkpoint cases damage and repair.
3. For each case: :func:`~solutions.nn_debugging.report.sanity_report` runs on the broken
   setup and on its fix *before* training (model, optimiser, batches, training step and
   evaluation forward exactly as the loop will use them); then both are trained, the broken
   one with ``fit`` where ``fit`` can express the bug and with the chapter's
   :func:`~solutions.nn_debugging.loop.train_loop` where it cannot (no shuffling, no
   ``zero_grad``). Identical setups are trained once (most fixes *are* the healthy recipe).
4. The table gives the final validation accuracy broken and fixed, and the findings; the
   figures the per-step training loss and per-epoch validation accuracy of each pair.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from coursekit.train import evaluate, fit

from .config import Hparams
from .data import PngData, load_data
from .loop import evaluate_with, train_loop
from .setups import CASES, HEALTHY, Case, Setup, build, pipeline, report_for


@dataclass
class Run:
    """The curves of one training run."""

    setup: Setup
    epochs: int
    step_loss: list[float]                  # the training loss of every step
    train_loss: list[float]                 # per epoch
    train_acc: list[float]
    val_loss: list[float]
    val_acc: list[float]
    seconds: float

    @property
    def final_val_acc(self) -> float:
        return self.val_acc[-1] if self.val_acc else float("nan")


@dataclass
class CaseResult:
    case: Case
    broken: Run
    fixed: Run
    broken_codes: list[str]
    fixed_codes: list[str]
    broken_report: str                      # the sanity report's summary
    seed_fix: Run | None = None             # the seed notebook's own fix, where it differs from ours
    seed_fix_codes: list[str] | None = None

    @property
    def detected(self) -> bool:
        return self.case.finding in self.broken_codes


@dataclass
class Result:
    hp: Hparams
    device: str
    data: str
    healthy: Run
    healthy_codes: list[str]
    cases: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> str:
        head = ("| setup | what is wrong | val acc broken | val acc fixed | val acc, seed's fix | expected finding "
                "| sanity_report: broken | fixed | seed's fix |\n|---|---|---|---|---|---|---|---|---|")
        rows = [f"| healthy | nothing (the reference recipe) | | {self.healthy.final_val_acc:.1%} | | none "
                f"| | {_codes(self.healthy_codes)} | |"]
        for c in self.cases:
            mark = "" if c.detected else " (missed)"
            seed_acc = f"{c.seed_fix.final_val_acc:.1%}" if c.seed_fix else ""
            seed_codes = _codes(c.seed_fix_codes) if c.seed_fix_codes is not None else ""
            rows.append(f"| {c.case.name} | {c.case.title} | {c.broken.final_val_acc:.1%} "
                        f"| {c.fixed.final_val_acc:.1%} | {seed_acc} | {c.case.finding}{mark} "
                        f"| {_codes(c.broken_codes)} | {_codes(c.fixed_codes)} | {seed_codes} |")
        return "\n".join([head, *rows])

    def summary(self) -> dict:
        return {"hp": asdict(self.hp), "device": self.device, "data": self.data,
                "healthy": {"run": _run_dict(self.healthy), "codes": self.healthy_codes},
                "cases": [{"name": c.case.name, "title": c.case.title, "expected_finding": c.case.finding,
                           "detected": c.detected, "broken_codes": c.broken_codes, "fixed_codes": c.fixed_codes,
                           "broken_report": c.broken_report, "bug": c.case.bug, "symptom": c.case.symptom,
                           "fix": c.case.fix, "seed_task": c.case.seed_task,
                           "broken": _run_dict(c.broken), "fixed": _run_dict(c.fixed),
                           "seed_fix": _run_dict(c.seed_fix) if c.seed_fix else None,
                           "seed_fix_codes": c.seed_fix_codes} for c in self.cases]}

    def figures(self) -> dict:
        figs = {"overview": plot_overview(self)}
        for c in self.cases:
            figs[f"curves_{c.case.name}"] = plot_case(c, self.hp)
        return figs


def _codes(codes: list[str]) -> str:
    return ", ".join(codes) if codes else "none"


def _run_dict(run: Run) -> dict:
    d = asdict(run)
    d["setup"] = asdict(run.setup)
    d["final_val_acc"] = run.final_val_acc
    return d


class StepLosses:
    """A loss function that remembers the loss of every training step: called with gradients
    enabled (a training step) it keeps the detached loss; evaluation, under ``no_grad``, is
    not recorded. Values stay on the device until :meth:`values` (one synchronisation)."""

    def __init__(self):
        self._losses: list[torch.Tensor] = []

    def __call__(self, out, y, reduction: str = "mean"):
        loss = F.cross_entropy(out, y, reduction=reduction)
        if torch.is_grad_enabled() and reduction == "mean":
            self._losses.append(loss.detach())
        return loss

    def values(self) -> list[float]:
        return torch.stack(self._losses).float().cpu().tolist() if self._losses else []


def train_setup(setup: Setup, data: PngData, hp: Hparams, device: torch.device, checkpoint: dict | None = None,
                progress: bool = True, desc: str = "train") -> tuple[Run, dict]:
    """Train ``setup`` (from scratch, or from ``checkpoint`` as its ``start`` says); returns its
    curves and the final weights (a CPU state dict)."""
    start = time.perf_counter()
    model, optimizer = build(setup, data.num_classes, hp.model, hp.width, checkpoint, hp.seed)
    model.to(device)
    p = pipeline(setup, data)
    epochs = hp.finetune_epochs if setup.from_checkpoint else hp.epochs
    losses = StepLosses()
    val_loss, val_acc = [], []

    def after_epoch(epoch, history):
        if setup.eval_mode:
            vl, va = evaluate(model, p.val, batch_size=hp.batch_size, prepare=p.val_prepare, amp=hp.amp)
        else:
            vl, va = evaluate_with(p.predict, model, p.val, p.val_prepare, hp.batch_size)
        val_loss.append(vl)
        val_acc.append(va)

    common = dict(epochs=epochs, optimizer=optimizer, batch_size=hp.batch_size, device=device,
                  prepare=p.train_prepare, loss_fn=losses, seed=hp.seed, on_epoch_end=after_epoch,
                  progress=progress, desc=desc)
    if setup.uses_fit:
        history = fit(model, p.train, None, amp=hp.amp, **common)
    else:
        history = train_loop(model, p.train, order=p.order, step=p.step, **common)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    run = Run(setup=setup, epochs=epochs, step_loss=losses.values(), train_loss=history.train_loss,
              train_acc=history.train_acc, val_loss=val_loss, val_acc=val_acc,
              seconds=time.perf_counter() - start)
    return run, state


def run(hp: Hparams, device: torch.device, root=None, progress: bool = True) -> Result:
    start = time.perf_counter()
    unknown = [name for name in hp.cases if name not in CASES]
    if unknown:
        raise ValueError(f"unknown setup(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    data = load_data(hp.dataset, n_train=hp.n_train, n_val=hp.n_val, root=root, seed=hp.data_seed)
    runs: dict[Setup, Run] = {}
    healthy, checkpoint = train_setup(HEALTHY, data, hp, device, progress=progress, desc="healthy")
    runs[HEALTHY] = healthy

    def trained(setup: Setup, desc: str) -> Run:
        if setup not in runs:
            runs[setup] = train_setup(setup, data, hp, device, checkpoint, progress=progress, desc=desc)[0]
        return runs[setup]

    def codes(setup: Setup) -> tuple[list[str], str]:
        report = report_for(setup, data, hp.model, hp.width, checkpoint, batch_size=hp.batch_size, seed=hp.seed,
                            device=device)
        return sorted(report.codes), report.summary()

    result = Result(hp=hp, device=str(device), data=data.describe(), healthy=healthy, healthy_codes=codes(HEALTHY)[0])
    for name in hp.cases:
        case = CASES[name]
        broken_codes, text = codes(case.broken)
        fixed_codes = codes(case.fixed)[0] if case.fixed != HEALTHY else result.healthy_codes
        seed_fix = trained(case.seed_fix, f"{name} seed's fix") if case.seed_fix else None
        result.cases.append(CaseResult(case=case, broken=trained(case.broken, name),
                                       fixed=trained(case.fixed, f"{name} fixed"), broken_codes=broken_codes,
                                       fixed_codes=fixed_codes, broken_report=text, seed_fix=seed_fix,
                                       seed_fix_codes=codes(case.seed_fix)[0] if case.seed_fix else None))
    result.seconds = time.perf_counter() - start
    return result


# ----------------------------------------------------------------------------- figures


def _smooth(values: list[float], width: int) -> list[float]:
    out, acc, window = [], 0.0, []
    for v in values:
        v = v if math.isfinite(v) else float("nan")
        window.append(v)
        if len(window) > width:
            window.pop(0)
        finite = [w for w in window if math.isfinite(w)]
        out.append(sum(finite) / len(finite) if finite else float("nan"))
    return out


def plot_case(c: CaseResult, hp: Hparams):
    """Two panels: the training loss of every step (lightly smoothed, log scale) and the
    validation accuracy after every epoch, broken beside fixed (and the seed's own fix)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
    ln_c = math.log(10)
    lines = [(c.broken, "broken", "C3"), (c.fixed, "fixed", "C0")]
    if c.seed_fix is not None:
        lines.append((c.seed_fix, "seed's fix", "C1"))
    for run, label, color in lines:
        steps = list(range(1, len(run.step_loss) + 1))
        raw = [v if math.isfinite(v) else float("nan") for v in run.step_loss]
        ax_loss.plot(steps, raw, color=color, alpha=0.25, lw=0.8)
        ax_loss.plot(steps, _smooth(run.step_loss, 5), color=color, label=label)
        ax_acc.plot(range(1, len(run.val_acc) + 1), [100 * a for a in run.val_acc], "o-", color=color, label=label)
        ax_acc.plot(range(1, len(run.train_acc) + 1), [100 * a for a in run.train_acc], ":", color=color,
                    label=f"{label} (training)")
    ax_loss.axhline(ln_c, color="k", lw=0.8, ls=":", label="ln(10)")
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="step", ylabel="training loss", title=f"{c.case.name}: training loss per step")
    ax_acc.axhline(10, color="k", lw=0.8, ls=":", label="chance")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 100), title="validation accuracy")
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.legend(fontsize=7)
    ax_acc.legend(fontsize=7, ncol=2)
    fig.suptitle(f"{c.case.title} - finding: {c.case.finding}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_overview(result: Result):
    """Final validation accuracy of every case, broken beside fixed (and beside the seed's own
    fix where it has one), and the healthy run."""
    import matplotlib.pyplot as plt

    names = [c.case.name for c in result.cases]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names) + 2), 3.6))
    xs = range(len(names))
    ax.bar([x - 0.27 for x in xs], [100 * c.broken.final_val_acc for c in result.cases], 0.27, color="C3",
           label="broken")
    ax.bar(list(xs), [100 * c.fixed.final_val_acc for c in result.cases], 0.27, color="C0", label="fixed")
    seed = [(x, c.seed_fix.final_val_acc) for x, c in zip(xs, result.cases) if c.seed_fix is not None]
    if seed:
        ax.bar([x + 0.27 for x, _ in seed], [100 * a for _, a in seed], 0.27, color="C1", label="seed's fix")
    ax.axhline(100 * result.healthy.final_val_acc, color="C0", lw=0.8, ls="--", label="healthy")
    ax.axhline(10, color="k", lw=0.8, ls=":", label="chance")
    ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="final validation accuracy (%)", ylim=(0, 100),
           title=f"{result.data}, {result.hp.model}: broken vs fixed")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
