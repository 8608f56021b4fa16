"""The chapter's experiment: train the <10k-parameter CNN for each seed and report.

For each seed: a fresh validation split and initialisation, training with the shared
trainer :func:`coursekit.train.fit` (data on the device, augmentation in batches on the
device, one-cycle schedule), the best-validation epoch's weights kept, and the test set
evaluated after every epoch *for the report only* (the consistency of the last epochs is
the claim, not the best single epoch). Nothing selects on the test set.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from coursekit.train import default_prepare, evaluate, fit

from .config import Hparams
from coursekit.cnn import count_parameters
from coursekit.splits import image_splits

from .model import Net
from .transforms import augment, random_erasing


@dataclass
class SeedRun:
    seed: int
    params: int
    best_val_epoch: int
    best_val_acc: float
    test_acc_at_best_val: float
    final_test_acc: float
    test_acc: list[float]              # after every epoch (reported, never used to select)
    train_loss: list[float]
    train_acc: list[float]
    val_acc: list[float]
    seconds_per_epoch: list[float]


@dataclass
class Result:
    hp: Hparams
    device: str
    runs: list[SeedRun] = field(default_factory=list)
    misclassified: dict | None = None   # images, true and predicted labels of the first seed's model
    seconds: float = 0.0

    def hits_last3(self, run: SeedRun) -> int:
        return sum(a >= self.hp.target_acc for a in run.test_acc[-3:])

    def table(self) -> str:
        head = ("| seed | params | best-val epoch | val acc | test acc (best-val weights) | final test acc "
                f"| last 3 epochs >= {self.hp.target_acc:.2%} | s / epoch |\n|---|---|---|---|---|---|---|---|")
        rows = [f"| {r.seed} | {r.params:,} | {r.best_val_epoch} | {r.best_val_acc:.2%} | {r.test_acc_at_best_val:.2%} "
                f"| {r.final_test_acc:.2%} | {self.hits_last3(r)}/3 | {median(r.seconds_per_epoch):.2f} |" for r in self.runs]
        return "\n".join([head, *rows]) + ("\n\n" + seed_summary([asdict(r) for r in self.runs]) if len(self.runs) > 1 else "")

    def summary(self) -> dict:
        return {"hp": asdict(self.hp), "device": self.device, "runs": [asdict(r) for r in self.runs]}

    def figures(self) -> dict:
        return {"curves": plot_curves(self), "misclassified": plot_misclassified(self)}


def seed_summary(runs: list[dict]) -> str:
    """Mean ± standard deviation over the seeds (``runs`` as in ``result.json``) of the test
    accuracy with the best-validation weights and after the last epoch."""
    import statistics

    def stat(key):
        values = [100 * r[key] for r in runs]
        spread = f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else ""
        return f"{statistics.fmean(values):.2f}{spread} %"
    return (f"Over {len(runs)} seeds (mean ± standard deviation): test accuracy with the best-validation "
            f"weights {stat('test_acc_at_best_val')}, after the last epoch {stat('final_test_acc')}.")


def median(values) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def make_augment(hp: Hparams):
    def train_augment(x, generator):
        x = augment(x, generator, max_degrees=hp.max_degrees, max_shift=hp.max_shift)
        return random_erasing(x, generator, p=hp.erase_p, scale=hp.erase_scale) if hp.erase_p > 0 else x
    return train_augment


def train_seed(hp: Hparams, seed: int, device: torch.device, root=None, progress: bool = True):
    """Train one seed; returns the SeedRun, the model (best-validation weights) and the splits."""
    splits = image_splits(hp.dataset, n_val=hp.n_val, n_train=hp.n_train, n_test=hp.n_test, seed=seed, root=root)
    torch.manual_seed(seed)
    model = Net(width=hp.width, dropout=hp.dropout)
    n_params = count_parameters(model)
    if n_params >= hp.max_params:
        raise ValueError(f"the model has {n_params:,} parameters; the budget is < {hp.max_params:,}")
    optimizer = torch.optim.SGD(model.parameters(), lr=hp.max_lr, momentum=hp.momentum, nesterov=True,
                                weight_decay=hp.weight_decay)
    steps = (len(splits.train[1]) + hp.batch_size - 1) // hp.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=hp.max_lr, epochs=hp.epochs,
                                                    steps_per_epoch=steps, pct_start=hp.pct_start)
    test_acc, best = [], {"acc": -1.0, "state": None, "epoch": 0}

    def after_epoch(epoch, history):
        test_acc.append(evaluate(model, splits.test, amp=hp.amp)[1])
        if history.val_acc[-1] > best["acc"]:
            best.update(acc=history.val_acc[-1], epoch=epoch, state=copy.deepcopy(model.state_dict()))

    history = fit(model, splits.train, splits.val, epochs=hp.epochs, optimizer=optimizer, scheduler=scheduler,
                  step_scheduler_per_batch=True, batch_size=hp.batch_size, device=device,
                  augment=make_augment(hp), seed=seed, progress=progress, desc=f"seed {seed}",
                  on_epoch_end=after_epoch, amp=hp.amp)
    final_test = test_acc[-1]
    model.load_state_dict(best["state"])
    run = SeedRun(seed=seed, params=n_params, best_val_epoch=best["epoch"], best_val_acc=best["acc"],
                  test_acc_at_best_val=test_acc[best["epoch"] - 1], final_test_acc=final_test,
                  test_acc=test_acc, train_loss=history.train_loss, train_acc=history.train_acc,
                  val_acc=history.val_acc, seconds_per_epoch=history.seconds)
    return run, model, splits


@torch.no_grad()
def misclassified(model, test, limit: int = 32) -> dict:
    model.eval()
    device = next(model.parameters()).device
    images, labels = test[0].to(device), test[1].to(device)
    pred = torch.cat([model(default_prepare(images[i:i + 2048])).argmax(1)
                      for i in range(0, len(labels), 2048)])
    wrong = (pred != labels).nonzero().flatten()[:limit]
    return {"images": images[wrong].cpu(), "true": labels[wrong].cpu(), "pred": pred[wrong].cpu()}


def run(hp: Hparams, device: torch.device, root=None, progress: bool = True) -> Result:
    start = time.perf_counter()
    result = Result(hp=hp, device=str(device))
    for i, seed in enumerate(hp.seeds):
        seed_run, model, splits = train_seed(hp, seed, device, root=root, progress=progress)
        result.runs.append(seed_run)
        if i == 0:
            result.misclassified = misclassified(model, splits.test)
            result.misclassified["classes"] = splits.classes
    result.seconds = time.perf_counter() - start
    return result


def sweep_example() -> Hparams:
    """A configuration of seconds with several independent parts (the tests of ``split``/``merge``)."""
    from .config import PROFILES

    return PROFILES["smoke"].with_(seeds=(0, 1), epochs=1, n_train=500, n_val=200, n_test=300)


def split(hp: Hparams) -> list[Hparams]:
    """The independent parts (one seed each), for a Dask cluster."""
    return [hp.with_(seeds=(seed,)) for seed in hp.seeds]


def merge(hp: Hparams, device: str, parts: list[Result], seconds: float) -> Result:
    """The result of ``run(hp)`` from the results of ``split(hp)`` (in that order)."""
    return Result(hp=hp, device=device, runs=[r for part in parts for r in part.runs],
                  misclassified=parts[0].misclassified, seconds=seconds)


def plot_curves(result: Result):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i, r in enumerate(result.runs):
        epochs, color = range(1, len(r.train_loss) + 1), f"C{i}"
        axes[0].plot(epochs, r.train_loss, color=color, label=f"seed {r.seed}")
        axes[1].plot(epochs, [100 * a for a in r.val_acc], "--", color=color, label=f"validation, seed {r.seed}")
        axes[1].plot(epochs, [100 * a for a in r.test_acc], color=color, label=f"test, seed {r.seed}")
    if result.hp.target_acc:
        axes[1].axhline(100 * result.hp.target_acc, color="k", lw=0.8, ls=":", label=f"{result.hp.target_acc:.1%}")
    axes[0].set(xlabel="epoch", ylabel="training loss (augmented batches)", title="training loss")
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title=f"{result.hp.dataset}: validation and test accuracy")
    low = min(min(r.val_acc + r.test_acc) for r in result.runs)
    axes[1].set_ylim(max(100 * low - 0.5, 0), 100)
    axes[1].legend(fontsize=7, ncol=2)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_misclassified(result: Result, ncols: int = 8):
    import matplotlib.pyplot as plt

    mis = result.misclassified or {"images": torch.zeros(0, 28, 28), "true": [], "pred": [], "classes": ()}
    n = len(mis["true"])
    nrows = max(1, (n + ncols - 1) // ncols)
    # two lines per title (true, then predicted), whole class names at a readable size
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.75 * ncols, 2.25 * nrows), squeeze=False)
    names = mis["classes"]
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(mis["images"][i].numpy(), cmap="gray")
            t, p = int(mis["true"][i]), int(mis["pred"][i])
            ax.set_title(f"{names[t]}\n→ {names[p]}" if names else f"{t} → {p}", fontsize=10)
    fig.suptitle(f"test images the model gets wrong (true, then → predicted); {result.hp.dataset}", fontsize=11)
    fig.tight_layout()
    return fig
