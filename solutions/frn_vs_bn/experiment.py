"""The chapter's experiment: BatchNorm, FRN and GroupNorm in NiN, swept over the batch size.

For every batch size and seed, :func:`compare_norms` trains one fresh NiN per normalisation
under one protocol: the same seed (so the same initial convolution weights), a new SGD
optimizer, the same batches in the same order, the same one-cycle schedule, and a learning
rate scaled linearly with the batch size. Training uses the course's shared trainer
(:func:`coursekit.train.fit`) with the whole dataset on the device and crop + flip in
batches on the device. Validation images are carved from the training set; the test
accuracy of the last epoch is what the table reports (nothing selects on it).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

import torch
from tqdm.auto import tqdm

from coursekit.splits import image_splits
from coursekit.train import evaluate, fit

from .config import Hparams
from .data import make_augment, make_prepare, settings
from .dependence import batch_dependence
from .nin import NiN
from .protocol import compare_norms

NAMES = {"bn": "BatchNorm", "frn": "FRN + TLU", "gn": "GroupNorm", "none": "no normalisation"}


@dataclass
class Run:
    norm: str
    batch_size: int
    seed: int
    lr: float
    test_acc: float                    # after the last epoch
    val_acc: list[float]
    test_curve: list[float]            # after every epoch (reported, never used to select)
    train_loss: list[float]
    seconds: float


@dataclass
class Result:
    hp: Hparams
    device: str
    runs: list[Run] = field(default_factory=list)
    dependence: dict[str, float] = field(default_factory=dict)   # batch_dependence of each norm at init
    seconds: float = 0.0

    def cell(self, norm: str, batch_size: int) -> list[float]:
        return [r.test_acc for r in self.runs if r.norm == norm and r.batch_size == batch_size]

    def mean(self, norm: str, batch_size: int) -> float:
        accs = self.cell(norm, batch_size)
        return statistics.fmean(accs) if accs else float("nan")

    def table(self) -> str:
        sizes = self.hp.batch_sizes
        head = ["| normalisation | " + " | ".join(f"batch {b}" for b in sizes) + " | batch dependence at init |",
                "|---|" + "---|" * len(sizes) + "---|"]
        rows = []
        for norm in self.hp.norms:
            cells = []
            for b in sizes:
                accs = self.cell(norm, b)
                spread = f" ± {100 * statistics.stdev(accs):.1f}" if len(accs) > 1 else ""
                count = f" (n={len(accs)})" if accs and len(accs) != len(self.hp.seeds) else ""
                cells.append(f"{100 * statistics.fmean(accs):.1f}{spread}{count}" if accs else "–")
            dep = self.dependence.get(norm)
            rows.append(f"| {NAMES.get(norm, norm)} | " + " | ".join(cells) + f" | {dep:.1e} |" if dep is not None
                        else f"| {NAMES.get(norm, norm)} | " + " | ".join(cells) + " | – |")
        if "bn" in self.hp.norms and "frn" in self.hp.norms:
            gaps = [100 * (self.mean("frn", b) - self.mean("bn", b)) for b in sizes]
            rows.append("| FRN − BN (points) | " + " | ".join(f"{g:+.1f}" if g == g else "–" for g in gaps) + " | |")
        n = len(self.hp.seeds)
        note = (f"\n\nTest accuracy (%) after {self.hp.epochs} epoch(s), {self.hp.dataset}, "
                f"mean{' ± standard deviation' if n > 1 else ''} over {n} seed(s); learning rate "
                f"{self.hp.base_lr} × batch / {self.hp.base_batch}. Batch dependence: relative change of one "
                "image's logits when the rest of its batch changes (training mode).")
        return "\n".join(head + rows) + note

    def summary(self) -> dict:
        return {"hp": asdict(self.hp), "device": self.device, "dependence": self.dependence,
                "runs": [asdict(r) for r in self.runs],
                "mean_test_acc": {norm: {str(b): self.mean(norm, b) for b in self.hp.batch_sizes}
                                  for norm in self.hp.norms}}

    def figures(self) -> dict:
        return {"accuracy_vs_batch": plot_accuracy_vs_batch(self), "curves": plot_curves(self)}


def make_model_factory(hp: Hparams, in_channels: int):
    return lambda norm: NiN(norm, in_channels=in_channels, width=hp.width, dropout=hp.dropout)


def run_batch_size(hp: Hparams, splits, batch_size: int, seed: int, device, progress: bool = True) -> list[Run]:
    """One fair comparison: every norm of ``hp.norms`` at ``batch_size`` from ``seed``."""
    s = settings(hp.dataset)
    prepare, augment = make_prepare(s), make_augment(s)
    lr = hp.lr(batch_size)
    steps = -(-len(splits.train[1]) // batch_size)

    def make_optimizer(model):
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=hp.momentum, nesterov=True,
                               weight_decay=hp.weight_decay)

    def train(model, optimizer, seed):
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=hp.epochs,
                                                        steps_per_epoch=steps, pct_start=hp.pct_start)
        test_curve = []
        start = time.perf_counter()
        history = fit(model, splits.train, splits.val, epochs=hp.epochs, optimizer=optimizer, scheduler=scheduler,
                      step_scheduler_per_batch=True, batch_size=batch_size, device=device, prepare=prepare,
                      augment=augment, seed=seed, progress=progress, amp=hp.amp,
                      desc=f"{NAMES.get(model_norm[0], '')} batch {batch_size} seed {seed}",
                      on_epoch_end=lambda epoch, h: test_curve.append(
                          evaluate(model, splits.test, prepare=prepare, amp=hp.amp)[1]))
        return history, test_curve, time.perf_counter() - start

    model_norm = [None]
    make = make_model_factory(hp, s.in_channels)

    def make_model(norm):
        model_norm[0] = norm
        return make(norm)

    out = compare_norms(hp.norms, make_model, make_optimizer, train, seed=seed)
    return [Run(norm=norm, batch_size=batch_size, seed=seed, lr=lr, test_acc=curve[-1], val_acc=h.val_acc,
                test_curve=curve, train_loss=h.train_loss, seconds=secs)
            for norm, (h, curve, secs) in out.items()]


def measure_dependence(hp: Hparams, splits, device, batch: int = 8) -> dict[str, float]:
    """``batch_dependence`` of a freshly initialised NiN of each norm (without dropout, whose
    masks would count as dependence), on training images."""
    s = settings(hp.dataset)
    x = make_prepare(s)(splits.train[0][:2 * batch + 1].to(device))
    out = {}
    for norm in hp.norms:
        torch.manual_seed(0)
        model = NiN(norm, in_channels=s.in_channels, width=hp.width, dropout=0.0).to(device)
        out[norm] = batch_dependence(model, x[0], x[1:batch + 1], x[batch + 1:])
    return out


def run(hp: Hparams, device: torch.device, root=None, progress: bool = True) -> Result:
    start = time.perf_counter()
    splits = image_splits(hp.dataset, n_val=hp.n_val, n_train=hp.n_train, n_test=hp.n_test, seed=0, root=root)
    result = Result(hp=hp, device=str(device))
    result.dependence = measure_dependence(hp, splits, device)
    sweep = [(b, seed) for b in hp.batch_sizes for seed in hp.seeds]
    for batch_size, seed in tqdm(sweep, desc="sweep", disable=not progress):
        result.runs += run_batch_size(hp, splits, batch_size, seed, device, progress=progress)
    result.seconds = time.perf_counter() - start
    return result


def sweep_example() -> Hparams:
    """A configuration of seconds with several independent parts (the tests of ``split``/``merge``)."""
    from .config import PROFILES

    return PROFILES["smoke"].with_(seeds=(0, 1), batch_sizes=(32, 128), n_train=256, n_test=200, norms=("bn", "frn"))


def split(hp: Hparams) -> list[Hparams]:
    """The independent parts of the sweep (one batch size and one seed each), for a Dask cluster."""
    return [hp.with_(batch_sizes=(b,), seeds=(seed,)) for b in hp.batch_sizes for seed in hp.seeds]


def merge(hp: Hparams, device: str, parts: list[Result], seconds: float) -> Result:
    """The result of ``run(hp)`` from the results of ``split(hp)`` (in that order)."""
    return Result(hp=hp, device=device, runs=[r for part in parts for r in part.runs],
                  dependence=parts[0].dependence, seconds=seconds)


def plot_accuracy_vs_batch(result: Result):
    import matplotlib.pyplot as plt

    hp = result.hp
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, norm in enumerate(hp.norms):
        cells = [result.cell(norm, b) for b in hp.batch_sizes]
        means = [100 * statistics.fmean(c) if c else float("nan") for c in cells]
        errs = [100 * statistics.stdev(c) if len(c) > 1 else 0.0 for c in cells]
        ax.errorbar(hp.batch_sizes, means, yerr=errs, marker="o", capsize=3, color=f"C{i}",
                    label=NAMES.get(norm, norm))
    ax.set_xscale("log", base=2)
    ax.set_xticks(hp.batch_sizes, [str(b) for b in hp.batch_sizes])
    ax.set(xlabel="batch size (log scale)", ylabel="test accuracy (%)",
           title=f"{hp.dataset}: NiN, {hp.epochs} epoch(s), {len(hp.seeds)} seed(s)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_curves(result: Result):
    import matplotlib.pyplot as plt

    hp = result.hp
    fig, axes = plt.subplots(1, len(hp.batch_sizes), figsize=(3.0 * len(hp.batch_sizes), 3.2), sharey=True,
                             squeeze=False)
    for ax, b in zip(axes[0], hp.batch_sizes):
        for i, norm in enumerate(hp.norms):
            curves = [r.test_curve for r in result.runs if r.norm == norm and r.batch_size == b]
            if not curves:
                continue
            mean = [100 * statistics.fmean(v) for v in zip(*curves)]
            ax.plot(range(1, len(mean) + 1), mean, marker="o" if len(mean) < 4 else None, color=f"C{i}",
                    label=NAMES.get(norm, norm))
        ax.set(title=f"batch {b}", xlabel="epoch", xlim=(0.5, hp.epochs + 0.5))
        ax.set_xticks(range(1, hp.epochs + 1, max(1, hp.epochs // 8)))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (%)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(f"learning curves ({hp.dataset}, mean over {len(hp.seeds)} seed(s))", fontsize=10)
    fig.tight_layout()
    return fig
