"""Spec of source/lottery_ticket/lottery_ticket.ipynb (built by ``python -m autograder build``)."""
from solutions.lottery_ticket import imp, models, pruning, training

from autograder.build import answer, given, given_source, md, setup, solution, student_code, tests

from . import checks

CELLS = [
    md("""
    # Lottery tickets: iterative magnitude pruning and rewinding

    A trained network can lose most of its weights and keep its accuracy: prune the smallest
    ones and fine-tune what is left. Frankle & Carbin (2019) asked a sharper question. Take
    the sparse network that pruning found, reset its surviving weights to the values they had
    **before training**, and train it again from there: does it still learn as well as the
    dense network? For LeNet-300-100 on MNIST it does, down to a few percent of the weights,
    and it often learns *faster*. With the same mask but fresh random values it does not.
    The sparse subnetwork together with its initial values is a **winning ticket**.

    Finding one is an algorithm, **iterative magnitude pruning (IMP)**: train, prune a fraction
    of the smallest surviving weights of each layer, *rewind* the survivors, train again, and
    repeat. You will write its four parts:

    1. layer-wise magnitude pruning of the surviving weights, with masks kept as values;
    2. masks that keep pruned weights at exactly zero whatever the optimizer does;
    3. rewinding to the initial weights, to the weights of an early iteration $k$, or to a
       fresh random initialisation;
    4. the IMP loop itself, and its table of rounds.

    The notebook this chapter grew from did all of this with global variables (`mask`, `step`,
    `model`), pruned the embedding and the biases of a text model, enforced its masks with a
    NumPy round trip at every step, and called "late rewinding" something that was not.

    **How this notebook is graded.** Every cell marked `YOUR CODE HERE` is yours to complete.
    The test cell after it runs a few *visible* checks; when you submit, *hidden* checks run on
    other inputs (other layers, rates, masks, optimizers and training functions). The last
    question is read by a person. Do not rename functions, change their signatures, or delete
    cells.

    **Run time.** In the course's `smoke` profile (the default) the last part prunes a narrow
    LeNet on a few thousand Fashion-MNIST images in seconds. The real experiment,
    LeNet-300-100 on all of Fashion-MNIST, is `python -m solutions.lottery_ticket --profile
    full`; the book shows what it measured.
    """),
    setup("""
    import math
    import re
    import time
    from dataclasses import dataclass, field
    from typing import Callable, Iterable, Sequence

    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.nn.utils import parametrize, prune
    from tqdm.auto import tqdm

    from coursekit.profiles import current_profile
    from coursekit.splits import Splits, image_splits
    from coursekit.train import default_prepare, evaluate

    %matplotlib inline
    PROFILE = current_profile()
    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    print("profile:", PROFILE, "| device:", DEVICE)
    """, grade_id="setup"),
    md("""
    ## Masks are values

    A **mask** is a dictionary from the name of a prunable weight, as `model.named_parameters()`
    lists it on the dense model (`"fc1.weight"`, `"0.weight"`), to a boolean tensor of the
    weight's shape: `True` keeps the weight, `False` prunes it. Functions take masks and
    return new ones; nothing is stored between calls, so two experiments in one notebook
    cannot step on each other, as the original notebook's global `mask` did.

    Only the weights of `Linear` and `Conv` layers are pruned. A bias shifts a whole unit
    and there are few of them; an embedding is a lookup table, most of whose rows a batch
    never touches (in the original text model it held 98 % of the parameters, so pruning it
    by magnitude decided every "% of weights remaining" on its own).

    The cell below gives you the helpers the rest of the notebook uses. Read their
    docstrings: `effective_weight` reads the weight a network computes with, whichever way
    its mask is enforced; `logical_parameters` finds the tensor that is actually stored and
    trained for each name; `snapshot` copies every parameter's current value; `seeded` builds
    a model from a seeded generator without disturbing the global one.
    """),
    given("""
    #: The module types whose ``weight`` is prunable by default (no biases, no embeddings, no norms).
    PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    Masks = dict[str, torch.Tensor]   # name of a prunable weight -> bool tensor of its shape
    State = dict[str, torch.Tensor]   # logical parameter name -> value (see snapshot)
    """, grade_id="types"),
    given_source("helpers", pruning._owner, pruning.prunable, pruning.layer_rates, pruning.effective_weight,
                 pruning.logical_parameters, pruning.snapshot, pruning.seeded, pruning.remaining,
                 pruning.expected_counts, pruning.check_masks),
    md("""
    ## Part 1. Layer-wise magnitude pruning of the survivors

    Take one prunable tensor $W_\\ell$ with mask $M_\\ell$. Its survivors are the entries
    $S_\\ell = \\{i : M_{\\ell, i} = 1\\}$, $n_\\ell = |S_\\ell|$ of them. A pruning round with rate
    $p_\\ell \\in [0, 1]$ removes

    $$k_\\ell = \\operatorname{round}(p_\\ell\\, n_\\ell)$$

    survivors: those with the smallest magnitudes $|W_{\\ell, i}|$. Three details decide
    whether the numbers come out right.

    * **Layer-wise.** Each tensor is ranked on its own, with its own rate. A single global
      threshold would empty the layers whose weights happen to be small (an output layer,
      a layer with many inputs) before touching the others. Frankle & Carbin prune 20 %
      per round in LeNet's hidden layers and 10 % in its output layer (`layer_rates`).
    * **Survivors only.** A pruned weight is never ranked again, so $k_\\ell$ counts
      survivors and after $t$ rounds a layer keeps
      $n^{(t)} = n^{(t-1)} - \\operatorname{round}(p\\, n^{(t-1)}) \\approx (1 - p)^t\\, n^{(0)}$
      weights (`expected_counts`). `torch.nn.utils.prune` reads its `amount` the same way: a
      fraction of the weights that remain.
    * **Ties.** Among equal magnitudes, the entry with the lower flat (row-major) index is
      pruned first. Use Python's `round` for $k$.

    Write `prune_layerwise(model, masks, rates)`. Read the weights with `effective_weight`.
    Leave the model and the input masks untouched and return new masks.
    """),
    solution("prune", pruning.prune_layerwise),
    tests(checks.test_prune_layerwise, 3, visible="""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 4))
    rates = layer_rates(net)                                   # 20 % of fc "0", 10 % of the output layer "2"
    before = {name: p.detach().clone() for name, p in net.named_parameters()}
    masks = prune_layerwise(net, None, rates)
    assert sorted(masks) == ["0.weight", "2.weight"], f"one mask per name in rates, got {sorted(masks)}"
    assert all(m.dtype == torch.bool for m in masks.values()), "masks are bool tensors"
    assert remaining(masks) == {"0.weight": 64, "2.weight": 29}, f"80 - round(0.2 * 80), 32 - round(0.1 * 32); got {remaining(masks)}"
    w = net[0].weight.detach().abs()
    assert w[~masks["0.weight"]].max() <= w[masks["0.weight"]].min(), "the smallest magnitudes are pruned first"
    again = prune_layerwise(net, masks, rates)                 # a second round ranks the 64 survivors only
    assert remaining(again) == {"0.weight": expected_counts(80, 0.2, 2)[-1], "2.weight": expected_counts(32, 0.1, 2)[-1]}, remaining(again)
    assert not (again["0.weight"] & ~masks["0.weight"]).any(), "a pruned weight never comes back"
    assert remaining(masks) == {"0.weight": 64, "2.weight": 29}, "the input masks must not change"
    assert all(torch.equal(p, before[name]) for name, p in net.named_parameters()), "pruning must not change the weights"
    print("counts per layer:", remaining(again))
    """),
    md("""
    ## Part 2. Masks that hold through training

    The network must compute with $W \\odot M$ at every step, whatever the optimizer does.
    Zeroing the pruned weights once and masking their *gradients* is not enough: SGD's
    momentum $v \\leftarrow \\mu v + g$ keeps moving a weight whose gradient is now zero,
    Adam's moments carry the past, and weight decay is added inside the optimizer, after any
    gradient hook has run: a hook controls the gradient, not the update.
    A popular public implementation went further wrong: it zeroed the gradient wherever
    `tensor < eps`, which is true of every *negative* weight, so half of the surviving
    network never trained.

    PyTorch has the mechanism built in. `torch.nn.utils.prune.custom_from_mask(module, "weight", mask)`
    re-parametrises the layer:

    * the trained tensor becomes `module.weight_orig`, the **same** `nn.Parameter` object as
      before, so an optimizer built earlier keeps training it;
    * the mask is stored as a buffer `module.weight_mask`;
    * a forward pre-hook recomputes `module.weight = weight_orig * weight_mask` before every
      forward pass. The network never sees a pruned entry, and the gradient that reaches
      `weight_orig` is zero there. (The attribute `module.weight` is refreshed by the next
      forward pass; `effective_weight` computes it now.)

    Applying `custom_from_mask` a second time does not replace the first mask: it *stacks* a
    second one on top, so a weight pruned once could never come back. To change the mask of
    a tensor that already has one, overwrite its `weight_mask` buffer in place.

    Write `apply_masks`: after `apply_masks(net, masks)` every pruned weight the network uses is
    exactly zero through any number of steps of any optimizer, the unpruned ones (negative
    ones included) keep training, new masks replace old ones, and the caller's mask tensors
    are never modified. Return the model.
    """),
    solution("apply_masks", pruning.apply_masks),
    tests(checks.test_apply_masks, 3, visible="""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    F.cross_entropy(net(x), y).backward()
    opt.step()                                                 # the optimizer has momentum before pruning
    masks = {"0.weight": torch.rand(5, 6) > 0.5, "2.weight": torch.rand(3, 5) > 0.5}
    kept = {name: m.clone() for name, m in masks.items()}
    assert apply_masks(net, masks) is net, "apply_masks returns the model"
    start = {name: effective_weight(net, name).detach().clone() for name in masks}
    for _ in range(5):                                         # the optimizer built before the masks
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    net(x)                                                     # a forward pass refreshes module.weight
    for name, mask in masks.items():
        w = net.get_submodule(name.split(".")[0]).weight
        assert (w[~mask] == 0).all(), f"{name}: pruned weights must stay exactly 0 (momentum and weight decay too)"
        moved = (w != start[name])[mask & (start[name] < 0)]
        assert moved.all(), f"{name}: every unpruned weight keeps training, negative ones included"
        assert torch.equal(mask, kept[name]), "the caller's masks must not change"
    print("pruned weights stay at zero; the others train")
    """),
    md("""
    ## Part 3. Rewinding

    After a round of pruning, the survivors go back to a **target** state $\\theta^{\\star}$
    before the next round trains them:

    $$W_\\ell \\leftarrow \\theta^{\\star}_\\ell \\odot M_\\ell \\quad \\text{(prunable weights)}, \\qquad
      b \\leftarrow \\theta^{\\star}_b \\quad \\text{(every other parameter)}.$$

    The target is the caller's choice:

    * $\\theta_0$, the initial weights: Frankle & Carbin's rewinding;
    * $\\theta_k$, the weights of the first (dense) training run after an early iteration $k$:
      **late rewinding** (Frankle, Dziugaite, Roy & Carbin, 2020);
    * the initial weights of a *new* random network: the control experiment, which asks
      whether the mask alone makes a good subnetwork.

    Write `rewind(model, masks, state, optimizer=None)`. `state` maps every logical name to a
    value (what `snapshot` returns) and must cover every parameter of the model: refuse one
    that does not. Copy the values into the tensors that are stored and trained
    (`logical_parameters`): `weight_orig` for a masked weight, because `module.weight` is
    recomputed by the next forward pass and anything written into it is lost. Then apply the
    masks. An optimizer's state (momentum, Adam's moments) belongs to the weights it was
    accumulated for: when `optimizer` is given, clear its per-parameter state.
    """),
    solution("rewind", pruning.rewind),
    tests(checks.test_rewind, 2, visible="""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    theta0 = snapshot(net)
    masks = {"0.weight": torch.rand(5, 6) > 0.3, "2.weight": torch.rand(3, 5) > 0.3}
    apply_masks(net, masks)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    smaller = {name: m & (torch.rand(m.shape) > 0.5) for name, m in masks.items()}
    assert rewind(net, smaller, theta0, optimizer=opt) is net, "rewind returns the model"
    assert all(len(s) == 0 for s in opt.state.values()), "rewind clears the optimizer's per-parameter state"
    net(x)
    for name, value in snapshot(net).items():
        expected = theta0[name] * smaller[name] if name in smaller else theta0[name]
        assert torch.equal(value, expected), f"{name} should be its initial value times the new mask"
    refused = False
    try:
        rewind(net, smaller, {name: v for name, v in theta0.items() if name != "2.bias"})
    except Exception:
        refused = True
    assert refused, "a state without 2.bias must be refused"
    print("rewound to theta0 with the new masks")
    """),
    md("""
    ## Part 4. Iterative magnitude pruning

    IMP trains the dense network once (round 0), then repeats, for rounds $r = 1, \\dots, R$:

    1. **prune** `rates` of the survivors of each layer, ranked by the weights the previous
       round *ended* its training with;
    2. **rewind** the survivors to the strategy's target: $\\theta_0$ for `"init"`;
       $\\theta_k$ for `"late"`, recorded once by round 0's training after `late_iteration`
       iterations and reused in every round; for `"random"`, the initial weights of a new
       network built with `seeded(make_model, s)`, a new seed $s$ every round, the seeds drawn
       from a generator seeded with `seed` (so that the whole run is reproducible);
    3. **train** again and record how that went.

    Training is a function you are given, `train_fn(model, snapshot_at)`: it trains the model
    in place with a fresh optimizer of its own and returns a `TrainReport`, whose `snapshot`
    holds the weights after iteration `snapshot_at` when that is an integer (ask for it in
    round 0 of `"late"` only, `None` otherwise). When it returns, the model holds its weights
    at the *end* of training: those are the ones the next round prunes. Round 0 builds its
    network with `seeded(make_model, seed)`; when `fixed_masks` is given, round $r$ uses
    `fixed_masks[r]` instead of pruning (a ticket's masks found by another run).

    Build the loop from your `prune_layerwise` and `rewind` (the hidden checks replace
    them with instrumented stand-ins, so that this part is graded on its own) and return one
    `RoundResult` per round, 0 to $R$.
    """),
    given(f"""
    STRATEGIES = {imp.STRATEGIES!r}
    """, grade_id="strategies"),
    given_source("imp_types", imp.TrainReport, imp.RoundResult),
    given("""
    #: train_fn(model, snapshot_at) -> TrainReport (see the text above)
    TrainFn = Callable[[nn.Module, "int | None"], TrainReport]
    """, grade_id="train_fn_type"),
    solution("imp", imp.iterative_magnitude_pruning),
    tests(checks.test_imp, 3, visible="""
    def make_model():
        return nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))

    calls = []
    def fake_train(model, snapshot_at):
        \"\"\"Stands in for training: records the weights it starts from and moves every parameter.\"\"\"
        start = snapshot(model)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1 * torch.randn_like(p))
        calls.append((start, snapshot_at))
        n = len(calls)
        return TrainReport(early_stop_iteration=10 * n, val_loss=1.0 / n, test_acc=0.5 + 0.01 * n)

    rates = layer_rates(make_model())
    results = iterative_magnitude_pruning(make_model, fake_train, 3, rates, "init", seed=1)
    assert [r.round for r in results] == [0, 1, 2, 3], f"rounds 0..3, got {[r.round for r in results]}"
    assert len(calls) == 4 and all(asked is None for _, asked in calls), "one training per round, no snapshot for init"
    assert [r.early_stop_iteration for r in results] == [10, 20, 30, 40], "copy each round's report into its result"
    theta0 = snapshot(seeded(make_model, 1))
    for r, (start, _) in zip(results, calls):
        assert r.remaining == remaining(r.masks), "remaining counts the survivors of the masks"
        for name, value in start.items():
            expected = theta0[name] * r.masks[name] if name in r.masks else theta0[name]
            assert torch.equal(value, expected), f"round {r.round} should start from theta0 times its masks ({name})"
    assert all(not (b.masks[n] & ~a.masks[n]).any() for a, b in zip(results, results[1:]) for n in rates), "masks only shrink"
    print([f"{100 * r.fraction():.1f} %" for r in results])
    """),
    md("""
    ## Part 5. A small lottery, on real images

    Your functions together, with a real trainer (given below: Adam at Frankle & Carbin's
    1.2e-3, batches of 60, validation every 25 iterations, the early-stopping iteration at the
    lowest validation loss, test accuracy measured there). In the `smoke` profile the network is
    a narrow LeNet (784-100-30-10) trained for 300 iterations per round on 2,000 Fashion-MNIST
    images. The random re-initialisation keeps the masks of the `"init"` run, Frankle & Carbin's
    control: same structure, new values. At this size the curves are noisy; the book's
    experiment page shows the real run.

    Choose the run's settings (they are not graded, but the run needs them): `rounds`, at most 5,
    and `hidden_rate`, the fraction of the hidden layers' survivors pruned per round (the output
    layer prunes half as fast), such that the hidden layers keep **less than 10 %** of their
    weights after the last round; and `late_k`, the iteration of round 0's training that late
    rewinding goes back to: early, a few percent of its iterations (300 in the `smoke` profile).
    """),
    student_code("small_settings", """
    ### BEGIN SOLUTION
    rounds, hidden_rate, late_k = 4, 0.5, 25       # 0.5 ** 4 = 6.25 % of the hidden weights
    ### END SOLUTION
    assert 1 <= rounds <= 5 and (1 - hidden_rate) ** rounds < 0.1, "the hidden layers should end below 10 %"
    print(f"hidden layers keep {100 * (1 - hidden_rate) ** rounds:.1f} % after {rounds} rounds; late rewinding to iteration {late_k}")
    """),
    given_source("lenet", models.LeNet300100),
    given_source("trainer", training.TrainConfig, training.train_early_stopping, training._train,
                 training.make_train_fn),
    given("""
    small = {"smoke": dict(n_train=2000, hidden=(100, 30), iterations=300),
             "full": dict(n_train=None, hidden=(300, 100), iterations=5000)}[PROFILE]
    splits = image_splits("fashion-mnist", n_val=500, n_train=small["n_train"], n_test=2000, seed=0)
    config = TrainConfig(iterations=small["iterations"], batch_size=60, lr=1.2e-3, eval_every=25)
    train_fn = make_train_fn(splits, config, device=DEVICE, seed=0)
    make_model = lambda: LeNet300100(hidden=small["hidden"]).to(DEVICE)
    rates = layer_rates(seeded(make_model, 0), hidden=hidden_rate, output=hidden_rate / 2)

    start = time.perf_counter()
    runs = {"init": iterative_magnitude_pruning(make_model, train_fn, rounds, rates, "init", seed=0)}
    runs["late"] = iterative_magnitude_pruning(make_model, train_fn, rounds, rates, "late", late_iteration=late_k,
                                               seed=0)
    runs["random"] = iterative_magnitude_pruning(make_model, train_fn, rounds, rates, "random", seed=0,
                                                 fixed_masks=[r.masks for r in runs["init"]])
    print(f"{3 * (rounds + 1)} trainings in {time.perf_counter() - start:.1f} s")
    print("weights left  " + "  ".join(f"{100 * r.fraction():6.1f}%" for r in runs["init"]))
    for strategy, results in runs.items():
        print(f"{strategy:<12}  " + "  ".join(f"{100 * r.test_acc:6.1f}%" for r in results))

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for strategy, results in runs.items():
        ax.plot([100 * r.fraction() for r in results], [100 * r.test_acc for r in results], marker="o", label=strategy)
    ax.set(xscale="log", xlabel="% of weights remaining (log scale)", ylabel="test accuracy at early stop (%)")
    ax.invert_xaxis()
    ax.legend()
    plt.show()
    """, grade_id="small_lottery", tags=["skip-autograde"]),
    md("""
    ## Question (read by a person, 2 points)

    What does *late rewinding* rewind to, and why? The original notebook saved the network's
    weights at the end of its first training run and, in every later round, reset the
    survivors to those weights under the name "late rewinding". Why is that not late
    rewinding, and what question does it answer instead?
    """),
    answer("late_rewinding", "YOUR ANSWER HERE", points=2),
]
