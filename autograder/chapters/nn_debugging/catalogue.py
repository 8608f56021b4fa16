"""Mutants and valid variants of the nn_debugging notebook."""
from autograder.catalogue import Mutant, Variant

LOSS, DIV, INP, LAB = ["test_loss_at_init"], ["test_label_diversity"], ["test_input_statistics"], ["test_labels"]
DEG, GRAD, REP, WD = ["test_find_degenerate_tensors"], ["test_params_without_gradient"], ["test_repair_degenerate"], \
    ["test_weight_decay"]
BAT, STEP, PRED, FIX = ["test_shuffled_batches"], ["test_train_step"], ["test_predict"], ["test_fixes"]

BAND = "abs(loss - expected) <= tolerance"
PERM = "order = torch.randperm(n, generator=generator, device=device)"
FIX_WD = "return replace(setup, weight_decay=max_decay_per_step / setup.lr)"

MUTANTS = [
    # check_loss_at_init
    Mutant("loss_one_sided", "loss_at_init", [(BAND, "loss - expected <= tolerance")], LOSS,
           "flags a loss above ln(C) only: a model already sure of the answers passes"),
    Mutant("loss_ln10_hard_coded", "loss_at_init", [("expected = math.log(num_classes)", "expected = math.log(10)")],
           LOSS, "compares with ln(10) whatever the number of classes"),
    Mutant("loss_misses_nan", "loss_at_init", [(f"if math.isfinite(loss) and {BAND}:",
                                                "if not abs(loss - expected) > tolerance:")], LOSS,
           "a NaN loss compares False with everything: 'not greater than the tolerance' lets it through"),
    Mutant("loss_inverted", "loss_at_init", [(BAND, "abs(loss - expected) > tolerance")], LOSS,
           "the threshold inverted: healthy models flagged, broken ones not"),
    Mutant("loss_classes_from_batch", "loss_at_init", [("num_classes = logits.shape[1]",
                                                        "num_classes = logits.shape[0]")], LOSS,
           "takes the batch size for the number of classes"),
    # check_label_diversity
    Mutant("loss_init_classes_from_labels", "loss_at_init",
           [("num_classes = logits.shape[1]", "num_classes = int(labels.max()) + 1")], ["test_loss_at_init"],
           "counts the classes from the labels of the batch, not the logits: a batch without the high classes "
           "compares its loss with the wrong ln(C)"),
    Mutant("diversity_weighted_by_batch_size", "label_diversity",
           [("mean = sum(fractions) / len(fractions)",
             "mean = sum(f * y.numel() for f, y in zip(fractions, label_batches)) / sum(y.numel() for y in label_batches)")],
           DIV, "weighs each batch's fraction by its size: a large mixed batch hides many one-class batches"),
    Mutant("diversity_first_batch_only", "label_diversity", [("for y in label_batches]", "for y in label_batches[:1]]")],
           DIV, "looks at the first batch only"),
    Mutant("diversity_pooled", "label_diversity",
           [("fractions = [torch.unique(y).numel() / min(num_classes, y.numel()) for y in label_batches]",
             "fractions = [torch.unique(torch.cat(list(label_batches))).numel() / num_classes]")], DIV,
           "counts the classes over all the batches together: one class per batch in turn looks diverse"),
    Mutant("diversity_divides_by_classes", "label_diversity", [("min(num_classes, y.numel())", "num_classes")], DIV,
           "divides by C even when a batch is smaller than C"),
    Mutant("diversity_empty_is_fine", "label_diversity",
           [('raise ValueError("check_label_diversity needs at least one batch of labels")', "return []")], DIV,
           "an empty list of batches passes silently"),
    # check_input_statistics
    Mutant("inputs_nan_only", "inputs", [("finite = torch.isfinite(xf)", "finite = ~torch.isnan(xf)")], INP,
           "NaN checks that miss Inf"),
    Mutant("inputs_max_not_abs", "inputs", [("largest = xf[finite].abs().max().item()",
                                             "largest = xf[finite].max().item()")], INP,
           "the largest value instead of the largest |value|: large negative inputs pass"),
    Mutant("inputs_dtype_ignored", "inputs", [("if not x.is_floating_point():", "if False:")], INP,
           "never reports integer inputs"),
    Mutant("inputs_channel_count_ignored", "inputs", [("if x.dim() != 4 or x.shape[1] != expected_channels:",
                                                       "if x.dim() != 4:")], INP,
           "checks the number of dimensions, not the number of channels"),
    # check_labels
    Mutant("labels_offset_not_flagged", "labels", [("elif low > 0:", "elif False:")], LAB,
           "labels counted from 1 pass when the head was widened"),
    Mutant("labels_off_by_one_at_the_top", "labels", [("high >= num_outputs", "high > num_outputs")], LAB,
           "a label equal to the number of outputs passes"),
    Mutant("labels_float_only", "labels", [("if labels.dtype != torch.int64:", "if labels.is_floating_point():")], LAB,
           "only float labels are a dtype problem (int32 and uint8 pass)"),
    Mutant("labels_negative_missed", "labels", [("if low < 0 or high >= num_outputs:", "if high >= num_outputs:")],
           LAB, "-1 labels pass"),
    # find_degenerate_tensors
    Mutant("degenerate_misses_inf", "degenerate", [('        elif torch.isinf(t).any():\n            found[name] = "inf"\n',
                                                    "")], DEG, "NaN checks that miss Inf"),
    Mutant("degenerate_parameters_only", "degenerate", [("tensors = tensors.state_dict()",
                                                         "tensors = dict(tensors.named_parameters())")], DEG,
           "skips the buffers: a zero running variance or a NaN running mean goes unseen"),
    Mutant("degenerate_zero_rule_everywhere", "degenerate",
           [('is_weight = name.rsplit(".", 1)[-1] in ("weight", "running_var") or t.dim() >= 2', "is_weight = True")],
           DEG, "flags every all-zero tensor, biases and shifts included"),
    Mutant("degenerate_constant_1d", "degenerate", [("elif t.dim() >= 2 and t.numel() >= 2 and",
                                                     "elif t.numel() >= 2 and")], DEG,
           "flags constant 1-D tensors: BatchNorm's weight of all ones"),
    Mutant("degenerate_zero_by_dims_only", "degenerate",
           [('is_weight = name.rsplit(".", 1)[-1] in ("weight", "running_var") or t.dim() >= 2',
             "is_weight = t.dim() >= 2")], DEG,
           "a zero BatchNorm weight or running variance (1-D) is missed"),
    # params_without_gradient
    Mutant("gradients_none_only", "gradients", [("(p.grad is None or not p.grad.any())", "p.grad is None")], GRAD,
           "misses gradients that are all zero (behind a dead layer)"),
    Mutant("gradients_sum_zero", "gradients", [("not p.grad.any()", "p.grad.sum() == 0")], GRAD,
           "a gradient of +1 and -1 sums to zero but is not zero"),
    Mutant("gradients_frozen_listed", "gradients", [("if p.requires_grad and (", "if (")], GRAD,
           "lists frozen parameters, which are not meant to learn"),
    # repair_degenerate
    Mutant("repair_uniform", "repair", [("        model.get_submodule(owner).reset_parameters()",
                                         "        for p in model.get_submodule(owner).parameters():\n"
                                         "            nn.init.uniform_(p)")], REP,
           "the original notebook's repair: uniform_ on [0, 1)"),
    Mutant("repair_once_per_name", "repair", [("        if owner not in owners:\n            owners.append(owner)",
                                               "        owners.append(owner)")], REP,
           "resets an owner once for every one of its tensors (and lists it every time)"),
    Mutant("repair_top_level_owner", "repair", [('owner = name.rpartition(".")[0]',
                                                 'owner = name.split(".")[0] if "." in name else ""')], REP,
           "takes the top-level module as the owner"),
    Mutant("repair_skips_unresettable", "repair",
           [("""            raise ValueError(f"{owner or 'the model'} owns {name} but has no reset_parameters()")""",
             "            continue")], REP, "skips owners without reset_parameters silently"),
    Mutant("repair_resets_everything", "repair",
           [("    for owner in owners:\n        model.get_submodule(owner).reset_parameters()",
             "    for module in model.modules():\n        if hasattr(module, \"reset_parameters\"):\n"
             "            module.reset_parameters()")], REP,
           "re-initialises every layer: the checkpoint is thrown away"),
    # effective_weight_decay / check_weight_decay
    Mutant("decay_without_lr", "weight_decay",
           [('return [group["lr"] * group.get("weight_decay", 0.0) for group in optimizer.param_groups]',
             'return [group.get("weight_decay", 0.0) for group in optimizer.param_groups]'),
            ('decay = group["lr"] * group.get("weight_decay", 0.0)', 'decay = group.get("weight_decay", 0.0)')], WD,
           "weight decay without the learning rate: AdamW's 0.01 looks alarming, nothing is per step"),
    Mutant("decay_first_group_only", "weight_decay", [("for i, group in enumerate(optimizer.param_groups):",
                                                       "for i, group in enumerate(optimizer.param_groups[:1]):")], WD,
           "checks the first parameter group only"),
    Mutant("decay_inverted", "weight_decay", [("if decay > max_per_step:", "if decay < max_per_step:")], WD,
           "the threshold inverted"),
    Mutant("decay_initial_lr", "weight_decay",
           [('decay = group["lr"] * group.get("weight_decay", 0.0)',
             'decay = optimizer.defaults["lr"] * group.get("weight_decay", 0.0)')], WD,
           "the optimiser's default learning rate, not each group's current one"),
    # shuffled_batches
    Mutant("batches_file_order", "batches", [(PERM, "order = torch.arange(n, device=device)")], BAT,
           "the original notebook's order: the file's"),
    Mutant("batches_with_replacement", "batches", [(PERM, "order = torch.randint(n, (n,), generator=generator, "
                                                          "device=device)")], BAT,
           "draws indices with replacement: some examples twice, others never"),
    Mutant("batches_global_rng", "batches", [(PERM, "order = torch.randperm(n, device=device)")], BAT,
           "ignores the generator"),
    Mutant("batches_same_order_every_epoch", "batches",
           [(PERM, "order = torch.randperm(n, generator=torch.Generator(device=device).manual_seed(0), "
                   "device=device)")], BAT, "a new generator with a fixed seed: the same order every epoch"),
    Mutant("batches_drop_last", "batches", [("return list(order.split(batch_size))",
                                             "return [b for b in order.split(batch_size) if len(b) == batch_size]")],
           BAT, "drops the smaller last batch"),
    Mutant("batches_order_only", "batches",
           [("return list(order.split(batch_size))",
             "batches = list(torch.arange(n, device=device).split(batch_size))\n"
             "    return [batches[i] for i in order[:len(batches)].argsort()]")], BAT,
           "shuffles the order of the batches, not the examples"),
    # train_step
    Mutant("step_no_zero_grad", "train_step", [("    optimizer.zero_grad(set_to_none=True)\n", "")], STEP,
           "zero_grad forgotten: gradients accumulate"),
    Mutant("step_zero_grad_after_backward", "train_step",
           [("    optimizer.zero_grad(set_to_none=True)\n    loss = loss_fn(model(x), y)\n    loss.backward()\n",
             "    loss = loss_fn(model(x), y)\n    loss.backward()\n    optimizer.zero_grad(set_to_none=True)\n")], STEP,
           "clears the gradient it has just computed: no update"),
    Mutant("step_zero_grad_after_step", "train_step",
           [("    optimizer.zero_grad(set_to_none=True)\n", ""),
            ("    optimizer.step()\n", "    optimizer.step()\n    optimizer.zero_grad(set_to_none=True)\n")], STEP,
           "clears after the step instead of before it: the gradients left by anything else are applied"),
    Mutant("step_loss_not_detached", "train_step", [("return loss.detach()", "return loss")], STEP,
           "returns the loss with its graph"),
    Mutant("step_ignores_loss_fn", "train_step", [("loss = loss_fn(model(x), y)", "loss = F.cross_entropy(model(x), y)")],
           STEP, "always uses cross-entropy"),
    # predict
    Mutant("predict_no_eval", "predict", [("    model.eval()\n", "")], PRED, "eval() forgotten"),
    Mutant("predict_mode_not_restored", "predict", [("        model.train(was_training)", "        pass")], PRED,
           "leaves the model in evaluation mode"),
    Mutant("predict_always_back_to_train", "predict", [("        model.train(was_training)", "        model.train()")],
           PRED, "puts every model in training mode afterwards"),
    Mutant("predict_builds_graph", "predict", [("        with torch.no_grad():\n", "        if True:\n")], PRED,
           "no torch.no_grad(): the evaluation builds a graph"),
    # fix_unshuffled / fix_weight_decay
    Mutant("fix_seed_weight_decay_0_1", "fixes", [(FIX_WD, "return replace(setup, weight_decay=0.1)")], FIX,
           "the original notebook's fix: weight decay 0.1"),
    Mutant("fix_forgets_the_learning_rate", "fixes", [("max_decay_per_step / setup.lr)", "max_decay_per_step)")], FIX,
           "sets weight_decay to the per-step limit itself"),
    Mutant("fix_unshuffled_does_nothing", "fixes", [("return replace(setup, shuffle=True)", "return setup")], FIX,
           "returns the setup unchanged"),
    Mutant("fix_lowers_the_learning_rate", "fixes",
           [(FIX_WD, "return replace(setup, lr=max_decay_per_step / setup.weight_decay)")], FIX,
           "meets the limit by lowering the learning rate"),
    Mutant("fixed_setup_one_fix_only", "fixes", [("fixed_setup = fix_weight_decay(fix_unshuffled(seed_setup))",
                                                  "fixed_setup = fix_weight_decay(seed_setup)")], FIX,
           "the fixed setup of the original notebook still reads its batches in file order"),
    Mutant("seed_setup_with_the_seeds_learning_rate", "fixes",
           [("seed_setup = Setup(shuffle=False, weight_decay=0.9)",
             "seed_setup = Setup(shuffle=False, weight_decay=0.9, lr=0.1, momentum=0.0)")], FIX,
           "copies the original notebook's learning rate too: the healthy recipe keeps its own"),
    Mutant("fix_always_rescales", "fixes", [("    if setup.lr * setup.weight_decay <= max_decay_per_step:\n"
                                             "        return setup\n", "")], FIX,
           "raises a weight decay that was already within the limit"),
]

LOSS_VARIANT = '''
def check_loss_at_init(logits, labels, tolerance=0.5):
    log_p = torch.log_softmax(logits.detach().double(), dim=-1)
    loss = float(-log_p.gather(1, labels.long().unsqueeze(1)).mean())
    uniform = float(torch.log(torch.tensor(float(logits.size(-1)))))
    ok = not (math.isnan(loss) or math.isinf(loss)) and -tolerance <= loss - uniform <= tolerance
    if ok:
        return []
    return [Finding(code="loss_at_init", subject="loss", message=f"loss {loss:.3f} vs ln(C) {uniform:.3f}", value=loss)]
'''

DIVERSITY_VARIANT = '''
def check_label_diversity(label_batches, num_classes, min_fraction=0.5):
    batches = list(label_batches)
    if not batches:
        raise ValueError("no batches")
    total = 0.0
    for y in batches:
        present = int((torch.bincount(y.flatten(), minlength=num_classes) > 0).sum())
        total += present / min(num_classes, len(y))
    mean = total / len(batches)
    return [Finding("label_diversity", "labels", f"{mean:.2f} of the possible classes per batch", mean)] \\
        if mean < min_fraction else []
'''

INPUTS_VARIANT = '''
def check_input_statistics(x, expected_channels=1, max_abs=10.0):
    out = []
    if x.dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        out.append(Finding("input_dtype", "inputs", f"dtype {x.dtype}"))
    shape = tuple(x.shape)
    if len(shape) != 4 or shape[1] != expected_channels:
        out.append(Finding("input_channels", "inputs", f"shape {shape}", shape[1] if len(shape) == 4 else None))
    values = x.double().flatten()
    bad = values.isnan() | values.isinf()
    if bad.any():
        out.append(Finding("input_nonfinite", "inputs", "NaN or Inf", int(bad.sum())))
    good = values[~bad]
    if good.numel() and max(good.max().item(), -good.min().item()) > max_abs:
        out.append(Finding("input_scale", "inputs", "too large", max(good.max().item(), -good.min().item())))
    return out
'''

LABELS_VARIANT = '''
def check_labels(labels, num_outputs):
    out = [] if labels.dtype is torch.long else [Finding("label_dtype", "labels", f"{labels.dtype} labels")]
    values = labels.double()
    low, high = values.min().item(), values.max().item()
    if not (0 <= low and high <= num_outputs - 1):
        out.append(Finding("label_range", "labels", f"{low}..{high} for {num_outputs} outputs", high))
    elif low != 0:
        out.append(Finding("label_range", "labels", "no label 0: counted from 1?", low))
    return out
'''

DEGENERATE_VARIANT = '''
import itertools


def find_degenerate_tensors(tensors):
    if isinstance(tensors, nn.Module):
        items = itertools.chain(tensors.named_parameters(), tensors.named_buffers())
    else:
        items = tensors.items()
    out = {}
    for name, t in items:
        if not isinstance(t, torch.Tensor) or not torch.is_floating_point(t) or t.numel() == 0:
            continue
        leaf = name.split(".")[-1]
        if t.isnan().any():
            out[name] = "nan"
        elif (~t.isfinite()).any():
            out[name] = "inf"
        elif torch.count_nonzero(t) == 0 and (leaf in ("weight", "running_var") or t.ndim > 1):
            out[name] = "zero"
        elif t.ndim > 1 and t.numel() > 1 and t.unique().numel() == 1:
            out[name] = "constant"
    return out
'''

GRADIENTS_VARIANT = '''
def params_without_gradient(model):
    missing = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None or torch.count_nonzero(p.grad) == 0:
            missing.append(name)
    return missing
'''

REPAIR_VARIANT = '''
def repair_degenerate(model, names):
    owners = list(dict.fromkeys(n.rsplit(".", 1)[0] if "." in n else "" for n in names))
    resets = []
    for owner in owners:
        module = model
        for part in filter(None, owner.split(".")):
            module = getattr(module, part)
        reset = getattr(module, "reset_parameters", None)
        if not callable(reset):
            raise ValueError(f"{owner or 'the model'} cannot be reset")
        resets.append(reset)
    for reset in resets:
        reset()
    return owners
'''

DECAY_VARIANT = '''
def effective_weight_decay(optimizer):
    out = []
    for group in optimizer.param_groups:
        out.append(group.get("weight_decay", 0.0) * group["lr"])
    return out


def check_weight_decay(optimizer, max_per_step=5e-4):
    return [Finding("weight_decay", "param_groups[%d]" % i, f"{d:.3g} of each weight per step", d)
            for i, d in enumerate(effective_weight_decay(optimizer)) if d > max_per_step]
'''

BATCHES_VARIANT = '''
def shuffled_batches(n, batch_size, generator=None, device=None):
    perm = torch.randperm(n, generator=generator, device=device or (generator.device if generator else "cpu"))
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]
'''

STEP_VARIANT = '''
def train_step(model, optimizer, x, y, loss_fn=F.cross_entropy):
    for p in model.parameters():
        p.grad = None
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.detach().clone()
'''

PREDICT_VARIANT = '''
def predict(model, x):
    mode = model.training
    model.eval()
    with torch.inference_mode():
        out = model(x)
    if mode:
        model.train()
    return out
'''

FIXES_VARIANT = '''
import dataclasses


def fix_unshuffled(setup):
    return dataclasses.replace(setup, shuffle=True)


def fix_weight_decay(setup, max_decay_per_step=1e-5):
    limit = max_decay_per_step / setup.lr
    return setup if setup.weight_decay <= limit else dataclasses.replace(setup, weight_decay=limit)


seed_setup = Setup(weight_decay=0.9, shuffle=False)
fixed_setup = fix_unshuffled(fix_weight_decay(seed_setup))
'''

VARIANTS = [
    Variant("detectors_written_differently",
            {"loss_at_init": LOSS_VARIANT.strip("\n"), "label_diversity": DIVERSITY_VARIANT.strip("\n"),
             "inputs": INPUTS_VARIANT.strip("\n"), "labels": LABELS_VARIANT.strip("\n")},
            "loss by log_softmax and gather in float64, diversity by bincount, inputs by a dtype list and min/max, "
            "labels by a chained comparison"),
    Variant("weights_by_parameters_and_buffers",
            {"degenerate": DEGENERATE_VARIANT.strip("\n"), "gradients": GRADIENTS_VARIANT.strip("\n")},
            "named_parameters + named_buffers, count_nonzero and unique; a loop with count_nonzero"),
    Variant("repair_by_attribute_walk", {"repair": REPAIR_VARIANT.strip("\n")},
            "owners by dict.fromkeys, modules by getattr, every owner checked before the first reset"),
    Variant("decay_through_the_effective_list", {"weight_decay": DECAY_VARIANT.strip("\n")},
            "the check reuses effective_weight_decay in a comprehension"),
    Variant("loop_written_differently",
            {"batches": BATCHES_VARIANT.strip("\n"), "train_step": STEP_VARIANT.strip("\n"),
             "predict": PREDICT_VARIANT.strip("\n")},
            "batches by slicing, gradients cleared by hand, evaluation under inference_mode"),
    Variant("fixes_by_the_limit", {"fixes": FIXES_VARIANT.strip("\n")},
            "dataclasses.replace, comparing weight_decay with max_decay_per_step / lr"),
]

# ---------------------------------------------------------------- attacks (autograder.attacks)
# The honest part every attack submission completes (params_without_gradient, 1 point), the
# student cell that receives the attack, and a detector with the right signature that never
# finds anything.
HONEST = ["gradients"]
ATTACK_TARGET = "loss_at_init"
ATTACK_STUBS = '''
def check_loss_at_init(logits, labels, tolerance=0.5):
    return []
'''.strip("\n")
