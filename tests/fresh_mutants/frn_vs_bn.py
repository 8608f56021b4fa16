"""Fresh mutants (written without reading the checks: README.md here) for frn_vs_bn, written from the reference solutions and the release notebook only."""
from autograder.catalogue import Mutant

FRESH = [
    Mutant(name="frn_mean_over_channels_too", cell="frn",
           edits=[("nu2 = x32.pow(2).mean(dim=(2, 3), keepdim=True)", "nu2 = x32.pow(2).mean(dim=(1, 2, 3), keepdim=True)")],
           catches=[],
           why="nu2 is averaged over channels as well as space (a LayerNorm-style statistic), so channels no longer "
               "normalise independently; wrong axes that keep every shape."),
    Mutant(name="frn_mean_over_batch", cell="frn",
           edits=[("nu2 = x32.pow(2).mean(dim=(2, 3), keepdim=True)", "nu2 = x32.pow(2).mean(dim=(0, 2, 3), keepdim=True)")],
           catches=[],
           why="nu2 is averaged over the batch as in BatchNorm, which reintroduces exactly the batch dependence FRN "
               "is meant to remove; a student copies BN's reduction axes."),
    Mutant(name="frn_no_float32_upcast", cell="frn",
           edits=[("x32 = x.to(torch.promote_types(x.dtype, torch.float32))", "x32 = x")],
           catches=[],
           why="nu2 is computed in the input's dtype, so float16 x**2 overflows above 256 and bfloat16 loses precision; "
               "the upcast looks unnecessary in float32 tests."),
    Mutant(name="frn_output_dtype_float32", cell="frn",
           edits=[("return y.to(x.dtype)", "return y")],
           catches=[],
           why="The output stays in the float32 compute dtype instead of the input's float16/bfloat16, changing the "
               "dtype seen by the next layer; forgetting to cast back."),
    Mutant(name="frn_always_float32", cell="frn",
           edits=[("x32 = x.to(torch.promote_types(x.dtype, torch.float32))", "x32 = x.float()")],
           catches=[],
           why="Every input is computed in float32, so a float64 input loses precision inside the layer; .float() is "
               "the usual shortcut for 'at least float32'."),
    Mutant(name="frn_learnable_eps_not_abs", cell="frn",
           edits=[("eps = eps + self.eps_l.abs().view(shape)", "eps = eps + self.eps_l.view(shape)")],
           catches=[],
           why="The learnable epsilon is used signed, so once it goes negative nu2 + eps can be <= 0 and rsqrt gives "
               "inf or nan; it starts positive so the bug only shows later."),
    Mutant(name="frn_forgets_sqrt", cell="frn",
           edits=[("x_hat = x32 * torch.rsqrt(nu2 + eps)", "x_hat = x32 / (nu2 + eps)")],
           catches=[],
           why="x is divided by the mean square instead of its square root, so the output scales as 1/x instead of "
               "being scale invariant; nu2 is mistaken for a standard deviation."),
    Mutant(name="frn_tlu_before_affine", cell="frn",
           edits=[("y = torch.maximum(self.gamma.view(shape) * x_hat + self.beta.view(shape), self.tau.view(shape))",
                   "y = self.gamma.view(shape) * torch.maximum(x_hat, self.tau.view(shape)) + self.beta.view(shape)")],
           catches=[],
           why="The TLU threshold is applied before the affine transform, identical at initialisation (gamma 1, beta 0) "
               "and wrong as soon as gamma or beta move; the order of the two steps is misread."),
    Mutant(name="frn_eps_not_a_buffer", cell="frn",
           edits=[('self.register_buffer("eps", torch.tensor(float(eps)))', "self.eps = torch.tensor(float(eps))")],
           catches=[],
           why="eps is a plain tensor attribute, not a registered buffer: it is missing from the state_dict and is not "
               "moved by .to(device); the forward pass still works on CPU."),
    Mutant(name="nin_bias_everywhere", cell="nin",
           edits=[("bias=bias or last))", "bias=True))")],
           catches=[],
           why="Every convolution keeps a bias even when a normalisation follows and cancels it, adding redundant "
               "parameters; nn.Conv2d's default is left alone."),
    Mutant(name="nin_norm_after_last_conv", cell="nin",
           edits=[("                if not last:\n                    layers.append(norm_layer(norm, c_out))\n",
                   "                layers.append(norm_layer(norm, c_out))\n")],
           catches=[],
           why="The classifier convolution is also followed by normalisation and ReLU (or TLU), so the logits are "
               "clipped to be non-negative; every convolution is treated alike."),
    Mutant(name="nin_no_padding", cell="nin",
           edits=[("padding=kernel // 2", "padding=0")],
           catches=[],
           why="The 5x5 and 3x3 convolutions are unpadded, so the maps shrink much faster than in NiN; the global "
               "average still gives (N, num_classes)."),
    Mutant(name="nin_two_max_pools", cell="nin",
           edits=[("layers += [nn.AvgPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]",
                   "layers += [nn.MaxPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]")],
           catches=[],
           why="The second block ends with a max pool instead of an average pool; a student copies the first block's "
               "line."),
    Mutant(name="nin_width_ignored", cell="nin",
           edits=[("c_out = num_classes if last else channels(c, width)", "c_out = num_classes if last else c")],
           catches=[],
           why="The width multiplier is ignored, so every model has the full channel counts; invisible at width 1."),
    Mutant(name="dependence_state_aliased", cell="dependence",
           edits=[("saved = {name: value.clone() for name, value in model.state_dict().items()}",
                   "saved = dict(model.state_dict())")],
           catches=[],
           why="state_dict() returns tensors that share storage with the model, so the 'saved' running statistics move "
               "with the training-mode passes and restoring them is a no-op; forgetting to copy."),
    Mutant(name="dependence_state_not_restored", cell="dependence",
           edits=[("        model.load_state_dict(saved)\n", "")],
           catches=[],
           why="Only the mode is restored; BatchNorm's running statistics keep the two measurement batches' updates."),
    Mutant(name="dependence_in_eval_mode", cell="dependence",
           edits=[("    model.train()\n    try:", "    model.eval()\n    try:")],
           catches=[],
           why="Measuring in evaluation mode makes BatchNorm use running statistics, so its batch dependence reads 0 "
               "like FRN's; 'measurement means eval' is the reflex."),
    Mutant(name="dependence_mode_not_restored", cell="dependence",
           edits=[("        model.train(was_training)\n", "")],
           catches=[],
           why="The model is left in training mode after the measurement even if it was in eval mode before."),
    Mutant(name="dependence_mean_normalisation", cell="dependence",
           edits=[("y_a.abs().max().clamp_min(1e-12)", "y_a.abs().mean().clamp_min(1e-12)")],
           catches=[],
           why="The change is divided by the mean instead of the max of |y_a|, inflating the relative change; the "
               "wrong normalisation of a relative error."),
    Mutant(name="protocol_seed_once", cell="protocol",
           edits=[("    for norm in norms:\n        torch.manual_seed(seed)\n",
                   "    torch.manual_seed(seed)\n    for norm in norms:\n")],
           catches=[],
           why="The global generator is seeded once before the loop, so each normalisation after the first starts from "
               "a different initialisation and the comparison depends on the order of norms."),
    Mutant(name="protocol_seed_after_model", cell="protocol",
           edits=[("        torch.manual_seed(seed)\n        model = make_model(norm)\n",
                   "        model = make_model(norm)\n        torch.manual_seed(seed)\n")],
           catches=[],
           why="The seed is set after the model is built, so only the optimizer and training are seeded and the "
               "initial weights are not reproducible."),
]
