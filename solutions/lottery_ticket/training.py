"""Training for a fixed number of iterations with early stopping measured on validation loss.

Why not :func:`coursekit.train.fit`: Frankle & Carbin measure training in *iterations*
(LeNet: 50,000 at batch 60, validation every 100), and IMP needs two things that happen
between epochs: the early-stopping iteration (the lowest validation loss, at a resolution
of ``eval_every`` iterations, which is what the chapter's second figure plots) and, for late
rewinding, a snapshot of the weights after iteration k, which is inside the first epoch.
``fit`` calls back once per epoch (917 iterations on Fashion-MNIST), so this module has its
own small loop; it keeps ``fit``'s conventions otherwise (data resident on the device as
tensors, one ``randperm`` per epoch drawn from a seeded generator, no DataLoader) and uses
:func:`coursekit.train.evaluate` for validation and test.

The test set is evaluated once per training run, with the weights of the early-stopping
iteration (kept aside when validation improves): selecting on the test set never happens.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from coursekit.splits import Splits
from coursekit.train import default_prepare, evaluate

from .imp import TrainFn, TrainReport
from .pruning import snapshot


@dataclass(frozen=True)
class TrainConfig:
    """How one IMP round trains (Frankle & Carbin's LeNet recipe by default)."""

    iterations: int = 50_000
    batch_size: int = 60
    lr: float = 1.2e-3
    weight_decay: float = 0.0
    eval_every: int = 100
    patience: int | None = None    # stop after this many iterations without a better validation loss


def train_early_stopping(model: nn.Module, splits: Splits, cfg: TrainConfig, *, device: torch.device | str = "cpu",
                         prepare: Callable[[torch.Tensor], torch.Tensor] = default_prepare, seed: int = 0,
                         snapshot_at: int | None = None, progress: bool = False, desc: str = "train") -> TrainReport:
    """Train ``model`` in place with a new Adam optimizer for ``cfg.iterations`` iterations
    (fewer with ``cfg.patience``) and return a :class:`.imp.TrainReport`.

    Batches of ``cfg.batch_size`` come from one random permutation of the training set per
    epoch (a last incomplete batch is dropped); ``seed`` fixes the order. The validation loss
    is measured every ``cfg.eval_every`` iterations and after the last one; the iteration
    with the lowest is the early-stopping iteration, and the test accuracy is measured once
    with the weights of that iteration. The model ends with its weights of the last
    iteration. ``snapshot_at=k`` records :func:`.pruning.snapshot` after k iterations
    (``0``: before the first)."""
    device = torch.device(device)
    if snapshot_at is not None and not 0 <= snapshot_at <= cfg.iterations:
        raise ValueError(f"snapshot_at={snapshot_at} is outside 0..{cfg.iterations}")
    # dropout draws from PyTorch's global generator: seed it for this call only
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        return _train(model, splits, cfg, device, prepare, seed, snapshot_at, progress, desc)


def _train(model, splits, cfg, device, prepare, seed, snapshot_at, progress, desc) -> TrainReport:
    start = time.perf_counter()
    model.to(device)
    x_train, y_train = splits.train[0].to(device), splits.train[1].to(device)
    val = (splits.val[0].to(device), splits.val[1].to(device))
    n = len(y_train)
    batch = min(cfg.batch_size, n)
    params = list(model.parameters())             # the stored tensors (weight_orig when pruned)
    optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator(device=device).manual_seed(seed)
    taken = snapshot(model) if snapshot_at == 0 else None
    best_loss, best_iteration, best_params = math.inf, 0, None
    curve: list[tuple[int, float, float]] = []
    order, pos = None, n
    model.train()
    bar = tqdm(total=cfg.iterations, desc=desc, disable=not progress, leave=False)
    iteration = 0
    while iteration < cfg.iterations:
        if pos + batch > n:
            order, pos = torch.randperm(n, device=device, generator=gen), 0
        idx = order[pos:pos + batch]
        pos += batch
        loss = F.cross_entropy(model(prepare(x_train[idx])), y_train[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        iteration += 1
        bar.update(1)
        if iteration == snapshot_at:
            taken = snapshot(model)
        if iteration % cfg.eval_every == 0 or iteration == cfg.iterations:
            val_loss, val_acc = evaluate(model, val, prepare=prepare, amp=False)
            curve.append((iteration, val_loss, val_acc))
            bar.set_postfix(val_loss=f"{val_loss:.4f}", best=best_iteration)
            if val_loss < best_loss:
                best_loss, best_iteration = val_loss, iteration
                best_params = [p.detach().clone() for p in params]
            elif cfg.patience is not None and iteration - best_iteration >= cfg.patience \
                    and (snapshot_at is None or taken is not None):
                break
    bar.close()
    if best_params is None:        # no iteration at all: the initial weights are the best we have
        val_loss, val_acc = evaluate(model, val, prepare=prepare, amp=False)
        best_loss, curve = val_loss, [(0, val_loss, val_acc)]
    final = [p.detach().clone() for p in params]
    with torch.no_grad():
        if best_params is not None and best_iteration != iteration:
            for p, b in zip(params, best_params):
                p.copy_(b)
        test_acc = evaluate(model, splits.test, prepare=prepare, amp=False)[1]
        for p, f in zip(params, final):
            p.copy_(f)
    best_val_acc = next(acc for it, loss, acc in curve if it == best_iteration)
    return TrainReport(early_stop_iteration=best_iteration, val_loss=best_loss, val_acc=best_val_acc,
                       test_acc=test_acc, iterations=iteration, snapshot=taken, curve=curve,
                       seconds=time.perf_counter() - start)


def make_train_fn(splits: Splits, cfg: TrainConfig, *, device: torch.device | str = "cpu",
                  prepare: Callable[[torch.Tensor], torch.Tensor] = default_prepare, seed: int = 0,
                  progress: bool = False, desc: str = "train") -> TrainFn:
    """A ``train_fn(model, snapshot_at)`` for :func:`.imp.iterative_magnitude_pruning`: every
    call trains with :func:`train_early_stopping` on ``splits`` with a fresh optimizer and the
    same batch order (``seed``), so that rounds differ only by their masks and weights."""
    def train_fn(model: nn.Module, snapshot_at: int | None = None) -> TrainReport:
        return train_early_stopping(model, splits, cfg, device=device, prepare=prepare, seed=seed,
                                    snapshot_at=snapshot_at, progress=progress, desc=desc)
    return train_fn
