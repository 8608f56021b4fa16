"""The lottery_ticket reference package: pruning counts, mask enforcement, rewinding, IMP, runner.

Fast: no test trains more than a few hundred iterations of a small network (the real smoke
profile on Fashion-MNIST is the one ``slow`` test).
"""
from __future__ import annotations

import json
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize, prune

from coursekit.data import present, write_synthetic_ag_news, write_synthetic_mnist
from coursekit.splits import image_splits
from solutions.lottery_ticket import (LeNet300100, TextCNN, TrainConfig, TrainReport, apply_masks, build_vocab,
                                      effective_weight, encode, expected_counts, iterative_magnitude_pruning,
                                      layer_rates, logical_parameters, make_train_fn, prunable, prune_layerwise,
                                      rewind, seeded, snapshot, text_splits, tokenize, train_early_stopping)
from solutions.lottery_ticket.__main__ import main as runner
from solutions.lottery_ticket.config import PROFILES, Hparams
from solutions.lottery_ticket.experiment import run

LENET = ("fc1.weight", "fc2.weight", "fc3.weight")


def small_mlp(seed: int = 0) -> nn.Module:
    """A 12-8-3 MLP: big enough for counts, small enough to reason about."""
    def make():
        return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    return seeded(make, seed)


def fresh_weights(model: nn.Module, names) -> dict[str, torch.Tensor]:
    """The weights the network computes with, read the way a forward pass sees them."""
    model(torch.zeros(1, model[0].in_features) if isinstance(model, nn.Sequential) else torch.zeros(1, 784))
    return {n: model.get_submodule(n.rpartition(".")[0]).weight.detach().clone() for n in names}


# ------------------------------------------------------------------ prunable tensors and rates

def test_prunable_lists_linear_and_conv_weights_only():
    assert prunable(LeNet300100()) == list(LENET)
    text = TextCNN(vocab_size=50, embed_dim=8, filters=4)
    assert prunable(text) == ["convs.0.weight", "convs.1.weight", "convs.2.weight", "fc.weight"]
    assert prunable(text, kinds=(nn.Embedding, nn.Linear)) == ["embedding.weight", "fc.weight"]
    assert layer_rates(LeNet300100()) == {"fc1.weight": 0.2, "fc2.weight": 0.2, "fc3.weight": 0.1}
    assert layer_rates(text)["fc.weight"] == 0.1 and layer_rates(text)["convs.2.weight"] == 0.2
    model = LeNet300100()
    apply_masks(model, {n: torch.ones_like(model.get_submodule(n[:3]).weight, dtype=torch.bool) for n in LENET})
    assert prunable(model) == list(LENET)                       # names survive the re-parametrisation


def test_lenet_shapes_and_initialisation():
    model = LeNet300100()
    assert sum(model.get_submodule(n[:3]).weight.numel() for n in LENET) == 266_200
    assert sum(p.numel() for p in model.parameters()) == 266_610
    assert model(torch.rand(5, 28, 28)).shape == (5, 10) and model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert not model.fc1.bias.any()
    assert model.fc1.weight.std().item() == pytest.approx((2 / (784 + 300)) ** 0.5, rel=0.02)   # Glorot normal


def test_seeded_is_reproducible_and_leaves_the_global_generator_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a, b = seeded(LeNet300100, 7), seeded(LeNet300100, 7)
    assert torch.equal(torch.rand(3), expected)
    assert torch.equal(a.fc1.weight, b.fc1.weight) and not torch.equal(a.fc1.weight, seeded(LeNet300100, 8).fc1.weight)


# ------------------------------------------------------------------ prune_layerwise

def test_prune_layerwise_removes_the_rate_of_each_layer_by_magnitude():
    model = LeNet300100()
    with torch.no_grad():
        model.fc2.weight.mul_(1e-3)          # a global threshold would empty this layer first
    rates = {"fc1.weight": 0.2, "fc2.weight": 0.35, "fc3.weight": 0.1}
    masks = prune_layerwise(model, None, rates)
    assert set(masks) == set(rates)
    for name, rate in rates.items():
        weight, mask = model.get_submodule(name[:3]).weight.detach(), masks[name]
        assert mask.dtype == torch.bool and mask.shape == weight.shape
        assert int((~mask).sum()) == round(rate * weight.numel())
        assert weight[~mask].abs().max() <= weight[mask].abs().min()      # the smallest magnitudes go
    assert masks["fc2.weight"].float().mean().item() == pytest.approx(0.65, abs=1e-4)


def test_prune_layerwise_matches_torch_prune_l1_unstructured_round_after_round():
    """Same counts and, without ties, the same weights as torch's own pruning (which ranks survivors)."""
    model = small_mlp(1)
    reference = small_mlp(1)
    masks = None
    for rate in (0.3, 0.25, 0.5, 0.1):
        masks = prune_layerwise(model, masks, {"0.weight": rate, "2.weight": rate})
        prune.l1_unstructured(reference[0], "weight", amount=rate)
        prune.l1_unstructured(reference[2], "weight", amount=rate)
        assert torch.equal(masks["0.weight"], reference[0].weight_mask.bool())
        assert torch.equal(masks["2.weight"], reference[2].weight_mask.bool())


def test_prune_layerwise_ranks_only_surviving_weights():
    model = small_mlp(2)
    weight = model[0].weight.detach()
    # a mask that pruned the 30 *largest* weights: ranking them again would change the count
    first = torch.ones_like(weight, dtype=torch.bool)
    first.view(-1)[weight.abs().flatten().argsort(descending=True)[:30]] = False
    before = first.clone()
    masks = prune_layerwise(model, {"0.weight": first}, {"0.weight": 0.25})
    assert torch.equal(first, before), "the input masks must not be modified"
    new = masks["0.weight"]
    assert not (new & ~first).any(), "a pruned weight came back"
    newly = first & ~new
    assert int(newly.sum()) == round(0.25 * 66)
    assert weight[newly].abs().max() <= weight[new].abs().min()


def test_prune_layerwise_breaks_ties_by_lowest_flat_index_and_leaves_the_rest_alone():
    model = small_mlp(3)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([1.0, -1.0]).repeat(48).view(8, 12))   # all |w| equal
        model[2].weight.copy_(torch.arange(24, dtype=torch.float32).view(3, 8) - 11.5)
    bias_before, weight_before = model[0].bias.clone(), model[0].weight.clone()
    other = torch.rand(3, 8) > 0.5
    masks = prune_layerwise(model, {"2.weight": other}, {"0.weight": 0.1})
    assert (~masks["0.weight"]).flatten().nonzero().flatten().tolist() == list(range(10))   # round(9.6) = 10
    assert torch.equal(masks["2.weight"], other), "a tensor without a rate keeps its mask"
    assert set(masks) == {"0.weight", "2.weight"}, "biases are never masked"
    assert torch.equal(model[0].bias, bias_before) and torch.equal(model[0].weight, weight_before)
    assert not hasattr(model[0], "weight_mask"), "prune_layerwise computes masks; it does not apply them"
    with pytest.raises(ValueError):
        prune_layerwise(model, None, {"0.weight": 1.5})


def test_twenty_percent_per_round_leaves_exactly_the_recurrence_and_close_to_0_8_to_the_k():
    model = LeNet300100()
    rates = layer_rates(model)
    masks = None
    counts = {n: [model.get_submodule(n[:3]).weight.numel()] for n in LENET}
    for _ in range(15):
        masks = prune_layerwise(model, masks, rates)
        for n in LENET:
            counts[n].append(int(masks[n].sum()))
    for n in LENET:
        size, rate = counts[n][0], rates[n]
        assert counts[n] == expected_counts(size, rate, 15)
        for k, count in enumerate(counts[n]):
            assert abs(count - size * (1 - rate) ** k) < 0.5 / rate
    assert counts["fc3.weight"][:5] == [1000, 900, 810, 729, 656]      # 0.9^4 = 65.61 %: whole weights give 65.6 %


# ------------------------------------------------------------------ apply_masks

def _grad_masking_only(model, masks):
    """The wrong way (a mutant): zero the weights once and mask their gradients."""
    for name, mask in masks.items():
        weight = model.get_submodule(name.rpartition(".")[0]).weight
        with torch.no_grad():
            weight.mul_(mask)
        weight.register_hook(lambda g, m=mask: g * m)


def _freeze_negative(model, masks):
    """A popular implementation's bug (a mutant): gradients zeroed where the weight is < eps."""
    for name, mask in masks.items():
        weight = model.get_submodule(name.rpartition(".")[0]).weight
        with torch.no_grad():
            weight.mul_(mask)
        weight.register_hook(lambda g, w=weight: torch.where(w.detach() < 1e-6, torch.zeros_like(g), g))


OPTIMIZERS = {
    "adam+weight decay": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "sgd+momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd+nesterov+weight decay": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
}


def masks_hold(apply, make_optimizer, warm: bool) -> tuple[bool, float]:
    """Train a small MLP after ``apply`` masked it; returns whether every pruned weight is
    exactly 0 afterwards and the fraction of unpruned negative weights that moved. ``warm``:
    the optimizer was built and stepped *before* the masks (momentum and Adam moments for
    every weight); otherwise it is built after them, fresh."""
    torch.manual_seed(0)
    model = small_mlp(4)
    x, y = torch.randn(64, 12), torch.randint(0, 3, (64,))
    optimizer = make_optimizer(model.parameters()) if warm else None
    for _ in range(3 if warm else 0):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    masks = prune_layerwise(model, None, {"0.weight": 0.5, "2.weight": 0.3})
    apply(model, masks)
    optimizer = optimizer or make_optimizer(model.parameters())
    before = fresh_weights(model, masks)
    for _ in range(10):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    after = fresh_weights(model, masks)
    zero = all(not after[n][~m].any() and not effective_weight(model, n)[~m].any() for n, m in masks.items())
    negative = torch.cat([(before[n] < 0)[m] for n, m in masks.items()])
    moved = torch.cat([(after[n] != before[n])[m] for n, m in masks.items()])
    return zero, moved[negative].float().mean().item()


@pytest.mark.parametrize("warm", [True, False], ids=["optimizer-before-masks", "fresh-optimizer"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_apply_masks_keeps_pruned_weights_exactly_zero_while_the_rest_learn(optimizer, warm):
    zero, negatives_moved = masks_hold(apply_masks, OPTIMIZERS[optimizer], warm)
    assert zero
    assert negatives_moved > 0.9


def test_the_mask_checks_catch_gradient_masking_and_frozen_negative_weights():
    """The two checks above are sensitive: momentum or Adam's moments revive weights whose
    gradient alone is masked, and masking gradients where ``w < eps`` freezes negative weights."""
    assert not masks_hold(_grad_masking_only, OPTIMIZERS["sgd+momentum"], warm=True)[0]
    assert not masks_hold(_grad_masking_only, OPTIMIZERS["adam+weight decay"], warm=True)[0]
    assert masks_hold(_freeze_negative, OPTIMIZERS["sgd+momentum"], warm=False)[1] < 0.1


def test_apply_masks_keeps_parameters_and_replaces_an_earlier_mask():
    model = small_mlp(5)
    param = model[0].weight
    first = prune_layerwise(model, None, {"0.weight": 0.5})
    kept = {n: m.clone() for n, m in first.items()}
    apply_masks(model, first)
    assert logical_parameters(model)["0.weight"] is param, "the trained tensor must stay the same Parameter"
    second = {"0.weight": ~first["0.weight"]}                 # revives every pruned weight, prunes the others
    apply_masks(model, second)
    assert logical_parameters(model)["0.weight"] is param
    assert torch.equal(first["0.weight"], kept["0.weight"]), "applying new masks changed the caller's old ones"
    assert torch.equal(effective_weight(model, "0.weight"), param.detach() * second["0.weight"])
    assert torch.equal(model[0].weight, param.detach() * second["0.weight"])     # refreshed without a forward
    x = torch.randn(4, 12)
    expected = model[2](F.relu(F.linear(x, param * second["0.weight"], model[0].bias)))
    assert torch.allclose(model(x), expected)
    with pytest.raises(ValueError):
        apply_masks(model, {"2.weight": torch.ones(8, 3, dtype=torch.bool)})


def test_logical_names_translate_prune_and_parametrize():
    model = small_mlp(6)
    apply_masks(model, {"0.weight": torch.rand(8, 12) > 0.5})

    class Mask(nn.Module):
        def __init__(self, mask):
            super().__init__()
            self.register_buffer("mask", mask)

        def forward(self, w):
            return w * self.mask

    mask2 = torch.rand(3, 8) > 0.5
    parametrize.register_parametrization(model[2], "weight", Mask(mask2))
    params = logical_parameters(model)
    assert list(params) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert params["0.weight"] is model[0].weight_orig and params["2.weight"] is model[2].parametrizations.weight.original
    state = snapshot(model)
    assert torch.equal(state["2.weight"], params["2.weight"].detach() * mask2)
    assert torch.equal(state["0.weight"], model[0].weight_orig.detach() * model[0].weight_mask)


# ------------------------------------------------------------------ rewind

def _train_steps(model, steps=5, lr=0.05):
    x, y = torch.randn(32, 12), torch.randint(0, 3, (32,))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return optimizer


@pytest.mark.parametrize("target", ["init", "late", "random"])
def test_rewind_sets_every_parameter_and_reapplies_the_new_masks(target):
    torch.manual_seed(0)
    model = small_mlp(7)
    rates = {"0.weight": 0.2, "2.weight": 0.1}
    masks = {n: torch.ones_like(effective_weight(model, n), dtype=torch.bool) for n in rates}
    apply_masks(model, masks)
    init = snapshot(model)
    _train_steps(model, 3)
    late = snapshot(model)
    optimizer = _train_steps(model, 5)
    trained = snapshot(model)
    state = {"init": init, "late": late, "random": snapshot(small_mlp(99))}[target]
    masks = prune_layerwise(model, masks, rates)
    assert rewind(model, masks, state, optimizer=optimizer) is model
    assert not optimizer.state, "the optimizer's momentum belongs to the weights before rewinding"
    now = fresh_weights(model, rates)
    for name in rates:
        assert torch.equal(now[name], state[name] * masks[name])
        assert not torch.equal(now[name], trained[name] * masks[name])
    assert torch.equal(model[0].bias, state["0.bias"]) and torch.equal(model[2].bias, state["2.bias"])
    # the next round's masks replace the old ones; values written into weight_orig survive a forward pass
    masks = prune_layerwise(model, masks, rates)
    rewind(model, masks, state)
    assert torch.equal(fresh_weights(model, rates)["0.weight"], state["0.weight"] * masks["0.weight"])


def test_rewind_refuses_an_incomplete_state_and_works_on_a_dense_model():
    model = small_mlp(8)
    state = snapshot(small_mlp(9))
    mask = torch.rand(8, 12) > 0.3
    rewind(model, {"0.weight": mask}, state)
    assert torch.equal(fresh_weights(model, ["0.weight"])["0.weight"], state["0.weight"] * mask)
    assert torch.equal(model[2].weight, state["2.weight"])              # not masked: plain copy
    _train_steps(model, 3)                                                # the mask is applied, not only the values
    assert not fresh_weights(model, ["0.weight"])["0.weight"][~mask].any()
    del state["2.bias"]
    with pytest.raises(KeyError):
        rewind(model, {"0.weight": mask}, state)


# ------------------------------------------------------------------ the IMP loop, with a fake trainer

class FakeTrainer:
    """Records the weights each call starts from, then moves every parameter by a seeded
    random step (half of it before the "snapshot iteration", half after)."""

    def __init__(self):
        self.starts, self.ends, self.asked, self.snapshots = [], [], [], []
        self.calls = 0

    def __call__(self, model, snapshot_at):
        self.starts.append(snapshot(model))
        self.asked.append(snapshot_at)
        gen = torch.Generator().manual_seed(100 + self.calls)
        params = list(model.parameters())
        taken = None
        with torch.no_grad():
            for half in range(2):
                for p in params:
                    p.add_(0.1 * torch.randn(p.shape, generator=gen))
                if half == 0 and snapshot_at is not None:
                    taken = snapshot(model)
        self.ends.append(snapshot(model))
        self.snapshots.append(taken)
        self.calls += 1
        return TrainReport(early_stop_iteration=10 * self.calls, val_loss=1.0 / self.calls, test_acc=0.5 + 0.01 * self.calls,
                           snapshot=taken)


@pytest.mark.parametrize("strategy", ["init", "late", "random"])
def test_imp_prunes_trained_weights_and_rewinds_to_the_strategy_target(strategy):
    rates = {"0.weight": 0.2, "2.weight": 0.1}
    trainer = FakeTrainer()
    make = lambda: nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))  # noqa: E731
    results = iterative_magnitude_pruning(make, trainer, 4, rates, strategy, late_iteration=3, seed=11)
    init = snapshot(seeded(make, 11))
    assert trainer.calls == 5 and [r.round for r in results] == [0, 1, 2, 3, 4]
    assert trainer.asked == ([3] if strategy == "late" else [None]) + [None] * 4
    assert all(torch.equal(trainer.starts[0][n], init[n]) for n in init), "round 0 trains θ0"
    target = {"init": init, "late": trainer.snapshots[0]}.get(strategy)
    masks, seen = None, []
    for r in range(1, 5):
        masks = prune_layerwise(_with_weights(make, trainer.ends[r - 1]), masks, rates)   # from the trained weights
        assert all(torch.equal(results[r].masks[n], masks[n]) for n in rates)
        start = trainer.starts[r]
        if target is not None:
            for n in init:
                expected = target[n] * masks[n] if n in masks else target[n]
                assert torch.equal(start[n], expected), f"round {r}: {n} is not the rewound value"
        else:
            assert not torch.equal(start["0.bias"], init["0.bias"]) or not torch.equal(start["2.weight"], init["2.weight"] * masks["2.weight"])
            assert all(not start[n][~masks[n]].any() for n in rates)
            seen.append(start["0.bias"])
    if strategy == "random":
        assert not torch.equal(seen[0], seen[1]), "each round draws a new initialisation"
        again = FakeTrainer()
        iterative_magnitude_pruning(make, again, 4, rates, strategy, seed=11)
        assert all(torch.equal(a[n], b[n]) for a, b in zip(trainer.starts, again.starts) for n in a), \
            "the same seed must give the same re-initialisations"
    for r, result in enumerate(results):
        assert result.remaining == {n: expected_counts(result.sizes[n], rates[n], 4)[r] for n in rates}
        assert result.early_stop_iteration == 10 * (r + 1) and result.test_acc == pytest.approx(0.5 + 0.01 * (r + 1))
    assert results[4].fraction("0.weight") == pytest.approx(expected_counts(96, 0.2, 4)[4] / 96)


def _with_weights(make, state):
    model = make()
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(state[name])
    return model


def test_imp_with_fixed_masks_and_bad_strategy():
    rates = {"0.weight": 0.5}
    make = lambda: nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))  # noqa: E731
    fixed = [None] + [{"0.weight": torch.rand(8, 12) > p} for p in (0.3, 0.6)]
    trainer = FakeTrainer()
    results = iterative_magnitude_pruning(make, trainer, 2, rates, "random", fixed_masks=fixed)
    assert all(torch.equal(results[r].masks["0.weight"], fixed[r]["0.weight"]) for r in (1, 2))
    with pytest.raises(ValueError):
        iterative_magnitude_pruning(make, trainer, 1, rates, "trained")


# ------------------------------------------------------------------ training with early stopping

@pytest.fixture(scope="module")
def synthetic_fashion(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_synthetic_mnist(root, kind="FashionMNIST", n_train=1500, n_test=300)
    return root


def test_train_early_stopping_reports_the_best_validation_iteration(synthetic_fashion):
    splits = image_splits("fashion-mnist", n_val=300, n_train=600, seed=0, root=synthetic_fashion)
    cfg = TrainConfig(iterations=60, batch_size=30, lr=1e-3, eval_every=10)
    model = seeded(LeNet300100, 0)
    report = train_early_stopping(model, splits, cfg, seed=1, snapshot_at=20)
    assert report.iterations == 60 and [it for it, _, _ in report.curve] == [10, 20, 30, 40, 50, 60]
    best = min(report.curve, key=lambda c: c[1])
    assert (report.early_stop_iteration, report.val_loss) == (best[0], best[1])
    assert report.test_acc > 0.5
    # the snapshot equals the weights of a run stopped after 20 iterations (same seed, same batches)
    short = seeded(LeNet300100, 0)
    train_early_stopping(short, splits, TrainConfig(iterations=20, batch_size=30, lr=1e-3, eval_every=10), seed=1)
    assert all(torch.allclose(report.snapshot[n], v, atol=1e-6) for n, v in snapshot(short).items())
    # the model ends with its last weights, which the test evaluation did not disturb
    again = seeded(LeNet300100, 0)
    train_early_stopping(again, splits, TrainConfig(iterations=60, batch_size=30, lr=1e-3, eval_every=60), seed=1)
    assert all(torch.allclose(v, snapshot(again)[n], atol=1e-6) for n, v in snapshot(model).items())


def test_a_short_real_imp_follows_the_law_and_keeps_masks(synthetic_fashion):
    splits = image_splits("fashion-mnist", n_val=300, n_train=600, seed=0, root=synthetic_fashion)
    train_fn = make_train_fn(splits, TrainConfig(iterations=30, batch_size=30, eval_every=10))
    captured = []

    def checking(model, k):
        report = train_fn(model, k)
        captured.append({n: effective_weight(model, n) for n in LENET})
        return report

    rates = layer_rates(LeNet300100())
    results = iterative_magnitude_pruning(LeNet300100, checking, 5, rates, "late", late_iteration=10)
    for result, weights in zip(results, captured):
        for n in LENET:
            assert result.remaining[n] == expected_counts(result.sizes[n], rates[n], 5)[result.round]
            assert not weights[n][~result.masks[n]].any(), "training revived a pruned weight"
    assert results[5].fraction() == pytest.approx((77_070 + 9_830 + 590) / 266_200)


# ------------------------------------------------------------------ text: tokenizer, vocabulary, text CNN

def test_tokenizer_vocabulary_and_encoding():
    assert tokenize("Oil prices RISE 3.5%, it#39;s &lt;b&gt;big&lt;/b&gt;") == ["oil", "prices", "rise", "3", "5",
                                                                                "it's", "b", "big", "b"]
    vocab = build_vocab(["b a b", "c b a", "d"], max_size=4)
    assert vocab.itos == ("<pad>", "<unk>", "b", "a")          # by frequency, ties alphabetically
    assert build_vocab(["d", "c b a", "b a b"], max_size=4) == vocab
    ids = encode(["a b z", "b b b b b"], vocab, max_len=4)
    assert ids.tolist() == [[3, 2, 1, 0], [2, 2, 2, 2]] and ids.dtype == torch.int64


def test_text_cnn_on_synthetic_ag_news(tmp_path):
    write_synthetic_ag_news(tmp_path, n_train=600, n_test=100)
    splits, vocab = text_splits(n_val=100, vocab_size=500, max_len=24, root=tmp_path, seed=0)
    assert splits.train[0].shape == (500, 24) and splits.test[0].shape == (100, 24) and len(vocab) <= 500
    model = seeded(lambda: TextCNN(len(vocab), embed_dim=16, filters=8), 0)
    assert model(splits.val[0][:3]).shape == (3, 4)
    rates = layer_rates(model)
    assert "embedding.weight" not in rates and rates["fc.weight"] == 0.1
    masks = prune_layerwise(model, None, rates)
    apply_masks(model, masks)
    embedding = model.embedding.weight.detach().clone()
    report = train_early_stopping(model, splits, TrainConfig(iterations=80, batch_size=32, lr=3e-3, eval_every=20),
                                  prepare=lambda t: t)
    assert report.test_acc > 0.6                                  # 4 classes: chance is 0.25
    assert not torch.equal(model.embedding.weight, embedding), "the embedding is trained, not pruned"
    for name, mask in masks.items():
        assert not effective_weight(model, name)[~mask].any()


# ------------------------------------------------------------------ the runner

def test_runner_smoke_on_synthetic_fashion_mnist_writes_table_json_and_figures(synthetic_fashion, tmp_path, capsys):
    out = tmp_path / "out"
    rc = runner(["--profile", "smoke", "--device", "cpu", "--data", str(synthetic_fashion), "--out", str(out),
                 "--no-progress", "--iterations", "40", "--late-iteration", "10", "--rounds", "5"])
    assert rc == 0
    printed = capsys.readouterr().out
    table = (out / "table.md").read_text()
    assert table.strip() in printed
    rows = [line for line in table.splitlines() if line.startswith("| ") and "strategy" not in line]
    assert len(rows) == 3 * 6 and "holds for every row" in table
    assert "| init | 5 | 32.77 | 32.77 | 59.00 | 32.87 |" in table
    result = json.loads((out / "result.json").read_text())
    assert result["law_holds"] and result["random_masks"] == "ticket" and len(result["rows"]) == 18
    for row in result["rows"]:
        for name, size in result["sizes"].items():
            assert row["remaining"][name] == expected_counts(size, result["rates"][name], 5)[row["round"]]
    for name in ("accuracy_vs_weights.png", "early_stop_vs_weights.png"):
        assert (out / name).stat().st_size > 10_000


def test_runner_textcnn_smoke_uses_synthetic_ag_news(tmp_path, capsys):
    rc = runner(["--model", "textcnn", "--profile", "smoke", "--device", "cpu", "--out", str(tmp_path),
                 "--no-progress", "--strategies", "init,random", "--rounds", "2", "--iterations", "40"])
    assert rc == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result["sizes"]) == {"convs.0.weight", "convs.1.weight", "convs.2.weight", "fc.weight"}
    assert {r["strategy"] for r in result["rows"]} == {"init", "random"} and result["law_holds"]


def test_runner_without_the_dataset_names_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    rc = runner(["--profile", "full", "--model", "textcnn", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--device", "cpu"])
    assert rc == 2 and "AG News" in capsys.readouterr().err


def test_hparams_validate():
    with pytest.raises(ValueError):
        Hparams(strategies=("init", "trained"))
    with pytest.raises(ValueError):
        Hparams(iterations=10, late_iteration=20)


@pytest.mark.slow
def test_smoke_profile_on_real_fashion_mnist_within_three_minutes():
    if present().get("fashion-mnist") is None:
        pytest.skip("Fashion-MNIST is not installed (python -m coursekit fetch fashion-mnist)")
    hp = PROFILES["smoke"]
    assert hp.rounds >= 5 and set(hp.strategies) == {"init", "late", "random"}
    start = time.perf_counter()
    result = run(hp, torch.device("cpu"), progress=False)
    assert time.perf_counter() - start < 180
    assert result.law_holds() and len(result.rows) == 3 * (hp.rounds + 1)
    dense = [r.test_acc for r in result.rows if r.round == 0]
    assert min(dense) > 0.75


def test_lottery_parts_keep_the_random_control_with_its_ticket():
    from solutions.lottery_ticket.config import PROFILES
    from solutions.lottery_ticket.experiment import split

    parts = split(PROFILES["smoke"].with_(seeds=(0, 1, 2)))
    assert [(p.seeds, p.strategies) for p in parts[:2]] == [((0,), ("init", "random")), ((0,), ("late",))]
    assert len(parts) == 6
    own = split(PROFILES["smoke"].with_(random_masks="own"))
    assert [p.strategies for p in own] == [("init",), ("late",), ("random",)]
