"""Fresh mutants (written without reading the checks: README.md here) for lottery_ticket, written from the reference solutions and the release notebook only."""
from autograder.catalogue import Mutant

FRESH = [
    Mutant(name="prune_reads_stale_weight", cell="prune",
           edits=[("weight = effective_weight(model, name).detach()",
                   'weight = getattr(model.get_submodule(name.rpartition(".")[0]), name.rpartition(".")[2]).detach()')],
           catches=[],
           why="The magnitudes are read from module.weight, which torch.nn.utils.prune only refreshes on a forward "
               "pass, so after optimizer steps the ranking uses stale values; the attribute looks like the weight."),
    Mutant(name="prune_rate_of_total", cell="prune",
           edits=[("k = round(rate * len(alive))", "k = round(rate * mask.numel())")],
           catches=[],
           why="k is a fraction of the whole tensor instead of the survivors, so pruning compounds as 1 - k*rate, not "
               "(1 - rate)^k; identical in round 1."),
    Mutant(name="prune_reranks_pruned", cell="prune",
           edits=[("alive = mask.flatten().nonzero().squeeze(1)", "alive = torch.arange(mask.numel(), device=mask.device)")],
           catches=[],
           why="Already-pruned weights (now 0) are ranked again and chosen first, so later rounds prune fewer new "
               "weights than asked; identical in round 1."),
    Mutant(name="prune_truncates_count", cell="prune",
           edits=[("k = round(rate * len(alive))", "k = int(rate * len(alive))")],
           catches=[],
           why="The count is truncated instead of rounded, one weight short whenever the fractional part is >= 0.5; "
               "int() is the usual float-to-int reflex."),
    Mutant(name="prune_signed_magnitude", cell="prune",
           edits=[("order = torch.sort(weight.flatten()[alive].abs(), stable=True).indices",
                   "order = torch.sort(weight.flatten()[alive], stable=True).indices")],
           catches=[],
           why="Weights are ranked by signed value, so the most negative (large-magnitude) weights are pruned first; "
               "abs() is forgotten."),
    Mutant(name="prune_mutates_masks_argument", cell="prune",
           edits=[("new_masks = {name: mask.clone() for name, mask in (masks or {}).items()}",
                   "new_masks = masks if masks is not None else {}"),
                  ("mask = mask.to(device=weight.device, dtype=torch.bool).clone()",
                   "mask = mask.to(device=weight.device, dtype=torch.bool)")],
           catches=[],
           why="The caller's masks dict and tensors are updated in place instead of copied, so the previous round's "
               "masks (kept in results) change too; the returned value looks right."),
    Mutant(name="apply_masks_restacks_custom_mask", cell="apply_masks",
           edits=[('current = getattr(module, attr + "_mask", None)', "current = None")],
           catches=[],
           why="custom_from_mask is called again on an already-masked tensor, stacking the new mask on the old one "
               "(a PruningContainer), so a mask that re-grows weights cannot take effect."),
    Mutant(name="apply_masks_zero_once", cell="apply_masks",
           edits=[("prune.custom_from_mask(module, attr, mask)",
                   "with torch.no_grad():\n                weight.mul_(mask)")],
           catches=[],
           why="The weights are zeroed once in place instead of being masked for good, so pruned entries re-grow at "
               "the next optimizer step; correct right after the call."),
    Mutant(name="apply_masks_aliases_caller_mask", cell="apply_masks",
           edits=[("                current.copy_(mask)\n", "                pass\n            module._buffers[attr + \"_mask\"] = mask\n"),
                  ('setattr(module, attr, getattr(module, attr + "_orig") * current)',
                   'setattr(module, attr, getattr(module, attr + "_orig") * mask)')],
           catches=[],
           why="On re-application the model stores the caller's mask tensor itself instead of copying it into the "
               "buffer, so later edits of the caller's tensor change the model's mask (and vice versa)."),
    Mutant(name="apply_masks_attribute_not_refreshed", cell="apply_masks",
           edits=[('            setattr(module, attr, getattr(module, attr + "_orig") * current)\n', "")],
           catches=[],
           why="After overwriting the mask buffer, module.weight keeps the old masked values until the next forward "
               "pass; the refresh looks redundant because of the pre-hook."),
    Mutant(name="rewind_writes_effective_weight", cell="rewind",
           edits=[("            param.copy_(state[name])", "            effective_weight(model, name).copy_(state[name])")],
           catches=[],
           why="The values are written into the effective weight, a fresh weight_orig * mask product for a pruned "
               "tensor, so the copy is lost and pruned layers keep their trained values."),
    Mutant(name="rewind_by_reference", cell="rewind",
           edits=[("param.copy_(state[name])", "param.data = state[name]")],
           catches=[],
           why="Parameters are made to share storage with the snapshot instead of copying it, so training afterwards "
               "overwrites the saved initial weights in place; rewinding by reference, not by copy."),
    Mutant(name="rewind_keeps_optimizer_state", cell="rewind",
           edits=[("        optimizer.state.clear()", "        pass")],
           catches=[],
           why="The optimizer's momentum and Adam moments from the previous weights are kept for the rewound ones."),
    Mutant(name="rewind_missing_keys_ignored", cell="rewind",
           edits=[("if missing or unknown:", "if unknown:")],
           catches=[],
           why="A state that lacks some parameters (e.g. only the prunable weights, no biases) is accepted and those "
               "parameters silently keep their trained values."),
    Mutant(name="imp_prunes_rewound_weights", cell="imp",
           edits=[("            masks = prune_layerwise(model, masks, rates) if fixed_masks is None else fixed_masks[r]\n",
                   "            rewind(model, masks, target)\n"
                   "            masks = prune_layerwise(model, masks, rates) if fixed_masks is None else fixed_masks[r]\n")],
           catches=[],
           why="The network is rewound before it is pruned, so magnitudes are ranked on the initial (or theta_k) "
               "weights instead of those training ended with."),
    Mutant(name="imp_target_by_reference", cell="imp",
           edits=[("target = snapshot(model)                      #", "target = logical_parameters(model)            #")],
           catches=[],
           why="The rewinding target holds the live parameters rather than copies, so 'rewinding' copies the trained "
               "weights onto themselves: fine-tuning, not rewinding."),
    Mutant(name="imp_random_same_seed", cell="imp",
           edits=[("target = snapshot(seeded(make_model, new_seed))", "target = snapshot(seeded(make_model, seed))")],
           catches=[],
           why="The 'random' re-initialisation rebuilds the network with the original seed, i.e. the original theta_0, "
               "so the control experiment is the lottery ticket itself."),
    Mutant(name="imp_late_snapshot_every_round", cell="imp",
           edits=[('asks = strategy == "late" and r == 0', 'asks = strategy == "late"')],
           catches=[],
           why="For late rewinding the target is replaced in every round by theta_k of the latest (pruned) round "
               "instead of the dense round 0's."),
    Mutant(name="imp_one_round_short", cell="imp",
           edits=[("for r in range(rounds + 1):", "for r in range(rounds):")],
           catches=[],
           why="The loop counts the dense round 0 among the rounds, so only rounds - 1 pruning rounds run; off by one."),
]
