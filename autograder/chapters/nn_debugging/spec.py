"""Spec of source/nn_debugging/nn_debugging.ipynb (built by ``python -m autograder build``)."""
import pprint

from solutions.nn_debugging import checks as detectors
from solutions.nn_debugging import data, loop, repair, setups

from autograder.build import answer, given, given_source, md, setup, solution, tests

from . import checks

#: The finding codes the notebook's detectors return (their meanings come from the reference's CODES).
USED_CODES = ("loss_at_init", "label_diversity", "label_dtype", "label_range", "input_dtype", "input_channels",
              "input_nonfinite", "input_scale", "weight_decay")
CODES_SOURCE = pprint.pformat({code: detectors.CODES[code] for code in USED_CODES}, width=112, sort_dicts=False)

CELLS = [
    md("""
    # Debugging training that fails without an error

    A network with a bug in its training rarely crashes. It trains, the loss moves a little,
    and the accuracy ends near chance or a few points below where it should be. The notebook
    this chapter grew from planted three such bugs: a CSV file sorted by label and read in
    file order, weight decay 0.9, and a checkpoint whose first layers had been zeroed. Its own
    fixes fell short: it lowered the weight decay to 0.1, which still removes far too much per
    step, and it refilled the zeroed layers with `uniform_` on [0, 1), which is not how any
    layer starts. It never showed a curve.

    You will write **detectors**: small functions that each look at one thing a training recipe
    can get wrong and return what they found. Then you will write the **fixes**, and judge them
    by what they do to training. The checks of a good recipe, in the order you meet them:

    | when | what to look at | what a bug looks like |
    |---|---|---|
    | before training | the inputs of the first batches | integers, 0..255, channels last, NaN |
    | | the labels | floats, counted from 1, a class the model has no output for |
    | | the classes in each of the first batches | one or two per batch: the data are sorted |
    | | every tensor of the model, by name | all zero, one value everywhere, NaN, Inf |
    | | the loss of the untrained model | far from ln(C), the loss of a uniform guess |
    | | the optimiser | weight decay that removes percents of every weight per step |
    | after one backward pass | every parameter's gradient | `None` or all zero behind a dead layer |
    | in the loop | the batch order, `zero_grad`, `eval()` | the same order every epoch, growing steps, evaluation that depends on the batch |

    **How this notebook is graded.** Every cell marked `YOUR CODE HERE` is yours to complete.
    The test cell after it runs a few *visible* checks; when you submit, *hidden* checks run each
    detector on broken **and** healthy inputs drawn afresh for every grading run (a detector that
    always fires, or never does, earns nothing), and train a small network with your fixes and
    measure its accuracy themselves. The two questions at the end are read by a person. Do not
    rename functions, change their signatures, or delete cells.

    **Run time.** The exercises run on small tensors in seconds. The last part trains a small
    network on 1,200 Fashion-MNIST images (available offline) in about ten seconds; the book's
    experiment page shows every broken setup of the chapter beside its fix.
    """),
    setup("""
    import csv
    import math
    from dataclasses import dataclass, replace
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import Dataset

    from coursekit.profiles import current_profile

    %matplotlib inline
    PROFILE = current_profile()
    torch.manual_seed(0)
    print("profile:", PROFILE)
    """, grade_id="setup"),
    md("""
    ## Part 1. Findings

    Every detector returns a list of `Finding`s, empty when nothing is wrong. A finding has a
    `code` (one of `CODES` below: code that reads findings matches on it), a `subject` (what it
    is about: `"loss"`, `"labels"`, `"inputs"`, a parameter group), a readable `message` with
    the numbers, and the measured `value` behind it.
    """),
    given(f"CODES = {CODES_SOURCE}", grade_id="codes"),
    given_source("findings", detectors.Finding),
    md("""
    ## Part 2. The loss before training

    A freshly initialised classifier with $C$ classes should not know anything yet: its
    logits are small, its softmax is close to uniform, and its mean cross-entropy is close to
    $-\\ln(1/C) = \\ln C$ (2.30 for 10 classes). A loss far *above* $\\ln C$ means the
    untrained model is confidently wrong (weights far too large, a broken layer); far *below*
    means it already "knows" the answer, which before training usually means the labels leak
    into the inputs, or the model is not the fresh one you think. A loss that is NaN or Inf
    is always a finding.

    Write `check_loss_at_init(logits, labels, tolerance=0.5)`. The logits come straight from a
    model, so they may require grad; $C$ is `logits.shape[1]`.
    """),
    solution("loss_at_init", detectors.check_loss_at_init),
    tests(checks.test_loss_at_init, 2, visible="""
    torch.manual_seed(0)
    labels = torch.randint(0, 10, (64,))
    unsure = (0.01 * torch.randn(64, 10)).requires_grad_()   # a fresh classifier: almost uniform predictions
    assert check_loss_at_init(unsure, labels) == [], "logits near 0 give a loss near ln(10): nothing to report"
    sure = 8.0 * F.one_hot(labels, 10).float()                # already sure of every right class
    found = check_loss_at_init(sure, labels)
    assert len(found) == 1 and (found[0].code, found[0].subject) == ("loss_at_init", "loss"), found
    assert abs(found[0].value - F.cross_entropy(sure, labels).item()) < 1e-4, "value: the measured loss"
    assert check_loss_at_init(torch.zeros(8, 3), torch.zeros(8, dtype=torch.long)) == [], "C is logits.shape[1]"
    print(found[0])
    """),
    md("""
    ## Part 3. What is in a batch

    Stochastic gradient descent assumes that each batch is a small, unbiased sample of the
    training set. The original notebook's `train.csv` was sorted by label and read in file
    order: every batch held one or two classes, and the network chased the class of the
    moment. Looking at the first batch is not enough (it may be the one mixed batch, or a
    lucky one): look at several.

    Write `check_label_diversity(label_batches, num_classes, min_fraction=0.5)`. For each batch,
    count its distinct labels and divide by the most it could hold, `min(num_classes,
    len(batch))`; the diversity is the mean of these fractions over all the batches given.
    """),
    solution("label_diversity", detectors.check_label_diversity),
    tests(checks.test_label_diversity, 2, visible="""
    labels = torch.arange(10).repeat_interleave(100)          # a class-sorted dataset, like the original train.csv
    in_file_order = list(labels[:5 * 64].split(64))
    shuffled = list(labels[torch.randperm(1000)][:5 * 64].split(64))
    found = check_label_diversity(in_file_order, 10)
    assert [f.code for f in found] == ["label_diversity"] and found[0].value < 0.3, found
    assert check_label_diversity(shuffled, 10) == [], "shuffled batches hold nearly every class"
    print(found[0])
    """),
    md("""
    ## Part 4. Inputs and labels

    A model trained on normalised grayscale tensors of shape `(N, 1, H, W)` will happily run
    on whatever else has a compatible shape. The classic mismatch: images read with OpenCV
    arrive as `uint8`, channels **last**, in **BGR** order, with values 0..255. Casting them to
    float fixes the dtype but not the scale. Before training (and on the evaluation inputs,
    which often go through another pipeline), look at the dtype, the shape, the values that
    are not finite, and the largest absolute value.

    Write `check_input_statistics(x, expected_channels=1, max_abs=10.0)`, then `check_labels(labels,
    num_outputs)`: cross-entropy wants `int64` class indices in `0 .. num_outputs - 1`. Labels
    counted from 1 are the usual slip; widening the model's last layer by one output to silence
    the "target out of bounds" error hides it. Both return at most one finding per code.
    """),
    solution("inputs", detectors.check_input_statistics),
    tests(checks.test_input_statistics, 3, visible="""
    pixels = torch.randint(0, 256, (8, 28, 28, 3), dtype=torch.uint8)   # as cv2.imread gives them: BGR, channels last
    codes = sorted(f.code for f in check_input_statistics(pixels, expected_channels=1))
    assert codes == ["input_channels", "input_dtype", "input_scale"], codes
    normalised = (pixels[..., :1].permute(0, 3, 1, 2).float() / 255 - 0.29) / 0.35
    assert check_input_statistics(normalised, expected_channels=1) == []
    assert [f.code for f in check_input_statistics(normalised * 255, 1)] == ["input_scale"]
    print(*check_input_statistics(pixels, expected_channels=1), sep="\\n")
    """),
    solution("labels", detectors.check_labels),
    tests(checks.test_labels, 2, visible="""
    assert check_labels(torch.arange(10), 10) == []
    assert [f.code for f in check_labels(torch.arange(1, 11), 10)] == ["label_range"], "counted from 1"
    assert [f.code for f in check_labels(torch.arange(1, 11), 11)] == ["label_range"], "a widened head hides nothing"
    assert [f.code for f in check_labels(torch.arange(10).float(), 10)] == ["label_dtype"]
    print(*check_labels(torch.arange(1, 11), 11))
    """),
    md("""
    ## Part 5. Weights and gradients

    The original notebook fine-tuned a checkpoint in which some layers had been zeroed; in this
    chapter's version of it, the stem convolution, its BatchNorm and the classifier's weight
    are all zero. A zero convolution passes nothing on; a BatchNorm with
    weight 0 outputs its shift whatever comes in, so **no gradient flows back** through it and
    every layer before it stops learning. Name every degenerate tensor of the model's
    `state_dict` (parameters *and* buffers: BatchNorm's running variance is divided by):

    * `"nan"`: any NaN; `"inf"`: any +Inf or -Inf;
    * `"zero"`: all zero, for a tensor that multiplies (a name ending in `weight` or
      `running_var`, or two or more dimensions);
    * `"constant"`: one non-zero value everywhere in a weight matrix or kernel (two or more
      dimensions, two or more elements): its output units all compute the same thing.

    The first kind that applies wins. Biases, shifts and running means may be zero, and 1-D norm
    weights may be constant (BatchNorm's weight starts at all ones): that is how they begin.
    Integer tensors (`num_batches_tracked`) are skipped. Write `find_degenerate_tensors(tensors)`
    for a model or a state dict, then `params_without_gradient(model)`, which lists the
    trainable parameters that a backward pass left without a gradient.
    """),
    solution("degenerate", detectors.find_degenerate_tensors),
    tests(checks.test_find_degenerate_tensors, 3, visible="""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    assert find_degenerate_tensors(model) == {}, "a fresh model has no degenerate tensor"
    with torch.no_grad():
        model[0].weight.zero_()
        model[1].running_var[2] = float("nan")
        model[4].weight.fill_(0.05)
        model[4].bias.zero_()
    found = find_degenerate_tensors(model)
    print(found)
    assert found == {"0.weight": "zero", "1.running_var": "nan", "4.weight": "constant"}, found
    assert find_degenerate_tensors(model.state_dict()) == found
    """),
    solution("gradients", detectors.params_without_gradient),
    tests(checks.test_params_without_gradient, 1, visible="""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    x, y = torch.randn(5, 1, 8, 8), torch.randint(0, 3, (5,))
    F.cross_entropy(model(x), y).backward()
    assert params_without_gradient(model) == []
    model.zero_grad(set_to_none=False)
    with torch.no_grad():
        model[1].weight.zero_()          # a dead BatchNorm: it outputs its shift, 0, and the ReLU passes nothing
    F.cross_entropy(model(x), y).backward()
    print(params_without_gradient(model))
    assert params_without_gradient(model) == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight"]
    """),
    md("""
    Now the repair. Every layer class knows how it should start: `nn.Conv2d` and `nn.Linear`
    draw their weights uniformly in $\\pm 1/\\sqrt{\\text{fan-in}}$ (both signs, small), BatchNorm
    sets weight 1, shift 0 and fresh running statistics. Each has a method that does exactly
    that: `reset_parameters()`. `uniform_` on [0, 1) gives weights of one sign, ten or more
    times too large, and it also "repairs" shifts and biases that were fine at zero.

    Write `repair_degenerate(model, names)`: for each tensor name (a parameter or a buffer, as
    `find_degenerate_tensors` gives them) find the module that owns it (`"layer1.0.conv2.weight"`
    belongs to `model.get_submodule("layer1.0.conv2")`), and reset each owner once, with its own
    `reset_parameters()`, in the order of its first tensor in `names`. Leave every other tensor
    of the checkpoint as it is. Return the owners' names in that order. An owner without
    `reset_parameters` (a custom module, or the model itself) cannot be reset its own way:
    raise `ValueError`.
    """),
    solution("repair", repair.repair_degenerate),
    tests(checks.test_repair_degenerate, 3, visible="""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    kept = model[4].weight.detach().clone()
    with torch.no_grad():
        model[0].weight.zero_()
        model[1].weight.zero_()
    owners = repair_degenerate(model, ["0.weight", "1.weight", "1.bias"])
    assert owners == ["0", "1"], owners
    w, bound = model[0].weight, 1 / math.sqrt(1 * 3 * 3)     # Conv2d's own bound: 1 / sqrt(fan_in)
    assert w.abs().max() <= bound and w.min() < 0 < w.max(), "the layer's own initialisation: small, both signs"
    assert torch.equal(model[1].weight, torch.ones(4)), "BatchNorm starts at weight 1"
    assert torch.equal(model[4].weight, kept), "the rest of the checkpoint is kept"
    print("reset:", owners)
    """),
    md("""
    ## Part 6. The optimiser

    With SGD, weight decay multiplies every weight by $(1 - \\eta\\lambda)$ at every step, before
    the gradient is added ($\\eta$ the learning rate, $\\lambda$ the weight decay): $\\eta\\lambda$
    is the fraction of each weight removed per step. Usual recipes remove about $10^{-6}$ to
    $5 \\cdot 10^{-5}$ per step (SGD at 0.1 with $5\\cdot 10^{-4}$, AdamW at $10^{-3}$ with 0.01);
    the original notebook removed 9 % per step. An optimiser may hold several parameter groups,
    each with its own `lr` and `weight_decay`, and a scheduler changes `lr` as training goes.

    Write `effective_weight_decay(optimizer)`, the fraction per step of every group, and
    `check_weight_decay(optimizer, max_per_step=5e-4)`, one finding per group above the limit.
    """),
    solution("weight_decay", detectors.effective_weight_decay, detectors.check_weight_decay),
    tests(checks.test_weight_decay, 2, visible="""
    seed_opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, weight_decay=0.9)
    assert math.isclose(effective_weight_decay(seed_opt)[0], 0.09)
    found = check_weight_decay(seed_opt)
    assert [(f.code, f.subject) for f in found] == [("weight_decay", "param_groups[0]")], found
    usual = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    assert check_weight_decay(usual) == []
    print(found[0])
    """),
    md("""
    ## Part 7. The training loop

    Three lines of a training loop hide three classic bugs. Write the right versions:

    * `shuffled_batches(n, batch_size, generator)`: the index batches of one epoch, a fresh
      random permutation of `range(n)` drawn from `generator`, cut into batches of
      `batch_size` (the last may be smaller). Every call draws a new order; the same seed gives
      the same order.
    * `train_step(model, optimizer, x, y, loss_fn=F.cross_entropy)`: one step. `backward()`
      *adds* to `.grad`: without clearing the gradients first, every step also repeats all the
      earlier ones. Return the loss, detached.
    * `predict(model, x)`: the logits for evaluation. In training mode BatchNorm normalises with
      the statistics of the batch it is given (and moves its running statistics) and dropout
      keeps dropping units, so an image's prediction depends on its neighbours. Evaluate in
      `eval()` mode without building a graph, and put the model back in the mode it was in.

    The hidden checks train a small network on class-sorted data with your `shuffled_batches`
    and, separately, with your `train_step`, and measure its accuracy themselves.
    """),
    solution("batches", loop.shuffled_batches),
    tests(checks.test_shuffled_batches, 2, visible="""
    gen = torch.Generator().manual_seed(0)
    epoch1, epoch2 = shuffled_batches(10, 4, gen), shuffled_batches(10, 4, gen)
    print(epoch1, epoch2, sep="\\n")
    assert [len(b) for b in epoch1] == [4, 4, 2] and epoch1[0].dtype == torch.int64
    assert sorted(torch.cat(epoch1).tolist()) == list(range(10)), "every example once per epoch"
    assert not torch.equal(torch.cat(epoch1), torch.cat(epoch2)), "a new order every epoch"
    """),
    solution("train_step", loop.train_step),
    tests(checks.test_train_step, 2, visible="""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    losses = [train_step(model, opt, x, y) for _ in range(30)]
    assert torch.is_tensor(losses[0]) and not losses[0].requires_grad, "return the loss, detached"
    assert losses[-1] < 0.8 * losses[0], f"the loss went from {losses[0]:.3f} to {losses[-1]:.3f}"
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    """),
    solution("predict", loop.predict),
    tests(checks.test_predict, 2, visible="""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)).train()
    x = torch.randn(6, 4)
    out = predict(model, x)
    assert model.training, "predict puts the model back in the mode it was in"
    assert not out.requires_grad, "no graph at evaluation"
    assert torch.allclose(out[:2], predict(model, x[:2])), "in eval() mode an input's logits do not depend on its batch"
    print(out)
    """),
    md("""
    ## Part 8. The fixes, as values

    A training recipe is a value: `Setup` below holds the choices this chapter's bugs hide in
    (its defaults are the healthy recipe: SGD at learning rate 0.02, momentum 0.9, weight decay
    5e-4, shuffled batches). A fix is a function from a setup to a setup, so it can be tested,
    combined and compared.

    * `fix_unshuffled(setup)`: a new random batch order every epoch; nothing else changes.
    * `fix_weight_decay(setup, max_decay_per_step=1e-5)`: lower the weight decay so that one
      step removes at most `max_decay_per_step` of each weight, i.e. `weight_decay =
      max_decay_per_step / lr`; a setup already within the limit comes back unchanged, and the
      learning rate never changes. The original notebook's 0.1 is not a fix: say why in
      Question 1.

    Then write the original notebook's first two bugs as a value, `seed_setup` (batches in file
    order and weight decay 0.9, every other field healthy), and `fixed_setup`, what your two
    fixes make of it.

    The hidden checks train a small network on class-sorted data with the original notebook's
    first two bugs passed through your fixes and measure its accuracy themselves (it must reach
    65 %; the broken setup reaches about 15 %).
    """),
    given(f"""
    STARTS = {setups.STARTS!r}
    VAL_INPUTS = {setups.VAL_INPUTS!r}
    """, grade_id="setup_choices"),
    given_source("setup_class", setups.Setup),
    solution("fixes", setups.fix_unshuffled, setups.fix_weight_decay, suffix="""
    # seed_setup: the original notebook's first two bugs; fixed_setup: what your fixes make of it
    ### BEGIN SOLUTION
    seed_setup = Setup(shuffle=False, weight_decay=0.9)
    fixed_setup = fix_weight_decay(fix_unshuffled(seed_setup))
    ### END SOLUTION
    """),
    tests(checks.test_fixes, 3, visible="""
    print(seed_setup, fixed_setup, sep="\\n")
    assert seed_setup == Setup().with_(shuffle=False, weight_decay=0.9), "the original notebook's first two bugs"
    assert fixed_setup == fix_weight_decay(fix_unshuffled(seed_setup))
    assert fixed_setup.shuffle and fixed_setup.lr == seed_setup.lr and fixed_setup.momentum == seed_setup.momentum
    assert fixed_setup.lr * fixed_setup.weight_decay <= 1e-5 * (1 + 1e-9), "at most 1e-5 of each weight per step"
    assert fix_weight_decay(Setup(weight_decay=1e-4)) == Setup(weight_decay=1e-4), "within the limit: unchanged"
    """),
    md("""
    ## Part 9. The curves

    The data in the original notebook's format: a folder of PNG files and a `train.csv` /
    `val.csv` of `image_name,label`, **sorted by label**. The cells below write 1,200 training
    and 400 validation images of Fashion-MNIST that way, read them back with a `Dataset`, and
    train a small network three times: with the original notebook's batch order, with its
    weight decay, and with both passed through your fixes. Look at the curves: in file order the
    loss first falls to almost nothing on the first class's batches, jumps when the next class
    begins, and soon sits near $\\ln 10$: the network learns each class only to forget it, and
    ends every epoch predicting the last class it saw. Under weight decay 0.9 (1.8 % of every
    weight removed per step at learning rate 0.02) the loss stalls far above the fixed run's,
    and the accuracy lags and wanders.
    """),
    given(f"SPLITS = {data.SPLITS!r}", grade_id="png_splits"),
    given_source("png_dataset", data._write_split, data.read_csv, data.read_png, data.PngFolder),
    given("""
    import tempfile

    from coursekit.splits import image_splits

    sizes = {"smoke": dict(n_train=1200, n_val=400, epochs=3), "full": dict(n_train=12000, n_val=2000, epochs=5)}[PROFILE]
    splits = image_splits("fashion-mnist", n_val=sizes["n_val"], n_train=sizes["n_train"], seed=0)
    folder = Path(tempfile.mkdtemp(prefix="nn_debugging_"))
    for split, (images, labels) in (("train", splits.train), ("val", splits.val)):
        _write_split(folder, split, images, labels, torch.arange(len(labels)))
    print((folder / "train.csv").read_text().splitlines()[:4], "...")

    def read_all(split):
        items = [PngFolder(folder, split)[i] for i in range(len(read_csv(folder, split)))]
        return torch.stack([image[0] for image, _ in items]), torch.tensor([label for _, label in items])

    (x_train, y_train), (x_val, y_val) = read_all("train"), read_all("val")
    print(f"{len(y_train)} training and {len(y_val)} validation PNGs; labels of the first 3 batches of 64 in file order:",
          [sorted(set(y_train[i:i + 64].tolist())) for i in range(0, 192, 64)])
    """, grade_id="seed_data", tags=["skip-autograde"]),
    given("""
    mean, std = x_train.float().div(255).mean().item(), x_train.float().div(255).std().item()
    prepare = lambda images: (images.float().unsqueeze(1) / 255 - mean) / std

    def small_cnn():
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.1), nn.Linear(16 * 7 * 7, 10))

    def in_file_order(n, batch_size, generator):
        return list(torch.arange(n).split(batch_size))

    def train(setup, epochs=sizes["epochs"], batch_size=32):
        torch.manual_seed(0)
        model = small_cnn()
        opt = torch.optim.SGD(model.parameters(), lr=setup.lr, momentum=setup.momentum, weight_decay=setup.weight_decay)
        order = shuffled_batches if setup.shuffle else in_file_order
        gen, losses, accuracy = torch.Generator().manual_seed(0), [], []
        for _ in range(epochs):
            model.train()
            for idx in order(len(y_train), batch_size, gen):
                losses.append(float(train_step(model, opt, prepare(x_train[idx]), y_train[idx])))
            logits = torch.cat([predict(model, prepare(x_val[i:i + 200])) for i in range(0, len(y_val), 200)])
            accuracy.append(float((logits.argmax(1) == y_val).float().mean()))
        return losses, accuracy

    runs = {"file order (bug 1)": fix_weight_decay(seed_setup), "weight decay 0.9 (bug 2)": fix_unshuffled(seed_setup),
            "both fixed": fixed_setup}
    results = {name: train(setup) for name, setup in runs.items()}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.4))
    for (name, (losses, accuracy)), color in zip(results.items(), ("C3", "C1", "C0")):
        ax_loss.plot(losses, color=color, lw=0.8, label=name)
        ax_acc.plot(range(1, len(accuracy) + 1), [100 * a for a in accuracy], "o-", color=color, label=name)
    ax_loss.axhline(math.log(10), color="k", ls=":", lw=0.8, label="ln(10)")
    ax_loss.set(xlabel="step", ylabel="training loss", yscale="log", ylim=(1e-3, 100), title="training loss per step")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", ylim=(0, 100), xticks=range(1, sizes["epochs"] + 1),
               title="validation accuracy")
    ax_loss.legend(fontsize=7)
    ax_acc.legend(fontsize=7)
    plt.show()
    print({name: f"{accuracy[-1]:.1%}" for name, (_, accuracy) in results.items()})
    """, grade_id="curves", tags=["skip-autograde"]),
    md("""
    ## Question 1 (read by a person, 2 points)

    The original notebook trained with SGD at learning rate 0.1 and weight decay 0.9, then
    "fixed" it with learning rate 0.01 and weight decay 0.1. In a few sentences: what fraction
    of each weight does one step remove before and after that change, why is the second value
    still not a fix, and how does momentum 0.9 change the picture? Which weight decay would you
    choose for learning rate 0.02, and why?
    """),
    answer("why_weight_decay", "YOUR ANSWER HERE", points=2),
    md("""
    ## Question 2 (read by a person, 2 points)

    A checkpoint's stem convolution and its BatchNorm's weight are all zero. (a) Why does
    fine-tuning leave those layers, and every layer before them, where they are? (b) Give two
    reasons why `reset_parameters()` repairs them better than filling every all-zero tensor with
    `uniform_` on [0, 1), and say why, in a network with BatchNorm after every convolution,
    the `uniform_` repair may still look as if it worked.
    """),
    answer("why_repair", "YOUR ANSWER HERE", points=2),
]
