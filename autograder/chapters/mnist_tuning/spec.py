"""Spec of source/mnist_tuning/mnist_tuning.ipynb (built by ``python -m autograder build``)."""
from solutions.mnist_tuning import engine, model, transforms
from solutions.mnist_tuning.receptive_field import receptive_field

from autograder.build import answer, given, given_source, md, setup, solution, tests

from . import checks

CELLS = [
    md("""
    # A CNN under 10,000 parameters

    The goal of this assignment is a convolutional network for handwritten digits with **fewer
    than 10,000 parameters** that reaches **99.4 % test accuracy on MNIST within 15 epochs**,
    on every one of three seeds. A budget that tight turns architecture into arithmetic: how
    far each pixel of each layer can see (its *receptive field*), where to spend channels,
    and what to use instead of a large fully connected layer. You will write the pieces a
    training script is made of and check each one:

    1. a receptive-field calculator, to design the network on paper;
    2. data augmentation that makes sense for digits, running on whole batches;
    3. the network itself, under budget;
    4. one training epoch and one evaluation.

    **How this notebook is graded.** Every cell marked `YOUR CODE HERE` is yours to complete.
    The test cell after it runs a few *visible* checks; when you submit, *hidden* checks run on
    other inputs (other layer stacks, other batches, other models). Do not rename functions,
    change their signatures, or delete cells.

    **Run time.** By default the notebook uses the course's `smoke` profile: a subset of
    Fashion-MNIST (available offline), two epochs, seconds on a laptop. Set
    `COURSE_PROFILE=full` before starting Jupyter to train on MNIST for 15 epochs (a GPU helps;
    `python -m coursekit fetch mnist` downloads the data).
    """),
    setup("""
    import math

    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    from coursekit.cnn import count_parameters, layer_geometry
    from coursekit.plotting import plot_training
    from coursekit.profiles import current_profile
    from coursekit.splits import image_splits

    %matplotlib inline
    PROFILE = current_profile()
    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    print("profile:", PROFILE, "| device:", DEVICE)
    """, grade_id="setup"),
    md("""
    ## Part 1. Receptive fields

    A 3×3 convolution lets each output pixel see a 3×3 patch of its input. Stack two and each
    output pixel sees 5×5 input pixels; stack them after a 2×2 max-pool and each step grows
    the view twice as fast, because neighbouring pixels of the pooled map are two input pixels
    apart. Three numbers, updated layer by layer from the input (size $n$, receptive field
    $r = 1$, jump $j = 1$), describe this for a layer with kernel $k$, stride $s$ and padding $p$:

    $$n_{out} = \\left\\lfloor \\frac{n_{in} + 2p - k}{s} \\right\\rfloor + 1, \\qquad
      r_{out} = r_{in} + (k - 1)\\, j_{in}, \\qquad
      j_{out} = j_{in}\\, s.$$

    The jump is the distance, in input pixels, between two neighbouring pixels of a layer's
    output. A layer grows the receptive field by its kernel size times the *incoming* jump;
    its own stride only matters to the layers after it.

    Write `receptive_field(layers, input_size)`: `layers` is a list of
    `(kernel, stride, padding)` tuples in the order they run, and the function returns one
    `(size, rf, jump)` tuple per layer.
    """),
    solution("receptive_field", receptive_field),
    tests(checks.test_receptive_field, 3, visible="""
    # conv 3x3, conv 3x3, max-pool 2x2, conv 3x3 on a 28x28 input, worked by hand:
    #   size 28 -> 26 -> 24 -> 12 -> 10;  rf 1 -> 3 -> 5 -> 6 -> 10;  jump 1 -> 1 -> 1 -> 2 -> 2
    table = receptive_field([(3, 1, 0), (3, 1, 0), (2, 2, 0), (3, 1, 0)], input_size=28)
    expected = [(26, 3, 1), (24, 5, 1), (12, 6, 2), (10, 10, 2)]
    got = [tuple(int(v) for v in row) for row in table]
    assert len(got) == 4, f"expected one (size, rf, jump) row per layer (4), got {len(got)}"
    for i, (row, want) in enumerate(zip(got, expected)):
        assert row == want, f"layer {i + 1}: got (size, rf, jump) = {row}, expected {want}"
    print("receptive_field matches the worked example")
    """),
    md("""
    Design on paper first. The table below is the plan of a network in the style of this
    assignment: two 3×3 convolutions, a max-pool and a 1×1 convolution (which mixes channels
    but sees no further), four more 3×3 convolutions (one padded), and a global average over
    the last 6×6 map. Check where the receptive field reaches the size of a stroke (about 5
    pixels) and where it covers the whole digit.
    """),
    given("""
    plan = [("conv 3x3", (3, 1, 0)), ("conv 3x3", (3, 1, 0)), ("max-pool 2x2", (2, 2, 0)), ("conv 1x1", (1, 1, 0)),
            ("conv 3x3", (3, 1, 0)), ("conv 3x3", (3, 1, 0)), ("conv 3x3, pad 1", (3, 1, 1)), ("conv 3x3", (3, 1, 0)),
            ("global average 6x6", (6, 1, 0))]
    print(f"{'layer':<20}{'size':>6}{'rf':>6}{'jump':>6}")
    for (name, _), (size, rf, jump) in zip(plan, receptive_field([geometry for _, geometry in plan], 28)):
        print(f"{name:<20}{size:>6}{rf:>6}{jump:>6}")
    """, grade_id="rf_plan"),
    md("""
    ## Part 2. Data and augmentation

    The training set is split into training and **validation** images; every choice (the
    epoch to keep, the learning rate, the architecture) is made on validation accuracy. The
    test set is looked at once, to report. Choosing the best epoch by its test accuracy
    reports a number that was selected to be high, not measured.

    Images are stored as `uint8` tensors `(N, 28, 28)`; `to_input` turns a batch into floats
    `(N, 1, 28, 28)` in [0, 1], with a black background (0).
    """),
    given("""
    settings = {"smoke": dict(dataset="fashion-mnist", n_train=3000, n_val=1000, n_test=2000, epochs=2),
                "full": dict(dataset="mnist", n_train=None, n_val=5000, n_test=None, epochs=15)}[PROFILE]
    splits = image_splits(settings["dataset"], n_val=settings["n_val"], n_train=settings["n_train"],
                          n_test=settings["n_test"], seed=0)
    print(settings["dataset"], ":", splits.describe())
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
    for ax, image, label in zip(axes, splits.train[0][:10], splits.train[1][:10]):
        ax.imshow(image, cmap="gray"); ax.set_title(splits.classes[label][:10], fontsize=8); ax.axis("off")
    plt.show()
    """, grade_id="load_data"),
    given("""
    from coursekit.train import default_prepare as to_input  # uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]
    """, grade_id="to_input"),
    md("""
    Augmentation shows the network variations of its training images that leave the label
    unchanged. For handwriting that means **small rotations and shifts** (people slant and
    place digits differently) and **random erasing** (a part of the stroke hidden), so the
    network cannot rely on one patch. It does not mean horizontal flips (a mirrored 2 or 7 is
    not a digit) or saturation and hue jitter (a grayscale image has neither, so such a
    transform does nothing but cost time). Whatever moves into the frame from outside must be
    the background colour, black here; filling it with white paints a frame around the digit
    that no test image has.

    Both functions work on a whole batch at once, on whatever device the batch is on, and
    draw every random number from the `generator` they are given (one angle, one shift, one
    rectangle *per image*), so that a seed reproduces a run.

    * `augment(x, generator, max_degrees, max_shift)` rotates each image by its own angle drawn
      uniformly in [−max_degrees, max_degrees] and shifts it by up to `max_shift` of its width
      and of its height. (One way: build a batch of 2×3 affine matrices and use
      `F.affine_grid` and `F.grid_sample`; mind that they work in radians and in coordinates
      from −1 to 1.)
    * `random_erasing(x, generator, p, scale)` sets, with probability `p` per image, one
      rectangle covering a fraction in `scale` of the image to 0, and leaves `x` itself unchanged.
    """),
    solution("transforms", transforms.augment, transforms.random_erasing),
    tests(checks.test_augment, 2, visible="""
    x = to_input(splits.train[0][:16])
    same = augment(x, torch.Generator().manual_seed(0), max_degrees=0.0, max_shift=0.0)
    assert same.shape == x.shape, f"augment should keep the shape {tuple(x.shape)}, got {tuple(same.shape)}"
    assert torch.allclose(same, x, atol=1e-4), "with max_degrees=0 and max_shift=0 the images should not change"
    a = augment(x, torch.Generator().manual_seed(1), max_degrees=10.0, max_shift=0.1)
    b = augment(x, torch.Generator().manual_seed(1), max_degrees=10.0, max_shift=0.1)
    assert torch.equal(a, b), "the same generator seed should give the same batch"
    assert not torch.allclose(a, x), "with max_degrees=10 the images should change"
    fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
    for i, ax in enumerate(axes.flat):
        ax.imshow((x if i < 8 else a)[i % 8, 0], cmap="gray"); ax.axis("off")
    axes[0, 0].set_title("original", fontsize=8, loc="left"); axes[1, 0].set_title("augmented", fontsize=8, loc="left")
    plt.show()
    """),
    tests(checks.test_random_erasing, 2, visible="""
    x = to_input(splits.train[0][:16])
    before = x.clone()
    kept = random_erasing(x, torch.Generator().manual_seed(0), p=0.0)
    assert torch.equal(kept, x), "with p=0 no image should change"
    erased = random_erasing(x, torch.Generator().manual_seed(0), p=1.0, scale=(0.05, 0.1))
    assert torch.equal(x, before), "random_erasing must not modify the batch it is given"
    changed = (erased != x).flatten(1).any(1)
    assert changed.float().mean() > 0.5, "with p=1 (almost) every image should have a rectangle erased"
    fig, axes = plt.subplots(1, 8, figsize=(10, 1.5))
    for ax, img in zip(axes, erased[:8, 0]):
        ax.imshow(img, cmap="gray"); ax.axis("off")
    plt.show()
    """),
    md("""
    ## Part 3. The network

    Where the parameters of a small CNN go: a 3×3 convolution from $c_{in}$ to $c_{out}$
    channels has $9\\,c_{in}c_{out}$ weights, so a 16→16 layer costs 2,304 and a 16→32 layer
    4,608. Some rules of thumb for a tight budget:

    * **BatchNorm** after each convolution makes a deep narrow stack trainable at a high
      learning rate (the convolution then needs no bias: BatchNorm has its own shift);
    * a little **dropout** (5–10 %) regularises; much more starves a small network;
    * a **max-pool** once the receptive field has reached stroke size (about 5–6 pixels)
      halves the map, and a **1×1 convolution** after it cuts the channels cheaply;
    * **global average pooling** and a 1×1 convolution to the 10 classes replace a fully
      connected layer that would cost thousands of weights.

    `conv_block` and `count_parameters` are given. Write `Net`: input `(N, 1, 28, 28)` in
    [0, 1], output `(N, 10)` raw class scores (logits; `F.cross_entropy` applies the
    log-softmax itself). Log-probabilities are accepted too; probabilities are not.
    """),
    given_source("conv_block", model.conv_block),
    solution("network", model.Net),
    tests(checks.test_network, 3, visible="""
    net = Net()
    n_params = count_parameters(net)
    print(f"{n_params:,} trainable parameters")
    assert n_params < 10_000, f"Net has {n_params:,} parameters; the budget is fewer than 10,000"
    net.eval()
    with torch.no_grad():
        out = net(torch.rand(2, 1, 28, 28))
    assert tuple(out.shape) == (2, 10), f"Net should map (2, 1, 28, 28) to (2, 10), got {tuple(out.shape)}"
    from torchinfo import summary
    print(summary(net, input_size=(1, 1, 28, 28), col_names=("output_size", "num_params"), verbose=0))
    geometry = [g for _, g in layer_geometry(net) if g[0] > 0]
    print("receptive field after each convolution / pooling layer:", [rf for _, rf, _ in receptive_field(geometry, 28)])
    """),
    md("""
    ## Part 4. One epoch of training, one evaluation

    Two loops make up every training script. Write them for tensors held in memory (the
    course's shared trainer, `coursekit.train.fit`, does the same with the data on the GPU):

    * `train_one_epoch(model, images, labels, optimizer, batch_size, generator, augment)`:
      put the model in training mode; visit every example exactly once, in a new random order
      drawn from `generator` (`torch.randperm(n, generator=generator)`); for each batch,
      `to_input`, then `augment(x, generator)` when given, zero the gradients, compute the
      mean cross-entropy, back-propagate and step. Return the epoch's mean loss over
      *examples* (the last batch may be smaller).
    * `evaluate(model, images, labels, batch_size)`: evaluation mode (dropout off, BatchNorm
      uses its running statistics), no graph (`torch.no_grad()`), and return
      `(mean loss, accuracy)` over all examples.

    Data sorted by class and not shuffled, a model left in evaluation mode after measuring
    it, or gradients that accumulate from batch to batch: each of these trains badly without
    any error message. The hidden checks look for all three.
    """),
    solution("train_eval", engine.train_one_epoch, engine.evaluate),
    tests(checks.test_train_one_epoch, 2, visible="""
    torch.manual_seed(0)
    tiny = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    sgd = torch.optim.SGD(tiny.parameters(), lr=0.1)
    images, labels = splits.train[0][:256], splits.train[1][:256]
    gen = torch.Generator().manual_seed(0)
    losses = [train_one_epoch(tiny, images, labels, sgd, batch_size=32, generator=gen) for _ in range(3)]
    print("mean training loss per epoch:", [round(l, 3) for l in losses])
    assert all(isinstance(l, float) for l in losses), "train_one_epoch should return a Python float"
    assert losses[-1] < losses[0], "the training loss should fall over three epochs"
    """),
    tests(checks.test_evaluate, 2, visible="""
    loss, acc = evaluate(tiny, splits.val[0][:500], splits.val[1][:500], batch_size=128)
    print(f"validation loss {loss:.3f}, accuracy {acc:.3f}")
    assert 0.0 <= acc <= 1.0, "accuracy is a fraction between 0 and 1"
    assert not tiny.training, "evaluate should leave the model in evaluation mode"
    """),
    md("""
    ## Part 5. Train it

    Everything together: your network, your augmentation and your two loops, with SGD
    (Nesterov momentum) under a one-cycle learning-rate schedule that rises for the first
    quarter of the run and then anneals to almost zero, stepped once per epoch here (the
    reference runner steps it every batch). The epoch kept is the one with the best
    *validation* accuracy; the test set is evaluated once, at the end.
    """),
    given("""
    torch.manual_seed(0)
    net = Net().to(DEVICE)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-5)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=settings["epochs"], pct_start=0.25)
    gen = torch.Generator(device=DEVICE).manual_seed(0)
    train_x, train_y = (t.to(DEVICE) for t in splits.train)
    val_x, val_y = (t.to(DEVICE) for t in splits.val)

    def train_augment(x, generator):
        return random_erasing(augment(x, generator, max_degrees=8.0, max_shift=0.08), generator, p=0.25, scale=(0.02, 0.12))

    history = {"loss": [], "train_acc": [], "val_acc": []}
    best = (0.0, None, 0)
    for epoch in range(1, settings["epochs"] + 1):
        loss = train_one_epoch(net, train_x, train_y, optimizer, batch_size=128, generator=gen, augment=train_augment)
        scheduler.step()
        train_acc = evaluate(net, train_x[:5000], train_y[:5000])[1]
        val_acc = evaluate(net, val_x, val_y)[1]
        history["loss"].append(loss); history["train_acc"].append(train_acc); history["val_acc"].append(val_acc)
        if val_acc > best[0]:
            best = (val_acc, {k: v.clone() for k, v in net.state_dict().items()}, epoch)
        print(f"epoch {epoch:2d}  loss {loss:.4f}  train acc {train_acc:.4f}  val acc {val_acc:.4f}")
    net.load_state_dict(best[1])
    test_loss, test_acc = evaluate(net, *(t.to(DEVICE) for t in splits.test))
    print(f"kept epoch {best[2]} (validation accuracy {best[0]:.4f}); test accuracy {test_acc:.4f}")
    plot_training(history["loss"], history["train_acc"], history["val_acc"], title=f"{settings['dataset']}, {PROFILE} profile")
    plt.show()
    """, grade_id="train_run", tags=["skip-autograde"]),
    md("""
    ## Questions (not graded)

    1. Your network's last convolution has a receptive field smaller than 28 pixels. Why can
       global average pooling still classify a digit from the whole image?
    2. A colleague adds `ColorJitter(saturation=0.1, hue=0.1)` to an MNIST pipeline and reports
       a gain of 0.05 %. What do you tell them?
    3. Step decay by 0.1 every 6 epochs, run for 40 epochs: what is the learning rate in the
       last epoch, relative to the first? What does that say about epochs 19 to 40?
    4. Why may the test accuracy of the epoch chosen by test accuracy not be reported as the
       model's accuracy?
    """),
    answer("questions", "*Your answers here (not graded).*"),
]
