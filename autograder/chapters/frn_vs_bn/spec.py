"""Spec of source/frn_vs_bn/frn_vs_bn.ipynb (built by ``python -m autograder build``)."""
from solutions.frn_vs_bn import dependence, frn, nin, protocol

from autograder.build import answer, given, given_source, md, setup, solution, tests

from . import checks

CELLS = [
    md("""
    # Normalisation without the batch: FRN against BatchNorm, compared fairly

    BatchNorm normalises every channel with the mean and variance of the *current batch*. That
    makes deep networks trainable at high learning rates, and it also makes each image's output
    depend on which other images share its batch: harmless at batch size 128, ruinous at 2.
    **Filter Response Normalization** (FRN, Singh & Krishnan 2020) normalises each image with its
    own statistics and pairs that with a learned activation threshold, the **TLU**.

    You will write FRN, a Network-in-Network (NiN) that takes any normalisation, a measurement
    of how much a sample's output depends on its batch, and the part most comparisons get wrong:
    **a protocol that trains every variant under the same conditions**. The notebook this
    chapter grew from trained an FRN network, then "switched to BatchNorm" without building a
    new model or optimizer: its "BatchNorm" run kept training the FRN network, so the gap it
    printed (63.7 % against 77.0 %) measured nothing.

    **How this notebook is graded.** Every cell marked `YOUR CODE HERE` is yours to complete.
    The test cell after it runs a few *visible* checks; when you submit, *hidden* checks run on
    other inputs (other shapes, scales, models and factories). The last question is read by
    a person. Do not rename functions, change their signatures, or delete cells.

    **Run time.** By default the notebook uses the course's `smoke` profile: a subset of
    Fashion-MNIST (available offline) and a narrow network, seconds on a laptop. The full
    experiment (CIFAR-10, five batch sizes, three seeds) is `python -m solutions.frn_vs_bn
    --profile full` on a GPU; the book shows its results.
    """),
    setup("""
    import math

    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    from coursekit.cnn import count_parameters
    from coursekit.profiles import current_profile

    %matplotlib inline
    PROFILE = current_profile()
    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    print("profile:", PROFILE, "| device:", DEVICE)
    """, grade_id="setup"),
    md("""
    ## Part 1. Filter Response Normalization and the TLU

    For an input $x$ of shape $(N, C, H, W)$, FRN works on each sample $n$ and channel $c$
    separately. With $x_{nc}$ the $H \\times W$ map of that sample and channel:

    $$\\nu^2_{nc} = \\frac{1}{HW} \\sum_{h,w} x_{nchw}^2, \\qquad
      \\hat{x}_{nchw} = \\frac{x_{nchw}}{\\sqrt{\\nu^2_{nc} + |\\epsilon|}}, \\qquad
      y_{nchw} = \\max\\left(\\gamma_c \\hat{x}_{nchw} + \\beta_c,\\; \\tau_c\\right).$$

    * $\\nu^2$ is the mean *square*, not the variance: FRN does not subtract a mean. It is
      averaged over the spatial positions only, never over the batch or the channels.
    * $\\gamma$, $\\beta$ and $\\tau$ are learned, one value per channel: start them at 1, 0 and
      0, so that a new layer is a plain normalisation followed by a ReLU.
    * The **TLU** $\\max(\\cdot, \\tau)$ replaces the ReLU. Without a mean subtraction, the
      normalised values of a channel need not be centred anywhere near 0, and a fixed ReLU
      could zero a channel almost entirely; $\\tau$ lets each channel learn where to cut.
    * $\\epsilon$ is a small constant (1e-6). Keep it in a **buffer**
      (`self.register_buffer("eps", ...)`) so it is saved in `state_dict` but not trained,
      and use its absolute value. On a 1×1 map $\\nu^2 = x^2$ and $\\hat{x} \\approx
      \\mathrm{sign}(x)$: for that case the paper learns $\\epsilon$. With `learnable_eps=True`
      the layer also has a parameter `eps_l` (one per channel, starting at 1e-4) and uses
      $|\\epsilon| + |\\epsilon_l|$.
    * Under mixed precision the input may be float16 or bfloat16, where $x^2$ overflows or
      loses precision: compute $\\nu^2$ (and the normalisation) in at least float32, and return
      the input's dtype.

    Write `FilterResponseNorm2d(num_features, eps=1e-6, learnable_eps=False)` with parameters
    named `gamma`, `beta`, `tau` (shape `(C,)`), the buffer `eps` (a 0-d tensor) and, when
    asked, the parameter `eps_l` (shape `(C,)`; set `self.eps_l = None` otherwise).
    """),
    solution("frn", frn.FilterResponseNorm2d),
    tests(checks.test_frn, 4, visible="""
    torch.manual_seed(0)
    layer = FilterResponseNorm2d(4)
    names = sorted(name for name, _ in layer.named_parameters())
    assert names == ["beta", "gamma", "tau"], f"parameters should be gamma, beta, tau; got {names}"
    assert "eps" in layer.state_dict() and "eps" not in dict(layer.named_parameters()), (
        "eps should be a buffer (saved in state_dict, not trained)")
    x = torch.randn(2, 4, 5, 5) * 3
    y = layer(x)
    assert y.shape == x.shape, f"FRN should keep the shape {tuple(x.shape)}, got {tuple(y.shape)}"
    # at initialisation (gamma=1, beta=0, tau=0): max(x / rms(x), 0), the rms over H x W per sample and channel
    rms = x.pow(2).mean(dim=(2, 3), keepdim=True).add(1e-6).sqrt()
    assert torch.allclose(y, (x / rms).clamp_min(0), atol=1e-5), "at initialisation FRN should give max(x / rms, 0)"
    # one sample alone or in a batch: the same output
    assert torch.allclose(layer(x[:1]), y[:1], atol=1e-6), "a sample's output should not depend on its batch"
    print("FRN matches the formula at initialisation and is independent of the batch")
    """),
    md("""
    ## Part 2. Network in Network, with any normalisation

    NiN (Lin, Chen & Yan 2014) replaces the fully connected classifier with convolutions: each
    block is one spatial convolution followed by two 1×1 convolutions, and the last block
    maps to one channel per class, averaged over the whole image. `LAYOUT` lists the nine
    convolutions as (kernel size, channels), block by block; `channels(c, width)` scales a
    hidden width (the smoke profile uses narrow networks), and `norm_layer(norm, c)` returns
    what follows a convolution for each normalisation: BatchNorm + ReLU, GroupNorm + ReLU, FRN
    (its TLU is the activation) or a plain ReLU for `"none"`.

    | block | layers |
    |---|---|
    | 1 | conv k×k (padding k // 2) → norm_layer, three times; max-pool 3×3, stride 2, padding 1; dropout |
    | 2 | the same three convolutions; **average**-pool 3×3, stride 2, padding 1; dropout |
    | 3 | conv 3×3 → norm_layer; conv 1×1 → norm_layer; conv 1×1 to `num_classes` channels (**nothing after it**); global average pool; flatten |

    Write `NiN(norm="bn", in_channels=3, num_classes=10, width=1.0, dropout=0.5)`:

    * every hidden convolution has `channels(c, width)` outputs and is followed by
      `norm_layer(norm, ...)`; the last convolution has `num_classes` outputs and a bias;
    * hidden convolutions have a bias only when `norm == "none"` (a normalisation has its own
      shift $\\beta$, which makes a bias before it redundant);
    * build the layers in the order they run (the hidden checks load weights into your
      network in the order of `parameters()`), and return logits of shape `(N, num_classes)`
      for 32×32 and 28×28 inputs alike: no ReLU, no softmax at the end.
    """),
    given(f"""
    NORMS = {nin.NORMS!r}
    LAYOUT = {nin.LAYOUT!r}  # (kernel, channels at width 1) of each convolution, block by block
    """, grade_id="layout"),
    given_source("norm_layers", nin.channels, nin.norm_layer),
    solution("nin", nin.NiN),
    tests(checks.test_nin, 3, visible="""
    for norm in NORMS:
        net = NiN(norm, in_channels=3, width=0.25).eval()
        with torch.no_grad():
            out = net(torch.randn(2, 3, 32, 32))
        assert tuple(out.shape) == (2, 10), f"NiN({norm!r}) maps (2, 3, 32, 32) to {tuple(out.shape)}, expected (2, 10)"
        print(f"{norm:>5}: {count_parameters(net):,} parameters at width 0.25")
    gray = NiN("frn", in_channels=1, width=0.25).eval()
    with torch.no_grad():
        assert tuple(gray(torch.randn(3, 1, 28, 28)).shape) == (3, 10), "a 28x28 grayscale batch should give (3, 10)"
        assert (gray(torch.randn(64, 1, 28, 28)) < 0).any(), "logits can be negative: no ReLU after the last convolution"
    """),
    md("""
    ## Part 3. How much does a sample depend on its batch?

    Put one image first in two batches whose other images differ, and compare the image's
    outputs. With BatchNorm in training mode the batch's mean and variance enter every
    output; with FRN or GroupNorm nothing crosses from one sample to another.

    Write `batch_dependence(model, sample, batch_a, batch_b)`: run the model in training mode
    on `sample` (one `(C, H, W)` image) followed by `batch_a`, then on `sample` followed by
    `batch_b`, without gradients, and return $\\max|y_a - y_b| / \\max|y_a|$ where $y_a, y_b$
    are the model's outputs for the sample. A measurement must not change what it measures:
    afterwards the model is back in the mode it was in, and every parameter and buffer is as
    it was (a training-mode pass moves BatchNorm's running statistics). Dropout draws new
    masks on every pass, so measure models built without it.
    """),
    solution("dependence", dependence.batch_dependence),
    tests(checks.test_batch_dependence, 2, visible="""
    torch.manual_seed(0)
    x = torch.randn(17, 3, 32, 32)
    for norm in ("bn", "frn", "gn"):
        net = NiN(norm, width=0.25, dropout=0.0).eval()
        d = batch_dependence(net, x[0], x[1:9], x[9:])
        print(f"{norm:>4}: {d:.2e}")
        assert (d > 1e-3) if norm == "bn" else (d < 1e-5), f"unexpected batch dependence {d:.2e} for {norm}"
        assert not net.training, "batch_dependence should leave the model in the mode it was in"
    """),
    md("""
    ## Part 4. A fair comparison

    To compare normalisations, everything but the normalisation must be the same in every
    run. Concretely, for each variant:

    1. seed PyTorch's generator with the **same seed** (`torch.manual_seed`), *then*
       build a **new model**, so that every run starts from the same initial weights wherever
       the architectures agree;
    2. build a **new optimizer** on that model's parameters: an optimizer carries state
       (momentum, Adam's moments) and belongs to one model;
    3. train with the **same batches in the same order** and the same schedule: the training
       function draws its batches from the seed it is given.

    Write `compare_norms(norms, make_model, make_optimizer, train, seed=0)`: for every `norm` in
    `norms`, in order, `make_model(norm)` gives a model, `make_optimizer(model)` its optimizer,
    and `train(model, optimizer, seed)` trains it and returns a result; return
    `{norm: result}`. The hidden checks call it with factories that record what they are
    given.
    """),
    solution("protocol", protocol.compare_norms),
    tests(checks.test_compare_norms, 3, visible="""
    built, optimized, trained = [], [], []
    def make_model(norm):  # a stand-in for NiN(norm): the protocol does not care what it builds
        net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4) if norm == "gn" else nn.BatchNorm2d(4))
        built.append((norm, net, net[0].weight.detach().clone()))
        return net
    def make_optimizer(model):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        optimized.append((model, opt))
        return opt
    def train(model, optimizer, seed):
        trained.append((model, optimizer, seed))
        return len(trained)
    out = compare_norms(["bn", "frn"], make_model, make_optimizer, train, seed=3)
    assert list(out) == ["bn", "frn"] and out == {"bn": 1, "frn": 2}, f"expected {{norm: train's result}}, got {out}"
    assert [n for n, _, _ in built] == ["bn", "frn"], "make_model should be called once per norm, in order"
    assert built[0][1] is not built[1][1], "every norm needs a new model"
    assert torch.equal(built[0][2], built[1][2]), "both models should start from the same weights (the same seed)"
    assert trained[0][1] is not trained[1][1], "every model needs a new optimizer"
    print("one protocol, fresh state for every run")
    """),
    md("""
    ## Part 5. The comparison, small

    Your functions together: a narrow NiN (no dropout) on a few hundred Fashion-MNIST images
    for two epochs, BatchNorm, FRN and GroupNorm at batch sizes 2 and 32, the learning rate
    scaled with the batch size. At this size the numbers mostly say how fast each network
    *starts* to learn (BatchNorm is quick off the mark), not where it ends: the book's
    experiment page shows the whole sweep as it was measured (five batch sizes, three seeds,
    10 epochs on 4,000 Fashion-MNIST images, on a CPU) and what it found.
    """),
    given("""
    from coursekit.splits import image_splits
    from coursekit.train import evaluate, fit

    small = {"smoke": dict(n_train=256, width=0.125, epochs=2), "full": dict(n_train=5000, width=0.5, epochs=5)}[PROFILE]
    splits = image_splits("fashion-mnist", n_val=256, n_train=small["n_train"], n_test=500, seed=0)
    prepare = lambda x: (x.float().unsqueeze(1) / 255 - 0.286) / 0.353
    sizes = (2, 32)

    results = {}
    for batch_size in sizes:
        lr = 0.4 * batch_size / 128
        def train(model, optimizer, seed):
            fit(model, splits.train, epochs=small["epochs"], optimizer=optimizer, batch_size=batch_size,
                device=DEVICE, prepare=prepare, seed=seed, progress=False)
            return evaluate(model, splits.test, prepare=prepare)[1]
        results[batch_size] = compare_norms(
            ["bn", "frn", "gn"], lambda norm: NiN(norm, in_channels=1, width=small["width"], dropout=0.0),
            lambda model: torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True), train, seed=0)
        print(f"batch {batch_size:3d}:", {norm: f"{acc:.1%}" for norm, acc in results[batch_size].items()})
    fig, ax = plt.subplots(figsize=(5, 3))
    for norm in ("bn", "frn", "gn"):
        ax.plot(sizes, [100 * results[b][norm] for b in sizes], marker="o", label=norm)
    ax.set(xscale="log", xticks=sizes, xticklabels=[str(b) for b in sizes], xlabel="batch size",
           ylabel="test accuracy (%)", title=f"{small['epochs']} epochs on {small['n_train']} images")
    ax.legend()
    plt.show()
    """, grade_id="small_sweep", tags=["skip-autograde"]),
    md("""
    ## Question (read by a person, 2 points)

    In a few sentences each: (a) why does a BatchNorm network trained at batch size 2 do badly,
    at training time *and* when it is evaluated? (b) Why does FRN need the TLU, when BatchNorm
    is happy with a plain ReLU?
    """),
    answer("why_frn", "YOUR ANSWER HERE", points=2),
]
