"""The parts of a training loop where the chapter's bugs hide, each with its broken twin.

The experiments train the healthy and fixed setups with the course's shared trainer
:func:`coursekit.train.fit`. ``fit`` always shuffles and always clears the gradients, so the
two setups that need the opposite run :func:`train_loop`, which does the same work step for
step (on the CPU the two give identical histories for the same seed) but takes the batch order
and the training step as arguments.

Graded (the fixes): :func:`shuffled_batches`, :func:`train_step` and :func:`predict`.
"""
from __future__ import annotations

import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from coursekit.train import History

Batch = tuple[torch.Tensor, torch.Tensor]


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> list[torch.Tensor]:
    """The index batches of one epoch over ``n`` examples: a fresh random permutation drawn
    from ``generator`` cut into batches of ``batch_size`` (the last may be smaller), so every
    example appears exactly once per epoch and each call gives a new order. int64 tensors on
    ``device`` (the generator's device when ``None``)."""
    ### BEGIN SOLUTION
    if device is None:
        device = generator.device if generator is not None else "cpu"
    order = torch.randperm(n, generator=generator, device=device)
    return list(order.split(batch_size))
    ### END SOLUTION


def sequential_batches(n: int, batch_size: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> list[torch.Tensor]:
    """The broken order (seed bug 1): the examples in file order, which for the seed's CSV
    files is class order, the same batches every epoch (``generator`` is ignored)."""
    if device is None:
        device = generator.device if generator is not None else "cpu"
    return list(torch.arange(n, device=device).split(batch_size))


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               loss_fn=F.cross_entropy) -> torch.Tensor:
    """One optimisation step on the batch ``(x, y)``: clear the gradients of the previous step,
    forward, loss, backward, update. Returns the loss, detached (no synchronisation)."""
    ### BEGIN SOLUTION
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()
    ### END SOLUTION


def accumulating_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                      loss_fn: Callable = F.cross_entropy) -> torch.Tensor:
    """The broken step: ``zero_grad`` forgotten, so every step adds its gradient to all the
    earlier ones and the update grows with the number of steps taken."""
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The logits of ``model`` on ``x`` as evaluation needs them: in ``eval()`` mode (BatchNorm
    uses its running statistics, dropout is off) and without building a graph. The model's
    mode (training or not) is restored afterwards."""
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        model.train(was_training)
    ### END SOLUTION


def train_mode_predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The broken evaluation: ``eval()`` forgotten, so BatchNorm normalises with the statistics
    of whatever batch it is given (and updates its running statistics with the validation
    data) and dropout keeps dropping units."""
    with torch.no_grad():
        return model(x)


def evaluate_with(predict_fn: Callable[[nn.Module, torch.Tensor], torch.Tensor], model: nn.Module, data: Batch,
                  prepare: Callable[[torch.Tensor], torch.Tensor], batch_size: int = 128) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``predict_fn(model, prepare(x))`` over ``data`` in
    its stored order, ``batch_size`` at a time (as the seed's validation loop did)."""
    device = next(model.parameters()).device
    x_all, y_all = data[0].to(device), data[1].to(device)
    loss, correct = 0.0, 0
    for i in range(0, len(y_all), batch_size):
        out = predict_fn(model, prepare(x_all[i:i + batch_size])).float()
        y = y_all[i:i + batch_size]
        loss += float(F.cross_entropy(out, y, reduction="sum"))
        correct += int((out.argmax(1) == y).sum())
    n = max(len(y_all), 1)
    return loss / n, correct / n


def train_loop(model: nn.Module, train: Batch, *, epochs: int, optimizer: torch.optim.Optimizer,
               batch_size: int = 128, device: torch.device | str = "cpu",
               prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
               order: Callable[..., list[torch.Tensor]] = shuffled_batches,
               step: Callable = train_step, loss_fn: Callable = F.cross_entropy, seed: int = 0,
               on_epoch_end: Callable[[int, History], bool | None] | None = None,
               progress: bool = False, desc: str = "train") -> History:
    """:func:`coursekit.train.fit` written out with the batch ``order`` and the training
    ``step`` as arguments (no autocast, no channels-last: it is for the broken setups, not
    for speed). With the defaults it takes the same steps as ``fit`` (the same random
    permutation per epoch from a generator seeded with ``seed``) and fills the same
    :class:`~coursekit.train.History`; ``on_epoch_end(epoch, history)`` may return True to stop."""
    from coursekit.train import default_prepare

    prepare = prepare or default_prepare
    device = torch.device(device)
    model.to(device)
    x_train, y_train = train[0].to(device), train[1].to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    history = History()
    n = len(y_train)
    bar = tqdm(total=epochs * ((n + batch_size - 1) // batch_size), desc=desc, disable=not progress, leave=False)
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for idx in order(n, batch_size, gen, device=device):
            x, y = prepare(x_train[idx]), y_train[idx]
            loss, out = _step_with_output(step, model, optimizer, x, y, loss_fn)
            loss_sum += loss * len(y)
            correct += (out.argmax(1) == y).sum()
            bar.update(1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(float(loss_sum) / n)
        history.train_acc.append(int(correct) / n)
        history.lr.append(optimizer.param_groups[0]["lr"])
        if on_epoch_end is not None and on_epoch_end(epoch + 1, history):
            break
    bar.close()
    return history


def _step_with_output(step, model, optimizer, x, y, loss_fn):
    """Run ``step`` and also return the logits its forward pass produced (caught with a
    forward hook, so the step is called exactly as the detector calls it)."""
    seen = {}
    handle = model.register_forward_hook(lambda module, args, output: seen.__setitem__("out", output.detach()))
    try:
        loss = step(model, optimizer, x, y, loss_fn)
    finally:
        handle.remove()
    return loss.detach().float(), seen["out"]
