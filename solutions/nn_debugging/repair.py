"""Damaged checkpoints: zeroing tensors (the seed's bug 3), the seed's flawed repair, and the right one.

The right repair re-initialises each damaged layer the way its own class initialises it
(``Conv2d`` and ``Linear``: Kaiming-uniform weights scaled to the fan-in; ``BatchNorm``:
weight 1, bias 0, fresh running statistics) by calling the owning module's
``reset_parameters()``, and leaves every other layer of the checkpoint as it was. The seed
instead filled each all-zero tensor with ``uniform_`` on [0, 1): all-positive weights about
ten times too large for a 3x3x64 kernel, and BatchNorm shifts and running means that were
never meant to be random.
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import nn

#: The tensors the chapter's checkpoint loses (the stem's convolution and BatchNorm, and the
#: classifier's weight); the names are the same in :class:`SmallResNet` and ResNet-18.
ZEROED = ("conv1.weight", "bn1.weight", "bn1.bias", "fc.weight")


def zero_tensors(model: nn.Module, names: Iterable[str] = ZEROED) -> nn.Module:
    """Set the named parameters or buffers of ``model`` to zero in place (the damaged
    checkpoint); returns ``model``. An unknown name raises ``KeyError``."""
    state = model.state_dict(keep_vars=True)
    with torch.no_grad():
        for name in names:
            if name not in state:
                raise KeyError(f"{name!r} is not a tensor of {type(model).__name__}")
            state[name].zero_()
    return model


def seed_uniform_repair(model: nn.Module) -> list[str]:
    """The seed notebook's repair, kept to show what it does (do not use it): every all-zero
    floating-point tensor of the state dict is filled with ``uniform_`` on [0, 1), biases,
    BatchNorm shifts and running means included. Returns the names it changed."""
    changed = []
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if t.is_floating_point() and t.numel() and not t.any():
                nn.init.uniform_(t)
                changed.append(name)
    return changed


def repair_degenerate(model: nn.Module, names: list[str]) -> list[str]:
    """Re-initialise the layers that own the tensors ``names`` (parameter or buffer names, as
    ``find_degenerate_tensors`` gives them) by calling each owning module's own
    ``reset_parameters()``, once per module, in the order of its first tensor in ``names``;
    nothing else changes.

    Returns the names of the modules reset, each once, in the order of their first tensor in
    ``names`` (``""`` is the model itself). Raises ``ValueError`` when an owner has no
    ``reset_parameters`` (it would have to be re-initialised by hand) and ``AttributeError``
    when a name does not exist."""
    ### BEGIN SOLUTION
    owners = []
    for name in names:
        owner = name.rpartition(".")[0]
        module = model.get_submodule(owner)
        if not hasattr(module, "reset_parameters"):
            raise ValueError(f"{owner or 'the model'} owns {name} but has no reset_parameters()")
        if owner not in owners:
            owners.append(owner)
    for owner in owners:
        model.get_submodule(owner).reset_parameters()
    return owners
    ### END SOLUTION
