"""The nn_debugging reference package: the PNG folder, every detector on broken *and* healthy
inputs, the repair, the fixes, the whole matrix of broken setups, and the runner."""
import copy
import csv
import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.data import data_root, present
from coursekit.train import fit
from solutions.nn_debugging import (CASES, CODES, HEALTHY, ZEROED, Finding, PngFolder, SmallResNet,
                                    check_eval_consistency, check_input_statistics, check_label_diversity,
                                    check_labels, check_loss_at_init, check_weight_decay, check_zero_grad,
                                    effective_weight_decay, find_degenerate_tensors, load_png_folder,
                                    params_without_gradient, png_folder, predict, read_like_opencv,
                                    repair_degenerate, report_for, resnet18_gray, sanity_report,
                                    seed_uniform_repair, shuffled_batches, train_loop, train_step, zero_tensors)
from solutions.nn_debugging.__main__ import main as runner
from solutions.nn_debugging.checks import check_overfit_one_batch, find_one_sign_weights
from solutions.nn_debugging.config import CASE_NAMES, PROFILES, Hparams
from solutions.nn_debugging.data import load_data
from solutions.nn_debugging.experiment import run
from solutions.nn_debugging.loop import (accumulating_step, evaluate_with, sequential_batches,
                                         train_mode_predict)
from solutions.nn_debugging.setups import (as_opencv, build, fix_unshuffled, fix_weight_decay, pipeline,
                                           sanity_batches)

FASHION = present()["fashion-mnist"] is not None


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("nn-debugging-data")


@pytest.fixture(scope="module")
def synthetic(root):
    return load_data("synthetic", n_train=600, n_val=200, root=root)


@pytest.fixture(scope="module")
def fashion(root):
    if not FASHION:
        pytest.skip("Fashion-MNIST is not installed (python -m coursekit fetch fashion-mnist)")
    return load_data("fashion-mnist", n_train=600, n_val=200, root=root, source_root=data_root())


@pytest.fixture(scope="module")
def checkpoint():
    """A checkpoint to damage: the small ResNet's weights after a few steps on random data (so
    its running statistics and weights are no longer at their initial values)."""
    torch.manual_seed(0)
    model = SmallResNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    for _ in range(3):
        train_step(model, opt, x, y)
    return copy.deepcopy(model.state_dict())


# ----------------------------------------------------------------------------- data


def test_png_folder_has_the_seeds_format_sorted_by_label_and_is_cached(root, synthetic):
    folder = synthetic.folder
    assert folder.parent == root / "nn_debugging"
    for split, n in (("train", 600), ("val", 200)):
        with open(folder / f"{split}.csv", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["image_name", "label"] and len(rows) == n + 1
        labels = [int(label) for _, label in rows[1:]]
        assert labels == sorted(labels) and set(labels) == set(range(10))
        assert all((folder / split / f"{name}.png").is_file() for name, _ in rows[1:])
    stamp = (folder / "meta.json").stat().st_mtime_ns
    assert png_folder("synthetic", n_train=600, n_val=200, root=root) == folder
    assert (folder / "meta.json").stat().st_mtime_ns == stamp      # not written again
    assert synthetic.train[0].shape == (600, 28, 28) and synthetic.train[0].dtype == torch.uint8
    assert synthetic.train[1].dtype == torch.int64 and synthetic.num_classes == 10


def test_png_dataset_reads_the_same_pixels_and_opencv_style_is_bgr_channels_last(synthetic):
    ds = PngFolder(synthetic.folder, "val")
    assert len(ds) == 200
    image, label = ds[7]
    assert image.shape == (1, 28, 28) and image.dtype == torch.uint8
    assert torch.equal(image[0], synthetic.val[0][7]) and label == int(synthetic.val[1][7])
    name = ds.rows[7][0]
    bgr = read_like_opencv(synthetic.folder / "val" / f"{name}.png")
    assert bgr.shape == (28, 28, 3) and bgr.dtype.name == "uint8"
    assert torch.equal(torch.from_numpy(bgr), as_opencv(synthetic.val[0][7:8])[0])
    batch = torch.utils.data.DataLoader(ds, batch_size=16)
    x, y = next(iter(batch))
    assert x.shape == (16, 1, 28, 28) and (y == y[0]).all()   # class-sorted: the first batch is one class


@pytest.mark.skipif(not FASHION, reason="Fashion-MNIST is not installed")
def test_png_folder_from_fashion_mnist(fashion):
    assert len(fashion.train[1]) == 600 and len(fashion.val[1]) == 200
    assert fashion.classes[9] == "Ankle boot"
    assert torch.equal(fashion.train[1], fashion.train[1].sort().values)
    assert load_png_folder(fashion.folder).val[0].float().mean() > 40      # real clothes, not blank files


# ----------------------------------------------------------------------------- detectors, broken and healthy


def test_loss_at_init_flags_both_sides_and_nan_but_not_an_unsure_model():
    torch.manual_seed(0)
    y = torch.randint(0, 10, (256,))
    assert check_loss_at_init(0.01 * torch.randn(256, 10), y) == []
    assert check_loss_at_init(torch.zeros(256, 7), y % 7) == []                  # exactly ln(7)
    over = check_loss_at_init(20 * torch.randn(256, 10), y)
    assert [f.code for f in over] == ["loss_at_init"] and over[0].value > math.log(10) + 0.5
    knows = F.one_hot(y, 10).float() * 5                                          # already right: not a fresh model
    below = check_loss_at_init(knows, y)
    assert below and below[0].value < math.log(10) - 0.5
    assert check_loss_at_init(torch.full((4, 10), float("nan")), y[:4])
    assert check_loss_at_init(torch.zeros(256, 10) + 0.4 * torch.randn(256, 10), y, tolerance=2.0) == []


def test_label_diversity_looks_at_every_batch_not_only_the_first():
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(10).repeat_interleave(64)                               # class-sorted, as the CSV
    sorted_batches = list(labels.split(64))[:5]
    shuffled = [labels[idx] for idx in shuffled_batches(640, 64, gen)][:5]
    assert [f.code for f in check_label_diversity(sorted_batches, 10)] == ["label_diversity"]
    assert check_label_diversity(shuffled, 10) == []
    assert check_label_diversity([shuffled[0]] + sorted_batches[1:], 10)           # one diverse batch is not enough
    assert check_label_diversity([labels[idx] for idx in shuffled_batches(640, 8, gen)][:20], 10) == []  # small batches
    with pytest.raises(ValueError):
        check_label_diversity([], 10)


def test_labels_offset_out_of_range_or_float_are_flagged():
    y = torch.arange(10).repeat(5)
    assert check_labels(y, 10) == []
    assert [f.code for f in check_labels(y + 1, 11)] == ["label_range"]           # widened head, counted from 1
    assert [f.code for f in check_labels(y + 1, 10)] == ["label_range"]           # 10 is out of bounds
    assert [f.code for f in check_labels(y - 1, 10)] == ["label_range"]
    assert [f.code for f in check_labels(y.float(), 10)] == ["label_dtype"]


def test_input_statistics_catch_bgr_uint8_and_unscaled_floats_not_normalised_ones():
    torch.manual_seed(0)
    pixels = torch.randint(0, 256, (8, 28, 28), dtype=torch.uint8)
    normalised = (pixels.float() / 255 - 0.29) / 0.35
    assert check_input_statistics(normalised.unsqueeze(1)) == []
    assert check_input_statistics((pixels.float() / 255).unsqueeze(1)) == []       # [0, 1] is fine too
    codes = lambda x, c=1: [f.code for f in check_input_statistics(x, c)]
    assert codes(as_opencv(pixels)) == ["input_dtype", "input_channels", "input_scale"]   # cv2.imread as it comes
    assert codes(pixels.unsqueeze(1)) == ["input_dtype", "input_scale"]
    assert codes(pixels.float().unsqueeze(1)) == ["input_scale"]
    assert codes(normalised.unsqueeze(1).expand(8, 3, 28, 28)) == ["input_channels"]
    assert codes(normalised.unsqueeze(1).expand(8, 3, 28, 28), 3) == []
    for bad in (float("nan"), float("inf"), -float("inf")):
        x = normalised.unsqueeze(1).clone()
        x[3, 0, 5, 5] = bad
        assert codes(x) == ["input_nonfinite"]


def test_degenerate_tensors_by_name_every_kind_and_none_in_fresh_models(checkpoint):
    assert find_degenerate_tensors(SmallResNet()) == {}
    assert find_degenerate_tensors(resnet18_gray()) == {}                         # BN ones and zeros are normal
    model = SmallResNet()
    model.load_state_dict(checkpoint)
    zero_tensors(model, ZEROED)
    expected = {"conv1.weight": "zero", "bn1.weight": "zero", "fc.weight": "zero"}  # bn1.bias: a zero bias is fine
    assert find_degenerate_tensors(model) == expected
    assert find_degenerate_tensors(model.state_dict()) == expected
    with torch.no_grad():
        model.layer1[0].conv2.weight[0, 0, 0, 0] = float("inf")
        model.layer2[0].bn1.running_var[3] = float("nan")                          # a buffer, not a parameter
        model.layer3[0].conv1.weight.fill_(0.1)
        model.layer3[0].bn2.running_var.zero_()
        model.layer2[0].bn2.bias.fill_(0.3)                                       # constant 1-D shift: fine
    found = find_degenerate_tensors(model)
    assert found["layer1.0.conv2.weight"] == "inf" and found["layer2.0.bn1.running_var"] == "nan"
    assert found["layer3.0.conv1.weight"] == "constant" and found["layer3.0.bn2.running_var"] == "zero"
    assert "layer2.0.bn2.bias" not in found and "bn1.bias" not in found


def test_every_parameter_gets_a_gradient_except_behind_a_zeroed_layer(checkpoint):
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    model = SmallResNet()
    F.cross_entropy(model(x), y).backward()
    assert params_without_gradient(model) == []
    model.fc.bias.requires_grad_(False)
    model.fc.bias.grad = None
    assert params_without_gradient(model) == []                                   # frozen: not meant to learn
    damaged = SmallResNet()
    damaged.load_state_dict(checkpoint)
    zero_tensors(damaged, ZEROED)
    F.cross_entropy(damaged(x), y).backward()
    missing = params_without_gradient(damaged)
    assert {"conv1.weight", "bn1.weight"} <= set(missing)
    unused = nn.ModuleDict({"used": nn.Linear(3, 2), "unused": nn.Linear(3, 2)})
    unused["used"](torch.randn(4, 3)).sum().backward()
    assert params_without_gradient(unused) == ["unused.weight", "unused.bias"]


def test_effective_weight_decay_per_group_and_its_limit():
    model = SmallResNet()
    decay, no_decay = [p for p in model.parameters() if p.dim() > 1], [p for p in model.parameters() if p.dim() == 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 0.9}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=0.1)
    assert effective_weight_decay(opt) == pytest.approx([0.09, 0.0])
    found = check_weight_decay(opt)
    assert [(f.code, f.subject) for f in found] == [("weight_decay", "param_groups[0]")]
    assert found[0].value == pytest.approx(0.09)
    healthy = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    assert check_weight_decay(healthy) == []
    seed_fix = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=0.1)      # the seed's "fix": still 1e-3
    assert check_weight_decay(seed_fix)
    adamw = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    assert effective_weight_decay(adamw) == pytest.approx([1e-5]) and check_weight_decay(adamw) == []


# ----------------------------------------------------------------------------- the repair


def test_repair_resets_only_the_owning_modules_with_their_own_initialisation(checkpoint):
    model = SmallResNet()
    model.load_state_dict(checkpoint)
    zero_tensors(model, ZEROED)
    before = copy.deepcopy(model.state_dict())
    torch.manual_seed(1)
    owners = repair_degenerate(model, find_degenerate_tensors(model))
    assert owners == ["conv1", "bn1", "fc"]
    state = model.state_dict()
    for name, t in state.items():
        if name.rpartition(".")[0] not in owners:
            assert torch.equal(t, before[name]), f"{name} changed but its module was not damaged"
    assert find_degenerate_tensors(model) == {}
    w = model.conv1.weight
    assert (w < 0).any() and (w > 0).any() and w.abs().max() <= 1 / math.sqrt(9) + 1e-6   # Kaiming-uniform bound
    assert torch.equal(model.bn1.weight, torch.ones(16)) and torch.equal(model.bn1.running_var, torch.ones(16))
    assert model.fc.weight.abs().max() <= 1 / math.sqrt(64) + 1e-6
    with pytest.raises(ValueError, match="reset_parameters"):
        repair_degenerate(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), ["1.weight"])


def test_the_seeds_uniform_repair_is_all_positive_and_flagged_at_init(checkpoint):
    model = SmallResNet()
    model.load_state_dict(checkpoint)
    zero_tensors(model, ZEROED)
    assert find_one_sign_weights(model) == []                                     # zero is not one sign
    changed = seed_uniform_repair(model)
    assert set(changed) >= {"conv1.weight", "bn1.weight", "bn1.bias", "fc.weight"}
    assert find_one_sign_weights(model) == ["conv1.weight", "fc.weight"]
    assert find_one_sign_weights(SmallResNet()) == [] and find_one_sign_weights(resnet18_gray()) == []
    assert (model.conv1.weight >= 0).all() and model.conv1.weight.max() > 1 / math.sqrt(9)
    x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
    with torch.no_grad():
        assert [f.code for f in check_loss_at_init(model(x), y)] == ["loss_at_init"]


def test_without_normalisation_the_uniform_repair_blows_up_and_reset_parameters_does_not():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    damaged = zero_tensors(mlp, ["3.weight", "5.weight"])
    seed_style, ours = copy.deepcopy(damaged), copy.deepcopy(damaged)
    seed_uniform_repair(seed_style)
    assert repair_degenerate(ours, find_degenerate_tensors(ours)) == ["3", "5"]
    with torch.no_grad():
        assert seed_style(x).abs().max() > 1e3 and check_loss_at_init(seed_style(x), y)
        assert ours(x).abs().max() < 10 and check_loss_at_init(ours(x), y) == []


# ----------------------------------------------------------------------------- the loop and its fixes


def test_shuffled_batches_cover_every_example_once_in_a_new_order_each_epoch():
    gen = torch.Generator().manual_seed(0)
    first, second = shuffled_batches(103, 10, gen), shuffled_batches(103, 10, gen)
    assert [len(b) for b in first] == [10] * 10 + [3]
    assert torch.equal(torch.cat(first).sort().values, torch.arange(103))
    assert not torch.equal(torch.cat(first), torch.cat(second))
    again = shuffled_batches(103, 10, torch.Generator().manual_seed(0))
    assert torch.equal(torch.cat(first), torch.cat(again))
    assert torch.equal(torch.cat(sequential_batches(103, 10)), torch.arange(103))


def test_zero_grad_detector_on_the_step_with_and_without_zero_grad():
    model = SmallResNet()
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    state = copy.deepcopy(model.state_dict())
    assert check_zero_grad(train_step, model, x, y) == []
    found = check_zero_grad(accumulating_step, model, x, y)
    assert [f.code for f in found] == ["grad_accumulation"] and 1.7 < found[0].value < 2.3
    for name, t in model.state_dict().items():
        assert torch.equal(t, state[name])                                        # the model is not touched

    def clears_too_late(model, optimizer, x, y, loss_fn=F.cross_entropy):
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        return loss.detach()
    assert [f.code for f in check_zero_grad(clears_too_late, model, x, y)] == ["no_update"]


def test_eval_detector_on_predict_with_and_without_eval():
    model = SmallResNet()
    x = torch.randn(32, 1, 28, 28)
    assert check_eval_consistency(predict, model, x) == []
    assert [f.code for f in check_eval_consistency(train_mode_predict, model, x)] == ["eval_mode"]
    no_dropout = SmallResNet(dropout=0.0)                                        # BatchNorm alone is enough
    assert check_eval_consistency(train_mode_predict, no_dropout, x)
    model.train()
    out = predict(model, x)
    assert model.training and not out.requires_grad
    model.eval()
    predict(model, x)
    assert not model.training


def test_overfit_check_passes_healthy_and_flags_diverging_and_decayed():
    torch.manual_seed(0)
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    model = SmallResNet(width=8)
    opt = lambda lr, wd=5e-4: torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    assert check_overfit_one_batch(model, x, y, opt(0.02))[0] == []
    assert check_overfit_one_batch(model, x, y)[0] == []                          # Adam 1e-3 by default
    assert [f.code for f in check_overfit_one_batch(model, x, y, opt(20.0))[0]] == ["diverging"]
    assert [f.code for f in check_overfit_one_batch(model, x, y, opt(0.02, 0.9))[0]] == ["cannot_overfit"]


def test_train_loop_takes_the_same_steps_as_fit(synthetic):
    p = pipeline(HEALTHY, synthetic)
    histories = []
    for trainer in ("fit", "loop"):
        model, opt = build(HEALTHY, width=8, seed=3)
        kwargs = dict(epochs=2, optimizer=opt, batch_size=100, prepare=p.train_prepare, seed=5, progress=False)
        histories.append(fit(model, p.train, **kwargs) if trainer == "fit" else train_loop(model, p.train, **kwargs))
    assert histories[0].train_loss == pytest.approx(histories[1].train_loss, rel=1e-5)
    assert histories[0].train_acc == histories[1].train_acc


def test_each_setups_pipeline_makes_the_batches_its_bug_describes(synthetic):
    train, _ = sanity_batches(CASES["unshuffled"].broken, synthetic)
    assert all(torch.unique(y).numel() <= 2 for _, y in train)                   # class order: 1-2 classes a batch
    train, val = sanity_batches(HEALTHY, synthetic)
    assert all(torch.unique(y).numel() >= 8 for _, y in train)
    x = torch.cat([x for x, _ in train])
    assert abs(x.mean().item()) < 0.3 and 0.7 < x.std().item() < 1.3             # standardised
    _, val = sanity_batches(CASES["bgr_uint8"].broken, synthetic)
    assert val[0][0].dtype == torch.float32 and val[0][0].max() > 100             # 0..255 as floats
    train, val = sanity_batches(CASES["label_offset"].broken, synthetic)
    assert min(y.min().item() for _, y in train) == 1 and val[0][1].min().item() == 0
    model, _ = build(HEALTHY)
    p = pipeline(HEALTHY, synthetic)
    ours = evaluate_with(predict, model, p.val, p.val_prepare, batch_size=64)
    from coursekit.train import evaluate
    assert ours == pytest.approx(evaluate(model, p.val, prepare=p.val_prepare, batch_size=64), rel=1e-5)
    assert evaluate_with(train_mode_predict, model, p.val, p.val_prepare, batch_size=64) != pytest.approx(ours)


def test_fixes_of_the_seed_bugs():
    assert fix_unshuffled(CASES["unshuffled"].broken) == CASES["unshuffled"].fixed == HEALTHY
    fixed = fix_weight_decay(CASES["weight_decay"].broken)
    assert fixed.weight_decay == pytest.approx(5e-4) and fixed.lr == HEALTHY.lr
    assert fixed.lr * fixed.weight_decay <= 1e-5 * (1 + 1e-9)
    assert fix_weight_decay(HEALTHY) is HEALTHY
    fast = HEALTHY.with_(lr=0.1, weight_decay=0.9)
    assert fix_weight_decay(fast, 5e-5).weight_decay == pytest.approx(5e-4)


# ----------------------------------------------------------------------------- the matrix


def test_every_case_is_a_value_with_its_finding_symptom_and_fix():
    assert set(CASES) == set(CASE_NAMES) and len(CASES) >= 8
    for name, case in CASES.items():
        assert case.name == name and case.finding in CODES
        assert case.broken != case.fixed and case.bug and case.symptom and case.fix
    assert {c.seed_task for c in CASES.values()} >= {1, 2, 3}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_sanity_report_flags_each_broken_setup_with_its_finding(name, synthetic, checkpoint):
    case = CASES[name]
    report = report_for(case.broken, synthetic, checkpoint=checkpoint)
    assert case.finding in report.codes, f"{name}: expected {case.finding}, got\n{report}"


def test_sanity_report_raises_nothing_on_the_healthy_setup_and_on_every_fix(synthetic, checkpoint):
    fixes = {case.fixed for case in CASES.values()}
    assert HEALTHY in fixes
    for setup in fixes:
        report = report_for(setup, synthetic, checkpoint=checkpoint)
        assert report.ok, f"{setup}:\n{report}"
        assert all(state == "ok" for state in report.checks.values()), report.checks


def test_sanity_report_flags_the_seeds_own_fixes(synthetic, checkpoint):
    assert "weight_decay" in report_for(CASES["weight_decay"].seed_fix, synthetic).codes
    codes = report_for(CASES["zeroed_checkpoint"].seed_fix, synthetic, checkpoint=checkpoint).codes
    assert {"one_sign_tensor", "loss_at_init"} <= codes


@pytest.mark.skipif(not FASHION, reason="Fashion-MNIST is not installed")
def test_matrix_on_fashion_mnist(fashion, checkpoint):
    assert report_for(HEALTHY, fashion).ok
    for name in ("unshuffled", "bgr_uint8", "label_offset"):               # the data-dependent ones
        assert CASES[name].finding in report_for(CASES[name].broken, fashion, overfit_steps=2).codes


def test_sanity_report_leaves_model_and_random_state_alone_and_reads_dataloaders(synthetic):
    model, opt = build(HEALTHY)
    state = copy.deepcopy(model.state_dict())
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ds = PngFolder(synthetic.folder, "train", transform=lambda img: (img.float() / 255 - 0.3) / 0.35)
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=False)
    report = sanity_report(model, loader, optimizer=opt, overfit_steps=5)
    assert torch.equal(torch.rand(3), expected)
    for name, t in model.state_dict().items():
        assert torch.equal(t, state[name])
    assert "label_diversity" in report.codes                                      # the unshuffled DataLoader
    assert report.checks["zero_grad"].startswith("skipped") and report.checks["eval mode"].startswith("skipped")
    text = str(report)
    assert "label_diversity" in text and "loss at init" in text and "overfit one batch" in text
    with pytest.raises(KeyError):
        report.by_code("no_such_code")


def test_a_batch_the_model_cannot_take_is_reported_not_raised():
    model, opt = build(HEALTHY)
    pixels = torch.randint(0, 256, (16, 28, 28, 3), dtype=torch.uint8)
    report = sanity_report(model, [(pixels, torch.randint(0, 10, (16,)))], optimizer=opt)
    assert {"input_dtype", "input_channels", "input_scale"} <= report.codes
    assert report.checks["loss at init"].startswith("skipped")
    assert isinstance(report.findings[0], Finding)


# ----------------------------------------------------------------------------- the experiment and the runner


def test_experiment_trains_each_broken_setup_beside_its_fix(root):
    hp = Hparams(dataset="synthetic", n_train=400, n_val=200, model="small", width=8, epochs=2, finetune_epochs=1,
                 batch_size=50, cases=("zeroed_checkpoint",))
    result = run(hp, torch.device("cpu"), root=root, progress=False)
    [case] = result.cases
    assert case.detected and result.healthy_codes == [] and case.fixed_codes == []
    assert "one_sign_tensor" in case.seed_fix_codes and "zero_tensor" in case.broken_report
    assert len(result.healthy.step_loss) == 2 * 8 and len(case.broken.step_loss) == 1 * 8
    assert case.broken.val_acc and case.broken.step_loss[-1] == pytest.approx(math.log(10), abs=0.3)  # dead stem
    assert "| zeroed_checkpoint |" in result.table()
    assert set(result.figures()) == {"overview", "curves_zeroed_checkpoint"}
    json.dumps(result.summary())


def test_runner_writes_table_json_and_curves(root, tmp_path, capsys):
    rc = runner(["--profile", "smoke", "--dataset", "synthetic", "--setups", "label_offset", "--epochs", "2",
                 "--data", str(root), "--out", str(tmp_path / "out"), "--no-progress", "--device", "cpu"])
    assert rc == 0
    assert "| label_offset | labels counted from 1 |" in capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "result.json").read_text())
    assert summary["hp"]["n_train"] == PROFILES["smoke"].n_train and summary["hp"]["epochs"] == 2
    [case] = summary["cases"]
    assert case["detected"] and summary["healthy"]["codes"] == []
    assert case["broken"]["final_val_acc"] < 0.15 < case["fixed"]["final_val_acc"]   # shifted by one class
    assert case["fixed"] == summary["healthy"]["run"]                             # the fix is the healthy run, once
    for name in ("table.md", "overview.png", "curves_label_offset.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_runner_rejects_unknown_setups(root):
    with pytest.raises(SystemExit):
        runner(["--setups", "no_such_bug", "--data", str(root), "--device", "cpu"])


def test_runner_without_mnist_names_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    rc = runner(["--dataset", "mnist", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "MNIST" in err and "python -m coursekit fetch mnist" in err
    assert not (tmp_path / "nn_debugging").exists() or not any((tmp_path / "nn_debugging").iterdir())


def test_profiles_are_typed_and_small_in_smoke():
    smoke, full = PROFILES["smoke"], PROFILES["full"]
    assert smoke.model == "small" and smoke.n_train <= 3000 and full.model == "resnet18" and full.n_train is None
    assert set(smoke.cases) == set(CASES)


def _link_fashion(root):
    """``root`` made to hold the installed Fashion-MNIST (a link), so the PNG cache goes to ``root``."""
    found = present()["fashion-mnist"]
    link = root / "FashionMNIST" / "raw" if found.name == "raw" else root / "debian/usr/share/datasets/fashion-mnist"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(found, target_is_directory=True)
    return root


@pytest.mark.slow
def test_smoke_profile_on_fashion_mnist_every_fix_beats_its_broken_setup(tmp_path):
    if not FASHION:
        pytest.skip("Fashion-MNIST is not installed")
    result = run(PROFILES["smoke"], torch.device("cpu"), root=_link_fashion(tmp_path), progress=False)
    assert result.healthy.final_val_acc >= PROFILES["smoke"].target_acc
    for c in result.cases:
        assert c.detected and c.fixed_codes == []
        assert c.fixed.final_val_acc >= PROFILES["smoke"].target_acc, c.case.name
        assert c.broken.final_val_acc < c.fixed.final_val_acc - 0.2, c.case.name
