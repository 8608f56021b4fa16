"""Mutants and valid variants of the lottery_ticket notebook."""
from autograder.catalogue import Mutant, Variant

PRUNE, APPLY, REWIND, IMP = ["test_prune_layerwise"], ["test_apply_masks"], ["test_rewind"], ["test_imp"]

GLOBAL_THRESHOLD = '''    new_masks = {name: mask.clone() for name, mask in (masks or {}).items()}
    weights = {name: effective_weight(model, name).detach() for name in rates}
    for name, weight in weights.items():
        new_masks[name] = new_masks.get(name, torch.ones_like(weight, dtype=torch.bool)).clone()
    survivors = torch.cat([weights[n][new_masks[n]].abs() for n in rates])
    k = round(sum(rates.values()) / max(len(rates), 1) * len(survivors))
    if k > 0:
        threshold = torch.sort(survivors).values[k - 1]
        for name in rates:
            new_masks[name] &= weights[name].abs() > threshold
    return new_masks'''

ZERO_ONCE = '''    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        with torch.no_grad():
            getattr(model.get_submodule(module_name), attr).mul_(mask)
    return model'''

GRADIENT_MASK = '''    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        weight = getattr(model.get_submodule(module_name), attr)
        with torch.no_grad():
            weight.mul_(mask)
        weight.register_hook(lambda grad, mask=mask: grad * mask)
    return model'''

FREEZE_NEGATIVE = '''    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        weight = getattr(model.get_submodule(module_name), attr)
        with torch.no_grad():
            weight.mul_(mask)
        weight.register_hook(lambda grad, weight=weight: torch.where(weight.detach() < 1e-6, torch.zeros_like(grad), grad))
    return model'''

VALUES_TIMES_MASK = '''    params = logical_parameters(model)
    missing, unknown = sorted(set(params) - set(state)), sorted(set(state) - set(params))
    if missing or unknown:
        raise KeyError(f"state does not match the model: missing {missing}, unknown {unknown}")
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(state[name] * masks[name] if name in masks else state[name])
    if optimizer is not None:
        optimizer.state.clear()
    return model'''

MUTANTS = [
    # prune_layerwise
    Mutant("prune_reads_module_weight", "prune",
           [("weight = effective_weight(model, name).detach()",
             "weight = getattr(model.get_submodule(name.rpartition('.')[0]), name.rpartition('.')[2]).detach()")],
           PRUNE, "ranks module.weight, which after an optimizer step still holds the values of the last forward pass"),
    Mutant("prune_global_threshold", "prune",
           [("""    new_masks = {name: mask.clone() for name, mask in (masks or {}).items()}
    for name, rate in rates.items():""", GLOBAL_THRESHOLD + """


def _unused(model, masks, rates):
    new_masks = {}
    for name, rate in rates.items():""")], PRUNE,
           "one threshold over every layer's survivors (the mean rate of all of them): small layers empty first"),
    Mutant("prune_biases_too", "prune",
           [("for name, rate in rates.items():",
             "for name, rate in list(rates.items()) + [(n.rpartition('.')[0] + '.bias', r) for n, r in rates.items()]:")],
           PRUNE, "prunes each layer's bias with its weight, as the original notebook did"),
    Mutant("prune_ranks_pruned_again", "prune",
           [("alive = mask.flatten().nonzero().squeeze(1)", "alive = torch.arange(mask.numel(), device=mask.device)")],
           PRUNE, "ranks every weight, the already-pruned ones too: the rate compounds wrongly"),
    Mutant("prune_rate_of_all_weights", "prune",
           [("k = round(rate * len(alive))", "k = min(round(rate * mask.numel()), len(alive))")], PRUNE,
           "counts the rate on all the weights of the tensor instead of its survivors"),
    Mutant("prune_largest_first", "prune", [(".abs(), stable=True)", ".abs(), stable=True, descending=True)")], PRUNE,
           "prunes the largest magnitudes"),
    Mutant("prune_signed_values", "prune", [("weight.flatten()[alive].abs()", "weight.flatten()[alive]")], PRUNE,
           "ranks signed values: the most negative weights go first"),
    Mutant("prune_ties_from_the_end", "prune",
           [("order = torch.sort(weight.flatten()[alive].abs(), stable=True).indices",
             "order = len(alive) - 1 - torch.sort(weight.flatten()[alive].abs().flip(0), stable=True).indices")],
           PRUNE, "breaks ties by the highest index"),
    Mutant("prune_floor_count", "prune", [("k = round(rate * len(alive))", "k = int(rate * len(alive))")], PRUNE,
           "int() instead of round() for the count"),
    Mutant("prune_edits_input_masks", "prune",
           [("new_masks = {name: mask.clone() for name, mask in (masks or {}).items()}", "new_masks = dict(masks or {})"),
            ("mask = mask.to(device=weight.device, dtype=torch.bool).clone()",
             "mask = mask.to(device=weight.device, dtype=torch.bool)")], PRUNE,
           "edits the caller's masks in place"),
    # apply_masks
    Mutant("apply_mask_gradients", "apply_masks",
           [("""    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""", GRADIENT_MASK + """


def _unused(model, masks):
    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""")], APPLY,
           "zeroes the weights once and masks their gradients: momentum and Adam's moments revive them"),
    Mutant("apply_zero_once", "apply_masks",
           [("""    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""", ZERO_ONCE + """


def _unused(model, masks):
    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""")], APPLY,
           "zeroes the pruned weights once and enforces nothing"),
    Mutant("apply_freeze_negative_weights", "apply_masks",
           [("""    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""", FREEZE_NEGATIVE + """


def _unused(model, masks):
    for name, mask in masks.items():
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)""")], APPLY,
           "the public implementation's bug: zeroes gradients where weight < eps, freezing every negative weight"),
    Mutant("apply_keeps_the_callers_mask", "apply_masks",
           [("                current.copy_(mask)\n", "                pass\n            module._buffers[attr + \"_mask\"] = mask\n"),
            ('setattr(module, attr, getattr(module, attr + "_orig") * current)',
             'setattr(module, attr, getattr(module, attr + "_orig") * mask)')], APPLY,
           "on a masked tensor, stores the caller's mask tensor itself: the caller's later edits change the model"),
    Mutant("apply_weight_not_refreshed", "apply_masks",
           [('            setattr(module, attr, getattr(module, attr + "_orig") * current)\n', "")], APPLY,
           "overwrites the mask buffer but leaves module.weight at its old value until the next forward pass"),
    Mutant("apply_stacks_masks", "apply_masks", [("if current is None:", "if True:")], APPLY,
           "calls custom_from_mask again on a masked tensor: the masks multiply, a pruned weight never returns"),
    Mutant("apply_inverted", "apply_masks",
           [("mask = mask.to(device=weight.device, dtype=torch.bool)",
             "mask = ~mask.to(device=weight.device, dtype=torch.bool)")], APPLY,
           "keeps the weights marked False"),
    # rewind
    Mutant("rewind_masks_not_applied", "rewind", [("    apply_masks(model, masks)\n", "")], REWIND,
           "copies the values but never applies the new masks"),
    Mutant("rewind_into_module_weight", "rewind",
           [("param.copy_(state[name])",
             "getattr(model.get_submodule(name.rpartition('.')[0]), name.rpartition('.')[2]).copy_(state[name])")],
           REWIND, "writes into module.weight, which the next forward pass recomputes from weight_orig"),
    Mutant("rewind_skips_biases", "rewind",
           [("for name, param in params.items():",
             "for name, param in [(n, p) for n, p in params.items() if not n.endswith('bias')]:")], REWIND,
           "rewinds the weights only"),
    Mutant("rewind_missing_keys_ignored", "rewind", [("if missing or unknown:", "if unknown:")], REWIND,
           "accepts a state without some parameters: the KeyError comes half-way, with the model half rewound"),
    Mutant("rewind_shares_the_state", "rewind", [("param.copy_(state[name])", "param.data = state[name]")], REWIND,
           "makes the parameters share memory with the stored state: training then overwrites theta0"),
    Mutant("rewind_keeps_optimizer_state", "rewind", [("optimizer.state.clear()", "pass")], REWIND,
           "keeps the momentum and Adam moments of the weights before rewinding"),
    Mutant("rewind_values_times_mask", "rewind",
           [("""    params = logical_parameters(model)
    missing, unknown""", VALUES_TIMES_MASK + """


def _unused(model, masks, state, optimizer=None):
    params = logical_parameters(model)
    missing, unknown""")], REWIND,
           "multiplies the values by the masks but never enforces them: training revives the pruned weights"),
    # iterative_magnitude_pruning
    Mutant("imp_late_rewinds_to_trained_weights", "imp", [("target = report.snapshot", "target = snapshot(model)")], IMP,
           "the original notebook's 'late rewinding': back to the weights at the end of training (fine-tuning)"),
    Mutant("imp_prunes_rewound_weights", "imp",
           [("""            masks = prune_layerwise(model, masks, rates) if fixed_masks is None else fixed_masks[r]
            if strategy""", """            if strategy"""),
            ("""            rewind(model, masks, target)
""", """            rewind(model, masks, target)
            masks = prune_layerwise(model, masks, rates) if fixed_masks is None else fixed_masks[r]
            rewind(model, masks, target)
""")], IMP, "rewinds first and ranks the rewound weights instead of the trained ones"),
    Mutant("imp_one_random_network", "imp", [('if strategy == "random":', 'if strategy == "random" and r == 1:')], IMP,
           "draws one random network and reuses it in every round"),
    Mutant("imp_one_round_short", "imp", [("for r in range(rounds + 1):", "for r in range(rounds):")], IMP,
           "counts the dense round among the rounds"),
    Mutant("imp_prunes_from_scratch", "imp",
           [("prune_layerwise(model, masks, rates)", "prune_layerwise(model, None, rates)")], IMP,
           "forgets the previous masks: every round prunes the rate of all the weights again"),
    Mutant("imp_late_snapshot_every_round", "imp",
           [('asks = strategy == "late" and r == 0', 'asks = strategy == "late"')], IMP,
           "takes theta_k again in every round: the target drifts"),
    Mutant("imp_unseeded_random_networks", "imp",
           [("target = snapshot(seeded(make_model, new_seed))", "target = snapshot(make_model())")], IMP,
           "builds the random networks from the global generator: a run cannot be reproduced"),
    Mutant("imp_unseeded_dense_network", "imp", [("model = seeded(make_model, seed)", "model = make_model()")], IMP,
           "builds round 0's network from the global generator, ignoring seed"),
]

PARAMETRIZE_VARIANT = '''
class _KeepMask(nn.Module):
    """weight -> weight * mask, as a parametrization (the mask is a buffer, saved with the model)."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask.clone())

    def forward(self, weight):
        return weight * self.mask


def apply_masks(model, masks):
    for name, mask in masks.items():
        owner, _, attr = name.rpartition(".")
        module = model.get_submodule(owner)
        mask = mask.to(getattr(module, attr).device).bool()
        if parametrize.is_parametrized(module, attr):
            module.parametrizations[attr][0].mask.copy_(mask)
        else:
            parametrize.register_parametrization(module, attr, _KeepMask(mask))
    return model
'''

REMOVE_THEN_PRUNE_VARIANT = '''
def apply_masks(model, masks):
    for name, mask in masks.items():
        owner, _, attr = name.rpartition(".")
        module = model.get_submodule(owner)
        if hasattr(module, attr + "_mask"):
            prune.remove(module, attr)           # bakes the old mask into the weight, drops the hook
        prune.custom_from_mask(module, attr, mask.to(getattr(module, attr).device))
    return model
'''

LEXSORT_VARIANT = '''
def prune_layerwise(model, masks, rates):
    out = {}
    for name, mask in (masks or {}).items():
        out[name] = mask.detach().clone()
    for name in rates:
        rate = rates[name]
        assert 0 <= rate <= 1, rate
        w = effective_weight(model, name).detach().cpu().numpy().ravel()
        keep = (out[name].cpu().numpy().ravel() if name in out else np.ones(w.size, dtype=bool)).copy()
        survivors = np.flatnonzero(keep)
        count = int(math.floor(rate * survivors.size + 0.5))
        ranked = survivors[np.lexsort((survivors, np.abs(w[survivors])))]   # by |w|, then by index
        keep[ranked[:count]] = False
        shape = effective_weight(model, name).shape
        out[name] = torch.from_numpy(keep).reshape(shape).to(effective_weight(model, name).device)
    return out
'''

DATA_REWIND_VARIANT = '''
def rewind(model, masks, state, optimizer=None):
    stored = logical_parameters(model)
    if set(stored) != set(state):
        raise ValueError(f"state has {sorted(state)}, the model {sorted(stored)}")
    for name, tensor in stored.items():
        value = state[name].to(tensor.device, tensor.dtype)
        if name in masks:
            value = value * masks[name].to(tensor.device, tensor.dtype)
        tensor.data.copy_(value)
    apply_masks(model, masks)
    if optimizer is not None:
        for p in list(optimizer.state):
            del optimizer.state[p]
    return model
'''

IMP_VARIANT = '''
def iterative_magnitude_pruning(make_model, train_fn, rounds, rates, strategy="init", *, late_iteration=0,
                                seed=0, fixed_masks=None):
    assert strategy in STRATEGIES, strategy
    net = seeded(make_model, seed)
    current = {n: torch.ones(effective_weight(net, n).shape, dtype=torch.bool) for n in rates}
    theta = snapshot(net)
    history = []

    def record(r, report):
        history.append(RoundResult(round=r, remaining=remaining(current),
                                   sizes={n: current[n].numel() for n in current},
                                   early_stop_iteration=report.early_stop_iteration, test_acc=report.test_acc,
                                   val_loss=report.val_loss, masks={n: m.clone() for n, m in current.items()}))

    first = train_fn(net, late_iteration if strategy == "late" else None)
    if strategy == "late":
        theta = first.snapshot
    record(0, first)
    r = 1
    while r <= rounds:
        current = fixed_masks[r] if fixed_masks is not None else prune_layerwise(net, current, rates)
        if strategy == "random":
            theta = snapshot(seeded(make_model, 7919 * seed + 104729 * r + 1))
        rewind(net, current, theta)
        record(r, train_fn(net, None))
        r += 1
    return history
'''

VARIANTS = [
    Variant("apply_with_a_parametrization", {"apply_masks": PARAMETRIZE_VARIANT.strip("\n")},
            "torch.nn.utils.parametrize with a mask module; a new mask is copied into its buffer"),
    Variant("apply_remove_then_prune", {"apply_masks": REMOVE_THEN_PRUNE_VARIANT.strip("\n")},
            "prune.remove the old re-parametrisation, then custom_from_mask with the new mask"),
    Variant("prune_with_numpy_lexsort", {"prune": LEXSORT_VARIANT.strip("\n")},
            "NumPy: survivors sorted by (|w|, index) with lexsort, floor(x + 0.5) for the count"),
    Variant("rewind_through_data", {"rewind": DATA_REWIND_VARIANT.strip("\n")},
            "values times masks written through .data, another exception, optimizer state deleted entry by entry"),
    Variant("imp_while_loop_other_seeds", {"imp": IMP_VARIANT.strip("\n")},
            "round 0 outside the loop, a while loop, no all-True masks applied, other per-round random seeds"),
]

# ---------------------------------------------------------------- attacks (autograder.attacks)
# The honest part every attack submission completes (layer-wise pruning, 3 points), the
# student cell that receives the attack, and a stub with the right signature that zeroes the
# pruned weights once and enforces nothing.
HONEST = ["prune"]
ATTACK_TARGET = "apply_masks"
ATTACK_STUBS = '''
def apply_masks(model, masks):
    with torch.no_grad():
        for name, mask in masks.items():
            effective_weight(model, name).mul_(mask)
    return model
'''.strip("\n")
