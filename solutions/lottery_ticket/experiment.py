"""The chapter's experiment: IMP with three rewinding strategies, over seeds, as a table and two figures.

For each seed: a fresh validation split, one initial network θ0 shared by every strategy
(round 0 is the same dense training for all of them), then ``rounds`` rounds of IMP per
strategy. The random re-initialisation control, by default, keeps the masks that the
``init`` run found for the same seed (Frankle & Carbin's control: the ticket's structure,
new initial values), so the strategies are compared at identical masks' sizes; with
``random_masks="own"`` (or without ``init`` among the strategies) it prunes its own
re-initialised networks instead.

The figures follow Frankle & Carbin: test accuracy at the early-stopping iteration against
the percentage of (prunable) weights remaining on a log axis, and the early-stopping
iteration against the same axis; points are means over seeds, error bars the lowest and
highest seed.
"""
from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from coursekit.data import write_synthetic_ag_news
from coursekit.splits import Splits, image_splits
from coursekit.train import default_prepare

from .config import Hparams
from .imp import RoundResult, TrainReport, iterative_magnitude_pruning
from .models import LeNet300100, TextCNN
from .pruning import expected_counts, layer_rates, seeded
from .text import text_splits
from .training import make_train_fn

LABELS = {"init": "rewind to init (θ0)", "late": "late rewinding (θk)", "random": "random re-init"}


@dataclass
class Row:
    """One trained network: a strategy, a seed and a round."""

    strategy: str
    seed: int
    round: int
    remaining: dict[str, int]
    early_stop_iteration: int
    test_acc: float
    val_loss: float
    seconds: float


@dataclass
class Result:
    hp: Hparams
    device: str
    sizes: dict[str, int] = field(default_factory=dict)      # weights per prunable tensor
    rates: dict[str, float] = field(default_factory=dict)
    parameters: int = 0                                       # all parameters of the dense model
    random_masks: str = "ticket"                              # what the random control pruned with
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    # ------------------------------------------------------------ aggregation
    def strategies(self) -> list[str]:
        return [s for s in self.hp.strategies if any(r.strategy == s for r in self.rows)]

    def rounds(self, strategy: str) -> list[list[Row]]:
        """Rows of ``strategy`` grouped by round (one per seed), in round order."""
        by_round: dict[int, list[Row]] = {}
        for row in self.rows:
            if row.strategy == strategy:
                by_round.setdefault(row.round, []).append(row)
        return [by_round[k] for k in sorted(by_round)]

    def percent_remaining(self, row: Row, name: str | None = None) -> float:
        if name is not None:
            return 100 * row.remaining[name] / self.sizes[name]
        return 100 * sum(row.remaining.values()) / sum(self.sizes.values())

    def law_holds(self) -> bool:
        """Whether every row's per-layer counts are exactly ``expected_counts`` (the 0.8^k / 0.9^k law)."""
        laws = {n: expected_counts(size, self.rates[n], self.hp.rounds) for n, size in self.sizes.items()}
        return all(row.remaining[n] == laws[n][row.round] for row in self.rows for n in self.sizes)

    # ------------------------------------------------------------ the contract
    def table(self) -> str:
        names = list(self.sizes)
        head = ("| strategy | round | " + " | ".join(f"{n} % (of {self.sizes[n]:,})" for n in names)
                + " | total % | early-stop iteration | test accuracy | s / round |\n|"
                + "---|" * (len(names) + 6))
        lines = [head]
        many = len(self.hp.seeds) > 1
        for strategy in self.strategies():
            for group in self.rounds(strategy):
                first = group[0]
                accs = [100 * r.test_acc for r in group]
                its = [r.early_stop_iteration for r in group]
                acc = f"{statistics.mean(accs):.2f} %" + (f" [{min(accs):.2f}, {max(accs):.2f}]" if many else "")
                it = f"{statistics.mean(its):,.0f}" + (f" [{min(its):,}, {max(its):,}]" if many else "")
                layers = " | ".join(f"{self.percent_remaining(first, n):.2f}" for n in names)
                lines.append(f"| {strategy} | {first.round} | {layers} | {self.percent_remaining(first):.2f} "
                             f"| {it} | {acc} | {statistics.mean(r.seconds for r in group):.1f} |")
        rates = ", ".join(f"{n} {self.rates[n]:.0%}" for n in names)
        seeds = f"mean over {len(self.hp.seeds)} seeds [lowest, highest]" if many else f"seed {self.hp.seeds[0]}"
        law = "holds" if self.law_holds() else "DOES NOT HOLD"
        control = "the masks of the init run" if self.random_masks == "ticket" else "masks of its own"
        notes = (f"\n\nPruned per round, of the surviving weights: {rates}. Each layer keeps exactly "
                 f"n_k = n_(k-1) - round(rate * n_(k-1)) weights after round k ({law} for every row), "
                 f"i.e. (1 - rate)^k of the layer up to the rounding of whole weights (less than 0.5 / rate "
                 f"weights). Test accuracy at the early-stopping iteration (lowest validation loss), {seeds}; "
                 f"random re-init trains {control} from new initial values.")
        return "\n".join(lines) + notes

    def summary(self) -> dict:
        return {"hp": asdict(self.hp), "device": self.device, "sizes": self.sizes, "rates": self.rates,
                "parameters": self.parameters, "random_masks": self.random_masks, "law_holds": self.law_holds(),
                "rows": [asdict(r) | {"percent_remaining": self.percent_remaining(r)} for r in self.rows]}

    def figures(self) -> dict:
        return {"accuracy_vs_weights": plot_vs_weights(self, "test_acc"),
                "early_stop_vs_weights": plot_vs_weights(self, "early_stop_iteration")}


# ------------------------------------------------------------------ one seed's task

@dataclass
class Task:
    splits: Splits
    make_model: Callable[[], nn.Module]
    prepare: Callable[[torch.Tensor], torch.Tensor]


def build_task(hp: Hparams, seed: int, device: torch.device, root=None) -> Task:
    """The data of ``seed`` (its own validation split), resident on ``device``, and the model factory."""
    if hp.model == "lenet":
        splits = image_splits(hp.dataset, n_val=hp.n_val, n_train=hp.n_train, n_test=hp.n_test, seed=seed, root=root)
        classes = len(splits.classes)

        def make_model() -> nn.Module:
            return LeNet300100(classes=classes).to(device)
        prepare = default_prepare
    else:
        splits, vocab = text_splits(n_val=hp.n_val, vocab_size=hp.vocab_size, max_len=hp.max_len,
                                    n_train=hp.n_train, n_test=hp.n_test, seed=seed, root=root)
        classes = len(splits.classes)

        def make_model() -> nn.Module:
            return TextCNN(len(vocab), classes=classes, embed_dim=hp.embed_dim, filters=hp.filters,
                           kernel_sizes=hp.kernel_sizes, dropout=hp.dropout, pad_index=vocab.pad_index).to(device)

        def prepare(tokens: torch.Tensor) -> torch.Tensor:
            return tokens
    splits = Splits(train=tuple(t.to(device) for t in splits.train), val=tuple(t.to(device) for t in splits.val),
                    test=tuple(t.to(device) for t in splits.test), classes=splits.classes)
    return Task(splits=splits, make_model=make_model, prepare=prepare)


def run(hp: Hparams, device: torch.device, root=None, progress: bool = True) -> Result:
    start = time.perf_counter()
    device = torch.device(device)
    result = Result(hp=hp, device=str(device))
    order = sorted(hp.strategies, key=("init", "late", "random").index)   # init first: random reuses its masks
    ticket = hp.random_masks == "ticket" and "init" in hp.strategies
    result.random_masks = "ticket" if ticket else "own"
    total = len(hp.seeds) * len(order) * (hp.rounds + 1)
    with contextlib.ExitStack() as stack:
        if hp.synthetic:
            root = stack.enter_context(tempfile.TemporaryDirectory(prefix="ag_news-"))
            write_synthetic_ag_news(root, n_train=hp.synthetic_sizes[0], n_test=hp.synthetic_sizes[1])
        bar = stack.enter_context(tqdm(total=total, desc="IMP rounds", disable=not progress))
        for seed in hp.seeds:
            task = build_task(hp, seed, device, root)
            dense = seeded(task.make_model, seed)
            rates = layer_rates(dense, hidden=hp.hidden_rate, output=hp.output_rate)
            result.rates = rates
            result.sizes = {name: dense.get_submodule(name.rpartition(".")[0]).weight.numel() for name in rates}
            result.parameters = sum(p.numel() for p in dense.parameters())
            trainer = make_train_fn(task.splits, hp.train_config(), device=device, prepare=task.prepare, seed=seed,
                                    progress=progress, desc="iterations")
            ticket_masks = None
            for strategy in order:
                timings: list[float] = []

                def timed(model: nn.Module, snapshot_at: int | None, strategy=strategy, timings=timings) -> TrainReport:
                    bar.set_description(f"seed {seed}, {strategy}, round {len(timings)}")
                    report = trainer(model, snapshot_at)
                    timings.append(report.seconds)
                    bar.update(1)
                    return report

                fixed = ticket_masks if strategy == "random" and ticket else None
                rounds: list[RoundResult] = iterative_magnitude_pruning(
                    task.make_model, timed, hp.rounds, rates, strategy, late_iteration=hp.late_iteration,
                    seed=seed, fixed_masks=fixed)
                if strategy == "init":
                    ticket_masks = [r.masks for r in rounds]
                result.rows += [Row(strategy=strategy, seed=seed, round=r.round, remaining=r.remaining,
                                    early_stop_iteration=r.early_stop_iteration, test_acc=r.test_acc,
                                    val_loss=r.val_loss, seconds=t) for r, t in zip(rounds, timings)]
    result.seconds = time.perf_counter() - start
    return result


def sweep_example() -> Hparams:
    """A configuration of seconds with several independent parts (the tests of ``split``/``merge``)."""
    from .config import PROFILES

    return PROFILES["smoke"].with_(seeds=(0, 1), rounds=2, iterations=60, eval_every=20, late_iteration=20,
                                   n_train=600, n_val=200, n_test=300)


def split(hp: Hparams) -> list[Hparams]:
    """The independent parts, for a Dask cluster: one seed each, and within a seed the strategies
    that do not depend on each other (the random control that reuses the ticket's masks stays
    with ``init``)."""
    order = sorted(hp.strategies, key=("init", "late", "random").index)
    if hp.random_masks == "ticket" and "init" in order and "random" in order:
        groups = [("init", "random")] + [(s,) for s in order if s not in ("init", "random")]
    else:
        groups = [(s,) for s in order]
    return [hp.with_(seeds=(seed,), strategies=group) for seed in hp.seeds for group in groups]


def merge(hp: Hparams, device: str, parts: list[Result], seconds: float) -> Result:
    """The result of ``run(hp)`` from the results of ``split(hp)``: rows in a local run's order."""
    order = ("init", "late", "random")
    rows = sorted((r for part in parts for r in part.rows),
                  key=lambda r: (hp.seeds.index(r.seed), order.index(r.strategy), r.round))
    first = parts[0]
    random_masks = next((p.random_masks for p in parts if "random" in p.hp.strategies), first.random_masks)
    return Result(hp=hp, device=device, sizes=first.sizes, rates=first.rates, parameters=first.parameters,
                  random_masks=random_masks, rows=rows, seconds=seconds)


# ------------------------------------------------------------------ figures

def plot_vs_weights(result: Result, key: str):
    """Mean over seeds of ``key`` per strategy and round against % of weights remaining (log
    axis, decreasing to the right); error bars from the lowest to the highest seed."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    scale = 100 if key == "test_acc" else 1
    for i, strategy in enumerate(result.strategies()):
        xs, means, lows, highs = [], [], [], []
        for group in result.rounds(strategy):
            values = [scale * getattr(r, key) for r in group]
            xs.append(result.percent_remaining(group[0]))
            means.append(statistics.mean(values))
            lows.append(means[-1] - min(values))
            highs.append(max(values) - means[-1])
        ax.errorbar(xs, means, yerr=[lows, highs], marker="o", ms=4, capsize=3, color=f"C{i}",
                    label=LABELS[strategy])
    groups = result.rounds(result.strategies()[0]) if result.rows else []
    if key == "test_acc" and groups:
        dense = statistics.mean(100 * r.test_acc for r in groups[0])
        ax.axhline(dense, color="k", lw=0.8, ls=":", label=f"dense network ({dense:.2f} %)")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ticks = sorted({round(result.percent_remaining(g[0]), 1) for g in groups}, reverse=True)
    if ticks:
        ax.set_xticks(ticks[::max(1, len(ticks) // 8)])
        ax.set_xticklabels([f"{t:g}" for t in ticks[::max(1, len(ticks) // 8)]])
        ax.minorticks_off()
    model = "LeNet-300-100" if result.hp.model == "lenet" else "text CNN"
    ax.set_xlabel("% of prunable weights remaining (log scale)")
    ax.set_ylabel("test accuracy at early stop (%)" if key == "test_acc" else "early-stopping iteration")
    seeds = len(result.hp.seeds)
    ax.set_title(f"{model} on {result.hp.dataset}: IMP, {seeds} seed{'s' if seeds > 1 else ''}"
                 + (" (bars: lowest and highest)" if seeds > 1 else ""), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
