"""The frn_vs_bn reference package: FRN worked by hand, the NiN's shapes and parameter counts,
batch dependence, the fair protocol, the on-device augmentation, the runner and the bench."""
import math

import pytest
import torch

from coursekit.data import write_synthetic_cifar10
from solutions.frn_vs_bn import FilterResponseNorm2d, NiN, batch_dependence, compare_norms
from solutions.frn_vs_bn.__main__ import main as runner
from solutions.frn_vs_bn.bench import main as bench
from solutions.frn_vs_bn.data import crop_flip


def test_frn_by_hand_on_one_map():
    x = torch.tensor([[[[3.0, -4.0]]]])                 # one sample, one channel, a 1x2 map: nu2 = 12.5
    layer = FilterResponseNorm2d(1, eps=0.0)
    expected = torch.tensor([3.0, 0.0]) / math.sqrt(12.5)  # max(x / rms, 0): the -4 is cut at tau = 0
    assert torch.allclose(layer(x).flatten(), expected)
    with torch.no_grad():
        layer.tau.fill_(-0.5)
        layer.gamma.fill_(2.0)
    assert torch.allclose(layer(x).flatten(), torch.tensor([6 / math.sqrt(12.5), -0.5]))


def test_frn_initialisation_state_dict_and_learnable_eps():
    layer = FilterResponseNorm2d(5)
    assert sorted(layer.state_dict()) == ["beta", "eps", "gamma", "tau"]
    assert layer.eps.shape == () and "eps" not in dict(layer.named_parameters())
    assert torch.equal(layer.gamma, torch.ones(5)) and not layer.beta.any() and not layer.tau.any()
    learned = FilterResponseNorm2d(5, learnable_eps=True)
    assert torch.allclose(learned.eps_l, torch.full((5,), 1e-4))
    x = torch.tensor([0.01, -0.02, 0.5, 1.0, -3.0]).view(1, 5, 1, 1)   # 1x1 maps: nu2 = x**2
    plain = FilterResponseNorm2d(5)(x).flatten()
    kept = learned(x).flatten()
    assert plain[0] > 0.99 and kept[0] < 0.8   # eps = 1e-6 squashes 0.01 to sign(x); 1e-4 more keeps it linear


def test_frn_is_per_sample_and_passes_gradcheck_in_float64():
    torch.manual_seed(0)
    layer = FilterResponseNorm2d(3, learnable_eps=True)
    x = torch.randn(4, 3, 5, 5) * torch.tensor([0.01, 1.0, 100.0]).view(1, 3, 1, 1)
    assert torch.allclose(layer(x)[2:3], layer(x[2:3]))
    double = FilterResponseNorm2d(3, learnable_eps=True).double()
    assert torch.autograd.gradcheck(double, (torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True),))


def test_frn_computes_nu2_in_float32_for_half_inputs():
    x = torch.full((1, 2, 4, 4), 300.0, dtype=torch.float16)          # x**2 = 90,000 overflows float16
    y = FilterResponseNorm2d(2)(x)
    assert y.dtype == torch.float16 and torch.allclose(y.float(), torch.ones_like(y.float()), atol=1e-2)


@pytest.mark.parametrize("norm", ["bn", "frn", "gn", "none"])
def test_nin_shapes_and_logits(norm):
    for cin, size in ((3, 32), (1, 28)):
        net = NiN(norm, in_channels=cin, width=0.25).eval()
        with torch.no_grad():
            out = net(torch.randn(5, cin, size, size))
        assert out.shape == (5, 10) and (out < 0).any()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 9 and convs[-1].bias is not None
    assert all((c.bias is not None) == (norm == "none") for c in convs[:-1])


def test_nin_full_width_parameter_counts():
    counts = {norm: sum(p.numel() for p in NiN(norm).parameters()) for norm in ("bn", "frn", "gn", "none")}
    norm_channels = 192 + 160 + 96 + 192 * 5                              # 8 normalised layers
    assert counts["frn"] - counts["bn"] == norm_channels                  # tau: one more per channel
    assert counts["bn"] == counts["gn"] and counts["bn"] - counts["none"] == norm_channels   # gamma+beta vs bias


def test_batch_dependence_separates_bn_from_frn_and_gn_and_restores_the_model():
    torch.manual_seed(0)
    x = torch.randn(9, 3, 32, 32)
    values = {}
    for norm in ("bn", "frn", "gn", "none"):
        net = NiN(norm, width=0.125, dropout=0.0).eval()
        before = {k: v.clone() for k, v in net.state_dict().items()}
        values[norm] = batch_dependence(net, x[0], x[1:5], x[5:])
        assert not net.training and all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert values["bn"] > 1e-2 and max(values["frn"], values["gn"], values["none"]) < 1e-6


def test_compare_norms_gives_every_run_fresh_state_from_one_seed():
    seen = []

    def make_model(norm):
        return torch.nn.Linear(3, 2)

    def train(model, optimizer, seed):
        seen.append((model, optimizer, seed, model.weight.detach().clone()))
        torch.rand(5)                                   # training consumes the global generator
        return len(seen)

    out = compare_norms(["bn", "frn", "gn"], make_model, lambda m: torch.optim.SGD(m.parameters(), lr=0.1), train, 7)
    assert out == {"bn": 1, "frn": 2, "gn": 3}
    assert len({id(m) for m, *_ in seen}) == 3 and len({id(o) for _, o, *_ in seen}) == 3
    assert {s for _, _, s, _ in seen} == {7} and all(torch.equal(seen[0][3], w) for *_, w in seen)


def test_crop_flip_moves_whole_images_and_uses_every_offset():
    g = torch.Generator().manual_seed(0)
    x = torch.arange(2 * 8 * 8, dtype=torch.float32).view(2, 1, 8, 8).repeat(200, 1, 1, 1)
    out = crop_flip(x, g, pad=2, flip=True)
    assert out.shape == x.shape
    assert torch.equal(crop_flip(x[:1], torch.Generator().manual_seed(1), pad=0, flip=False), x[:1])
    # each output is a shifted (and maybe mirrored) window of its own image: its nonzero values come from it
    for i in range(0, 400, 37):
        assert set(out[i].unique().tolist()) - {0.0} <= set(x[i].unique().tolist())
    flipped = (out[:, 0, 3, 3] < out[:, 0, 3, 4]).float().mean()      # rows increase left to right unless flipped
    assert 0.35 < flipped < 0.65


@pytest.mark.slow
def test_runner_on_synthetic_cifar10(tmp_path, capsys):
    write_synthetic_cifar10(tmp_path / "data", n_train=600, n_test=200)
    rc = runner(["--profile", "smoke", "--dataset", "cifar10", "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "out"), "--no-progress", "--device", "cpu", "--batch-sizes", "4,64",
                 "--norms", "bn,frn"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "| BatchNorm |" in out and "| FRN + TLU |" in out and "FRN − BN" in out
    for name in ("table.md", "result.json", "accuracy_vs_batch.png", "curves.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_runner_without_cifar10_names_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    rc = runner(["--profile", "full", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "CIFAR-10" in err and str(tmp_path) in err and "fetch cifar10" in err


def test_runner_rejects_an_unknown_norm(tmp_path):
    with pytest.raises(SystemExit, match="unknown normalisation"):
        runner(["--norms", "bn,layernorm", "--out", str(tmp_path)])


@pytest.mark.slow
def test_bench_runs_both_pipelines(capsys):
    assert bench(["--n", "64", "--repeats", "1", "--batch-size", "32", "--workers", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "seed pipeline" in out and "course pipeline" in out and "speed-up" in out
