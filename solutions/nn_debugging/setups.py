"""The broken setups as a small library: each one value, with its symptom and its fix.

A :class:`Setup` is a training recipe in the chapter's terms; its defaults are the healthy
recipe (:data:`HEALTHY`). A :class:`Case` pairs a broken setup with its fixed one, the
finding :func:`~solutions.nn_debugging.report.sanity_report` must raise on it, and three
sentences: what is wrong, what the curves show, what the fix changes. :data:`CASES` holds
the seed notebook's three bugs (with the seed's own, insufficient fixes beside two of them) and
five more classics.

:func:`pipeline` turns a setup into the pieces a training loop is made of (how images are
prepared, in which order batches come, the training step, the evaluation forward, the labels),
:func:`build` into a model and an optimiser, and :func:`sanity_batches` /
:func:`report_for` into the batches and the sanity report of exactly that loop.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch
from torch import nn

from coursekit.train import default_prepare

from .checks import find_degenerate_tensors
from .data import PngData
from .loop import (accumulating_step, predict, sequential_batches, shuffled_batches, train_mode_predict,
                   train_step)
from .model import build_model
from .repair import ZEROED, repair_degenerate, seed_uniform_repair, zero_tensors
from .report import SanityReport, sanity_report

STARTS = ("scratch", "zeroed", "uniform", "repaired")
VAL_INPUTS = ("normalised", "opencv")


@dataclass(frozen=True)
class Setup:
    """A training recipe; the defaults are the healthy one. Every field is a place a bug hides.

    ``start``: ``"scratch"`` (fresh initialisation), ``"zeroed"`` (a trained checkpoint whose
    stem convolution, stem BatchNorm and classifier weight are all zero), ``"uniform"`` (that
    checkpoint repaired the original notebook's way, ``uniform_`` on [0, 1)), ``"repaired"``
    (repaired by ``repair_degenerate``). ``val_input="opencv"``: the
    validation images arrive as ``cv2.imread`` gives them (BGR, uint8, channels last) and are
    only cast to float. ``label_offset=1``: training labels counted from 1, with the model's
    head widened by one output so that cross-entropy stops raising."""

    lr: float = 0.02
    momentum: float = 0.9
    weight_decay: float = 5e-4
    shuffle: bool = True
    zero_grad: bool = True
    eval_mode: bool = True
    val_input: str = "normalised"
    label_offset: int = 0
    start: str = "scratch"

    def __post_init__(self):
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.val_input not in VAL_INPUTS:
            raise ValueError(f"val_input must be one of {VAL_INPUTS}, got {self.val_input!r}")

    def with_(self, **changes) -> "Setup":
        return replace(self, **changes)

    @property
    def uses_fit(self) -> bool:
        """Whether the shared trainer ``coursekit.train.fit`` can run it (it always
        shuffles and always clears the gradients)."""
        return self.shuffle and self.zero_grad

    @property
    def from_checkpoint(self) -> bool:
        return self.start != "scratch"


HEALTHY = Setup()


@dataclass(frozen=True)
class Case:
    """One bug: the broken setup, the fixed one, the finding that exposes it, and its story."""

    name: str
    title: str
    broken: Setup
    fixed: Setup
    finding: str          # the code sanity_report raises on the broken setup
    bug: str              # what is wrong
    symptom: str          # what the curves show
    fix: str              # what the fix changes
    seed_task: int | None = None   # the seed notebook's task number, for its three bugs
    seed_fix: Setup | None = None  # the seed notebook's own fix, where it differs from ours (and falls short)


#: The learning rate of the diverging setup: 1,000x the healthy one. BatchNorm makes the
#: convolutions indifferent to the scale of their weights, so the ResNet shrugs off 100x (2.0);
#: the classifier and the BatchNorm affine parameters are what blow up.
DIVERGING_LR = 20.0

CASES: dict[str, Case] = {c.name: c for c in (
    Case("unshuffled", "class-sorted data read without shuffling", HEALTHY.with_(shuffle=False), HEALTHY,
         "label_diversity",
         "train.csv is sorted by label and the batches are taken in file order: each batch holds one or two "
         "classes, the same batches every epoch, class 9 last.",
         "The training loss drops within each class's run of batches and jumps when the next class begins; "
         "the model ends every epoch predicting the classes it saw last, so validation accuracy stays low.",
         "Draw a new random order every epoch (shuffled_batches; DataLoader(shuffle=True)).", 1),
    Case("weight_decay", "weight decay 0.9", HEALTHY.with_(weight_decay=0.9), HEALTHY, "weight_decay",
         "Weight decay 0.9 at learning rate 0.02 removes 1.8 % of every weight at every step, far more than "
         "the gradients can put back.",
         "The training loss hardly moves from ln(10) and validation accuracy stays near chance: the weights "
         "collapse towards zero.",
         "Weight decay 5e-4, i.e. 1e-5 per step. The seed's own fix, weight decay 0.1, still removes 0.2 % per "
         "step here (0.1 % at its lr 0.01), a hundred times a usual recipe and above the detector's limit.", 2,
         seed_fix=HEALTHY.with_(weight_decay=0.1)),
    Case("zeroed_checkpoint", "a checkpoint with all-zero layers", HEALTHY.with_(start="zeroed"),
         HEALTHY.with_(start="repaired"), "zero_tensor",
         "The checkpoint's stem convolution, its BatchNorm and the classifier's weight are all zero: the stem "
         "passes nothing on, every image gives the same output, and no gradient reaches the zeroed stem.",
         "Fine-tuning from the checkpoint stays at chance although the later layers are trained.",
         "Find every degenerate tensor by name and call each owning module's reset_parameters(); the rest of "
         "the checkpoint is kept. The seed's own repair, uniform_ on [0, 1) for every all-zero tensor, gives "
         "all-positive weights far larger than the layer's initialisation: the loss starts far above ln(10). "
         "In this network BatchNorm follows every convolution and undoes their scale, so it fine-tunes about as "
         "well; in a network without normalisation the same repair blows the activations up.",
         3, seed_fix=HEALTHY.with_(start="uniform")),
    Case("no_eval", "eval() forgotten at evaluation", HEALTHY.with_(eval_mode=False), HEALTHY, "eval_mode",
         "Validation runs with the model in training mode: BatchNorm normalises each validation batch with "
         "its own statistics (one class per batch, since val.csv is sorted too) and dropout stays on.",
         "Training curves are normal; validation accuracy is far below training accuracy and jumps "
         "between epochs.",
         "Evaluate in model.eval() mode under torch.no_grad() and restore the mode afterwards (predict)."),
    Case("no_zero_grad", "optimizer.zero_grad() missing", HEALTHY.with_(zero_grad=False), HEALTHY,
         "grad_accumulation",
         "The training step never clears .grad, so each step adds its gradient to the sum of all earlier "
         "ones: after k steps the update is about k times too large.",
         "The loss falls for a few steps, then oscillates or explodes; accuracy collapses.",
         "optimizer.zero_grad() before every backward (train_step)."),
    Case("bgr_uint8", "validation images read as BGR uint8", HEALTHY.with_(val_input="opencv"), HEALTHY,
         "input_scale",
         "Validation images are read the OpenCV way (BGR, uint8, channels last), reduced to their first "
         "channel and cast to float: pixel values 0..255 reach a model trained on normalised inputs "
         "(for these grayscale images the channel order happens not to matter; the scale does).",
         "Training curves are normal; validation accuracy sits near chance from the first epoch.",
         "Prepare validation images exactly like training images: grayscale, /255, the training mean and std."),
    Case("diverging_lr", "a learning rate that diverges", HEALTHY.with_(lr=DIVERGING_LR), HEALTHY, "diverging",
         f"Learning rate {DIVERGING_LR:g} with momentum 0.9, a thousand times the healthy 0.02.",
         "The training loss jumps far above ln(10) within the first steps and stays there, or becomes NaN; "
         "validation accuracy stays near chance.",
         "A learning rate that passes the overfit-one-batch check (0.02 here), found with a short sweep."),
    Case("label_offset", "labels counted from 1", HEALTHY.with_(label_offset=1), HEALTHY, "label_range",
         "Training labels run 1..10 while validation labels run 0..9; cross-entropy raised 'Target 10 is out "
         "of bounds', so the head was widened to 11 outputs to silence it.",
         "Training accuracy rises as usual; validation accuracy is near zero, below chance, because every "
         "prediction is shifted by one class.",
         "Subtract 1 from the labels where they are read; keep 10 outputs."),
)}


def fix_unshuffled(setup: Setup) -> Setup:
    """The fix of the original notebook's bug 1: ``setup`` with a fresh random batch order
    every epoch (``shuffle=True``); every other field unchanged."""
    ### BEGIN SOLUTION
    return replace(setup, shuffle=True)
    ### END SOLUTION


def fix_weight_decay(setup: Setup, max_decay_per_step: float = 1e-5) -> Setup:
    """The fix of the original notebook's bug 2: ``setup`` with its weight decay lowered so
    that one step shrinks the weights by at most ``max_decay_per_step`` (``lr * weight_decay <=
    max_decay_per_step``, i.e. ``weight_decay = max_decay_per_step / lr``); a setup already
    within the limit comes back unchanged, and nothing but ``weight_decay`` ever changes (not
    the learning rate)."""
    ### BEGIN SOLUTION
    if setup.lr * setup.weight_decay <= max_decay_per_step:
        return setup
    return replace(setup, weight_decay=max_decay_per_step / setup.lr)
    ### END SOLUTION


def normaliser(mean: float, std: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 ``(N, H, W)`` -> float32 ``(N, 1, H, W)``, scaled to [0, 1] then standardised."""
    def prepare(x: torch.Tensor) -> torch.Tensor:
        return (default_prepare(x) - mean) / std
    return prepare


def as_opencv(images: torch.Tensor) -> torch.Tensor:
    """uint8 grayscale ``(N, H, W)`` as ``cv2.imread`` returns such files: ``(N, H, W, 3)``
    BGR uint8, three equal channels (the same as :func:`~solutions.nn_debugging.data.read_like_opencv`)."""
    return images.unsqueeze(-1).expand(*images.shape, 3).contiguous()


def opencv_prepare(x: torch.Tensor) -> torch.Tensor:
    """The broken conversion of OpenCV arrays: first channel, cast to float, nothing else."""
    return x[..., 0].float().unsqueeze(1)


@dataclass(frozen=True)
class Pipeline:
    """The pieces of a training loop that a :class:`Setup` decides."""

    train_prepare: Callable[[torch.Tensor], torch.Tensor]
    val_prepare: Callable[[torch.Tensor], torch.Tensor]
    train: tuple[torch.Tensor, torch.Tensor]       # stored images, labels as the loop reads them
    val: tuple[torch.Tensor, torch.Tensor]
    order: Callable[..., list[torch.Tensor]]
    step: Callable
    predict: Callable[[nn.Module, torch.Tensor], torch.Tensor]


def pipeline(setup: Setup, data: PngData) -> Pipeline:
    """The loop's pieces for ``setup`` on ``data``: training inputs standardised with the
    training pixels' mean and std; validation inputs the same way, or (``val_input="opencv"``)
    as OpenCV arrays cast to float; labels shifted by ``label_offset`` for training only."""
    mean, std = data.pixel_stats
    prepare = normaliser(mean, std)
    opencv = setup.val_input == "opencv"
    return Pipeline(
        train_prepare=prepare,
        val_prepare=opencv_prepare if opencv else prepare,
        train=(data.train[0], data.train[1] + setup.label_offset),
        val=(as_opencv(data.val[0]) if opencv else data.val[0], data.val[1]),
        order=shuffled_batches if setup.shuffle else sequential_batches,
        step=train_step if setup.zero_grad else accumulating_step,
        predict=predict if setup.eval_mode else train_mode_predict,
    )


def build(setup: Setup, num_classes: int = 10, arch: str = "small", width: int = 16,
          checkpoint: dict | None = None, seed: int = 0) -> tuple[nn.Module, torch.optim.Optimizer]:
    """The model (fresh from ``seed``, or ``checkpoint`` damaged or repaired as ``setup.start``
    says) and its SGD optimiser."""
    torch.manual_seed(seed)
    model = build_model(arch, num_classes=num_classes + setup.label_offset, width=width)
    if setup.from_checkpoint:
        if checkpoint is None:
            raise ValueError(f"start={setup.start!r} needs a checkpoint (a trained model's state_dict)")
        model.load_state_dict(checkpoint)
        zero_tensors(model, ZEROED)
        if setup.start == "uniform":
            seed_uniform_repair(model)
        elif setup.start == "repaired":
            repair_degenerate(model, find_degenerate_tensors(model))
    optimizer = torch.optim.SGD(model.parameters(), lr=setup.lr, momentum=setup.momentum,
                                weight_decay=setup.weight_decay)
    return model, optimizer


def sanity_batches(setup: Setup, data: PngData, batch_size: int = 64, n_batches: int = 5, seed: int = 0,
                   device: torch.device | str = "cpu"):
    """The first ``n_batches`` training and evaluation batches exactly as the setup's loop
    prepares them: ``(train_batches, eval_batches)``, lists of ``(x, y)``."""
    p = pipeline(setup, data)
    device = torch.device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    x, y = p.train[0].to(device), p.train[1].to(device)
    train = [(p.train_prepare(x[idx]), y[idx]) for idx in p.order(len(y), batch_size, gen, device=device)[:n_batches]]
    xv, yv = p.val[0].to(device), p.val[1].to(device)
    val = [(p.val_prepare(xv[i:i + batch_size]), yv[i:i + batch_size])
           for i in range(0, min(len(yv), n_batches * batch_size), batch_size)]
    return train, val


def report_for(setup: Setup, data: PngData, arch: str = "small", width: int = 16, checkpoint: dict | None = None,
               batch_size: int = 64, seed: int = 0, device: torch.device | str = "cpu", **options) -> SanityReport:
    """:func:`~solutions.nn_debugging.report.sanity_report` of the model, optimiser, batches,
    training step and evaluation forward of ``setup``, before training."""
    model, optimizer = build(setup, data.num_classes, arch, width, checkpoint, seed)
    model.to(device)
    train, val = sanity_batches(setup, data, batch_size, seed=seed, device=device)
    p = pipeline(setup, data)
    return sanity_report(model, train, num_classes=data.num_classes, optimizer=optimizer, eval_batches=val,
                         train_step=p.step, predict=p.predict, pretrained=setup.from_checkpoint, seed=seed, **options)
