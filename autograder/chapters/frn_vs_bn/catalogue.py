"""Mutants and valid variants of the frn_vs_bn notebook."""
from autograder.catalogue import Mutant, Variant

NU2 = "nu2 = x32.pow(2).mean(dim=(2, 3), keepdim=True)"
FRN, NIN, DEP, CMP = ["test_frn"], ["test_nin"], ["test_batch_dependence"], ["test_compare_norms"]

MUTANTS = [
    # FilterResponseNorm2d
    Mutant("frn_mean_over_channels", "frn", [(NU2, "nu2 = x32.pow(2).mean(dim=1, keepdim=True)")], FRN,
           "averages x**2 over the channels instead of the spatial positions"),
    Mutant("frn_batch_statistics", "frn", [(NU2, "nu2 = x32.pow(2).mean(dim=(0, 2, 3), keepdim=True)")], FRN,
           "averages over the batch too: BatchNorm's dependence is back"),
    Mutant("frn_nu_before_square", "frn", [(NU2, "nu2 = x32.mean(dim=(2, 3), keepdim=True).pow(2)")], FRN,
           "squares the mean instead of averaging the squares"),
    Mutant("frn_variance", "frn",
           [(NU2, "nu2 = (x32 - x32.mean(dim=(2, 3), keepdim=True)).pow(2).mean(dim=(2, 3), keepdim=True)")], FRN,
           "uses the variance (centres the map): that is instance normalisation, not FRN"),
    Mutant("frn_no_eps", "frn", [("torch.rsqrt(nu2 + eps)", "torch.rsqrt(nu2)")], FRN,
           "forgets epsilon: an all-zero map gives 0 * inf = NaN"),
    Mutant("frn_eps_without_abs", "frn", [("eps = self.eps.abs()", "eps = self.eps")], FRN,
           "adds epsilon as given: a negative epsilon takes the square root of a negative number"),
    Mutant("frn_learnable_eps_without_abs", "frn", [("self.eps_l.abs().view(shape)", "self.eps_l.view(shape)")], FRN,
           "adds the learned epsilon without its absolute value"),
    Mutant("frn_tlu_as_min", "frn", [("y = torch.maximum(", "y = torch.minimum(")], FRN,
           "thresholds from above: min(gamma * x_hat + beta, tau)"),
    Mutant("frn_tau_shared", "frn", [("self.tau = nn.Parameter(torch.zeros(num_features))",
                                      "self.tau = nn.Parameter(torch.zeros(1))")], FRN,
           "one threshold shared by every channel"),
    Mutant("frn_random_init", "frn", [("self.gamma = nn.Parameter(torch.ones(num_features))",
                                       "self.gamma = nn.Parameter(torch.randn(num_features))"),
                                      ("self.tau = nn.Parameter(torch.zeros(num_features))",
                                       "self.tau = nn.Parameter(torch.randn(num_features))")], FRN,
           "draws gamma and tau from N(0, 1), as the original notebook did"),
    Mutant("frn_eps_trained", "frn", [('self.register_buffer("eps", torch.tensor(float(eps)))',
                                       "self.eps = nn.Parameter(torch.tensor(float(eps)))")], FRN,
           "makes the constant epsilon a trainable parameter"),
    Mutant("frn_half_precision", "frn", [("x32 = x.to(torch.promote_types(x.dtype, torch.float32))", "x32 = x")], FRN,
           "computes nu2 in the input's precision: float16 overflows"),
    Mutant("frn_always_float32", "frn", [("x32 = x.to(torch.promote_types(x.dtype, torch.float32))",
                                          "x32 = x.float()")], FRN,
           "forces float32, so a float64 gradcheck no longer sees float64"),
    Mutant("frn_returns_float32", "frn", [("return y.to(x.dtype)", "return y")], FRN,
           "computes in float32 and returns float32 for a float16 or bfloat16 input (the dtype is not the input's)"),
    Mutant("frn_half_for_low_precision", "frn",
           [("x32 = x.to(torch.promote_types(x.dtype, torch.float32))",
             "x32 = x.half() if x.dtype in (torch.float16, torch.bfloat16) else x.to(torch.promote_types(x.dtype, torch.float32))")],
           FRN, "treats bfloat16 like float16 (casts it to half): values above 65504 squared overflow"),
    # NiN
    Mutant("nin_dropout_before_pooling", "nin",
           [("layers += [nn.MaxPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]",
             "layers += [nn.Dropout(dropout), nn.MaxPool2d(3, stride=2, padding=1)]")], NIN,
           "drops activations before the first pooling instead of after it (the same in evaluation mode)"),
    Mutant("nin_relu_on_logits", "nin", [("layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]",
                                          "layers += [nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]")], NIN,
           "a ReLU after the last convolution, as the original notebook had: no negative logits"),
    Mutant("nin_bias_before_norm", "nin", [("bias=bias or last", "bias=True")], NIN,
           "gives every convolution a bias, also before a normalisation"),
    Mutant("nin_relu_after_frn", "nin", [("                    layers.append(norm_layer(norm, c_out))\n",
                                          "                    layers.append(norm_layer(norm, c_out))\n"
                                          "                    if norm == \"frn\":\n"
                                          "                        layers.append(nn.ReLU())\n")], NIN,
           "a ReLU after FRN: the TLU's negative thresholds are cut off"),
    Mutant("nin_max_pool_twice", "nin", [("nn.AvgPool2d(3, stride=2, padding=1)", "nn.MaxPool2d(3, stride=2, padding=1)")],
           NIN, "max-pools after block 2 too"),
    Mutant("nin_ignores_width", "nin", [("channels(c, width)", "channels(c, 1.0)")], NIN,
           "always builds the full-width network"),
    Mutant("nin_padding_one", "nin", [("padding=kernel // 2", "padding=1")], NIN,
           "pads every convolution by 1: the 5x5 ones shrink the map, the 1x1 ones grow it"),
    Mutant("nin_one_dropout", "nin", [("layers += [nn.AvgPool2d(3, stride=2, padding=1), nn.Dropout(dropout)]",
                                       "layers += [nn.AvgPool2d(3, stride=2, padding=1)]")], NIN,
           "drops the second dropout"),
    # batch_dependence
    Mutant("dep_eval_mode", "dependence", [("    model.train()\n", "    model.eval()\n")], DEP,
           "measures in evaluation mode, where BatchNorm uses its running statistics"),
    Mutant("dep_running_stats_moved", "dependence", [("        model.load_state_dict(saved)\n", "")], DEP,
           "does not restore BatchNorm's running statistics after the training-mode passes"),
    Mutant("dep_mode_not_restored", "dependence", [("        model.train(was_training)\n", "        pass\n")], DEP,
           "leaves the model in training mode"),
    Mutant("dep_absolute_change", "dependence",
           [("return float((y_a - y_b).abs().max() / y_a.abs().max().clamp_min(1e-12))",
             "return float((y_a - y_b).abs().max())")], DEP, "returns the absolute change, not the relative one"),
    Mutant("dep_wrong_row", "dependence", [("y_a = model(torch.cat([sample[None], batch_a]))[0]",
                                            "y_a = model(torch.cat([sample[None], batch_a]))[-1]"),
                                           ("y_b = model(torch.cat([sample[None], batch_b]))[0]",
                                            "y_b = model(torch.cat([sample[None], batch_b]))[-1]")], DEP,
           "compares the last rows (other images) instead of the sample's"),
    # compare_norms
    Mutant("cmp_one_model", "protocol",
           [("        torch.manual_seed(seed)\n        model = make_model(norm)\n        optimizer = make_optimizer(model)\n",
             "        if not results:\n            torch.manual_seed(seed)\n            model = make_model(norm)\n"
             "            optimizer = make_optimizer(model)\n")], CMP,
           "the original notebook's bug: one model and optimizer, trained again for every norm"),
    Mutant("cmp_reuse_optimizer", "protocol",
           [("        optimizer = make_optimizer(model)\n",
             "        optimizer = optimizer if results else make_optimizer(model)\n")], CMP,
           "a new model but the first run's optimizer (and momentum)"),
    Mutant("cmp_seed_once", "protocol", [("    for norm in norms:\n        torch.manual_seed(seed)\n",
                                          "    torch.manual_seed(seed)\n    for norm in norms:\n")], CMP,
           "seeds once before the loop: every later model starts from other weights"),
    Mutant("cmp_seed_after_build", "protocol",
           [("        torch.manual_seed(seed)\n        model = make_model(norm)\n",
             "        model = make_model(norm)\n        torch.manual_seed(seed)\n")], CMP,
           "seeds after building the model"),
    Mutant("cmp_seed_per_run", "protocol", [("torch.manual_seed(seed)", "torch.manual_seed(seed + len(results))")],
           CMP, "a different seed for every run's initial weights"),
    Mutant("cmp_batches_per_run", "protocol", [("results[norm] = train(model, optimizer, seed)",
                                                "results[norm] = train(model, optimizer, seed + len(results))")], CMP,
           "a different batch order for every run"),
]

FRN_VARIANT = '''
class FilterResponseNorm2d(nn.Module):
    def __init__(self, num_features, eps=1e-6, learnable_eps=False):
        super().__init__()
        self.register_parameter("gamma", nn.Parameter(torch.ones(num_features)))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("eps", torch.tensor(abs(eps)))
        if learnable_eps:
            self.eps_l = nn.Parameter(1e-4 * torch.ones(num_features))
        else:
            self.eps_l = None

    def forward(self, x):
        dtype = x.dtype
        x = x.double() if dtype == torch.float64 else x.float()
        nu2 = torch.einsum("nchw,nchw->nc", x, x)[..., None, None] / (x.shape[2] * x.shape[3])
        eps = self.eps.abs() + (self.eps_l.abs()[:, None, None] if self.eps_l is not None else 0.0)
        x_hat = x / torch.sqrt(nu2 + eps)
        g, b, t = (p[:, None, None] for p in (self.gamma, self.beta, self.tau))
        return (F.relu(g * x_hat + b - t) + t).to(dtype)
'''

NIN_VARIANT = '''
class NiN(nn.Module):
    def __init__(self, norm="bn", in_channels=3, num_classes=10, width=1.0, dropout=0.5):
        super().__init__()
        def conv(c_in, c_out, k):
            return [nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2, bias=(norm == "none")), norm_layer(norm, c_out)]
        c = [channels(n, width) for block in LAYOUT for _, n in block]
        self.block1 = nn.Sequential(*conv(in_channels, c[0], 5), *conv(c[0], c[1], 1), *conv(c[1], c[2], 1),
                                    nn.MaxPool2d(kernel_size=3, stride=2, padding=1), nn.Dropout(p=dropout))
        self.block2 = nn.Sequential(*conv(c[2], c[3], 5), *conv(c[3], c[4], 1), *conv(c[4], c[5], 1),
                                    nn.AvgPool2d(kernel_size=3, stride=2, padding=1), nn.Dropout(p=dropout))
        self.block3 = nn.Sequential(*conv(c[5], c[6], 3), *conv(c[6], c[7], 1))
        self.classifier = nn.Conv2d(c[7], num_classes, kernel_size=1)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(x)))
        return F.adaptive_avg_pool2d(self.classifier(x), 1).flatten(1)
'''

DEP_VARIANT = '''
import copy


def batch_dependence(model, sample, batch_a, batch_b):
    twin = copy.deepcopy(model).train()
    outputs = []
    with torch.no_grad():
        for others in (batch_a, batch_b):
            outputs.append(twin(torch.cat([sample.unsqueeze(0), others], dim=0))[0])
    return (outputs[0] - outputs[1]).abs().max().item() / outputs[0].abs().max().item()
'''

CMP_VARIANT = '''
def compare_norms(norms, make_model, make_optimizer, train, seed=0):
    def one_run(norm):
        torch.random.manual_seed(seed)
        net = make_model(norm)
        return train(net, make_optimizer(net), seed)
    return {norm: one_run(norm) for norm in norms}
'''

VARIANTS = [
    Variant("frn_einsum_relu_shift", {"frn": FRN_VARIANT.strip("\n")},
            "nu2 by einsum, 1 / sqrt, |eps| stored in the buffer, the TLU as relu(y - tau) + tau"),
    Variant("nin_named_blocks", {"nin": NIN_VARIANT.strip("\n")},
            "three named blocks and a classifier attribute, functional global pooling"),
    Variant("dependence_on_a_copy", {"dependence": DEP_VARIANT.strip("\n")},
            "measures on a deep copy, so the model itself is never touched"),
    Variant("compare_comprehension", {"protocol": CMP_VARIANT.strip("\n")},
            "a dict comprehension over a helper that seeds, builds and trains"),
]

# ---------------------------------------------------------------- attacks (autograder.attacks)
# The honest part every attack submission completes (the fair comparison, 3 points), the
# student cell that receives the attack, and a stub with the right parameters but the wrong
# forward pass for what the attacker did not write.
HONEST = ["protocol"]
ATTACK_TARGET = "frn"
ATTACK_STUBS = '''
class FilterResponseNorm2d(nn.Module):
    def __init__(self, num_features, eps=1e-6, learnable_eps=False):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("eps", torch.tensor(float(eps)))
        self.eps_l = nn.Parameter(torch.full((num_features,), 1e-4)) if learnable_eps else None

    def forward(self, x):
        return x.clone()
'''.strip("\n")
