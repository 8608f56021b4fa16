"""``fit``: the one PyTorch training loop every chapter and runner shares.

Data stay resident on the training device as tensors (uint8 images are converted batch by
batch by a ``prepare`` function), batches are drawn with one ``randperm`` per epoch, and
augmentation runs on whole batches on the device. On CUDA the forward pass runs under
bf16 autocast and image batches use ``channels_last``. There is no per-sample Python work
in the loop; the seed notebooks' per-sample ``DataLoader`` pipeline survives only as the
benchmark baseline.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class History:
    """Per-epoch record returned by :func:`fit` (one entry per epoch in every list)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def best_epoch(self) -> int:
        """1-based epoch with the best validation accuracy (0 when there is no validation data)."""
        if not self.val_acc:
            return 0
        return max(range(len(self.val_acc)), key=self.val_acc.__getitem__) + 1


def default_prepare(x: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] to float32 in [0, 1] with a channel axis; float input passes through."""
    if x.dtype == torch.uint8:
        x = x.float().div_(255.0)
    if x.dim() == 3:  # N, H, W -> N, 1, H, W
        x = x.unsqueeze(1)
    return x


@torch.no_grad()
def evaluate(model: nn.Module, data: Batch, *, batch_size: int = 1024,
             prepare: Callable[[torch.Tensor], torch.Tensor] = default_prepare,
             loss_fn: Callable | None = None, amp: bool = True) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``data`` (in ``eval()`` mode; the mode is restored)."""
    loss_fn = loss_fn or nn.functional.cross_entropy
    device = next(model.parameters()).device
    x_all, y_all = data[0].to(device), data[1].to(device)
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for i in range(0, len(y_all), batch_size):
        x, y = prepare(x_all[i:i + batch_size]), y_all[i:i + batch_size]
        with _autocast(device, amp):
            out = model(_layout(x, device))
        total_loss += float(loss_fn(out.float(), y, reduction="sum"))
        correct += int((out.argmax(1) == y).sum())
    model.train(was_training)
    n = max(len(y_all), 1)
    return total_loss / n, correct / n


def _autocast(device: torch.device, enabled: bool = True):
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=enabled and device.type == "cuda")


def _layout(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda" and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def fit(model: nn.Module, train: Batch, val: Batch | None = None, *, epochs: int,
        optimizer: torch.optim.Optimizer, scheduler=None, batch_size: int = 128,
        device: torch.device | str = "cpu", prepare: Callable = default_prepare,
        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
        loss_fn: Callable | None = None, seed: int = 0, step_scheduler_per_batch: bool = False,
        progress: bool = True, desc: str = "train", on_epoch_end: Callable | None = None,
        tensorboard_dir: str | None = None, amp: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs and return a :class:`History`.

    ``train`` and ``val`` are ``(inputs, labels)`` tensor pairs; they are moved to
    ``device`` once. ``prepare`` turns a stored batch into model input (default: uint8 to
    float in [0, 1]); ``augment(x, generator)`` transforms a prepared training batch on the
    device. ``scheduler`` steps once per epoch, or per batch with
    ``step_scheduler_per_batch=True`` (one-cycle schedules). ``on_epoch_end(epoch, history)``
    may return True to stop early. ``amp=False`` turns bf16 autocast off on CUDA (for very
    small models the casts cost more launches than they save).
    """
    device = torch.device(device)
    loss_fn = loss_fn or nn.functional.cross_entropy
    model.to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    x_train, y_train = train[0].to(device), train[1].to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    writer = None
    if tensorboard_dir:
        from torch.utils.tensorboard import SummaryWriter  # optional dependency
        writer = SummaryWriter(tensorboard_dir)
    history = History()
    n = len(y_train)
    steps = (n + batch_size - 1) // batch_size
    bar = tqdm(total=epochs * steps, desc=desc, disable=not progress, leave=False)
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n, device=device, generator=gen)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            x, y = prepare(x_train[idx]), y_train[idx]
            if augment is not None:
                x = augment(x, gen)
            with _autocast(device, amp):
                out = model(_layout(x, device))
                loss = loss_fn(out.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None and step_scheduler_per_batch:
                scheduler.step()
            loss_sum += loss.detach() * len(y)
            correct += (out.detach().argmax(1) == y).sum()
            bar.update(1)
        if scheduler is not None and not step_scheduler_per_batch:
            scheduler.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(float(loss_sum) / n)
        history.train_acc.append(int(correct) / n)
        history.lr.append(optimizer.param_groups[0]["lr"])
        if val is not None:
            vl, va = evaluate(model, val, prepare=prepare, loss_fn=loss_fn, amp=amp)
            history.val_loss.append(vl)
            history.val_acc.append(va)
        bar.set_postfix(epoch=epoch + 1, loss=f"{history.train_loss[-1]:.3f}",
                        **({"val_acc": f"{history.val_acc[-1]:.4f}"} if val is not None else {}))
        if writer is not None:
            for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
                values = getattr(history, key)
                if values:
                    writer.add_scalar(key, values[-1], epoch + 1)
        if on_epoch_end is not None and on_epoch_end(epoch + 1, history):
            break
    bar.close()
    if writer is not None:
        writer.close()
    return history
