"""Trusted hidden tests of mnist_tuning (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

The probes run the student's functions in the kernel on inputs chosen here and return plain
arrays; expected values come from :mod:`solutions.mnist_tuning` evaluated in this process,
and the properties that any correct answer has (an augmentation's angles stay in range, each
example is seen once per epoch, ...) are measured here on the returned arrays.
"""
import math

import numpy as np

from coursekit.checks import check_close, check_shape

import solutions.mnist_tuning as ref

REFERENCE = {name: getattr(ref, name) for name in ref.__all__}


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ receptive field

RF_OBS = """
table = receptive_field([tuple(int(v) for v in row) for row in layers], input_size=int(size))
__obs__ = {"table": np.array([[int(v) for v in row] for row in table], dtype=np.int64).reshape(-1, 3)}
"""

RF_CASES = [
    # the seed notebook's network (its comments disagreed with its code)
    ("the original notebook's network", [(3, 1, 0), (3, 1, 0), (2, 2, 0), (1, 1, 0), (3, 1, 0), (3, 1, 0),
                                         (3, 1, 1), (3, 1, 0)], 28),
    ("strided convolutions", [(3, 2, 1), (3, 2, 1), (3, 1, 1), (5, 2, 2)], 32),
    ("a 7x7 stem, a pool, then 3x3 convolutions", [(7, 2, 3), (3, 2, 1), (3, 1, 1), (3, 1, 1), (3, 2, 1)], 224),
    ("one 5x5 convolution", [(5, 1, 0)], 9),
    ("two pools in a row", [(3, 1, 1), (2, 2, 0), (2, 2, 0), (3, 1, 0)], 28),
]
COLUMNS = ("size", "rf", "jump")
RF_HINTS = {
    "size": "size_out = (size_in + 2*padding - kernel) // stride + 1",
    "rf": "rf_out = rf_in + (kernel - 1) * jump_in, with the jump *before* this layer",
    "jump": "jump_out = jump_in * stride (the jump starts at 1 on the input)",
}


def test_receptive_field(probe):
    for what, layers, size in RF_CASES:
        inputs = dict(layers=np.array(layers, dtype=np.int64), size=size)
        obs, exp = probe.run(RF_OBS, **inputs), probe.reference(RF_OBS, **inputs)
        table, expected = np.asarray(obs["table"]), np.asarray(exp["table"])
        assert table.shape == expected.shape, (
            f"for {what} ({len(layers)} layers) receptive_field returned {table.shape[0]} rows; "
            "return one (size, rf, jump) tuple per layer")
        for i in range(len(layers)):
            for j, col in enumerate(COLUMNS):
                if table[i, j] != expected[i, j]:
                    raise AssertionError(
                        f"for {what}, layer {i + 1} (kernel, stride, padding = {layers[i]}) has {col} "
                        f"{expected[i, j]}, your function says {table[i, j]}. Hint: {RF_HINTS[col]}")


# ------------------------------------------------------------------ augmentation

def _images():
    bar = np.zeros((28, 28), np.float32)
    bar[13:15, 4:24] = 1.0                                    # a horizontal bar
    yy, xx = np.mgrid[:28, :28]
    disk = (((yy - 13.5) ** 2 + (xx - 13.5) ** 2) <= 25).astype(np.float32)   # rotation-invariant
    gamma = np.zeros((28, 28), np.float32)
    gamma[6:9, 7:22] = 1.0                                    # a top bar ...
    gamma[6:23, 7:10] = 1.0                                   # ... and a left stem: not mirror-symmetric
    return bar, disk, gamma


AUGMENT_OBS = """
import torch
def run(x, seed, deg, shift):
    g = torch.Generator().manual_seed(int(seed))
    return augment(torch.from_numpy(x).clone(), g, max_degrees=float(deg), max_shift=float(shift))
ident = run(x_rand, 0, 0.0, 0.0)
a1 = run(x_rand, 5, 10.0, 0.1)
torch.manual_seed(1234)
a2 = run(x_rand, 5, 10.0, 0.1)
rot = run(bars, 1, 15.0, 0.0)
moved = run(disks, 2, 0.0, 0.1)
asym = run(gammas, 3, 10.0, 0.05)
__obs__ = {"ident": ident.detach().numpy(), "a1": a1.detach().numpy(), "a2": a2.detach().numpy(),
           "rot": rot.detach().numpy(), "moved": moved.detach().numpy(), "asym": asym.detach().numpy(),
           "dtype": str(ident.dtype)}
"""


def _orientation_deg(img):
    """Orientation of an image's principal axis, in degrees in (-90, 90]."""
    yy, xx = np.mgrid[:img.shape[0], :img.shape[1]]
    m = img.sum()
    cy, cx = (yy * img).sum() / m, (xx * img).sum() / m
    mu20 = ((xx - cx) ** 2 * img).sum()
    mu02 = ((yy - cy) ** 2 * img).sum()
    mu11 = ((xx - cx) * (yy - cy) * img).sum()
    return math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02))


def _centroid(img):
    yy, xx = np.mgrid[:img.shape[0], :img.shape[1]]
    m = max(img.sum(), 1e-9)
    return (yy * img).sum() / m, (xx * img).sum() / m


def test_augment(probe):
    bar, disk, gamma = _images()
    n = 48
    inputs = dict(x_rand=_rng(201).random((6, 1, 28, 28), dtype=np.float32),
                  bars=np.repeat(bar[None, None], n, 0), disks=np.repeat(disk[None, None], n, 0),
                  gammas=np.repeat(gamma[None, None], n, 0))
    obs = probe.run(AUGMENT_OBS, **inputs)
    x = inputs["x_rand"]
    check_shape(obs["ident"], x.shape, "augment(x) for x of shape (6, 1, 28, 28)")
    assert str(obs["dtype"]) == "torch.float32", f"augment should return float32 images, got {obs['dtype']}"
    assert np.abs(obs["ident"] - x).max() < 1e-4, (
        "with max_degrees=0 and max_shift=0, augment should return the images unchanged")
    assert np.array_equal(obs["a1"], obs["a2"]), (
        "the same generator seed gave two different batches: draw every random number from `generator` "
        "(torch.rand(..., generator=generator)), not from the global random state")
    assert np.abs(obs["a1"] - x).max() > 1e-3, "with max_degrees=10 and max_shift=0.1, augment left the images unchanged"

    angles = np.array([_orientation_deg(img[0]) for img in obs["rot"]])
    assert np.all(np.abs(angles) <= 15 + 1.5), (
        f"with max_degrees=15 a horizontal bar came out tilted by up to {np.abs(angles).max():.0f} degrees "
        "(are you passing degrees where radians are expected?)")
    assert np.ptp(angles) > 5, (
        f"the angles of 48 rotated bars spread over only {np.ptp(angles):.1f} degrees: draw one angle per image, "
        "uniformly in [-max_degrees, max_degrees]")

    moved = obs["moved"][:, 0]
    assert np.abs(moved[:, :2, :]).max() < 1e-4 and np.abs(moved[:, :, :2]).max() < 1e-4, (
        "pixels brought into the frame by a shift must be filled with the background, 0 (black)")
    shifts = np.array([_centroid(img) for img in moved]) - 13.5
    assert np.abs(shifts).max() <= 0.1 * 28 + 0.6, (
        f"with max_shift=0.1 an image moved by {np.abs(shifts).max():.1f} pixels (at most 2.8 expected on 28 pixels)")
    assert np.ptp(shifts[:, 0]) > 1 and np.ptp(shifts[:, 1]) > 1, (
        "shifts should differ from image to image, horizontally and vertically")
    mass = moved.reshape(len(moved), -1).sum(1) / disk.sum()
    assert np.all(np.abs(mass - 1) < 0.05), "a shifted disk lost or gained brightness: interpolate, do not rescale"

    flipped = gamma[:, ::-1]
    for img in obs["asym"][:, 0]:
        same = float((img * gamma).sum())
        mirror = float((img * flipped).sum())
        assert same > mirror, ("an augmented image looks more like the mirror image of the original than the original: "
                               "do not flip digits (a mirrored 2 is not a 2)")


ERASE_OBS = """
import torch
ones = torch.ones(int(n), 1, 28, 28)
full = random_erasing(ones, torch.Generator().manual_seed(7), p=1.0, scale=(0.05, 0.2))
none = random_erasing(ones, torch.Generator().manual_seed(8), p=0.0, scale=(0.05, 0.2))
half = random_erasing(ones, torch.Generator().manual_seed(9), p=0.5, scale=(0.05, 0.2))
torch.manual_seed(4321)
full2 = random_erasing(ones, torch.Generator().manual_seed(7), p=1.0, scale=(0.05, 0.2))
__obs__ = {"full": full.numpy(), "none": none.numpy(), "half": half.numpy(), "full2": full2.numpy(),
           "input_sum": float(ones.sum())}
"""


def test_random_erasing(probe):
    n = 200
    obs = probe.run(ERASE_OBS, n=n)
    assert float(obs["input_sum"]) == n * 784, (
        "random_erasing changed the batch it was given: return a new tensor (x.clone(), masked_fill, ...)")
    for key in ("full", "none", "half"):
        check_shape(obs[key], (n, 1, 28, 28), f"random_erasing(x) for x of shape ({n}, 1, 28, 28)")
    assert np.array_equal(obs["full"], obs["full2"]), (
        "the same generator seed gave two different batches: draw every random number from `generator`")
    assert np.array_equal(obs["none"], np.ones((n, 1, 28, 28), np.float32)), "with p=0 no image should be erased"
    boxes = set()
    for img in obs["full"][:, 0]:
        erased = img == 0
        assert erased.any(), "with p=1 every image should have a rectangle erased"
        assert np.all((img == 0) | (img == 1)), "pixels outside the erased rectangle must keep their values"
        rows, cols = np.where(erased.any(1))[0], np.where(erased.any(0))[0]
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        area = (bottom - top) * (right - left)
        assert erased.sum() == area and erased[top:bottom, left:right].all(), (
            "the erased pixels of an image should form one filled rectangle")
        assert 0.03 <= area / 784 <= 0.27, (
            f"with scale=(0.05, 0.2) an erased rectangle covered {area / 784:.1%} of the image")
        boxes.add((top, left, bottom, right))
    assert len(boxes) > n // 4, (
        f"200 images got only {len(boxes)} different rectangles: draw a position and size for each image")
    erased_share = float(np.mean([(img == 0).any() for img in obs["half"][:, 0]]))
    assert 0.35 <= erased_share <= 0.65, f"with p=0.5, {erased_share:.0%} of the images were erased (about 50% expected)"


# ------------------------------------------------------------------ the network

NET_OBS = """
import torch
torch.manual_seed(0)
model = Net()
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
model.eval()
with torch.no_grad():
    out2 = model(torch.from_numpy(x2))
    out1 = model(torch.from_numpy(x2[:1]))
model.train()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
xt, yt = torch.from_numpy(train_x), torch.from_numpy(train_y)
for step in range(int(steps)):
    idx = torch.arange(step * 50, step * 50 + 50) % len(yt)
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    scores = model(torch.from_numpy(test_x))
__obs__ = {"n_params": int(n_params), "out2": out2.float().numpy(), "out1": out1.float().numpy(),
           "scores": scores.float().numpy()}
"""


def pattern_task(seed: int = 301, n_train: int = 600, n_test: int = 200):
    """Ten classes of noisy stripes (5 orientations x 2 frequencies, random phase): a texture
    task that any working CNN, global pooling included, learns in a few dozen steps."""
    rng = _rng(seed)
    yy, xx = np.mgrid[:28, :28].astype(np.float32)

    def sample(n):
        y = rng.integers(10, size=n)
        theta = np.deg2rad(36.0 * (y % 5))[:, None, None]
        freq = np.where(y < 5, 1 / 4, 1 / 8)[:, None, None]
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
        x = 0.5 + 0.4 * np.sin(2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
        x = x + 0.1 * rng.standard_normal((n, 28, 28))
        return x[:, None].astype(np.float32), y.astype(np.int64)

    (train_x, train_y), (test_x, test_y) = sample(n_train), sample(n_test)
    return train_x, train_y, test_x, test_y


def test_network(probe):
    train_x, train_y, test_x, test_y = pattern_task()
    inputs = dict(x2=_rng(302).random((2, 1, 28, 28), dtype=np.float32), train_x=train_x, train_y=train_y,
                  test_x=test_x, steps=40)
    obs = probe.run(NET_OBS, **inputs)
    n_params = int(obs["n_params"])
    assert 0 < n_params < 10_000, f"Net() has {n_params:,} trainable parameters; the budget is fewer than 10,000"
    out2, out1 = np.asarray(obs["out2"]), np.asarray(obs["out1"])
    assert out2.shape == (2, 10), (
        f"Net() maps a batch of 2 images to shape {out2.shape}; expected (2, 10)"
        + (" (flatten the output of the last convolution)" if out2.size == 20 else ""))
    assert out1.shape == (1, 10), (
        f"Net() maps a batch of 1 image to shape {out1.shape}; expected (1, 10) "
        "(x.squeeze() also removes the batch axis when N = 1: use flatten(1) or view(len(x), -1))")
    assert np.all(np.isfinite(out2)), "Net() returned NaN or inf"
    scores = np.asarray(obs["scores"])
    if np.all(scores >= 0) and np.allclose(scores.sum(1), 1, atol=1e-4):
        raise AssertionError("Net() returns probabilities (softmax); return the raw scores (logits) or "
                             "log-probabilities: cross_entropy applies log-softmax itself")
    acc = float(np.mean(scores.argmax(1) == test_y))
    assert acc >= 0.8, (f"after 40 Adam steps on an easy 10-class stripe-pattern task, Net() classifies only {acc:.0%} of "
                        "new examples correctly (a working small CNN reaches over 90%)")


# ------------------------------------------------------------------ training and evaluation

RECORDER = """
import torch
import torch.nn as nn
class Recorder(nn.Module):
    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(int(seed))
        self.fc = nn.Linear(784, 10)
        self.seen, self.modes, self.grad_on = [], [], []
    def forward(self, x):
        self.seen.append(torch.round(x[:, 0, 0, 0].detach() * 255).long())
        self.modes.append(bool(self.training))
        self.grad_on.append(bool(torch.is_grad_enabled()))
        return self.fc(x.reshape(len(x), -1))
imgs, labs = torch.from_numpy(images), torch.from_numpy(labels)
"""

TRAIN_OBS = RECORDER + """
m = Recorder(0)
m.eval()
g = torch.Generator().manual_seed(3)
calls = []
def aug(x, gen):
    calls.append((len(x), gen is g))
    return x
ret0 = train_one_epoch(m, imgs, labs, torch.optim.SGD(m.parameters(), lr=0.0), batch_size=7, generator=g, augment=aug)
first = len(m.seen)
train_one_epoch(m, imgs, labs, torch.optim.SGD(m.parameters(), lr=0.0), batch_size=7, generator=g)
m2 = Recorder(1)
opt2 = torch.optim.SGD(m2.parameters(), lr=0.5)
train_one_epoch(m2, imgs, labs, opt2, batch_size=1000, generator=torch.Generator().manual_seed(4))
train_one_epoch(m2, imgs, labs, opt2, batch_size=1000, generator=torch.Generator().manual_seed(5))
__obs__ = {"ret0": float(ret0), "ep1": torch.cat(m.seen[:first]).numpy(), "ep2": torch.cat(m.seen[first:]).numpy(),
           "sizes": np.array([len(s) for s in m.seen[:first]]), "modes": np.array(m.modes),
           "grad_on": np.array(m.grad_on), "aug_calls": len(calls), "aug_gen": all(c[1] for c in calls),
           "aug_sizes": np.array([c[0] for c in calls]),
           "W": m2.fc.weight.detach().numpy(), "b": m2.fc.bias.detach().numpy()}
"""


def _indexed_images(n, seed):
    rng = _rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)         # pixel (0, 0) carries the example's index
    return images, rng.integers(10, size=n).astype(np.int64)


def test_train_one_epoch(probe):
    n = 20
    images, labels = _indexed_images(n, 401)
    inputs = dict(images=images, labels=labels)
    obs, exp = probe.run(TRAIN_OBS, **inputs), probe.reference(TRAIN_OBS, **inputs)
    assert np.all(obs["modes"]), "the model was not in training mode during train_one_epoch: call model.train() first"
    assert np.all(obs["grad_on"]), "gradients were disabled during training"
    ep1, ep2 = np.asarray(obs["ep1"]), np.asarray(obs["ep2"])
    assert np.array_equal(np.sort(ep1), np.arange(n)) and np.array_equal(np.sort(ep2), np.arange(n)), (
        "one epoch should use every example exactly once (no repeats, none left out, keep the smaller last batch)")
    assert not np.array_equal(ep1, np.arange(n)), (
        "the first epoch visited the examples in their stored order: shuffle with torch.randperm(n, generator=generator)")
    assert not np.array_equal(ep1, ep2), "two epochs visited the examples in the same order: draw a new order every epoch"
    sizes = np.asarray(obs["sizes"])
    assert len(sizes) == 3 and sizes.max() <= 7, (
        f"20 examples with batch_size=7 should make 3 batches (7, 7, 6); got batch sizes {sizes.tolist()}")
    assert int(obs["aug_calls"]) == len(sizes) and bool(obs["aug_gen"]), (
        "augment should be called once per batch, as augment(x, generator)")
    check_close(obs["ret0"], exp["ret0"], "the returned mean training loss (learning rate 0)", tol=1e-5,
                hint="weigh each batch's mean loss by its size and divide by the number of examples")
    for key in ("W", "b"):
        got, want = np.asarray(obs[key], dtype=np.float64), np.asarray(exp[key], dtype=np.float64)
        check_shape(got, want.shape, f"the weights after two full-batch SGD epochs ({key})")
        # the examples' order changes float32 sums slightly: compare on the scale of the weights
        err = float(np.abs(got - want).max() / np.abs(want).max()) if np.all(np.isfinite(got)) else float("inf")
        assert err < 1e-4, (
            f"the weights after two full-batch SGD epochs ({key}) differ from the expected ones by {err:.1e} of their "
            "scale. Hint: zero the gradients before every backward pass, use the mean cross-entropy, "
            "and step the optimizer once per batch")


EVAL_OBS = """
import torch
import torch.nn as nn
class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(32, 10))
        self.grad_on = []
    def forward(self, x):
        self.grad_on.append(bool(torch.is_grad_enabled()))
        return self.body(x)
m = Probe()
with torch.no_grad():
    m.body[2].running_mean.copy_(torch.from_numpy(rm))
    m.body[2].running_var.copy_(torch.from_numpy(rv))
    m.eval()
    pred = m(torch.from_numpy(images).float().div(255).unsqueeze(1)).argmax(1)
m.grad_on.clear()
m.train()
loss, acc = evaluate(m, torch.from_numpy(images), torch.from_numpy(labels), batch_size=10)
__obs__ = {"loss": float(loss), "acc": float(acc), "grad_on": np.array(m.grad_on, dtype=bool), "pred": pred.numpy(),
           "grads": any(p.grad is not None for p in m.parameters())}
"""


def test_evaluate(probe):
    n = 25
    images, _ = _indexed_images(n, 402)
    rng = _rng(403)
    stats = dict(rm=rng.normal(0, 2, 32).astype(np.float32), rv=rng.uniform(0.5, 4, 32).astype(np.float32))
    # labels: the model's own predictions on the first 22 examples, a wrong class on the last 3,
    # so the short last batch (5 examples) has an accuracy of its own, 2/5
    pred = probe.reference(EVAL_OBS, images=images, labels=np.zeros(n, np.int64), **stats)["pred"]
    labels = pred.astype(np.int64).copy()
    labels[22:] = (labels[22:] + 1) % 10
    inputs = dict(images=images, labels=labels, **stats)
    obs, exp = probe.run(EVAL_OBS, **inputs), probe.reference(EVAL_OBS, **inputs)
    assert not np.any(obs["grad_on"]) and not bool(obs["grads"]), (
        "evaluate built a graph: wrap the forward passes in torch.no_grad()")
    check_close(obs["acc"], exp["acc"], "the accuracy on 25 examples in batches of 10", tol=1e-6,
                hint="correct predictions / number of examples, in evaluation mode (model.eval())")
    check_close(obs["loss"], exp["loss"], "the mean loss on 25 examples in batches of 10", tol=1e-5,
                hint="in evaluation mode (dropout off, BatchNorm's running statistics), sum the per-example "
                     "losses over all batches and divide by the number of examples")
