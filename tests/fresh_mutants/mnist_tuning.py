"""Fresh mutants (written without reading the checks: README.md here) for mnist_tuning, written from the reference solutions and the release notebook only."""
from autograder.catalogue import Mutant

FRESH = [
    Mutant(name="rf_jump_updated_first", cell="receptive_field",
           edits=[("        rf = rf + (kernel - 1) * jump\n        jump = jump * stride\n",
                   "        jump = jump * stride\n        rf = rf + (kernel - 1) * jump\n")],
           catches=[],
           why="The jump is multiplied by the layer's stride before it is used for that layer's receptive field, so "
               "every strided layer overstates its own growth; the two updates look order-independent."),
    Mutant(name="rf_padding_once", cell="receptive_field",
           edits=[("size = (size + 2 * padding - kernel) // stride + 1",
                   "size = (size + padding - kernel) // stride + 1")],
           catches=[],
           why="Padding is counted on one side only, so 'same' convolutions shrink the map; a student forgets that "
               "padding is added on both sides."),
    Mutant(name="rf_kernel_not_minus_one", cell="receptive_field",
           edits=[("rf = rf + (kernel - 1) * jump", "rf = rf + kernel * jump")],
           catches=[],
           why="Each layer adds kernel * jump instead of (kernel - 1) * jump, one jump too many per layer "
               "(a 1x1 convolution would grow the field)."),
    Mutant(name="augment_degrees_as_radians", cell="transforms",
           edits=[("angle = uniform() * math.radians(max_degrees)", "angle = uniform() * max_degrees")],
           catches=[],
           why="The maximum angle in degrees is used as radians, so 10 means up to 573 degrees of rotation; "
               "torch's trigonometry expects radians and the conversion is easy to forget."),
    Mutant(name="augment_shift_in_pixels_fraction_not_grid", cell="transforms",
           edits=[("uniform() * max_shift * 2, uniform() * max_shift * 2",
                   "uniform() * max_shift, uniform() * max_shift")],
           catches=[],
           why="The shift is given in grid units without doubling, so images move only half of max_shift of their "
               "width; a student forgets that affine_grid's coordinates span [-1, 1]."),
    Mutant(name="augment_theta_dtype_not_matched", cell="transforms",
           edits=[("grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)",
                   "grid = F.affine_grid(theta, list(x.shape), align_corners=False)")],
           catches=[],
           why="theta stays float32 whatever x's dtype, so grid_sample gets a grid of another dtype than a float64 or "
               "float16 batch; only float32 inputs work."),
    Mutant(name="augment_border_fill", cell="transforms",
           edits=[('padding_mode="zeros"', 'padding_mode="border"')],
           catches=[],
           why="Pixels shifted in from outside copy the edge instead of 0, invisible on MNIST's black borders but wrong "
               "for any image with a non-zero edge; 'border' looks like the natural fill."),
    Mutant(name="augment_align_corners_mismatch", cell="transforms",
           edits=[('return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)',
                   'return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)')],
           catches=[],
           why="affine_grid and grid_sample disagree on align_corners, so even a zero rotation and shift rescales the "
               "image slightly and blurs it; the flag looks cosmetic."),
    Mutant(name="erasing_in_place", cell="transforms",
           edits=[("return x.masked_fill(erase, 0.0)", "return x.masked_fill_(erase, 0.0)")],
           catches=[],
           why="The erasure is written into the caller's batch (the in-place masked_fill_), so the input tensor is "
               "changed; the trailing underscore is easy to add 'for speed'."),
    Mutant(name="erasing_top_one_pixel_too_far", cell="transforms",
           edits=[("top = (torch.rand(n, generator=generator, device=dev) * (h - eh + 1)).long()",
                   "top = (torch.rand(n, generator=generator, device=dev) * (h - eh + 2)).long()")],
           catches=[],
           why="The top edge may start one pixel too low, so the rectangle can run off the bottom and erase fewer rows "
               "than drawn; an allowance one pixel too big."),
    Mutant(name="erasing_rows_inclusive", cell="transforms",
           edits=[("(rows < (top + eh).view(n, 1, 1))", "(rows <= (top + eh).view(n, 1, 1))")],
           catches=[],
           why="The rectangle's end row is included, so it is one row taller than its drawn height; a half-open "
               "interval written as closed."),
    Mutant(name="net_no_padding_before_head", cell="network",
           edits=[("conv_block(c5, c6, dropout, padding=1),", "conv_block(c5, c6, dropout),")],
           catches=[],
           why="The padded convolution loses its padding, so the last map is 4x4 instead of 6x6 and the receptive "
               "field no longer matches the comments; the output shape and parameter count are unchanged."),
    Mutant(name="net_dropout_on_last_block", cell="network",
           edits=[("conv_block(c6, c7, 0.0),", "conv_block(c6, c7, dropout),")],
           catches=[],
           why="Dropout is also applied right before the global average and classifier, a student making every block "
               "the same."),
    Mutant(name="net_softmax_output", cell="network",
           edits=[("nn.Conv2d(c7, 10, 1), nn.Flatten())", "nn.Conv2d(c7, 10, 1), nn.Flatten(), nn.Softmax(dim=1))")],
           catches=[],
           why="The head returns probabilities instead of logits, so cross-entropy applies a second softmax; the "
               "output has the right shape but the wrong range."),
    Mutant(name="epoch_mean_of_batch_means", cell="train_eval",
           edits=[("total += loss.item() * len(idx)", "total += loss.item()"),
                  ("    return total / n\n", "    return total / len(range(0, n, batch_size))\n")],
           catches=[],
           why="The epoch loss averages the batch means, so a small last batch weighs as much as a full one; exact only "
               "when n is a multiple of batch_size."),
    Mutant(name="epoch_drops_last_batch", cell="train_eval",
           edits=[("for start in range(0, n, batch_size):", "for start in range(0, n - batch_size + 1, batch_size):")],
           catches=[],
           why="The last incomplete batch is skipped (and a set smaller than one batch trains on nothing) while the "
               "loss is still divided by n; the drop_last habit of DataLoader."),
    Mutant(name="epoch_order_unseeded", cell="train_eval",
           edits=[("order = torch.randperm(n, generator=generator, device=images.device)",
                   "order = torch.randperm(n, device=images.device)")],
           catches=[],
           why="The permutation ignores the generator, so the epoch order is not reproducible from it; the generator "
               "argument is forgotten."),
    Mutant(name="epoch_no_zero_grad", cell="train_eval",
           edits=[("        optimizer.zero_grad()\n", "")],
           catches=[],
           why="Gradients accumulate over the whole epoch because they are never cleared; still runs and the loss "
               "still moves, at first."),
    Mutant(name="evaluate_train_mode", cell="train_eval",
           edits=[("    model.eval()\n    total_loss, correct = 0.0, 0\n", "    total_loss, correct = 0.0, 0\n")],
           catches=[],
           why="Evaluation runs in whatever mode the model is in (training after an epoch), so BatchNorm uses batch "
               "statistics and updates its running ones, and dropout is on."),
    Mutant(name="evaluate_mean_loss_times_batch", cell="train_eval",
           edits=[('total_loss += F.cross_entropy(scores, y, reduction="sum").item()',
                   "total_loss += F.cross_entropy(scores, y).item() * batch_size")],
           catches=[],
           why="Each batch's mean loss is scaled by the nominal batch size, overweighting a smaller last batch; right "
               "only when the set is a multiple of batch_size."),
]
