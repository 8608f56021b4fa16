"""Trusted hidden tests of mnist_tuning (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

The probes run the student's functions in the kernel on inputs chosen here and return plain
arrays; expected values come from :mod:`solutions.mnist_tuning` evaluated in this process,
and the properties that any correct answer has (an augmentation's angles cover their whole
range, each example is seen once per epoch, ...) are measured here on the returned arrays.

Every hidden input (layer stacks, images, generator seeds, batch sizes, probabilities, ranges)
is drawn from ``probe.rng(<name>)``: fresh for every grading run, so answers memorised from
earlier feedback earn nothing. Every numeric comparison goes through ``probe.below`` /
``probe.close``; ``tests/test_check_draws.py`` measures the margin of each bound over what
correct code reaches on many draws. Statistical checks use samples large enough that a
correct answer is far from the bound on every draw (the messages say what the bound is).
"""
import math

import numpy as np

import solutions.mnist_tuning as ref

REFERENCE = {name: getattr(ref, name) for name in ref.__all__}

# What the notebook's given cells define before a student's cells run (the setup cell's
# imports and ``to_input``): the valid variants of the catalogue run on it, kernel-free.
VARIANT_PRELUDE = """
import math
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from coursekit.train import default_prepare as to_input
"""


def _seed(rng) -> int:
    """A torch seed drawn from a hidden-input stream."""
    return int(rng.integers(1, 2 ** 31 - 1))


def _shape_is(name, value, shape):
    actual = tuple(np.shape(value))
    assert actual == tuple(shape), f"{name} has shape {actual}, expected {tuple(shape)}"


def _at_least(probe, name, count, minimum, message):
    """``count`` must exceed ``minimum`` (recorded as the ratio minimum / count, which must stay below 1)."""
    probe.below(name, minimum / count if count > 0 else float("inf"), 1.0, message)


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


def _fit_size(rng, layers):
    """An input size for ``layers`` on which every layer's output keeps at least one pixel."""
    size = 1
    for kernel, stride, padding in reversed(layers):
        size = max(1, (size - 1) * stride + kernel - 2 * padding)
    return int(size + rng.integers(0, 2 * size + 40))


def _random_layers(rng, depth):
    """``depth`` random (kernel, stride, padding) layers: kernels 1-7, strides 1-4, padding up to kernel // 2."""
    out = []
    for _ in range(depth):
        kernel = int(rng.integers(1, 8))
        out.append((kernel, int(rng.choice([1, 1, 2, 2, 3, 4])), int(rng.integers(0, kernel // 2 + 1))))
    return out


def rf_cases(probe):
    """The fixed cases, then random stacks (depth 1-9, sizes that strides do not divide evenly),
    one of which has a stride of 3 or 4 before a layer with a kernel above 1."""
    rng = probe.rng("receptive_field", "stacks")
    cases = list(RF_CASES)
    for _ in range(6):
        layers = _random_layers(rng, int(rng.integers(1, 10)))
        cases.append((f"a random stack of {len(layers)} layers", layers, _fit_size(rng, layers)))
    layers = _random_layers(rng, int(rng.integers(3, 7)))
    layers[int(rng.integers(0, len(layers) - 1))] = (int(rng.integers(2, 6)), int(rng.integers(3, 5)), 0)
    layers[-1] = (int(rng.integers(3, 8)), int(rng.integers(1, 3)), 1)
    cases.append((f"a random stack of {len(layers)} layers with a stride above 2", layers, _fit_size(rng, layers)))
    return cases


def test_receptive_field(probe):
    for what, layers, size in rf_cases(probe):
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
                        f"for {what} on a {size}x{size} input, layers (kernel, stride, padding) = {layers}: "
                        f"layer {i + 1} {layers[i]} has {col} {expected[i, j]}, your function says {table[i, j]}. "
                        f"Hint: {RF_HINTS[col]}")


# ------------------------------------------------------------------ augmentation

def _bar(length=20):
    bar = np.zeros((28, 28), np.float32)
    bar[13:15, 14 - length // 2:14 + length // 2] = 1.0          # a horizontal bar centred on (13.5, 13.5)
    return bar


def _disk(radius=4.0):
    yy, xx = np.mgrid[:28, :28]
    return (((yy - 13.5) ** 2 + (xx - 13.5) ** 2) <= radius ** 2).astype(np.float32)   # rotation-invariant


def _gamma():
    gamma = np.zeros((28, 28), np.float32)
    gamma[6:9, 7:22] = 1.0                                    # a top bar ...
    gamma[6:23, 7:10] = 1.0                                   # ... and a left stem: not mirror-symmetric
    return gamma


AUGMENT_OBS = """
import torch
def run(x, seed, deg, shift):
    g = torch.Generator().manual_seed(int(seed))
    return augment(torch.from_numpy(x).clone(), g, max_degrees=float(deg), max_shift=float(shift))
ident = run(x_rand, seeds[0], 0.0, 0.0)
a1 = run(x_rand, seeds[1], deg_any, shift_any)
torch.manual_seed(int(seeds[2]))
a2 = run(x_rand, seeds[1], deg_any, shift_any)
rot = run(np.repeat(bar[None, None], int(n_rot), 0), seeds[3], deg_rot, 0.0)
moved = run(np.repeat(disk[None, None], int(n_moved), 0), seeds[4], 0.0, shift_moved)
both = run(np.repeat(short_bar[None, None], int(n_both), 0), seeds[5], deg_both, shift_both)
asym = run(np.repeat(gamma[None, None], 48, 0), seeds[6], 10.0, 0.05)
__obs__ = {"ident": ident.detach().numpy(), "a1": a1.detach().numpy(), "a2": a2.detach().numpy(),
           "rot": rot.detach().numpy(), "moved": moved.detach().numpy(), "both": both.detach().numpy(),
           "asym": asym.detach().numpy(), "dtype": str(ident.dtype)}
"""


def _moments(imgs):
    """Centroids (y, x) and principal-axis orientations (degrees, in (-90, 90]) of images (n, H, W)."""
    imgs = np.asarray(imgs, dtype=np.float64)
    yy, xx = np.mgrid[:imgs.shape[1], :imgs.shape[2]]
    m = np.maximum(imgs.sum((1, 2)), 1e-9)
    cy, cx = (yy * imgs).sum((1, 2)) / m, (xx * imgs).sum((1, 2)) / m
    dy, dx = yy[None] - cy[:, None, None], xx[None] - cx[:, None, None]
    mu20, mu02, mu11 = (dx ** 2 * imgs).sum((1, 2)), (dy ** 2 * imgs).sum((1, 2)), (dx * dy * imgs).sum((1, 2))
    return cy, cx, np.degrees(0.5 * np.arctan2(2 * mu11, mu20 - mu02))


def _ks_uniform(u):
    """Kolmogorov-Smirnov distance between a sample ``u`` and the uniform distribution on [-1, 1]."""
    u = np.sort(np.clip(u, -1, 1))
    cdf, n = (u + 1) / 2, len(u)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(abs((a * b).sum()) / max(math.sqrt((a * a).sum() * (b * b).sum()), 1e-12))


def _range_checks(probe, what, values, limit, slack, unit, how, hint):
    """``values`` (drawn uniformly in [-limit, limit]) reach both ends of their range: the largest
    within limit / 4 of +limit and the smallest within limit / 4 of -limit (``slack`` allowed for
    rounding); ``how`` names the parameter in the messages, ``hint`` says what to mind."""
    n = len(values)
    top = max(0.0, limit - slack - float(values.max())) / limit
    probe.below(f"{what}: largest short of +max", top, 0.25,
                f"with {how}, the largest of {n} {what} was {values.max():+.2f}{unit}: over {n} images a uniform draw "
                f"in [-{limit:.2f}, {limit:.2f}] comes within {limit / 4:.2f}{unit} of both ends. Use the whole range "
                f"({hint})")
    bottom = max(0.0, limit - slack + float(values.min())) / limit
    probe.below(f"{what}: smallest short of -max", bottom, 0.25,
                f"with {how}, the smallest of {n} {what} was {values.min():+.2f}{unit}: draw uniformly in "
                f"[-{limit:.2f}, {limit:.2f}], negative values included (torch.rand(n) * 2 - 1, not torch.rand(n))")


def test_augment(probe):
    rng = probe.rng("augment", "inputs")
    n_rot, n_moved, n_both = 600, 400, 400
    deg_rot, shift_moved = float(rng.uniform(8, 30)), float(rng.uniform(0.15, 0.22))
    deg_both, shift_both = float(rng.uniform(10, 20)), float(rng.uniform(0.08, 0.12))
    inputs = dict(x_rand=rng.random((6, 1, 28, 28), dtype=np.float32), bar=_bar(20), short_bar=_bar(12),
                  disk=_disk(4.0), gamma=_gamma(), seeds=np.array([_seed(rng) for _ in range(7)]),
                  deg_any=float(rng.uniform(5, 20)), shift_any=float(rng.uniform(0.05, 0.15)),
                  n_rot=n_rot, deg_rot=deg_rot, n_moved=n_moved, shift_moved=shift_moved,
                  n_both=n_both, deg_both=deg_both, shift_both=shift_both)
    obs = probe.run(AUGMENT_OBS, **inputs)
    x = inputs["x_rand"]
    _shape_is("augment(x) for x of shape (6, 1, 28, 28)", obs["ident"], x.shape)
    assert str(obs["dtype"]) == "torch.float32", f"augment should return float32 images, got {obs['dtype']}"
    probe.below("augment: change with max_degrees=0, max_shift=0", np.abs(obs["ident"] - x).max(), 1e-3,
                "with max_degrees=0 and max_shift=0, augment should return the images unchanged (to 1e-3)")
    assert np.array_equal(obs["a1"], obs["a2"]), (
        "the same generator seed gave two different batches: draw every random number from `generator` "
        "(torch.rand(..., generator=generator)), not from the global random state")
    assert np.abs(obs["a1"] - x).max() > 1e-3, (
        f"with max_degrees={inputs['deg_any']:.1f} and max_shift={inputs['shift_any']:.2f}, augment left the images unchanged")
    # images with no black border (random pixels, none exactly 0): what a rotation or a shift brings in from
    # outside the image is 0, so most of the 6 images gain exact zeros (all but a nearly unmoved one)
    filled = float(np.mean((np.asarray(obs["a1"]) == 0).reshape(len(x), -1).any(1)))
    assert filled >= 0.5, (
        f"only {filled:.0%} of 6 rotated and shifted images with non-zero edges got any pixel set to 0: what moves in "
        "from outside the image must be 0 (padding_mode='zeros' or fill=0), not a copy of the edge or a reflection")

    # rotations: horizontal bars rotated by angles drawn uniformly in [-D, D]
    for key, n in (("rot", n_rot), ("moved", n_moved), ("both", n_both)):
        _shape_is(f"augment(x) for x of shape ({n}, 1, 28, 28)", obs[key], (n, 1, 28, 28))
    _, _, angles = _moments(obs["rot"][:, 0])
    how = f"max_degrees={deg_rot:.1f}"
    probe.below("augment: angle beyond max_degrees (degrees)", max(0.0, np.abs(angles).max() - deg_rot), 2.0,
                f"with {how} a horizontal bar came out tilted by {np.abs(angles).max():.1f} degrees (at most "
                f"{deg_rot:.1f} + 2 for measurement expected; are you passing degrees where radians are expected?)")
    _range_checks(probe, "angles", angles, deg_rot, 0.0, " degrees", how,
                  "one angle per image, uniform in [-max_degrees, max_degrees], converted to radians once")
    probe.below("augment: angles' distance from uniform (KS)", _ks_uniform(angles / deg_rot), 0.25,
                f"with {how}, the angles of {n_rot} rotated bars are not spread uniformly over [-{deg_rot:.1f}, "
                f"{deg_rot:.1f}] (Kolmogorov-Smirnov distance {_ks_uniform(angles / deg_rot):.2f}, at most 0.25 "
                "expected): draw one angle per image, uniformly over the whole range")

    # shifts: disks moved by up to max_shift of the width and of the height, independently
    moved = obs["moved"][:, 0]
    border = max(np.abs(moved[:, :2, :]).max(), np.abs(moved[:, -2:, :]).max(),
                 np.abs(moved[:, :, :2]).max(), np.abs(moved[:, :, -2:]).max())
    probe.below("augment: border brightness after a shift", border, 0.05,
                "pixels brought into the frame by a shift must be filled with the background, 0 (black)")
    cy, cx, _ = _moments(moved)
    dy, dx = cy - 13.5, cx - 13.5
    limit = shift_moved * 28
    how = f"max_shift={shift_moved:.3f} (up to {limit:.2f} pixels on 28)"
    worst = float(max(np.abs(dx).max(), np.abs(dy).max()))
    probe.below("augment: shift beyond max_shift (pixels)", max(0.0, worst - limit), 1.5,
                f"with {how} an image moved by {worst:.1f} pixels (at most {limit:.1f} + 1.5 expected)")
    units = "mind the units: affine_grid's coordinates span [-1, 1], two units per image side"
    _range_checks(probe, "horizontal shifts", dx, limit, 0.5, " pixels", how, units)
    _range_checks(probe, "vertical shifts", dy, limit, 0.5, " pixels", how, units)
    probe.below("augment: correlation of x and y shifts", _corr(dx, dy), 0.5,
                f"with {how}, the horizontal and vertical shifts of {n_moved} images are correlated "
                f"(|correlation| {_corr(dx, dy):.2f}, at most 0.5 expected): draw the two shifts independently")
    mass = moved.reshape(len(moved), -1).sum(1) / inputs["disk"].sum()
    probe.below("augment: brightness change of a shifted disk", np.abs(mass - 1).max(), 0.05,
                "a shifted disk lost or gained brightness (more than 5%): interpolate, do not rescale")

    # rotation and shift together: the angle and the shifts of each image are independent draws
    cy, cx, angles = _moments(obs["both"][:, 0])
    how = f"max_degrees={deg_both:.1f} and max_shift={shift_both:.3f}"
    for axis, shift in (("horizontal", cx - 13.5), ("vertical", cy - 13.5)):
        c = _corr(angles, shift)
        probe.below(f"augment: correlation of angle and {axis} shift", c, 0.5,
                    f"with {how}, the angles and the {axis} shifts of {n_both} images are correlated (|correlation| "
                    f"{c:.2f}, at most 0.5 expected): draw the angle and each shift independently")
    for axis, shift in (("horizontal", cx - 13.5), ("vertical", cy - 13.5)):
        assert np.ptp(shift) > 0.5 and np.ptp(angles) > 1, (
            f"with {how} both the angle and the {axis} shift should vary from image to image")

    gamma = inputs["gamma"]
    flipped = gamma[:, ::-1]
    asym = obs["asym"][:, 0]
    same, mirror = (asym * gamma).sum((1, 2)), (asym * flipped).sum((1, 2))
    assert np.all(same > mirror), (
        "an augmented image looks more like the mirror image of the original than the original: "
        "do not flip digits (a mirrored 2 is not a 2)")


ERASE_OBS = """
import torch
x = torch.from_numpy(contents)
before = x.clone()
def run(inp, seed, p, scale):
    return random_erasing(inp, torch.Generator().manual_seed(int(seed)), p=float(p), scale=(float(scale[0]), float(scale[1])))
full = run(x, seeds[0], 1.0, scale)
untouched = bool(torch.equal(x, before))
none = run(x, seeds[1], 0.0, scale)
torch.manual_seed(int(seeds[2]))
full2 = run(x, seeds[0], 1.0, scale)
ones = torch.ones(int(n_coin), 1, 12, 12)
coin = run(ones, seeds[3], p_coin, (0.1, 0.3))
__obs__ = {"full": full.numpy(), "none": none.numpy(), "full2": full2.numpy(), "untouched": untouched,
           "coin_erased": (coin == 0).flatten(1).any(1).numpy()}
"""


def _boxes(erased):
    """Bounding boxes (top, bottom, left, right; bottom and right exclusive) of boolean masks (n, H, W)."""
    rows, cols = erased.any(2), erased.any(1)
    h, w = erased.shape[1:]
    top, bottom = rows.argmax(1), h - rows[:, ::-1].argmax(1)
    left, right = cols.argmax(1), w - cols[:, ::-1].argmax(1)
    return top, bottom, left, right


def test_random_erasing(probe):
    rng = probe.rng("random_erasing", "inputs")
    h = int(rng.integers(24, 37))
    w = int(rng.choice([v for v in range(24, 37) if abs(v - h) >= 4]))   # not square: height and width apart
    n = 600
    s0 = float(rng.uniform(0.02, 0.06))
    s1 = float(s0 + rng.uniform(0.1, 0.2))
    p_coin = float(rng.choice([-1, 1]) * rng.uniform(0.15, 0.35) + 0.5)   # far from 0.5: p and 1 - p differ
    n_coin = 1000
    contents = rng.uniform(0.2, 1.0, size=(n, 1, h, w)).astype(np.float32)
    inputs = dict(contents=contents, scale=np.array([s0, s1]), seeds=np.array([_seed(rng) for _ in range(4)]),
                  p_coin=p_coin, n_coin=n_coin)
    obs = probe.run(ERASE_OBS, **inputs)
    assert bool(obs["untouched"]), (
        "random_erasing changed the batch it was given: return a new tensor (x.clone(), masked_fill, ...)")
    for key in ("full", "none", "full2"):
        _shape_is(f"random_erasing(x) for x of shape ({n}, 1, {h}, {w})", obs[key], (n, 1, h, w))
    assert np.array_equal(obs["full"], obs["full2"]), (
        "the same generator seed gave two different batches: draw every random number from `generator`")
    assert np.array_equal(obs["none"], contents), "with p=0 no image should change"

    out, img = obs["full"][:, 0], contents[:, 0]
    erased = out == 0
    assert erased.reshape(n, -1).any(1).all(), "with p=1 every image should have a rectangle erased (set to 0)"
    assert np.array_equal(np.where(erased, img, out), img), (
        "pixels outside the erased rectangle must keep their values, and erased pixels are set to 0")
    top, bottom, left, right = _boxes(erased)
    heights, widths = bottom - top, right - left
    area = heights * widths
    assert np.array_equal(erased.reshape(n, -1).sum(1), area), (
        "the erased pixels of an image should form one filled rectangle")

    # the area: a fraction of the image in [s0, s1], up to rounding each side to the nearest pixel (as
    # torchvision's RandomErasing does): sides within 0.5 of the exact ones change the area by at most
    # 0.5 * (height + width) + 0.25 pixels, and that is all this allows (plus 0.5 pixel for float error):
    # a side one pixel too long (or too short) exceeds it on the rectangles near either end of the range
    rounding = 0.5 * (heights + widths) + 0.25
    size = h * w
    beyond = np.maximum(0, np.maximum(s0 * size - area, area - s1 * size) - rounding)
    i = int(beyond.argmax())
    probe.below("erasing: area beyond scale and rounding (pixels)", beyond.max(), 0.5,
                f"with scale=({s0:.3f}, {s1:.3f}) on a {h}x{w} image an erased {heights[i]}x{widths[i]} rectangle "
                f"covered {area[i] / size:.1%} of the image, {beyond[i]:.1f} pixels beyond what rounding its sides to "
                "the nearest pixel allows: the area is a fraction of h * w drawn in scale, and each side is rounded "
                "to the nearest pixel (round(), not +1, not ceil)")
    low = max(0.0, (area - rounding).min() - s0 * size) / ((s1 - s0) * size)
    probe.below("erasing: smallest area short of scale[0]", low, 0.25,
                f"with scale=({s0:.3f}, {s1:.3f}) the smallest of {n} erased rectangles covered {area.min() / size:.1%} "
                "of the image: draw the area uniformly over the whole scale range, its lower end included")
    high = max(0.0, s1 * size - (area + rounding).max()) / ((s1 - s0) * size)
    probe.below("erasing: largest area short of scale[1]", high, 0.25,
                f"with scale=({s0:.3f}, {s1:.3f}) the largest of {n} erased rectangles covered {area.max() / size:.1%} "
                "of the image: draw the area uniformly over the whole scale range, its upper end included")

    # the position: anywhere in the image (every edge reachable), independently per image and per axis
    for edge, count in (("top", int((top == 0).sum())), ("bottom", int((bottom == h).sum())),
                        ("left", int((left == 0).sum())), ("right", int((right == w).sum()))):
        _at_least(probe, f"erasing: rectangles on the {edge} edge (2 / count)", count, 2,
                  f"only {count} of {n} erased rectangles on a {h}x{w} image touched its {edge} edge (more than 2 "
                  "expected, about one in 10 to 30): draw the top-left corner uniformly over every position where "
                  "the rectangle fits, top in [0, h - height] and left in [0, w - width], ends included")
    c = _corr(top + bottom, left + right)
    probe.below("erasing: correlation of row and column", c, 0.5,
                f"the vertical and horizontal positions of {n} erased rectangles are correlated (|correlation| {c:.2f}, "
                "at most 0.5 expected): draw the row and the column independently")
    distinct = len(set(zip(top.tolist(), left.tolist(), bottom.tolist(), right.tolist()))) / n
    probe.below("erasing: share of repeated rectangles", 1 - distinct, 0.8,
                f"{n} images got only {distinct * n:.0f} different rectangles: draw a position and a size for each image")

    # the coin: each image erased with probability p, independently
    share = float(np.mean(obs["coin_erased"]))
    probe.below("erasing: share erased minus p", abs(share - p_coin), 0.15,
                f"with p={p_coin:.2f}, {share:.0%} of {n_coin} images were erased ({p_coin:.0%} expected, "
                "within 15 points): erase each image with probability p, independently")


# ------------------------------------------------------------------ the network

NET_OBS = """
import torch
torch.manual_seed(int(seed))
model = Net()
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
model.eval()
with torch.no_grad():
    out2 = model(torch.from_numpy(x2))
    out1 = model(torch.from_numpy(x2[:1]))
input_grad, scores = 0.0, np.zeros((0, 10))
if tuple(out2.shape) == (2, 10) and tuple(out1.shape) == (1, 10):  # else the shape is what fails
    model.train()
    xg = torch.from_numpy(train_x[:8]).clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(xg), torch.from_numpy(train_y[:8])).backward()
    input_grad = 0.0 if xg.grad is None else float(xg.grad.abs().sum())
    model.zero_grad()
    opt = torch.optim.Adam(model.parameters(), lr=float(lr))
    xt, yt = torch.from_numpy(train_x), torch.from_numpy(train_y)
    b = int(batch)
    for step in range(len(yt) // b):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt[step * b:step * b + b]), yt[step * b:step * b + b])
        loss.backward()
        opt.step()
    with torch.no_grad():  # BatchNorm's running statistics: the exact average over the last 6 training batches
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
                module.momentum = None
        for step in range(len(yt) // b - 6, len(yt) // b):
            model(xt[step * b:step * b + b])
        model.eval()
        scores = model(torch.from_numpy(test_x))
__obs__ = {"n_params": int(n_params), "out2": out2.float().numpy(), "out1": out1.float().numpy(),
           "input_grad": input_grad, "scores": np.asarray(scores.float().numpy() if torch.is_tensor(scores) else scores)}
"""


def pattern_task(rng, n_classes=5, n_train=480, n_test=100):
    """``n_classes`` classes of noisy stripes (each its own orientation, 36 degrees apart, and a
    random one of two frequencies; random phase), each labelled with a random one of the 10
    outputs: a texture task that any working CNN, global pooling included, learns in 30 Adam steps."""
    yy, xx = np.mgrid[:28, :28].astype(np.float32)
    # pattern c: orientation 36 * (c % 5) degrees, period 4 pixels (c < 5) or 8 (c >= 5)
    patterns = rng.permutation(5)[:n_classes] + 5 * rng.integers(2, size=n_classes)
    outputs = rng.permutation(10)[:n_classes]

    def sample(n):
        k = rng.integers(n_classes, size=n)
        c = patterns[k]
        theta = np.deg2rad(36.0 * (c % 5))[:, None, None]
        freq = np.where(c < 5, 1 / 4, 1 / 8)[:, None, None]
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
        x = 0.5 + 0.4 * np.sin(2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
        x = x + 0.1 * rng.standard_normal((n, 28, 28))
        return x[:, None].astype(np.float32), outputs[k].astype(np.int64)

    (train_x, train_y), (test_x, test_y) = sample(n_train), sample(n_test)
    return train_x, train_y, test_x, test_y


def test_network(probe):
    rng = probe.rng("network", "inputs")
    train_x, train_y, test_x, test_y = pattern_task(rng)
    # two images of different brightness: statistics over the batch would change each image's scores
    x2 = rng.random((2, 1, 28, 28), dtype=np.float32) * np.array([1.0, 0.25], np.float32)[:, None, None, None]
    inputs = dict(x2=x2, train_x=train_x, train_y=train_y,
                  test_x=test_x, seed=_seed(rng), lr=0.02, batch=16)
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
    assert np.all(np.isfinite(out2)) and np.all(np.isfinite(out1)), "Net() returned NaN or inf"
    # measured against how much the scores depend on the image at all (a fresh network's scores can
    # be nearly constant: against their size, a batch-normalised input passed 1 run in 20)
    alone = float(np.abs(out1[0] - out2[0]).max() / max(np.abs(out2[0] - out2[1]).max(), 1e-6 * np.abs(out2).max(), 1e-12))
    probe.below("network: batch dependence in eval mode", alone, 1e-3,
                "in evaluation mode Net() gave an image different scores alone and in a batch of two: each image's "
                "scores must depend on that image only (no statistics over the batch outside BatchNorm)")
    assert float(np.abs(out2[0] - out2[1]).max()) > 1e-6, "Net() gave two different images the same scores"
    assert float(obs["input_grad"]) > 0, (
        "the loss of Net() has no gradient with respect to its input: something cuts the graph "
        "(.detach(), .data, .numpy(), torch.no_grad() inside forward), so the early layers cannot learn")
    scores = np.asarray(obs["scores"])
    _shape_is(f"the scores of Net() for {len(test_y)} images", scores, (len(test_y), 10))
    # logits (any sign and size) or log-probabilities (all <= 0); never squashed into [0, 1]: softmax rows sum
    # to 1, sigmoid outputs do not, and cross_entropy on either learns slowly or not at all
    if np.all(scores >= 0) and np.all(scores <= 1):
        raise AssertionError(
            "Net() returns values in [0, 1] for every image and class: "
            + ("probabilities (softmax)" if np.allclose(scores.sum(1), 1, atol=1e-4) else "squashed scores (sigmoid?)")
            + "; return the raw scores (logits) or log-probabilities: cross_entropy applies log-softmax itself")
    acc = float(np.mean(scores.argmax(1) == test_y))
    probe.below("network: test error on 5 stripe classes", 1 - acc, 0.65,
                f"after 30 Adam steps (batches of 16) on an easy 5-class stripe-pattern task, Net() classifies only {acc:.0%} of "
                "new examples correctly (over 35% expected; chance is 20%, a working small CNN reaches over 70%)")


# ------------------------------------------------------------------ training and evaluation

RECORDER = """
import torch
import torch.nn as nn
class Recorder(nn.Module):
    \"\"\"A linear model that records, for every forward pass, which examples it saw (pixel (0, 0)
    carries the example's index), pixel (0, 1) (which the check's augmentation marks), its mode
    and whether gradients were on.\"\"\"
    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(int(seed))
        self.fc = nn.Linear(784, 10)
        self.seen, self.marks, self.modes, self.grad_on = [], [], [], []
    def forward(self, x):
        self.seen.append(torch.round(x[:, 0, 0, 0].detach() * 255).long())
        self.marks.append(x[:, 0, 0, 1].detach().clone())
        self.modes.append(bool(self.training))
        self.grad_on.append(bool(torch.is_grad_enabled()))
        return self.fc(x.reshape(len(x), -1))
imgs, labs = torch.from_numpy(images), torch.from_numpy(labels)
"""

TRAIN_OBS = RECORDER + """
def cat(parts):
    return torch.cat(parts).numpy() if parts else np.zeros(0, np.int64)
m = Recorder(seeds[0])
m.eval()
g = torch.Generator().manual_seed(int(seeds[1]))
calls = []
def aug(x, gen):
    calls.append((gen is g, tuple(x.shape), str(x.dtype), float(x.min()), float(x.max())))
    x = x.clone()
    x[:, :, 0, 1] = 2.0
    return x
ret0 = train_one_epoch(m, imgs, labs, torch.optim.SGD(m.parameters(), lr=0.0), batch_size=int(batch), generator=g,
                       augment=aug)
first, n_calls = len(m.seen), len(calls)
train_one_epoch(m, imgs, labs, torch.optim.SGD(m.parameters(), lr=0.0), batch_size=int(batch), generator=g)
again = Recorder(seeds[0])
torch.manual_seed(int(seeds[2]))
train_one_epoch(again, imgs, labs, torch.optim.SGD(again.parameters(), lr=0.0), batch_size=int(batch),
                generator=torch.Generator().manual_seed(int(seeds[1])), augment=aug)
m2 = Recorder(seeds[3])
opt2 = torch.optim.SGD(m2.parameters(), lr=float(lr))
g2 = torch.Generator().manual_seed(int(seeds[4]))
train_one_epoch(m2, imgs, labs, opt2, batch_size=int(batch2), generator=g2)
split = len(m2.seen)
train_one_epoch(m2, imgs, labs, opt2, batch_size=int(batch2), generator=g2)
__obs__ = {"ret0": float(ret0), "ep1": cat(m.seen[:first]), "ep2": cat(m.seen[first:]), "again": cat(again.seen),
           "sizes": np.array([len(s) for s in m.seen[:first]], dtype=np.int64),
           "sizes_ep2": np.array([len(s) for s in m.seen[first:]], dtype=np.int64),
           "marks": cat(m.marks[:first]) if first else np.zeros(0),
           "modes": np.array(m.modes + m2.modes), "grad_on": np.array(m.grad_on + m2.grad_on),
           "aug_calls": n_calls, "aug_gen": all(c[0] for c in calls[:n_calls]),
           "aug_shapes": np.array([c[1] for c in calls[:n_calls]], dtype=np.int64).reshape(-1, len(calls[0][1]) if calls else 4),
           "aug_dtypes": ",".join(c[2] for c in calls[:n_calls]),
           "aug_range": np.array([[c[3], c[4]] for c in calls[:n_calls]]).reshape(-1, 2),
           "order2": cat(m2.seen), "sizes2": np.array([len(s) for s in m2.seen], dtype=np.int64), "split2": split,
           "W": m2.fc.weight.detach().numpy(), "b": m2.fc.bias.detach().numpy()}
"""

REPLAY_OBS = RECORDER + """
import torch.nn.functional as F
m0 = Recorder(seeds[0])
x0 = to_input(imgs).clone()
x0[:, :, 0, 1] = 2.0
ret0 = F.cross_entropy(m0(x0), labs).item()
m = Recorder(seeds[3])
opt = torch.optim.SGD(m.parameters(), lr=float(lr))
start = 0
for size in sizes2:
    idx = torch.from_numpy(order2[start:start + int(size)])
    start += int(size)
    opt.zero_grad()
    F.cross_entropy(m(to_input(imgs[idx])), labs[idx]).backward()
    opt.step()
__obs__ = {"ret0": ret0, "W": m.fc.weight.detach().numpy(), "b": m.fc.bias.detach().numpy()}
"""


def _indexed_images(rng, n):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)         # pixel (0, 0) carries the example's index
    return images, rng.integers(10, size=n).astype(np.int64)


def _ragged(rng, n, low, high):
    """A batch size in [low, high] that leaves a smaller last batch of at least 2 examples."""
    while True:
        b = int(rng.integers(low, high + 1))
        if n % b >= 2:
            return b


def _check_epochs(order, sizes, n, batch, what):
    """Every epoch of ``order`` (concatenated batches of ``sizes``) uses every example once, in
    batches of ``batch`` with one smaller last batch, and mixes the stored order."""
    n_batches = -(-n // batch)
    expected = [batch] * (n // batch) + [n % batch]
    assert len(sizes) and len(sizes) % n_batches == 0 and np.all(sizes == np.tile(expected, len(sizes) // n_batches)), (
        f"{what}: {n} examples with batch_size={batch} should make {n_batches} batches per epoch "
        f"({batch} each, the last {n % batch}); got batch sizes {sizes.tolist()}")
    assert len(order) == np.sum(sizes), f"{what}: the model saw {len(order)} examples in batches of {sizes.tolist()}"
    epochs = order.reshape(-1, n)
    for e, epoch in enumerate(epochs):
        assert np.array_equal(np.sort(epoch), np.arange(n)), (
            f"{what}: epoch {e + 1} did not use every example exactly once (no repeats, none left out, "
            "keep the smaller last batch)")
    return epochs


def test_train_one_epoch(probe):
    rng = probe.rng("train_one_epoch", "inputs")
    n = int(rng.integers(40, 91))
    images, labels = _indexed_images(rng, n)
    inputs = dict(images=images, labels=labels, seeds=np.array([_seed(rng) for _ in range(5)]),
                  batch=_ragged(rng, n, 5, 12), batch2=_ragged(rng, n, 8, 20), lr=float(rng.uniform(0.1, 0.5)))
    b, b2 = inputs["batch"], inputs["batch2"]
    obs = probe.run(TRAIN_OBS, **inputs)
    assert np.all(obs["modes"]), "the model was not in training mode during train_one_epoch: call model.train() first"
    assert np.all(obs["grad_on"]), "gradients were disabled during training"
    sizes = np.asarray(obs["sizes"])
    ep1, ep2 = np.asarray(obs["ep1"]), np.asarray(obs["ep2"])
    _check_epochs(ep1, sizes, n, b, "the first epoch")
    _check_epochs(ep2, np.asarray(obs["sizes_ep2"]), n, b, "the second epoch")
    assert not np.array_equal(ep1, np.arange(n)), (
        "the first epoch visited the examples in their stored order: shuffle with torch.randperm(n, generator=generator)")
    assert not np.array_equal(ep1, ep2), (
        "two epochs with the same generator visited the examples in the same order: draw a new order every epoch, "
        "from `generator` (not from a new generator made inside the function)")
    assert np.array_equal(np.asarray(obs["again"]), ep1), (
        "the same generator seed gave two different orders: draw the order from `generator` "
        "(torch.randperm(n, generator=generator)), not from the global random state")
    full = [ep1[s - k:s] for s, k in zip(np.cumsum(sizes), sizes) if k == b]
    runs = float(np.mean([np.ptp(batch) == len(batch) - 1 for batch in full]))
    probe.below("train: share of batches that are stored-order runs", runs, 0.5,
                f"{runs:.0%} of the batches were runs of consecutive stored examples (shuffled inside or in batch order "
                "only): shuffle the examples themselves, so that each batch mixes examples from the whole set")
    assert int(obs["aug_calls"]) == len(sizes) and bool(obs["aug_gen"]), (
        f"augment should be called once per batch ({len(sizes)} batches), as augment(x, generator); "
        f"it was called {int(obs['aug_calls'])} times" + ("" if bool(obs["aug_gen"]) else ", not with the generator"))
    shapes, ranges = np.asarray(obs["aug_shapes"]), np.asarray(obs["aug_range"])
    assert (shapes.shape[1] == 4 and np.array_equal(shapes[:, 0], sizes) and np.all(shapes[:, 1:] == (1, 28, 28))
            and set(str(obs["aug_dtypes"]).split(",")) == {"torch.float32"} and ranges.min() >= 0 and ranges.max() <= 1), (
        "augment should receive the batch after to_input: float32 images (batch, 1, 28, 28) in [0, 1]")
    assert np.all(np.asarray(obs["marks"]) == 2.0), (
        "the model was not given the augmented batch: use the images augment returns (x = augment(x, generator))")

    order2, sizes2 = np.asarray(obs["order2"]), np.asarray(obs["sizes2"])
    epochs2 = _check_epochs(order2, sizes2, n, b2, f"training with batch_size={b2}")
    per_epoch = -(-n // b2)
    assert int(obs["split2"]) == per_epoch, (
        f"one call of train_one_epoch on {n} examples with batch_size={b2} fed {int(obs['split2'])} batches, expected "
        f"{per_epoch} (every example once: {n // b2} full batches and a smaller last one)")
    assert len(epochs2) == 2 and not np.array_equal(epochs2[0], epochs2[1]), (
        "two epochs with the same generator visited the examples in the same order: draw a new order every epoch")
    exp = probe.reference(REPLAY_OBS, **inputs, order2=order2, sizes2=sizes2)
    probe.close(obs["ret0"], exp["ret0"], "the returned mean training loss (learning rate 0)", tol=1e-5,
                hint="weigh each batch's mean loss by its size and divide by the number of examples")
    for key in ("W", "b"):
        got, want = np.asarray(obs[key], dtype=np.float64), np.asarray(exp[key], dtype=np.float64)
        _shape_is(f"the weights after two SGD epochs ({key})", got, want.shape)
        # the same batches in the same order: only float rounding differs
        err = float(np.abs(got - want).max() / np.abs(want).max()) if np.all(np.isfinite(got)) else float("inf")
        probe.below(f"train: weights {key} vs SGD on the batches fed", err, 1e-4,
                    f"the weights after two SGD epochs (batch_size={b2}, lr={inputs['lr']:.2f}) differ by {err:.1e} of "
                    "their scale from plain SGD on the batches your loop gave the model. Hint: for every batch, zero "
                    "the gradients, take the mean cross-entropy of that batch against its own labels, back-propagate "
                    "and step the optimizer once")


EVAL_OBS = """
import torch
import torch.nn as nn
class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(int(seed))
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(32, 10))
        self.grad_on, self.modes = [], []
    def forward(self, x):
        self.grad_on.append(bool(torch.is_grad_enabled()))
        self.modes.append(bool(self.training))
        return self.body(x)
m = Probe()
with torch.no_grad():
    m.body[2].running_mean.copy_(torch.from_numpy(rm))
    m.body[2].running_var.copy_(torch.from_numpy(rv))
    m.eval()
    pred = m(torch.from_numpy(images).float().div(255).unsqueeze(1)).argmax(1)
m.grad_on.clear()
m.modes.clear()
m.train()
loss, acc = evaluate(m, torch.from_numpy(images), torch.from_numpy(labels), batch_size=int(batch))
__obs__ = {"loss": float(loss), "acc": float(acc), "grad_on": np.array(m.grad_on, dtype=bool), "_pred": pred.numpy(),
           "modes": np.array(m.modes, dtype=bool), "grads": any(p.grad is not None for p in m.parameters())}
"""


def test_evaluate(probe):
    rng = probe.rng("evaluate", "inputs")
    n = int(rng.integers(23, 61))
    b = _ragged(rng, n, 6, 15)
    images, _ = _indexed_images(rng, n)
    stats = dict(rm=rng.normal(0, 2, 32).astype(np.float32), rv=rng.uniform(0.5, 4, 32).astype(np.float32),
                 seed=_seed(rng), batch=b)
    # labels: the model's own predictions, then a wrong class on a random third of the examples,
    # among them one but not all of the short last batch (its accuracy is neither 0 nor 1)
    pred = probe.reference(EVAL_OBS, images=images, labels=np.zeros(n, np.int64), **stats)["_pred"]
    labels = pred.astype(np.int64).copy()
    last = np.arange(n - n % b, n)
    wrong = set(rng.choice(n - len(last), size=(n - len(last)) // 3, replace=False).tolist())
    wrong |= set(rng.choice(last, size=int(rng.integers(1, len(last))), replace=False).tolist())
    wrong = np.array(sorted(wrong))
    labels[wrong] = (labels[wrong] + rng.integers(1, 10, size=len(wrong))) % 10
    inputs = dict(images=images, labels=labels, **stats)
    obs, exp = probe.run(EVAL_OBS, **inputs), probe.reference(EVAL_OBS, **inputs)
    assert not np.any(obs["grad_on"]) and not bool(obs["grads"]), (
        "evaluate built a graph: wrap the forward passes in torch.no_grad()")
    assert not np.any(obs["modes"]), "evaluate ran the model in training mode: call model.eval() first"
    probe.close(obs["acc"], exp["acc"], "the accuracy returned by evaluate", tol=1e-6,
                hint=f"on {n} examples in batches of {b}: correct predictions / number of examples (count the "
                     "smaller last batch by its own size), in evaluation mode (model.eval())")
    probe.close(obs["loss"], exp["loss"], "the mean loss returned by evaluate", tol=1e-5,
                hint=f"on {n} examples in batches of {b}: in evaluation mode (dropout off, BatchNorm's running "
                     "statistics), sum the per-example losses over all batches and divide by the number of examples")
