"""Masks as values: layer-wise magnitude pruning, mask enforcement, rewinding.

A *mask* is a plain dictionary ``{name: torch.BoolTensor}`` from the name of a prunable
weight (``"fc1.weight"``, as ``model.named_parameters()`` lists it on a dense model) to a
boolean tensor of that weight's shape: ``True`` keeps the weight, ``False`` prunes it.
Masks are passed in and returned; nothing here keeps state between calls.

Enforcement uses :mod:`torch.nn.utils.prune` with custom masks: the trained tensor becomes
``<module>.weight_orig`` (the *same* ``nn.Parameter`` object as before, so an optimizer that
already holds it keeps training it), the mask a buffer ``<module>.weight_mask``, and
``<module>.weight`` is recomputed as ``weight_orig * weight_mask`` before every forward
pass. The network therefore never sees a pruned weight, whatever the optimizer does to
``weight_orig`` (momentum, Adam's moments, weight decay): gradient masking, by contrast,
leaves momentum and weight decay free to move "pruned" weights again.

Because of that re-parametrisation a weight has two names: its *logical* name
(``"fc1.weight"``, used by masks and snapshots) and the name of the tensor that is stored
and trained (``"fc1.weight_orig"``). :func:`logical_parameters`, :func:`effective_weight`
and :func:`snapshot` translate; they also understand a
:func:`torch.nn.utils.parametrize.register_parametrization` mask (the other valid way).

Graded: :func:`prune_layerwise`, :func:`apply_masks`, :func:`rewind`. Given: the rest.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize, prune

Masks = dict[str, torch.Tensor]   # name of a prunable weight -> bool tensor of its shape
State = dict[str, torch.Tensor]   # logical parameter name -> value (see snapshot)

#: The module types whose ``weight`` is prunable by default (no biases, no embeddings, no norms).
PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


# ------------------------------------------------------------------ given helpers

def prunable(model: nn.Module, kinds: tuple[type[nn.Module], ...] = PRUNABLE) -> list[str]:
    """Names of the prunable weights of ``model``, in the order the modules were registered:
    the ``weight`` of every module of one of ``kinds`` (Linear and Conv layers by default).

    Biases are never listed (a few hundred values, each shifting a whole unit). Embeddings
    are listed only when asked, ``kinds=PRUNABLE + (nn.Embedding,)``. The names are the
    logical ones, the same before and after :func:`apply_masks`."""
    return [f"{name}.weight" if name else "weight" for name, module in model.named_modules()
            if isinstance(module, kinds)]


def layer_rates(model: nn.Module, hidden: float = 0.2, output: float = 0.1,
                kinds: tuple[type[nn.Module], ...] = PRUNABLE) -> dict[str, float]:
    """Frankle & Carbin's per-layer pruning rates: ``output`` for the last prunable weight
    (the output layer), ``hidden`` for every other one (20 % and 10 % per round for LeNet)."""
    names = prunable(model, kinds)
    return {name: (output if i == len(names) - 1 else hidden) for i, name in enumerate(names)}


def _owner(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    """The module that holds logical tensor ``name`` and the attribute name inside it."""
    module_name, _, attr = name.rpartition(".")
    return model.get_submodule(module_name), attr


def effective_weight(model: nn.Module, name: str) -> torch.Tensor:
    """The tensor the network computes with for logical name ``name``, evaluated *now*.

    For a tensor pruned with :mod:`torch.nn.utils.prune` this is ``weight_orig * weight_mask``
    computed afresh: the attribute ``module.weight`` is only refreshed by a forward pass, so
    after ``optimizer.step()`` it still holds the values from before the step."""
    module, attr = _owner(model, name)
    if parametrize.is_parametrized(module, attr):
        return getattr(module, attr)
    orig, mask = module._parameters.get(attr + "_orig"), getattr(module, attr + "_mask", None)
    if orig is not None and mask is not None:
        return orig * mask.to(orig.dtype)
    return getattr(module, attr)


def logical_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """Logical name -> the ``nn.Parameter`` that is stored and trained for it.

    ``"fc1.weight"`` maps to ``fc1.weight_orig`` once :mod:`torch.nn.utils.prune` has masked
    it (to ``fc1.parametrizations.weight.original`` with a parametrization), to ``fc1.weight``
    otherwise; every other parameter (biases, embeddings) maps to itself."""
    out = {}
    for name, param in model.named_parameters():
        logical = re.sub(r"(^|\.)parametrizations\.(\w+)\.original$", r"\1\2", name)
        if logical == name and name.endswith("_orig"):
            module, attr = _owner(model, name[:-len("_orig")])
            if hasattr(module, attr + "_mask"):
                logical = name[:-len("_orig")]
        out[logical] = param
    return out


def snapshot(model: nn.Module) -> State:
    """Detached copies of every parameter's current effective value, by logical name (pruned
    entries read 0). This is what rewinding goes back to: the initial weights, or the
    weights after iteration k. Take it with the model in any state, masked or not."""
    with torch.no_grad():
        return {name: effective_weight(model, name).detach().clone() for name in logical_parameters(model)}


def seeded(make_model: Callable[[], nn.Module], seed: int) -> nn.Module:
    """``make_model()`` with PyTorch's CPU random generator seeded with ``seed`` for the call;
    the global generator is restored afterwards, so the call leaves no trace."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make_model()


def remaining(masks: Masks) -> dict[str, int]:
    """Number of surviving (``True``) weights per tensor."""
    return {name: int(mask.sum()) for name, mask in masks.items()}


def expected_counts(size: int, rate: float, rounds: int) -> list[int]:
    """Surviving weights of one tensor of ``size`` weights after 0, 1, ..., ``rounds`` rounds
    of pruning ``rate`` of the survivors: ``n[k] = n[k-1] - round(rate * n[k-1])``.

    This is what "the weights remaining follow 0.8^k exactly" means for whole weights: the
    count is the integer recurrence, which stays within ``0.5 / rate`` weights of
    ``size * (1 - rate) ** k`` (each round's rounding moves it by at most half a weight, and
    later rounds shrink earlier errors by ``1 - rate``)."""
    counts = [size]
    for _ in range(rounds):
        counts.append(counts[-1] - round(rate * counts[-1]))
    return counts


# ------------------------------------------------------------------ graded

def prune_layerwise(model: nn.Module, masks: Masks | None, rates: dict[str, float]) -> Masks:
    """New masks with ``rates[name]`` of the *surviving* weights of each tensor removed.

    For every ``name`` in ``rates`` (a fraction in [0, 1]), rank the weights that ``masks``
    still keeps by magnitude ``|w|`` of their current value (:func:`effective_weight`) and
    prune the ``k = round(rates[name] * surviving)`` smallest, with Python's ``round`` (the
    count ``torch.nn.utils.prune`` uses for a fractional ``amount``). Each tensor is ranked on
    its own: a layer-wise, not a global, threshold. Already-pruned weights are never ranked
    again, so ``k`` counts survivors and a rate of 20 % per round leaves 0.8^k of the tensor
    after k rounds. Ties in magnitude are broken by position: among equal ``|w|``, the
    weight with the lower flat (row-major) index is pruned first.

    ``masks`` (``None`` or ``{}`` means nothing pruned yet) is not modified. Returns a new
    dict with a bool mask, of the weight's shape and device, for every name in ``masks`` or
    ``rates``; names without a rate keep their mask unchanged. Biases and every other tensor
    not named in ``rates`` are never pruned.
    """
    ### BEGIN SOLUTION
    new_masks = {name: mask.clone() for name, mask in (masks or {}).items()}
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the pruning rate of {name} must be in [0, 1], got {rate}")
        weight = effective_weight(model, name).detach()
        mask = new_masks.get(name)
        if mask is None:
            mask = torch.ones_like(weight, dtype=torch.bool)
        mask = mask.to(device=weight.device, dtype=torch.bool).clone()
        alive = mask.flatten().nonzero().squeeze(1)          # flat indices of the survivors
        k = round(rate * len(alive))
        if k > 0:
            # a stable sort keeps equal magnitudes in index order: the lowest index goes first
            order = torch.sort(weight.flatten()[alive].abs(), stable=True).indices
            mask.view(-1)[alive[order[:k]]] = False
        new_masks[name] = mask
    return new_masks
    ### END SOLUTION


def apply_masks(model: nn.Module, masks: Masks) -> nn.Module:
    """Make the network use ``weight * mask`` for every tensor in ``masks``, for good.

    After the call, and through any number of optimizer steps of any optimizer (SGD with
    momentum, Adam, weight decay, ...), every pruned entry of the weight the network uses is
    exactly zero, while unpruned entries, negative ones included, keep training. Works on a
    dense model and on one whose masks were applied before (the new masks replace the old
    ones). Parameters stay the same ``nn.Parameter`` objects, so an optimizer built before
    the call still trains the model; nothing is done to gradients. The model keeps its own
    copy of each mask: the caller's tensors are never modified, now or by a later call.
    Returns ``model``.

    Uses :func:`torch.nn.utils.prune.custom_from_mask`: the weight is stored as
    ``weight_orig`` and the mask as the buffer ``weight_mask``; on a tensor masked before,
    the buffer is overwritten in place (applying ``custom_from_mask`` a second time would
    stack a second mask on the first, which a mask that re-grows weights cannot undo).
    """
    ### BEGIN SOLUTION
    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)
        weight = getattr(module, attr)
        if tuple(mask.shape) != tuple(weight.shape):
            raise ValueError(f"the mask of {name} has shape {tuple(mask.shape)}, the weight {tuple(weight.shape)}")
        mask = mask.to(device=weight.device, dtype=torch.bool)
        current = getattr(module, attr + "_mask", None)
        if current is None:
            prune.custom_from_mask(module, attr, mask)
        else:
            with torch.no_grad():
                current.copy_(mask)
            # refresh the attribute now (the forward pre-hook recomputes it on every call)
            setattr(module, attr, getattr(module, attr + "_orig") * current)
    return model
    ### END SOLUTION


def rewind(model: nn.Module, masks: Masks, state: State,
           optimizer: torch.optim.Optimizer | None = None) -> nn.Module:
    """Set every parameter of ``model`` to its value in ``state``, then apply ``masks``.

    ``state`` maps logical names to values (:func:`snapshot`) and must hold every parameter
    of the model, biases and unpruned tensors included (a ``KeyError`` otherwise). It is what
    the caller rewinds to: the initial weights (Frankle & Carbin), the weights after an early
    iteration k ("late rewinding"), or a fresh random initialisation
    (``snapshot(seeded(make_model, new_seed))``). Never the weights at the end of training:
    continuing from those is fine-tuning, not rewinding. The values are copied into the
    stored tensors (``weight_orig`` for a pruned weight: writing into ``module.weight``,
    which the next forward pass recomputes, would be lost), then :func:`apply_masks` applies
    ``masks``, which replace any mask applied before; a tensor ``masks`` does not name keeps
    the mask it had.

    The optimizer must start afresh with the rewound weights: momentum or Adam moments
    accumulated for the previous weights do not belong to them. Build a new optimizer, or
    pass the old one as ``optimizer`` and its per-parameter state is cleared here.
    Returns ``model``.
    """
    ### BEGIN SOLUTION
    params = logical_parameters(model)
    missing, unknown = sorted(set(params) - set(state)), sorted(set(state) - set(params))
    if missing or unknown:
        raise KeyError(f"state does not match the model: missing {missing}, unknown {unknown}")
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(state[name])
    apply_masks(model, masks)
    if optimizer is not None:
        optimizer.state.clear()
    return model
    ### END SOLUTION


def check_masks(model: nn.Module, masks: Masks, names: Iterable[str] | None = None) -> None:
    """Raise ``AssertionError`` unless every pruned entry of the effective weights is 0."""
    for name in names or masks:
        weight = effective_weight(model, name)
        assert not weight[~masks[name].to(weight.device)].any(), f"{name}: a pruned weight is not zero"
