"""Iterative magnitude pruning (IMP) with rewinding: the loop, its inputs and its table.

One *round* trains the network, records how well it did at its early-stopping iteration,
prunes a fraction of the surviving weights of each layer by magnitude, and rewinds the
survivors for the next round. What the survivors are rewound to is the *strategy*:

``init``    their initial values θ0 (Frankle & Carbin, 2019: the "winning ticket");
``late``    their values after iteration k of the first (dense) training run, θk
            (Frankle, Dziugaite, Roy & Carbin, 2020, "late rewinding"); k is small, a few
            hundred iterations, *not* the end of training: continuing from the trained
            weights is fine-tuning, and is what the seed notebook did under this name;
``random``  a fresh random initialisation drawn for each round (the control that shows
            whether the initial values matter, not only the mask).

Training is the caller's ``train_fn``, so the loop runs with any model, data and
optimizer, and tests can drive it with a fake trainer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from .pruning import Masks, State, apply_masks, effective_weight, prune_layerwise, rewind, seeded, snapshot

STRATEGIES = ("init", "late", "random")


@dataclass
class TrainReport:
    """What a ``train_fn`` returns after training a model once.

    ``early_stop_iteration``: the iteration with the lowest validation loss (validation is
    measured every few iterations); ``val_loss``/``val_acc``/``test_acc``: measured with the
    weights of that iteration. ``snapshot``: :func:`.pruning.snapshot` of the model after
    the iteration the caller asked for (``None`` when not asked). When ``train_fn`` returns,
    the model holds its weights at the *end* of training: those are the ones pruned."""

    early_stop_iteration: int
    val_loss: float
    test_acc: float
    val_acc: float = float("nan")
    iterations: int = 0
    snapshot: State | None = None
    curve: list[tuple[int, float, float]] = field(default_factory=list)   # (iteration, val loss, val acc)
    seconds: float = 0.0


#: ``train_fn(model, snapshot_at)``: train ``model`` in place, with an optimizer of its own
#: built for this call, and return a :class:`TrainReport` whose ``snapshot`` holds the
#: weights after iteration ``snapshot_at`` (an int), or ``None`` when ``snapshot_at`` is None.
TrainFn = Callable[[nn.Module, "int | None"], TrainReport]


@dataclass
class RoundResult:
    """One row of the IMP table: round ``round`` (0 is the dense network)."""

    round: int
    remaining: dict[str, int]          # surviving weights per prunable tensor
    sizes: dict[str, int]              # all weights per prunable tensor
    early_stop_iteration: int
    test_acc: float                    # at the early-stopping iteration
    val_loss: float                    # at the early-stopping iteration
    masks: Masks = field(default_factory=dict, repr=False)

    def fraction(self, name: str | None = None) -> float:
        """Fraction of the weights of tensor ``name`` (default: of all prunable tensors) that survive."""
        if name is not None:
            return self.remaining[name] / self.sizes[name]
        return sum(self.remaining.values()) / sum(self.sizes.values())


def iterative_magnitude_pruning(make_model: Callable[[], nn.Module], train_fn: TrainFn, rounds: int,
                                rates: dict[str, float], strategy: str = "init", *, late_iteration: int = 0,
                                seed: int = 0, fixed_masks: Sequence[Masks] | None = None) -> list[RoundResult]:
    """Run ``rounds`` rounds of IMP after a dense round 0; one :class:`RoundResult` per round.

    Round 0: build the network with ``seeded(make_model, seed)``, apply all-True masks for
    the tensors named in ``rates``, remember its initial weights θ0 (:func:`snapshot`) and
    train it with ``train_fn``. Every later round r = 1..rounds:

    1. prune: ``prune_layerwise`` on the weights the previous round *ended* with (or take
       ``fixed_masks[r]`` when given: a ticket's masks found by another run);
    2. rewind the survivors (:func:`rewind`) to the strategy's target: θ0 for ``"init"``;
       θk for ``"late"``, the snapshot that round 0's ``train_fn`` took after
       ``late_iteration`` iterations; for ``"random"``, the initial weights of a new network
       ``seeded(make_model, s)``, with a new seed ``s`` each round drawn from a generator
       seeded with ``seed``;
    3. train with ``train_fn(model, None)`` (``train_fn`` builds its own, fresh optimizer).

    Round 0 is the same for all strategies (``train_fn`` is asked for a snapshot only in
    round 0 of ``"late"``). Each result records the surviving and total weights per tensor,
    the masks, and the early-stopping iteration, test accuracy and validation loss from the
    round's :class:`TrainReport`.
    """
    ### BEGIN SOLUTION
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    model = seeded(make_model, seed)
    masks = {name: torch.ones_like(effective_weight(model, name), dtype=torch.bool) for name in rates}
    apply_masks(model, masks)
    target = snapshot(model)                      # θ0; replaced by θk after round 0 for "late"
    reinit_seeds = torch.Generator().manual_seed(seed)
    results = []
    for r in range(rounds + 1):
        if r > 0:
            masks = prune_layerwise(model, masks, rates) if fixed_masks is None else fixed_masks[r]
            if strategy == "random":
                new_seed = int(torch.randint(2 ** 31 - 1, (), generator=reinit_seeds))
                target = snapshot(seeded(make_model, new_seed))
            rewind(model, masks, target)
        asks = strategy == "late" and r == 0
        report = train_fn(model, late_iteration if asks else None)
        if asks:
            if report.snapshot is None:
                raise ValueError("train_fn returned no snapshot for late rewinding")
            target = report.snapshot
        results.append(RoundResult(round=r, remaining={n: int(m.sum()) for n, m in masks.items()},
                                   sizes={n: m.numel() for n, m in masks.items()},
                                   early_stop_iteration=report.early_stop_iteration,
                                   test_acc=report.test_acc, val_loss=report.val_loss,
                                   masks={n: m.clone() for n, m in masks.items()}))
    return results
    ### END SOLUTION
