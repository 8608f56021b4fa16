"""Mutants and valid variants of the two_layer_net notebook."""
from autograder.catalogue import Mutant, Variant

MUTANTS = [
    Mutant("softmax_missing_1_over_N", "softmax_loss",
           [(".mean()", ".sum()"), ("    dscores /= n\n", "")],
           ["test_softmax_loss", "test_fc_loss"], "sums the loss over the batch instead of averaging"),
    Mutant("softmax_shift_wrong_axis", "softmax_loss",
           [("scores.max(axis=1, keepdims=True)", "scores.max(axis=0, keepdims=True)")],
           ["test_softmax_loss"], "subtracts each column's maximum, which changes the softmax"),
    Mutant("softmax_label_off_by_one", "softmax_loss",
           [("dscores[np.arange(n), y] -= 1", "dscores[np.arange(n), y - 1] -= 1")],
           ["test_softmax_loss"], "subtracts 1 from the wrong class in the gradient"),
    Mutant("relu_mask_on_dout", "relu",
           [("dx = dout * (x > 0)", "dx = dout * (dout > 0)")],
           ["test_relu_backward"], "masks by the sign of the upstream gradient"),
    Mutant("relu_backward_lets_all_through", "relu",
           [("dx = dout * (x > 0)", "dx = dout * (x >= -1e9)")],
           ["test_relu_backward"], "forgets the ReLU derivative"),
    Mutant("affine_no_reshape", "affine_forward",
           [("x.reshape(x.shape[0], -1) @ w + b", "x @ w + b")],
           ["test_affine_forward"], "does not flatten multi-dimensional inputs"),
    Mutant("affine_dx_not_reshaped", "affine_backward",
           [("dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")],
           ["test_affine_backward"], "returns dx flattened instead of in x's shape"),
    Mutant("affine_db_mean", "affine_backward",
           [("db = dout.sum(axis=0)", "db = dout.mean(axis=0)")],
           ["test_affine_backward"], "averages the bias gradient over the batch"),
    Mutant("svm_counts_correct_class", "svm_loss",
           [("    margins[np.arange(n), y] = 0\n", "")],
           ["test_svm_loss"], "lets the correct class add a margin of 1"),
    Mutant("two_layer_reg_without_half", "two_layer_net",
           [("loss += 0.5 * reg * (", "loss += reg * (")],
           ["test_two_layer_loss", "test_two_layer_gradients"], "L2 penalty without the factor 0.5"),
    Mutant("two_layer_no_relu_in_backward", "two_layer_net",
           [("        dh[h <= 0] = 0\n", "")],
           ["test_two_layer_gradients"], "back-propagates through the ReLU as if it were the identity"),
    Mutant("two_layer_no_max_shift", "two_layer_net",
           [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")],
           ["test_two_layer_loss"], "exponentiates raw scores (overflows for large scores)"),
    Mutant("train_decays_every_iteration", "two_layer_net",
           [("                learning_rate *= learning_rate_decay\n", ""),
            ("                self.params[name] -= learning_rate * grads[name]\n",
             "                self.params[name] -= learning_rate * grads[name]\n            learning_rate *= learning_rate_decay\n")],
           ["test_two_layer_train"], "decays the learning rate after every iteration"),
    Mutant("relu_backward_at_zero", "relu", [("dx = dout * (x > 0)", "dx = dout * (x >= 0)")], ["test_relu_backward"],
           "lets the gradient through where the input is exactly 0 (the forward pass clamped it)"),
    Mutant("fc_input_not_cast", "fully_connected_net", [("        X = X.astype(self.dtype)\n", "")], ["test_fc_loss"],
           "never casts the input: a float32 model fed float64 data computes and answers in float64"),
    Mutant("train_val_history_on_training_data", "two_layer_net",
           [("np.mean(self.predict(X_val) == y_val)", "np.mean(self.predict(X) == y)")],
           ["test_two_layer_train"], "records the validation accuracy on the training set"),
    Mutant("train_epoch_rounded_up", "two_layer_net",
           [("iterations_per_epoch = max(num_train // batch_size, 1)",
             "iterations_per_epoch = max(-(-num_train // batch_size), 1)")],
           ["test_two_layer_train"], "counts a partial last batch as an iteration of the epoch (rounds N / batch_size up)"),
    Mutant("train_never_decays", "two_layer_net",
           [("                learning_rate *= learning_rate_decay\n", "")],
           ["test_two_layer_train"], "ignores learning_rate_decay"),
    Mutant("predict_wrong_axis", "two_layer_net",
           [("np.argmax(self.loss(X), axis=1)", "np.argmax(self.loss(X), axis=0)")],
           ["test_two_layer_predict"], "takes the argmax over the batch"),
    Mutant("fc_reg_skips_last_layer", "fully_connected_net",
           [("for i in range(1, L + 1):", "for i in range(1, L):")],
           ["test_fc_loss"], "does not regularise the output layer"),
    Mutant("fc_random_biases", "fully_connected_net",
           [("np.zeros(dims[i + 1])", "weight_scale * rng.standard_normal(dims[i + 1])")],
           ["test_fc_init"], "initialises biases randomly"),
    Mutant("tune_returns_last_net", "tune_two_layer_net",
           [("                best_net, best_val_acc = net, val_acc",
             "                best_val_acc = val_acc\n            best_net = net")],
           ["test_tune_two_layer_net"], "returns the last network trained, not the best"),
    Mutant("tune_retrains_best", "tune_two_layer_net",
           [("    return best_net, best_val_acc, results",
             "    best_lr, best_reg = max(results, key=lambda k: results[k][1])\n"
             "    best_net = TwoLayerNet(input_size, hidden_size, num_classes, std=1e-4, seed=seed + 1)\n"
             "    best_net.train(X_train, y_train, X_val, y_val, learning_rate=best_lr,\n"
             "                   learning_rate_decay=learning_rate_decay, reg=best_reg,\n"
             "                   num_iters=num_iters, batch_size=batch_size)\n"
             "    return best_net, best_val_acc, results")],
           ["test_tune_two_layer_net"], "the original notebook's flaw: re-trains the best configuration from a new initialisation"),
    # ---- weaknesses of the earlier checks (each passed them): the checks now test the whole contract
    Mutant("two_layer_forward_drops_b1", "two_layer_net",
           [("h = np.maximum(0, X @ W1 + b1)", "h = np.maximum(0, X @ W1)")],
           ["test_two_layer_scores", "test_two_layer_loss", "test_two_layer_gradients"],
           "forgets the hidden bias (the scores check used zero biases)"),
    Mutant("two_layer_shift_by_row_min", "two_layer_net",
           [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores - scores.min(axis=1, keepdims=True)")],
           ["test_two_layer_loss"], "subtracts each row's minimum: stable for a uniform shift (all the check used), "
                                    "overflows when a row's scores lie far apart"),
    Mutant("train_same_minibatch", "two_layer_net",
           [("idx = self.rng.choice(num_train, batch_size, replace=True)",
             "idx = np.random.RandomState(0).choice(num_train, batch_size, replace=True)")],
           ["test_two_layer_train"], "draws the same minibatch in every iteration (some examples never reached)"),
    Mutant("train_global_rng", "two_layer_net",
           [("idx = self.rng.choice(num_train, batch_size, replace=True)",
             "idx = np.random.choice(num_train, batch_size, replace=True)")],
           ["test_two_layer_train"], "samples with NumPy's global generator: a seed no longer makes a run repeatable"),
    Mutant("train_updates_weights_only", "two_layer_net",
           [("for name in self.params:", 'for name in ("W1", "W2"):')],
           ["test_two_layer_train"], "never updates the biases"),
    Mutant("train_ignores_reg", "two_layer_net",
           [("loss, grads = self.loss(X[idx], y=y[idx], reg=reg)", "loss, grads = self.loss(X[idx], y=y[idx])")],
           ["test_two_layer_train"], "trains without the regularisation it was given"),
    Mutant("train_decays_only_once", "two_layer_net",
           [("learning_rate *= learning_rate_decay",
             "learning_rate *= learning_rate_decay if it + 1 == iterations_per_epoch else 1.0")],
           ["test_two_layer_train"], "decays the learning rate after the first epoch only (decay 0 and one epoch "
                                     "cannot tell)"),
    Mutant("predict_ignores_biases", "two_layer_net",
           [("np.argmax(self.loss(X), axis=1)",
             'np.argmax(np.maximum(0, X @ self.params["W1"]) @ self.params["W2"], axis=1)')],
           ["test_two_layer_predict"], "predicts from scores without the biases (the check used zero biases)"),
    Mutant("softmax_grad_unshifted", "softmax_loss",
           [("dscores = np.exp(log_probs)", "dscores = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)")],
           ["test_softmax_loss"], "a stable loss but a gradient from raw exponentials (the shifted gradient was not checked)"),
    Mutant("softmax_shift_by_row_min", "softmax_loss",
           [("scores.max(axis=1, keepdims=True)", "scores.min(axis=1, keepdims=True)")],
           ["test_softmax_loss"], "subtracts each row's minimum: survives a uniform shift, overflows for scores far apart"),
    Mutant("fc_init_scales_first_layer_only", "fully_connected_net",
           [('self.params[f"W{i + 1}"] = weight_scale * rng.standard_normal(',
             'self.params[f"W{i + 1}"] = (weight_scale if i == 0 else 1.0) * rng.standard_normal(')],
           ["test_fc_init"], "uses weight_scale for W1 only (the check measured W1 only)"),
    Mutant("tune_ignores_batch_size", "tune_two_layer_net",
           [("num_iters=num_iters, batch_size=batch_size)", "num_iters=num_iters)")],
           ["test_tune_two_layer_net"], "trains every configuration with train()'s default batch size"),
    Mutant("tune_ignores_seed", "tune_two_layer_net",
           [("std=1e-4, seed=seed)", "std=1e-4)")],
           ["test_tune_two_layer_net"], "initialises each network at random instead of from the given seed"),
    Mutant("fc_init_global_rng", "fully_connected_net",
           [("rng.standard_normal((dims[i], dims[i + 1]))", "np.random.standard_normal((dims[i], dims[i + 1]))")],
           ["test_fc_init"], "draws the weights from NumPy's global generator: the seed no longer fixes them"),
    Mutant("tune_results_swapped", "tune_two_layer_net",
           [("results[(lr, reg)] = (train_acc, val_acc)", "results[(lr, reg)] = (val_acc, train_acc)")],
           ["test_tune_two_layer_net"], "stores (val_acc, train_acc): the earlier data reached 100 % on both"),
    Mutant("tune_train_acc_on_val", "tune_two_layer_net",
           [("train_acc = float(np.mean(net.predict(X_train) == y_train))",
             "train_acc = float(np.mean(net.predict(X_val) == y_val))")],
           ["test_tune_two_layer_net"], "reports the validation accuracy as the training accuracy"),
    Mutant("overfit_bad_hyperparameters", "overfit_small",
           [("weight_scale = 2e-2", "weight_scale = 1e-3"), ("learning_rate = 1e-2", "learning_rate = 1e-4")],
           ["test_overfit_small"], "a weight scale and learning rate too small to fit 50 examples in 20 epochs"),
]

LAYERS_VARIANT_AFFINE_FORWARD = '''
def affine_forward(x, w, b):
    """Fully connected layer (variant: np.dot and an explicit product of the trailing dims)."""
    flat = np.reshape(x, (x.shape[0], int(np.prod(x.shape[1:]))))
    out = np.dot(flat, w) + b[np.newaxis, :]
    return out, (x, w, b)
'''

LAYERS_VARIANT_AFFINE_BACKWARD = '''
def affine_backward(dout, cache):
    """Backward pass (variant: einsum)."""
    x, w, b = cache
    N = x.shape[0]
    x_rows = x.reshape(N, -1)
    dw = np.einsum("nd,nm->dm", x_rows, dout)
    db = np.einsum("nm->m", dout)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(*x.shape)
    return dx, dw, db
'''

LAYERS_VARIANT_RELU = '''
def relu_forward(x):
    out = np.where(x > 0, x, 0.0)
    return out, x


def relu_backward(dout, cache):
    x = cache
    dx = np.array(dout, copy=True)
    dx[x <= 0] = 0.0
    return dx
'''

LOSS_VARIANT_SOFTMAX = '''
def softmax_loss(scores, y):
    """Variant: log-sum-exp with a one-hot matrix."""
    N, C = scores.shape
    m = np.max(scores, axis=1)
    lse = m + np.log(np.sum(np.exp(scores - m[:, None]), axis=1))
    onehot = np.zeros_like(scores)
    onehot[np.arange(N), y] = 1.0
    loss = np.mean(lse - np.sum(scores * onehot, axis=1))
    probs = np.exp(scores - lse[:, None])
    return loss, (probs - onehot) / N
'''

LOSS_VARIANT_SVM = '''
def svm_loss(scores, y):
    """Variant: an explicit loop over examples and classes."""
    N, C = scores.shape
    loss = 0.0
    dscores = np.zeros_like(scores, dtype=float)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[i, j] - scores[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dscores[i, j] += 1
                dscores[i, y[i]] -= 1
    return loss / N, dscores / N
'''

TWO_LAYER_VARIANT = '''
class TwoLayerNet:
    """Variant: np.dot, a probability matrix built with exp/sum, sampling with a permutation."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4, seed=None):
        self.rng = np.random.RandomState(seed)
        self.params = {
            "W1": std * self.rng.randn(hidden_size, input_size).T.copy(),
            "b1": np.zeros(hidden_size),
            "W2": std * self.rng.randn(output_size, hidden_size).T.copy(),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        z1 = np.dot(X, W1) + b1
        a1 = z1 * (z1 > 0)
        scores = np.dot(a1, W2) + b2
        if y is None:
            return scores
        z = scores - np.max(scores, axis=1, keepdims=True)
        log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        data_loss = -np.sum(log_p[range(N), y]) / N
        loss = data_loss + 0.5 * reg * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2)
        d = np.exp(log_p)
        d[range(N), y] -= 1.0
        d /= N
        grads = {"W2": a1.T.dot(d) + reg * W2, "b2": np.sum(d, axis=0)}
        da1 = d.dot(W2.T) * (z1 > 0)
        grads["W1"] = X.T.dot(da1) + reg * W1
        grads["b1"] = np.sum(da1, axis=0)
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)
        loss_history, train_acc_history, val_acc_history = [], [], []
        lr = learning_rate
        order, pos = self.rng.permutation(num_train), 0
        for it in range(num_iters):
            if batch_size > num_train:
                idx = self.rng.randint(0, num_train, size=batch_size)
            else:
                if pos + batch_size > num_train:
                    order, pos = self.rng.permutation(num_train), 0
                idx = order[pos:pos + batch_size]
                pos += batch_size
            loss, grads = self.loss(X[idx], y[idx], reg=reg)
            loss_history.append(loss)
            self.params = {k: v - lr * grads[k] for k, v in self.params.items()}
            if (it + 1) % iterations_per_epoch == 0:
                train_acc_history.append((self.predict(X[idx]) == y[idx]).mean())
                val_acc_history.append((self.predict(X_val) == y_val).mean())
                lr = lr * learning_rate_decay
        return {"loss_history": loss_history, "train_acc_history": train_acc_history,
                "val_acc_history": val_acc_history}

    def predict(self, X):
        return self.loss(X).argmax(axis=1)
'''

FC_VARIANT = '''
class FullyConnectedNet:
    """Variant: lists of weights zipped together, reversed() for the backward pass."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0,
                 weight_scale=1e-2, dtype=np.float64, seed=None):
        self.reg = reg
        self.dtype = dtype
        self.num_layers = len(hidden_dims) + 1
        rng = np.random.default_rng(seed)
        sizes = [input_dim] + list(hidden_dims) + [num_classes]
        self.params = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params["W%d" % k] = rng.normal(0.0, weight_scale, size=(fan_in, fan_out)).astype(dtype)
            self.params["b%d" % k] = np.zeros(fan_out, dtype=dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        names = [("W%d" % k, "b%d" % k) for k in range(1, self.num_layers + 1)]
        caches, h = [], X
        for k, (wn, bn) in enumerate(names):
            if k < len(names) - 1:
                h, c = affine_relu_forward(h, self.params[wn], self.params[bn])
            else:
                h, c = affine_forward(h, self.params[wn], self.params[bn])
            caches.append(c)
        scores = h
        if y is None:
            return scores
        data_loss, d = softmax_loss(scores, y)
        reg_loss = 0.5 * self.reg * sum(np.sum(self.params[wn] ** 2) for wn, _ in names)
        grads = {}
        for k in reversed(range(len(names))):
            wn, bn = names[k]
            backward = affine_backward if k == len(names) - 1 else affine_relu_backward
            d, dw, db = backward(d, caches[k])
            grads[wn] = dw + self.reg * self.params[wn]
            grads[bn] = db
        return data_loss + reg_loss, grads
'''

TUNE_VARIANT = '''
import itertools


def tune_two_layer_net(data, hidden_size, learning_rates, regs, num_iters,
                       batch_size=200, learning_rate_decay=0.95, seed=0):
    """Variant: itertools.product, a list of candidates and max() with a key."""
    X_train, y_train = data["X_train"], data["y_train"]
    X_val, y_val = data["X_val"], data["y_val"]
    C = int(max(y_train.max(), y_val.max())) + 1
    candidates = []
    results = {}
    for lr, reg in itertools.product(learning_rates, regs):
        net = TwoLayerNet(X_train.shape[1], hidden_size, C, std=1e-4, seed=seed)
        net.train(X_train, y_train, X_val, y_val, learning_rate=lr, learning_rate_decay=learning_rate_decay,
                  reg=reg, num_iters=num_iters, batch_size=batch_size)
        tr = (net.predict(X_train) == y_train).mean()
        va = (net.predict(X_val) == y_val).mean()
        results[(lr, reg)] = (tr, va)
        candidates.append((va, net))
    best_val, best_net = max(candidates, key=lambda pair: pair[0])
    return best_net, best_val, results
'''

OVERFIT_VARIANT = '''
small_data = {"X_train": data["X_train"][:50], "y_train": data["y_train"][:50],
              "X_val": data["X_val"], "y_val": data["y_val"]}
weight_scale, learning_rate = 1e-2, 2e-2
overfit_model = FullyConnectedNet([100, 100], input_dim=INPUT_DIM, num_classes=NUM_CLASSES,
                                  weight_scale=weight_scale, seed=0)
solver = Solver(overfit_model, small_data, update_rule="sgd", optim_config={"learning_rate": learning_rate},
                num_epochs=20, batch_size=25, print_every=10, verbose=False)
solver.train()
'''

VARIANTS = [
    Variant("layers_dot_einsum_where", {
        "affine_forward": LAYERS_VARIANT_AFFINE_FORWARD.strip("\n"),
        "affine_backward": LAYERS_VARIANT_AFFINE_BACKWARD.strip("\n"),
        "relu": LAYERS_VARIANT_RELU.strip("\n"),
    }, "np.dot / einsum / np.where instead of @ and boolean products"),
    Variant("losses_logsumexp_and_loops", {
        "softmax_loss": LOSS_VARIANT_SOFTMAX.strip("\n"),
        "svm_loss": LOSS_VARIANT_SVM.strip("\n"),
    }, "softmax via log-sum-exp and a one-hot matrix; SVM with explicit loops"),
    Variant("two_layer_net_permutation_sampling", {
        "two_layer_net": TWO_LAYER_VARIANT.strip("\n"),
    }, "TwoLayerNet with np.dot, log-probabilities and sampling without replacement"),
    Variant("fc_net_zip_and_product_search", {
        "fully_connected_net": FC_VARIANT.strip("\n"),
        "tune_two_layer_net": TUNE_VARIANT.strip("\n"),
        "overfit_small": OVERFIT_VARIANT.strip("\n"),
    }, "FullyConnectedNet from zipped layer sizes; search with itertools.product; other overfit settings"),
]


# ---------------------------------------------------------------- attacks (autograder.attacks)
# The honest part every attack submission completes (Part 1, 10 points), the student cell
# that receives the attack, and stubs with the right shapes but wrong values for what the
# attacker did not write (so that only tampering could turn them into points).
HONEST = ["two_layer_net"]
ATTACK_TARGET = "affine_forward"
ATTACK_STUBS = '''
def affine_forward(x, w, b):
    return np.zeros((x.shape[0], w.shape[1])), (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)


def relu_forward(x):
    return np.zeros_like(x), x


def relu_backward(dout, cache):
    return np.zeros_like(dout)


def softmax_loss(scores, y):
    return 0.0, np.zeros_like(scores)


def svm_loss(scores, y):
    return 0.0, np.zeros_like(scores)
'''.strip("\n")
