"""The mnist_tuning reference package: values worked by hand, the budget, the runner."""
import numpy as np
import pytest
import torch

from coursekit.cnn import count_parameters, layer_geometry
from coursekit.data import write_synthetic_mnist
from coursekit.splits import image_splits
from coursekit.train import default_prepare
from solutions.mnist_tuning import Net, augment, evaluate, random_erasing, receptive_field, train_one_epoch
from solutions.mnist_tuning.__main__ import main as runner


def test_receptive_field_of_the_chapter_network_worked_by_hand():
    layers = [g for _, g in layer_geometry(Net()) if g[0] > 0]
    table = receptive_field(layers, input_size=28)
    assert [rf for _, rf, _ in table] == [3, 5, 6, 6, 10, 14, 18, 22, 22]
    assert [size for size, _, _ in table] == [26, 24, 12, 12, 10, 8, 8, 6, 6]
    assert table[-1][2] == 2


def test_strides_grow_later_layers_not_their_own():
    assert receptive_field([(3, 2, 1), (3, 1, 1)], input_size=32) == [(16, 3, 2), (16, 7, 2)]


def test_network_is_under_budget_and_outputs_logits():
    net = Net()
    assert count_parameters(net) == 9762 < 10_000
    net.eval()
    assert net(torch.rand(1, 1, 28, 28)).shape == (1, 10)
    assert net(torch.rand(5, 1, 28, 28)).shape == (5, 10)


def test_augment_identity_at_zero_strength_and_reproducible():
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(augment(x, torch.Generator().manual_seed(0), 0.0, 0.0), x, atol=1e-5)
    a = augment(x, torch.Generator().manual_seed(1), 10.0, 0.1)
    assert torch.equal(a, augment(x, torch.Generator().manual_seed(1), 10.0, 0.1))
    erased = random_erasing(x, torch.Generator().manual_seed(2), p=1.0)
    assert ((erased == 0) & (x != 0)).flatten(1).any(1).all()


def test_train_and_evaluate_learn_a_small_problem():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 256, size=(64, 28, 28), dtype=np.uint8))
    labels = torch.from_numpy((images.float().mean((1, 2)) > 127.5).long().numpy())
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(0)
    losses = [train_one_epoch(model, images, labels, opt, batch_size=16, generator=gen) for _ in range(5)]
    assert losses[-1] < losses[0]
    loss, acc = evaluate(model, images, labels, batch_size=10)
    assert not model.training
    with torch.no_grad():  # the same numbers computed in one batch, by hand
        scores = model(default_prepare(images))
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(scores, labels).item(), rel=1e-5)
    assert acc == pytest.approx((scores.argmax(1) == labels).float().mean().item())


def test_splits_carve_validation_from_training(tmp_path):
    write_synthetic_mnist(tmp_path, n_train=300, n_test=50)
    s = image_splits("mnist", n_val=60, root=tmp_path, seed=3)
    assert len(s.train[1]) == 240 and len(s.val[1]) == 60 and len(s.test[1]) == 50
    train_rows = {bytes(x.numpy()) for x in s.train[0]}
    assert not any(bytes(x.numpy()) in train_rows for x in s.val[0])
    with pytest.raises(ValueError):
        image_splits("mnist", n_val=300, root=tmp_path)


def test_runner_smoke_on_synthetic_mnist_writes_table_and_figures(tmp_path, capsys):
    write_synthetic_mnist(tmp_path / "data", n_train=1500, n_test=200)
    rc = runner(["--profile", "smoke", "--dataset", "mnist", "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "out"), "--no-progress", "--device", "cpu"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "| seed | params |" in out and "9,762" in out
    for name in ("table.md", "result.json", "curves.png", "misclassified.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_runner_without_mnist_names_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    rc = runner(["--profile", "full", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "MNIST" in err and str(tmp_path) in err and "python -m coursekit fetch mnist" in err
