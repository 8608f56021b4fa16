"""Mutants and valid variants of the mnist_tuning notebook."""
from autograder.catalogue import Mutant, Variant

MUTANTS = [
    # receptive field
    Mutant("rf_ignores_jump", "receptive_field",
           [("rf = rf + (kernel - 1) * jump", "rf = rf + (kernel - 1)")],
           ["test_receptive_field"], "adds kernel - 1 whatever the strides before the layer"),
    Mutant("rf_uses_new_jump", "receptive_field",
           [("        rf = rf + (kernel - 1) * jump\n        jump = jump * stride\n",
             "        jump = jump * stride\n        rf = rf + (kernel - 1) * jump\n")],
           ["test_receptive_field"], "updates the jump before the receptive field (a layer's own stride counted)"),
    Mutant("rf_size_ignores_padding", "receptive_field",
           [("size = (size + 2 * padding - kernel) // stride + 1", "size = (size - kernel) // stride + 1")],
           ["test_receptive_field"], "forgets the padding in the output size"),
    Mutant("rf_stride_two_only", "receptive_field",
           [("jump = jump * stride", "jump = jump * min(stride, 2)")],
           ["test_receptive_field"], "assumes every strided layer halves the map (right for strides 1 and 2 only)"),
    Mutant("rf_fits_the_fixed_depths", "receptive_field",
           [("    return table", "    return table if len(layers) in (1, 4, 5, 8) else table[:-1]")],
           ["test_receptive_field"], "right on stacks as deep as the fixed cases only (answers fitted to feedback)"),
    # augmentation
    Mutant("augment_flips", "transforms",
           [("    return F.grid_sample(x, grid, mode=\"bilinear\", padding_mode=\"zeros\", align_corners=False)",
             "    out = F.grid_sample(x, grid, mode=\"bilinear\", padding_mode=\"zeros\", align_corners=False)\n"
             "    flip = torch.rand(n, generator=generator, device=x.device) < 0.5\n"
             "    return torch.where(flip.view(n, 1, 1, 1), out.flip(-1), out)")],
           ["test_augment"], "adds random horizontal flips (a mirrored digit is another symbol)"),
    Mutant("augment_one_angle_per_batch", "transforms",
           [("angle = uniform() * math.radians(max_degrees)",
             "angle = (uniform()[:1] * math.radians(max_degrees)).expand(n)")],
           ["test_augment"], "rotates the whole batch by the same angle"),
    Mutant("augment_degrees_as_radians", "transforms",
           [("angle = uniform() * math.radians(max_degrees)", "angle = uniform() * max_degrees")],
           ["test_augment"], "passes degrees where radians are expected"),
    Mutant("augment_white_fill", "transforms",
           [("return F.grid_sample(x, grid, mode=\"bilinear\", padding_mode=\"zeros\", align_corners=False)",
             "return F.grid_sample(x - 1, grid, mode=\"bilinear\", padding_mode=\"zeros\", align_corners=False) + 1")],
           ["test_augment"], "fills the uncovered border with white, as the original notebook's fill=(1,)"),
    Mutant("augment_global_rng", "transforms",
           [("uniform = lambda: torch.rand(n, generator=generator, device=x.device) * 2 - 1",
             "uniform = lambda: torch.rand(n, device=x.device) * 2 - 1")],
           ["test_augment"], "draws from the global random state instead of the generator"),
    Mutant("augment_one_sided_angles", "transforms",
           [("angle = uniform() * math.radians(max_degrees)", "angle = uniform().abs() * math.radians(max_degrees)")],
           ["test_augment"], "rotates one way only: angles in [0, max_degrees]"),
    Mutant("augment_half_angle_range", "transforms",
           [("angle = uniform() * math.radians(max_degrees)", "angle = uniform() * math.radians(max_degrees) / 2")],
           ["test_augment"], "uses half of the angle range"),
    Mutant("augment_shift_half_range", "transforms",
           [("shift_x, shift_y = uniform() * max_shift * 2, uniform() * max_shift * 2",
             "shift_x, shift_y = uniform() * max_shift, uniform() * max_shift")],
           ["test_augment"], "forgets that affine_grid's coordinates span 2 units per side: shifts half as far"),
    Mutant("augment_shifts_one_sided", "transforms",
           [("shift_x, shift_y = uniform() * max_shift * 2, uniform() * max_shift * 2",
             "shift_x, shift_y = uniform().abs() * max_shift * 2, uniform().abs() * max_shift * 2")],
           ["test_augment"], "shifts towards one corner only"),
    Mutant("augment_same_shift_both_axes", "transforms",
           [("shift_x, shift_y = uniform() * max_shift * 2, uniform() * max_shift * 2",
             "shift_x = shift_y = uniform() * max_shift * 2")],
           ["test_augment"], "one draw for both shifts: every image moves along the diagonal"),
    Mutant("augment_angle_drives_shift", "transforms",
           [("angle = uniform() * math.radians(max_degrees)",
             "u = uniform()\n    angle = u * math.radians(max_degrees)"),
            ("shift_x, shift_y = uniform() * max_shift * 2, uniform() * max_shift * 2",
             "shift_x, shift_y = u * max_shift * 2, uniform() * max_shift * 2")],
           ["test_augment"], "reuses the angle's draw for the horizontal shift"),
    Mutant("augment_border_fill", "transforms", [('padding_mode="zeros"', 'padding_mode="border"')], ["test_augment"],
           "fills what moves in from outside with copies of the edge, not 0 (invisible on MNIST's black borders)"),
    Mutant("erasing_one_pixel_taller", "transforms",
           [("eh = (area * aspect).sqrt().round().clamp(1, h).long()",
             "eh = (area * aspect).sqrt().round().add(1).clamp(1, h).long()")],
           ["test_random_erasing"], "one pixel too many rows: rectangles up to a few points of the image too large"),
    Mutant("erasing_sides_rounded_up", "transforms",
           [("eh = (area * aspect).sqrt().round().clamp(1, h).long()", "eh = (area * aspect).sqrt().ceil().clamp(1, h).long()"),
            ("ew = (area / aspect).sqrt().round().clamp(1, w).long()", "ew = (area / aspect).sqrt().ceil().clamp(1, w).long()")],
           ["test_random_erasing"], "rounds both sides up: every rectangle a little larger than its drawn area"),
    Mutant("erasing_ignores_p", "transforms",
           [("chosen = torch.rand(n, generator=generator, device=dev) < p",
             "chosen = torch.ones(n, dtype=torch.bool, device=dev)")],
           ["test_random_erasing"], "erases every image whatever p"),
    Mutant("erasing_in_place", "transforms",
           [("return x.masked_fill(erase, 0.0)", "return x.masked_fill_(erase, 0.0)")],
           ["test_random_erasing"], "erases in the caller's batch"),
    Mutant("erasing_ignores_scale", "transforms",
           [("area = (scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=generator, device=dev)) * h * w",
             "area = (0.5 + 0 * torch.rand(n, generator=generator, device=dev)) * h * w")],
           ["test_random_erasing"], "erases half the image whatever the scale"),
    Mutant("erasing_smallest_area_only", "transforms",
           [("area = (scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=generator, device=dev)) * h * w",
             "area = (scale[0] + 0 * torch.rand(n, generator=generator, device=dev)) * h * w")],
           ["test_random_erasing"], "always erases the smallest area of the scale range"),
    Mutant("erasing_half_scale_range", "transforms",
           [("(scale[1] - scale[0]) * torch.rand", "(scale[1] - scale[0]) / 2 * torch.rand")],
           ["test_random_erasing"], "draws the area from the lower half of the scale range"),
    Mutant("erasing_top_left_only", "transforms",
           [("* (h - eh + 1)).long()", "* (h - eh + 1) / 2).long()"), ("* (w - ew + 1)).long()", "* (w - ew + 1) / 2).long()")],
           ["test_random_erasing"], "places every rectangle in the top-left part of the image"),
    Mutant("erasing_misses_far_edges", "transforms",
           [("* (h - eh + 1)).long()", "* (h - eh)).long()"), ("* (w - ew + 1)).long()", "* (w - ew)).long()")],
           ["test_random_erasing"], "off by one: a rectangle never reaches the bottom or the right edge"),
    Mutant("erasing_same_draw_row_and_column", "transforms",
           [("top = (torch.rand(n, generator=generator, device=dev) * (h - eh + 1)).long()",
             "u = torch.rand(n, generator=generator, device=dev)\n    top = (u * (h - eh + 1)).long()"),
            ("left = (torch.rand(n, generator=generator, device=dev) * (w - ew + 1)).long()",
             "left = (u * (w - ew + 1)).long()")],
           ["test_random_erasing"], "one draw for the row and the column: rectangles on the diagonal only"),
    Mutant("erasing_swaps_height_and_width", "transforms",
           [("* (h - eh + 1)).long()", "* (w - eh + 1)).long()"), ("* (w - ew + 1)).long()", "* (h - ew + 1)).long()")],
           ["test_random_erasing"], "mixes up height and width (invisible on square images)"),
    # the network
    Mutant("net_over_budget", "network",
           [("width=(8, 16, 8, 16, 16, 16, 16)", "width=(8, 16, 8, 32, 16, 16, 16)")],
           ["test_network"], "widens a block past 10,000 parameters"),
    Mutant("net_no_flatten", "network",
           [("nn.Conv2d(c7, 10, 1), nn.Flatten())", "nn.Conv2d(c7, 10, 1))")],
           ["test_network"], "returns (N, 10, 1, 1) maps instead of (N, 10) scores"),
    Mutant("net_squeeze", "network",
           [("nn.Conv2d(c7, 10, 1), nn.Flatten())", "nn.Conv2d(c7, 10, 1))"),
            ("return self.head(self.features(x))", "return self.head(self.features(x)).squeeze()")],
           ["test_network"], "squeezes away the batch axis of a single image"),
    Mutant("net_sigmoid_output", "network",
           [("return self.head(self.features(x))", "return torch.sigmoid(self.head(self.features(x)))")],
           ["test_network"], "squashes the scores through a sigmoid (rows do not sum to 1, but every value is in [0, 1])"),
    Mutant("net_softmax_output", "network",
           [("return self.head(self.features(x))", "return self.head(self.features(x)).softmax(dim=1)")],
           ["test_network"], "returns probabilities, which cross_entropy then softmaxes again"),
    Mutant("net_detached_features", "network",
           [("return self.head(self.features(x))", "return self.head(self.features(x).detach())")],
           ["test_network"], "cuts the graph: only the head learns"),
    Mutant("net_batch_normalised_input", "network",
           [("return self.head(self.features(x))", "return self.head(self.features((x - x.mean()) / (x.std() + 1e-5)))")],
           ["test_network"], "normalises the input by statistics of the whole batch: an image's scores depend on the others"),
    # training and evaluation
    Mutant("train_no_zero_grad", "train_eval",
           [("        optimizer.zero_grad()\n", "")],
           ["test_train_one_epoch"], "accumulates gradients across batches"),
    Mutant("train_no_shuffle", "train_eval",
           [("order = torch.randperm(n, generator=generator, device=images.device)",
             "order = torch.arange(n, device=images.device)")],
           ["test_train_one_epoch"], "visits the examples in stored order (the class-sorted data trap)"),
    Mutant("train_no_train_mode", "train_eval",
           [("    model.train()\n", "")],
           ["test_train_one_epoch"], "trains with BatchNorm and dropout in evaluation mode after an evaluation"),
    Mutant("train_unweighted_mean", "train_eval",
           [("total += loss.item() * len(idx)", "total += loss.item()"),
            ("    return total / n\n", "    return total / ((n + batch_size - 1) // batch_size)\n")],
           ["test_train_one_epoch"], "averages batch losses without weighing the smaller last batch"),
    Mutant("train_shuffles_within_batches", "train_eval",
           [("idx = order[start:start + batch_size]",
             "idx = start + torch.randperm(min(batch_size, n - start), generator=generator, device=images.device)")],
           ["test_train_one_epoch"], "shuffles inside stored-order batches: class-sorted data stays sorted"),
    Mutant("train_global_rng_order", "train_eval",
           [("order = torch.randperm(n, generator=generator, device=images.device)",
             "order = torch.randperm(n, device=images.device)")],
           ["test_train_one_epoch"], "draws the order from the global random state: a seed does not reproduce a run"),
    Mutant("train_discards_augment", "train_eval",
           [("x = augment(x, generator)", "augment(x, generator)")],
           ["test_train_one_epoch"], "calls augment but trains on the original batch"),
    Mutant("train_steps_once_per_epoch", "train_eval",
           [("        optimizer.step()\n", ""), ("    return total / n\n", "    optimizer.step()\n    return total / n\n")],
           ["test_train_one_epoch"], "one optimizer step per epoch (with the last batch's gradient)"),
    Mutant("eval_train_mode", "train_eval",
           [("    model.eval()\n", "")],
           ["test_evaluate"], "evaluates with dropout on and BatchNorm using batch statistics"),
    Mutant("eval_accuracy_per_batch", "train_eval",
           [("correct += (scores.argmax(dim=1) == y).sum().item()",
             "correct += (scores.argmax(dim=1) == y).float().mean().item() * batch_size")],
           ["test_evaluate"], "averages per-batch accuracies as if every batch were full"),
    Mutant("eval_builds_graph", "train_eval",
           [("    with torch.no_grad():\n", "    if True:\n")],
           ["test_evaluate"], "evaluates without torch.no_grad()"),
    Mutant("eval_mean_of_batch_means", "train_eval",
           [("total_loss += F.cross_entropy(scores, y, reduction=\"sum\").item()",
             "total_loss += F.cross_entropy(scores, y).item()")],
           ["test_evaluate"], "adds batch means, then divides by the number of examples"),
]

RF_VARIANT = '''
def receptive_field(layers, input_size=28):
    """Closed form: rf = 1 + sum of (k - 1) times the product of the strides before each layer."""
    table, size = [], input_size
    for i, (k, s, p) in enumerate(layers):
        size = math.floor((size + 2 * p - k) / s) + 1
        jump_before = [math.prod(st for _, st, _ in layers[:j]) for j in range(i + 1)]
        rf = 1 + sum((kk - 1) * jump_before[j] for j, (kk, _, _) in enumerate(layers[:i + 1]))
        table.append((size, rf, math.prod(st for _, st, _ in layers[:i + 1])))
    return table
'''

TRANSFORMS_VARIANT = '''
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode


def augment(x, generator, max_degrees=10.0, max_shift=0.1):
    """One image at a time with torchvision's affine (slow, but correct)."""
    out = torch.empty_like(x)
    h, w = x.shape[-2:]
    for i in range(len(x)):
        angle, dx, dy = ((torch.rand(3, generator=generator) * 2 - 1) * torch.tensor([max_degrees, max_shift * w, max_shift * h])).tolist()
        out[i] = TF.affine(x[i], angle=angle, translate=[round(dx), round(dy)], scale=1.0, shear=[0.0],
                           interpolation=InterpolationMode.BILINEAR, fill=0.0)
    return out


def random_erasing(x, generator, p=0.5, scale=(0.02, 0.15)):
    out = x.clone()
    n, _, h, w = x.shape
    for i in range(n):
        if torch.rand(1, generator=generator).item() >= p:
            continue
        area = (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=generator).item()) * h * w
        side = max(1, min(h, w, int(round(math.sqrt(area)))))
        top = int(torch.randint(0, h - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, w - side + 1, (1,), generator=generator))
        out[i, :, top:top + side, left:left + side] = 0
    return out
'''

NETWORK_VARIANT = '''
class Net(nn.Module):
    """The original notebook's layout (ReLU before BatchNorm, Dropout2d, log-softmax output): 9,752 parameters."""

    def __init__(self):
        super().__init__()
        def block(cin, cout, pad=0):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=pad, bias=False), nn.ReLU(), nn.BatchNorm2d(cout),
                                 nn.Dropout2d(0.1))
        self.c1, self.c2 = block(1, 8), block(8, 16)
        self.squeeze = nn.Conv2d(16, 8, 1, bias=False)
        self.pool = nn.MaxPool2d(2, 2)
        self.c3, self.c4, self.c5, self.c6 = block(8, 16), block(16, 16), block(16, 16, pad=1), block(16, 16)
        self.gap = nn.AvgPool2d(6)
        self.out = nn.Conv2d(16, 10, 1, bias=False)

    def forward(self, x):
        x = self.pool(self.squeeze(self.c2(self.c1(x))))
        x = self.gap(self.c6(self.c5(self.c4(self.c3(x)))))
        return F.log_softmax(self.out(x).view(-1, 10), dim=-1)
'''

TRAIN_EVAL_VARIANT = '''
from torch.utils.data import DataLoader, TensorDataset


def train_one_epoch(model, images, labels, optimizer, batch_size=128, generator=None, augment=None):
    model.train()
    loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=True, generator=generator)
    losses, counts = [], []
    for xb, yb in loader:
        xb = to_input(xb)
        if augment:
            xb = augment(xb, generator)
        for p in model.parameters():
            p.grad = None
        loss = F.nll_loss(F.log_softmax(model(xb), dim=1), yb)
        loss.backward()
        optimizer.step()
        losses.append(float(loss)); counts.append(len(yb))
    return sum(l * c for l, c in zip(losses, counts)) / sum(counts)


@torch.inference_mode()
def evaluate(model, images, labels, batch_size=1000):
    model.train(False)
    scores = torch.cat([model(to_input(chunk)) for chunk in images.split(batch_size)])
    return F.cross_entropy(scores, labels).item(), (scores.argmax(1) == labels).float().mean().item()
'''

VARIANTS = [
    Variant("rf_closed_form", {"receptive_field": RF_VARIANT.strip("\n")},
            "the receptive field as a sum of (k - 1) times the product of earlier strides"),
    Variant("transforms_torchvision_loops", {"transforms": TRANSFORMS_VARIANT.strip("\n")},
            "torchvision's affine per image with integer shifts; square erasing in a Python loop"),
    Variant("network_seed_layout", {"network": NETWORK_VARIANT.strip("\n")},
            "the original notebook's 9,752-parameter layout with a log-softmax output"),
    Variant("train_eval_dataloader", {"train_eval": TRAIN_EVAL_VARIANT.strip("\n")},
            "DataLoader with a generator, nll_loss of log_softmax, inference_mode and one concatenation"),
]

# ---------------------------------------------------------------- attacks (autograder.attacks)
# The honest part every attack submission completes (the receptive field, 3 points), the
# student cell that receives the attack, and stubs with the right shapes but wrong behaviour
# for what the attacker did not write (so that only tampering could turn them into points).
HONEST = ["receptive_field"]
ATTACK_TARGET = "transforms"
ATTACK_STUBS = '''
def augment(x, generator, max_degrees=10.0, max_shift=0.1):
    return x.clone()


def random_erasing(x, generator, p=0.5, scale=(0.02, 0.15)):
    return x.clone()
'''.strip("\n")
