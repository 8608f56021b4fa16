"""Trusted hidden tests of two_layer_net (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

Every hidden input -- sizes, values, labels, regularisation strengths, the seeds handed to the
student's own random generators -- is drawn from ``probe.rng(<name of the input>)``: fresh for
every grading run, so answers remembered from earlier feedback earn nothing. Expected values
come from :mod:`solutions.two_layer_net`, evaluated in the grading process, and every numeric
comparison goes through ``probe.below`` (via :func:`_close`) under a stable name, so that
``tests/test_check_draws.py`` can measure how far correct code stays from each bound.
"""
import json

import numpy as np

import solutions.two_layer_net as ref

REFERENCE = {name: getattr(ref, name) for name in ref.__all__}


# ------------------------------------------------------------------ helpers

def _rel_error(actual, expected) -> float:
    """cs231n's element-wise relative error, each element measured against the larger of its own
    size and 1/1000 of the expected array's largest: an element that is zero up to rounding (a
    score whose terms cancel, a bias gradient of dead units) is judged on the array's scale
    instead of on its own rounding noise."""
    if expected.size == 0:
        return 0.0
    floor = max(1e-3 * float(np.max(np.abs(expected))), 1e-12)
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(actual) + np.abs(expected), floor)))


def _close(probe, actual, expected, key, what, tol, hint=""):
    """``actual`` matches ``expected`` up to relative error ``tol``: recorded under the bound ``key``
    (stable across draws), reported to the student as ``what`` (which input, expected vs got)."""
    expected = np.asarray(expected, dtype=np.float64)
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be an array of numbers, got {type(actual).__name__}")
    hint = f". Hint: {hint}" if hint else ""
    if actual.shape != expected.shape:
        raise AssertionError(f"{what} has shape {actual.shape}, expected {expected.shape}{hint}")
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what} contains NaN or inf{hint}")
    err = _rel_error(actual, expected)
    msg = f"{what} is wrong: relative error {err:.2e} (should be below {tol:.0e})"
    if expected.size <= 6:
        msg += f"; expected {np.round(expected, 8).tolist()}, got {np.round(actual, 8).tolist()}"
    probe.below(key, err, tol, msg + hint)


def _int(rng, lo, hi) -> int:
    """A size drawn uniformly from lo..hi (both included)."""
    return int(rng.integers(lo, hi + 1))


def _log_uniform(rng, lo, hi) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _seed(rng) -> int:
    """A seed for the student's own random generator (drawn too, so no run can be memorised)."""
    return int(rng.integers(0, 2 ** 31 - 1))


def _two_layer_params(rng, D, H, C, scale=0.5):
    """Weights and biases of both signs; about half of the hidden units active for inputs of unit scale."""
    return dict(W1=scale * rng.standard_normal((D, H)), b1=scale * rng.standard_normal(H),
                W2=scale * rng.standard_normal((H, C)), b2=scale * rng.standard_normal(C))


_SET_PARAMS = """
net = TwoLayerNet(int(dims[0]), int(dims[1]), int(dims[2]), std=float(std), seed=int(seed))
net.params["W1"], net.params["b1"], net.params["W2"], net.params["b2"] = W1.copy(), b1.copy(), W2.copy(), b2.copy()
"""


# ------------------------------------------------------------------ Part 1: TwoLayerNet

NET_OBS = _SET_PARAMS + """
__obs__ = {"scores": net.loss(X)}
"""


def test_two_layer_scores(probe):
    rng = probe.rng("two_layer_scores")
    for case in range(2):
        D, H, C, N = _int(rng, 2, 8), _int(rng, 4, 12), _int(rng, 2, 6), _int(rng, 1, 8)
        X = _log_uniform(rng, 0.1, 10.0) * rng.standard_normal((N, D))
        inputs = dict(dims=np.array([D, H, C]), std=_log_uniform(rng, 0.01, 1.0), seed=_seed(rng), X=X,
                      **_two_layer_params(rng, D, H, C, scale=float(np.max(np.abs(X))) ** -0.5))
        obs, exp = probe.run(NET_OBS, **inputs), probe.reference(NET_OBS, **inputs)
        _close(probe, obs["scores"], exp["scores"], "scores",
               f"the scores of a (D={D}, H={H}, C={C}) network for {N} inputs", tol=1e-9,
               hint="scores = relu(X @ W1 + b1) @ W2 + b2, with the ReLU on the hidden layer only and both biases")


LOSS_OBS = _SET_PARAMS + """
loss0 = net.loss(X, y, reg=0.0)[0]
loss_reg = net.loss(X, y, reg=float(reg))[0]
net.params["b2"] = b2 + float(shift)
loss_shift = net.loss(X, y, reg=0.0)[0]
net.params["b2"] = b2 + spread
loss_spread = net.loss(X, y_spread, reg=0.0)[0]
__obs__ = {"loss0": loss0, "loss_reg": loss_reg, "loss_shift": loss_shift, "loss_spread": loss_spread}
"""


def test_two_layer_loss(probe):
    rng = probe.rng("two_layer_loss")
    for case in range(2):
        D, H, C, N = _int(rng, 2, 8), _int(rng, 4, 12), _int(rng, 2, 6), _int(rng, 1, 9)
        reg = _log_uniform(rng, 1e-2, 3.0)
        shift = float(rng.choice([-1.0, 1.0]) * rng.uniform(700.0, 1500.0))
        params = _two_layer_params(rng, D, H, C)
        # one class ~1000 below the others in every row (and never the label): exp(score - row minimum) overflows
        low = _int(rng, 0, C - 1)
        spread = rng.uniform(-3.0, 3.0, size=C) - np.where(np.arange(C) == low, rng.uniform(800.0, 1500.0), 0.0)
        inputs = dict(dims=np.array([D, H, C]), std=0.1, seed=_seed(rng), X=_log_uniform(rng, 0.3, 5.0) * rng.standard_normal((N, D)),
                      y=rng.integers(C, size=N), reg=reg, shift=shift, **params, spread=spread,
                      y_spread=rng.choice(np.delete(np.arange(C), low), size=N))
        obs, exp = probe.run(LOSS_OBS, **inputs), probe.reference(LOSS_OBS, **inputs)
        net = f"a (D={D}, H={H}, C={C}) network on {N} examples"
        _close(probe, obs["loss0"], exp["loss0"], "loss at reg=0", f"the loss of {net} at reg=0", tol=1e-9,
               hint="the data loss is the mean over the batch of -log(softmax probability of the correct class)")
        penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
        _close(probe, float(obs["loss_reg"]) - float(obs["loss0"]), penalty, "regularisation term",
               f"the regularisation term of {net} at reg={reg:.4g} (loss at reg minus loss at reg=0)", tol=1e-8,
               hint="0.5 * reg * (sum(W1**2) + sum(W2**2)); biases are not regularised")
        _close(probe, obs["loss_reg"], exp["loss_reg"], "loss at reg>0", f"the loss of {net} at reg={reg:.4g}", tol=1e-9)
        _close(probe, obs["loss_shift"], exp["loss0"], "loss after a large shift of every score",
               f"the loss of {net} after adding {shift:.0f} to every score", tol=1e-9,
               hint="np.exp overflows (or underflows to 0) for scores in the hundreds: subtract each row's "
                    "maximum score before exponentiating")
        _close(probe, obs["loss_spread"], exp["loss_spread"], "loss with one class ~1000 below",
               f"the loss of {net} when one class scores about 1000 below the others", tol=1e-9,
               hint="np.exp overflows for score differences in the hundreds: subtract each row's maximum "
                    "(not its minimum or mean) before exponentiating")


GRAD_OBS = _SET_PARAMS + """
loss, grads = net.loss(X, y, reg=float(reg))
__obs__ = {"loss": loss, **{"d" + k: grads[k] for k in ("W1", "b1", "W2", "b2") if k in grads}}
"""


def test_two_layer_gradients(probe):
    rng = probe.rng("two_layer_gradients")
    for reg in (0.0, _log_uniform(rng, 1e-2, 2.0)):
        D, H, C, N = _int(rng, 2, 7), _int(rng, 4, 10), _int(rng, 2, 6), _int(rng, 2, 8)
        inputs = dict(dims=np.array([D, H, C]), std=0.1, seed=_seed(rng), reg=reg,
                      X=_log_uniform(rng, 0.3, 3.0) * rng.standard_normal((N, D)), y=rng.integers(C, size=N),
                      **_two_layer_params(rng, D, H, C))
        obs, exp = probe.run(GRAD_OBS, **inputs), probe.reference(GRAD_OBS, **inputs)
        net = f"a (D={D}, H={H}, C={C}) network on {N} examples at reg={reg:.4g}"
        _close(probe, obs["loss"], exp["loss"], "loss returned with the gradients", f"the loss of {net}", tol=1e-9)
        for k in ("W1", "b1", "W2", "b2"):
            assert "d" + k in obs, f"grads has no entry {k!r}"
            _close(probe, obs["d" + k], exp["d" + k], f"gradient {k}", f"grads[{k!r}] of {net}", tol=1e-7,
                   hint="compare each step of your backward pass with the derivative of the forward pass"
                        + ("; the penalty 0.5 * reg * sum(W**2) adds reg * W to the weight gradients" if k[0] == "W" else ""))


# Every call train() makes to self.loss with labels is recorded: the parameters it was called
# with, which examples (rows of X) the minibatch held, the labels and reg it passed, and the
# loss and gradients it got back. So the check can follow every SGD step exactly.
TRAIN_OBS = """
X_all = X
def run(seed, lr, decay, reg, iters, bs):
    net = TwoLayerNet(X.shape[1], int(H), int(C), std=0.3, seed=int(seed))
    inner = net.loss
    rec = {"P": [], "G": [], "idx": [], "yb": [], "size": [], "reg": [], "loss": []}
    def recorded(X, y=None, reg=0.0):
        if y is None:
            return inner(X)
        rec["P"].append([np.array(net.params[k], dtype=float) for k in ("W1", "b1", "W2", "b2")])
        loss, grads = inner(X, y, reg=reg)
        Xb = np.asarray(X, dtype=float)
        rec["idx"].append(np.argmin(((Xb[:, None, :] - X_all[None, :, :]) ** 2).sum(axis=2), axis=1))
        rec["yb"].append(np.asarray(y)); rec["size"].append(len(Xb)); rec["reg"].append(float(reg))
        rec["loss"].append(float(loss))
        rec["G"].append([np.array(grads[k], dtype=float) for k in ("W1", "b1", "W2", "b2")])
        return loss, grads
    net.loss = recorded
    stats = net.train(X, y, X_val, y_val, learning_rate=float(lr), learning_rate_decay=float(decay), reg=float(reg),
                      num_iters=int(iters), batch_size=int(bs))
    final = [np.array(net.params[k], dtype=float) for k in ("W1", "b1", "W2", "b2")]
    out = {"calls": len(rec["P"]), "loss_history": np.asarray(stats["loss_history"], dtype=float),
           "val_acc": np.asarray(stats["val_acc_history"], dtype=float),
           "train_acc": np.asarray(stats["train_acc_history"], dtype=float)}
    if rec["P"]:
        out.update(size=np.array(rec["size"]), reg=np.array(rec["reg"]), loss=np.array(rec["loss"]),
                   idx=np.concatenate(rec["idx"]), yb=np.concatenate(rec["yb"]))
        for j, k in enumerate(("W1", "b1", "W2", "b2")):
            out["P_" + k] = np.stack([p[j] for p in rec["P"]] + [final[j]])
            out["G_" + k] = np.stack([g[j] for g in rec["G"]])
    return out
__obs__ = {}
for name, cfg in (("a", run_a), ("again", run_again), ("other", run_other), ("big", run_big)):
    __obs__.update({name + ":" + k: v for k, v in run(*cfg).items()})
"""

_PARAMS = ("W1", "b1", "W2", "b2")


def _follow_sgd(probe, obs, name, X, y, lr, decay, reg, iters, bs, what):
    """The run ``name`` made exactly ``iters`` SGD steps on minibatches of ``bs`` examples of (X, y),
    each moving every parameter by -lr * decay**epoch * its gradient; returns the examples it drew."""
    get = lambda k: obs[f"{name}:{k}"]
    calls = int(get("calls"))
    assert calls == iters, (f"{what}: train({iters} iterations) called self.loss(X_batch, y_batch, reg=reg) "
                            f"{calls} times; compute each minibatch's loss and gradients with one such call per iteration")
    losses = np.atleast_1d(get("loss_history"))
    assert losses.shape == (iters,), f"{what}: loss_history should hold one loss per iteration ({iters}), got {losses.size}"
    sizes = np.atleast_1d(get("size"))
    assert np.all(sizes == bs), f"{what}: minibatches should hold batch_size={bs} examples, got sizes {sorted(set(sizes.tolist()))}"
    idx, yb = np.atleast_1d(get("idx")), np.atleast_1d(get("yb"))
    assert np.array_equal(yb, y[idx]), f"{what}: the labels passed to self.loss are not the labels of the sampled examples"
    regs = np.atleast_1d(get("reg"))
    assert np.allclose(regs, reg, rtol=0, atol=0), f"{what}: train(reg={reg:g}) passed reg={regs[0]:g} to self.loss"
    _close(probe, losses, get("loss"), "loss_history entries", f"{what}: loss_history", tol=1e-12,
           hint="append the loss of each iteration's minibatch")
    ipe = max(X.shape[0] // bs, 1)
    expected_lr = lr * decay ** (np.arange(iters) // ipe)
    for k in _PARAMS:
        P, G = np.asarray(get("P_" + k), dtype=float), np.asarray(get("G_" + k), dtype=float)
        step = (P[1:] - P[:-1]).reshape(iters, -1)
        g = G.reshape(iters, -1)
        gg = np.sum(g * g, axis=1)
        used = np.where(gg > 0, -np.sum(step * g, axis=1) / np.where(gg > 0, gg, 1.0), expected_lr)
        off = np.abs(used - expected_lr) > 1e-6 * np.maximum(np.abs(used) + np.abs(expected_lr), 1e-3 * lr)
        first = (f" (first at iteration {int(np.argmax(off))}, epoch {int(np.argmax(off)) // ipe}: {k} moved by "
                 f"{used[np.argmax(off)] + 0.0:.4g} x its gradient, expected {expected_lr[np.argmax(off)]:.4g})") if off.any() else ""
        _close(probe, used, expected_lr, "learning rate of each step",
               f"{what}: the learning rate applied to {k} at iterations 0..{iters - 1} ({ipe} per epoch){first}", tol=1e-6,
               hint=f"step t should use learning_rate * learning_rate_decay ** (t // {ipe}): multiply the learning "
                    "rate by the decay once after each epoch (the given `if` block), and update every parameter")
        _close(probe, P[1:], P[:-1] - expected_lr.reshape((-1,) + (1,) * (P.ndim - 1)) * G, "parameters after each step",
               f"{what}: {k} after each SGD step", tol=1e-9,
               hint="self.params[name] -= learning_rate * grads[name] for every parameter")
    return idx.reshape(iters, bs)


def _scores(P, X):
    """The two-layer network's class scores for ``X`` with parameters ``P`` (W1, b1, W2, b2)."""
    W1, b1, W2, b2 = P
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2


def _check_histories(obs, name, X, y, X_val, y_val, iters, bs, what):
    """One accuracy per epoch, after the epoch's last step: on that step's minibatch (training)
    and on the validation set passed in (never the training set), with the parameters of then."""
    ipe = max(X.shape[0] // bs, 1)
    epochs = iters // ipe
    val, train = np.atleast_1d(obs[name + ":val_acc"]), np.atleast_1d(obs[name + ":train_acc"])
    assert val.size == epochs == train.size, (
        f"{what}: record the accuracies once per epoch, every {ipe} iterations ({X.shape[0]} // {bs}, at least 1): "
        f"{epochs} epochs gave {val.size} validation and {train.size} training entries")
    P = [np.asarray(obs[f"{name}:P_{k}"], dtype=float) for k in _PARAMS]
    idx = np.atleast_1d(obs[name + ":idx"]).reshape(iters, bs)
    for e in range(epochs):
        it = (e + 1) * ipe - 1
        params = [p[it + 1] for p in P]  # after the epoch's last step
        want_val = float(np.mean(np.argmax(_scores(params, X_val), axis=1) == y_val))
        want_train = float(np.mean(np.argmax(_scores(params, X[idx[it]]), axis=1) == y[idx[it]]))
        assert abs(val[e] - want_val) < 1e-12, (
            f"{what}: val_acc_history[{e}] is {val[e]:.4g}, but the network after iteration {it} classifies "
            f"{want_val:.4g} of the validation set (X_val, y_val: {len(y_val)} examples) correctly: measure it on the "
            "validation data passed in, after the epoch's last step")
        assert abs(train[e] - want_train) < 1e-12, (
            f"{what}: train_acc_history[{e}] is {train[e]:.4g}, expected {want_train:.4g}: the accuracy on the "
            f"minibatch of iteration {it}, after its step")


def test_two_layer_train(probe):
    rng = probe.rng("two_layer_train")
    N, D, H, C = int(rng.choice([6, 8, 9, 10, 12])), _int(rng, 2, 5), _int(rng, 3, 6), _int(rng, 2, 4)  # N with a divisor
    X, y = rng.standard_normal((N, D)), rng.integers(C, size=N)
    n_val = N + _int(rng, 1, 5)                    # a validation set of its own, of another size
    X_val, y_val = rng.standard_normal((n_val, D)), rng.integers(C, size=n_val)
    # batch sizes that do and do not divide N, every run (an epoch of N // batch_size iterations, not rounded up)
    sizes = range(2, min(4, N // 2) + 1)
    ragged, even = [b for b in sizes if N % b], [b for b in sizes if N % b == 0]
    if not ragged:  # N = 12 with sizes 2-4: 5 leaves a smaller last batch
        ragged = [5]
    bs, bs_even = int(rng.choice(ragged)), int(rng.choice(even))
    probe.domain("train: N divisible by batch_size", True, False)
    iters = int(np.ceil(16 * N / bs))              # every example is drawn with probability 1 - N e^-16
    big_bs, big_iters = N + _int(rng, 1, 8), _int(rng, 3, 6)  # batch_size > N: one iteration per epoch, with replacement
    lr, decay, reg = _log_uniform(rng, 0.05, 0.5), float(rng.uniform(0.3, 0.9)), _log_uniform(rng, 1e-3, 0.3)
    seed, other_seed, big_seed = _seed(rng), _seed(rng), _seed(rng)
    runs = {"a": (seed, lr, decay, reg, iters, bs), "again": (seed, lr, decay, reg, iters, bs),
            "other": (other_seed, lr, decay, reg, int(np.ceil(4 * N / bs_even)) + 1, bs_even),
            "big": (big_seed, lr, float(rng.uniform(0.3, 0.9)), reg, big_iters, big_bs)}
    obs = probe.run(TRAIN_OBS, X=X, y=y, X_val=X_val, y_val=y_val, H=H, C=C,
                    **{"run_" + k: np.array(v, dtype=float) for k, v in runs.items()})
    batches = {}
    for name, (s, lr_, decay_, reg_, iters_, bs_) in runs.items():
        what = (f"train on {N} examples with learning_rate={lr_:.3g}, learning_rate_decay={decay_:.3g}, reg={reg_:.3g}, "
                f"batch_size={bs_}, num_iters={iters_}")
        probe.hit("train: N divisible by batch_size", N % bs_ == 0)
        batches[name] = _follow_sgd(probe, obs, name, X, y, lr_, decay_, reg_, iters_, bs_, what)
        _check_histories(obs, name, X, y, X_val, y_val, iters_, bs_, what)
    never = sorted(set(range(N)) - set(batches["a"].ravel().tolist()))
    assert not never, (f"train on {N} examples with batch_size={bs} never sampled examples {never} in {iters} iterations: "
                       "draw each minibatch at random from all the training examples")
    assert len({tuple(sorted(b)) for b in batches["a"].tolist()}) > 1, \
        "every iteration used the same minibatch: draw a new one in each iteration"
    assert np.array_equal(batches["a"], batches["again"]), \
        ("two networks with the same seed drew different minibatches: sample them with the network's own generator "
         "self.rng, not with np.random")
    k = min(len(batches["a"]), len(batches["other"]))
    assert not np.array_equal(batches["a"][:k, :min(bs, bs_even)], batches["other"][:k, :min(bs, bs_even)]), \
        "two networks with different seeds drew the same minibatches: sample them at random with self.rng"


PREDICT_OBS = _SET_PARAMS + """
pred = net.predict(X)
__obs__ = {"pred": pred, "integer": np.issubdtype(np.asarray(pred).dtype, np.integer)}
"""


def test_two_layer_predict(probe):
    rng = probe.rng("two_layer_predict")
    for case in range(3):
        # the last case: many rows and biases that decide some of them (predicting without the
        # biases passed 1 run in 30 when both cases could draw few rows and small biases)
        D, H, C, N = _int(rng, 2, 8), _int(rng, 3, 10), _int(rng, 2, 7), _int(rng, 1, 20) if case < 2 else _int(rng, 30, 60)
        params = _two_layer_params(rng, D, H, C)
        params["b2"] = params["b2"] * (_log_uniform(rng, 0.3, 3.0) if case < 2 else _log_uniform(rng, 1.0, 3.0))
        inputs = dict(dims=np.array([D, H, C]), std=0.1, seed=_seed(rng), X=rng.standard_normal((N, D)), **params)
        obs, exp = probe.run(PREDICT_OBS, **inputs), probe.reference(PREDICT_OBS, **inputs)
        pred = np.atleast_1d(obs["pred"])
        assert pred.shape == (N,), f"predict(X) for {N} inputs has shape {np.shape(obs['pred'])}, expected ({N},)"
        assert bool(obs["integer"]), "predict should return integer class indices"
        wrong = np.flatnonzero(pred != exp["pred"])
        assert not wrong.size, (f"predict should return the index of the highest score in each row: for a (D={D}, H={H}, "
                                f"C={C}) network, row {wrong[0]} has scores whose argmax is {int(exp['pred'][wrong[0]])}, "
                                f"you predicted {int(pred[wrong[0]])}")


# ------------------------------------------------------------------ Part 2: layers

def _shape(rng, max_trailing=3):
    """(N, d_1, ..., d_k): N from 1, k from 1 to max_trailing, each d from 1 to 4."""
    return (_int(rng, 1, 5), *(_int(rng, 1, 4) for _ in range(_int(rng, 1, max_trailing))))


AFFINE_FWD_OBS = """
before = x.copy()
out, cache = affine_forward(x, w, b)
__obs__ = {"out": out, "unchanged": np.array_equal(x, before)}
"""


def test_affine_forward(probe):
    rng = probe.rng("affine_forward")
    shapes = [_shape(rng) for _ in range(3)] + [(_int(rng, 2, 5), _int(rng, 2, 4), _int(rng, 2, 4))]
    for shape in shapes:
        D, M = int(np.prod(shape[1:])), _int(rng, 1, 6)
        inputs = dict(x=rng.standard_normal(shape), w=rng.standard_normal((D, M)), b=rng.standard_normal(M))
        obs, exp = probe.run(AFFINE_FWD_OBS, **inputs), probe.reference(AFFINE_FWD_OBS, **inputs)
        _close(probe, obs["out"], exp["out"], "affine_forward output",
               f"affine_forward for x of shape {shape} and w of shape {(D, M)}", tol=1e-9,
               hint="flatten each example to a row of length D (x.reshape(N, -1)), then x @ w + b")
        assert obs["unchanged"], "affine_forward must not modify its input"


AFFINE_BWD_OBS = """
dx, dw, db = affine_backward(dout, affine_forward(x, w, b)[1])
__obs__ = {"dx": dx, "dw": dw, "db": db}
"""


def test_affine_backward(probe):
    rng = probe.rng("affine_backward")
    shapes = [_shape(rng) for _ in range(2)] + [(_int(rng, 2, 5), _int(rng, 2, 4), _int(rng, 2, 4))]
    for shape in shapes:
        D, M = int(np.prod(shape[1:])), _int(rng, 1, 6)
        inputs = dict(x=rng.standard_normal(shape), w=rng.standard_normal((D, M)), b=rng.standard_normal(M),
                      dout=rng.standard_normal((shape[0], M)))
        obs, exp = probe.run(AFFINE_BWD_OBS, **inputs), probe.reference(AFFINE_BWD_OBS, **inputs)
        for k, hint in (("dx", "dx has the shape of x: reshape the (N, D) result back"), ("dw", "dw = x_flat.T @ dout"),
                        ("db", "the bias gradient sums dout over the batch")):
            _close(probe, obs[k], exp[k], f"affine_backward {k}", f"{k} for x of shape {shape} and w of shape {(D, M)}",
                   tol=1e-9, hint=hint)


RELU_FWD_OBS = """
before = x.copy()
out, _ = relu_forward(x)
__obs__ = {"out": out, "unchanged": np.array_equal(x, before)}
"""


def test_relu_forward(probe):
    rng = probe.rng("relu_forward")
    for shape in (_shape(rng, 1), _shape(rng, 3)):
        x = _log_uniform(rng, 0.01, 100.0) * rng.standard_normal(shape)
        obs, exp = probe.run(RELU_FWD_OBS, x=x), probe.reference(RELU_FWD_OBS, x=x)
        _close(probe, obs["out"], exp["out"], "relu_forward output", f"relu_forward for x of shape {shape}", tol=1e-12,
               hint="max(0, x) element-wise")
        assert obs["unchanged"], "relu_forward must not modify its input (the cache holds it)"


RELU_BWD_OBS = """
__obs__ = {"dx": relu_backward(dout, relu_forward(x)[1])}
"""


def test_relu_backward(probe):
    probe.domain("relu_backward: input values", "negative", "zero", "positive")
    rng = probe.rng("relu_backward")
    for shape in ((_int(rng, 3, 8), _int(rng, 3, 8)), _shape(rng, 3)):
        x = rng.standard_normal(shape)
        x = np.where(np.abs(x) < 1e-3, 0.5, x)
        x[np.unravel_index(rng.choice(x.size, size=max(1, x.size // 5), replace=False), shape)] = 0.0
        # inputs of both signs and exact zeros: "the gradient flows where the input was positive", so not at 0
        for kind, present in (("negative", (x < 0).any()), ("zero", (x == 0).any()), ("positive", (x > 0).any())):
            if present:
                probe.hit("relu_backward: input values", kind)
        inputs = dict(x=_log_uniform(rng, 0.01, 100.0) * x, dout=rng.standard_normal(shape))
        obs, exp = probe.run(RELU_BWD_OBS, **inputs), probe.reference(RELU_BWD_OBS, **inputs)
        _close(probe, obs["dx"], exp["dx"], "relu_backward dx", f"relu_backward's dx for x of shape {shape}", tol=1e-12,
               hint="the gradient passes where the *input* x was positive, whatever the sign of dout")


SOFTMAX_OBS = """
loss, d = softmax_loss(s, y)
loss_shift, d_shift = softmax_loss(s + shift, y)
loss_spread, d_spread = softmax_loss(s + spread, y)
__obs__ = {"loss": loss, "d": d, "loss_shift": loss_shift, "d_shift": d_shift, "loss_spread": loss_spread, "d_spread": d_spread}
"""


def test_softmax_loss(probe):
    rng = probe.rng("softmax_loss")
    probe.domain("softmax: batch", "rows shifted by different amounts")
    for scale, rows in ((_log_uniform(rng, 1e-4, 1e-2), (1, 12)), (_log_uniform(rng, 0.3, 5.0), (2, 12))):
        N, C = _int(rng, *rows), _int(rng, 2, 10)
        shift = rng.choice([-1.0, 1.0], size=(N, 1)) * rng.uniform(800.0, 3000.0, size=(N, 1))
        if N > 1:  # rows shifted up and down: a shift by the batch's maximum, not each row's, underflows
            shift[0], shift[-1] = abs(shift[0]), -abs(shift[-1])
        probe.hit("softmax: batch", "one row" if N == 1 else "rows shifted by different amounts")
        spread = rng.uniform(-1500.0, 1500.0, size=(N, C))  # scores far apart within each row
        inputs = dict(s=scale * rng.standard_normal((N, C)), y=rng.integers(C, size=N), shift=shift, spread=spread)
        obs, exp = probe.run(SOFTMAX_OBS, **inputs), probe.reference(SOFTMAX_OBS, **inputs)
        what = f"{N} x {C} scores of scale {scale:.2g}"
        _close(probe, obs["loss"], exp["loss"], "softmax loss", f"the softmax loss for {what}", tol=1e-9,
               hint="the mean over the batch of -log(softmax probability of the correct class)")
        _close(probe, obs["d"], exp["d"], "softmax dscores", f"softmax dscores for {what}", tol=1e-9,
               hint="(softmax probabilities - one-hot labels) / N")
        stable = "softmax is invariant to a per-row shift: subtract each row's own maximum before exponentiating"
        _close(probe, obs["loss_shift"], exp["loss"], "softmax loss after a large per-row shift",
               f"the softmax loss for {what} after adding a constant of size ~1000 (either sign) to each row", tol=1e-9,
               hint=stable)
        _close(probe, obs["d_shift"], exp["d"], "softmax dscores after a large per-row shift",
               f"softmax dscores for {what} after adding a constant of size ~1000 (either sign) to each row", tol=1e-6,
               hint=stable + " (in the gradient too)")
        wide = "np.exp overflows for score differences in the hundreds: subtract each row's maximum (not its minimum)"
        _close(probe, obs["loss_spread"], exp["loss_spread"], "softmax loss for scores ~1000 apart",
               f"the softmax loss for {what} plus offsets up to 1500 in each row", tol=1e-9, hint=wide)
        _close(probe, obs["d_spread"], exp["d_spread"], "softmax dscores for scores ~1000 apart",
               f"softmax dscores for {what} plus offsets up to 1500 in each row", tol=1e-6, hint=wide)


SVM_OBS = """
loss, d = svm_loss(s, y)
__obs__ = {"loss": loss, "d": d}
"""


def test_svm_loss(probe):
    rng = probe.rng("svm_loss")
    for scale in (_log_uniform(rng, 1e-4, 1e-2), _log_uniform(rng, 0.3, 3.0)):
        N, C = _int(rng, 1, 12), _int(rng, 2, 10)
        s = scale * rng.standard_normal((N, C))
        y = rng.integers(C, size=N)
        # no margin on the hinge's kink: |s_j - s_y + 1| >= 1e-3 for every wrong class j
        margin = s - s[np.arange(N), y][:, None] + 1.0
        s = s + np.where(np.abs(margin) < 1e-3, 2e-3, 0.0) * (np.arange(C)[None, :] != y[:, None])
        obs, exp = probe.run(SVM_OBS, s=s, y=y), probe.reference(SVM_OBS, s=s, y=y)
        what = f"{N} x {C} scores of scale {scale:.2g}"
        _close(probe, obs["loss"], exp["loss"], "SVM loss", f"the SVM loss for {what}", tol=1e-9,
               hint="sum over wrong classes of max(0, s_j - s_y + 1), averaged over the batch; the correct class adds nothing")
        _close(probe, obs["d"], exp["d"], "SVM dscores", f"SVM dscores for {what}", tol=1e-9,
               hint="+1/N for each wrong class with a positive margin, and minus their count / N for the correct class")


# ------------------------------------------------------------------ Part 3: FullyConnectedNet

FC_INIT_OBS = """
m = FullyConnectedNet([int(h) for h in hidden], input_dim=int(dims[0]), num_classes=int(dims[1]),
                      weight_scale=float(scale), seed=int(seed))
__obs__ = {"names": np.array(sorted(m.params)), **{"shape_" + k: np.array(v.shape) for k, v in m.params.items()},
           "b_abs": max([float(np.abs(v).max()) for k, v in m.params.items() if k.startswith("b") and v.size] + [0.0])}
"""

FC_SPREAD_OBS = """
m = FullyConnectedNet([int(h) for h in hidden], input_dim=int(dims[0]), num_classes=int(dims[1]),
                      weight_scale=float(scale), seed=int(seed))
__obs__ = {**{"std_" + k: np.std(v) for k, v in m.params.items() if k.startswith("W")},
           **{"mean_" + k: np.mean(v) for k, v in m.params.items() if k.startswith("W")}}
"""


FC_SEEDS_OBS = """
def weights(seed):
    m = FullyConnectedNet([int(h) for h in hidden], input_dim=int(dims[0]), num_classes=int(dims[1]),
                          weight_scale=float(scale), seed=int(seed))
    return [np.array(m.params[k]) for k in sorted(m.params) if k.startswith("W")]
a, b, c = (weights(s) for s in seeds)
__obs__ = {"same": all(np.array_equal(u, v) for u, v in zip(a, b)), "other": all(np.array_equal(u, v) for u, v in zip(a, c))}
"""


def test_fc_init(probe):
    rng = probe.rng("fc_init")
    cases = [[_int(rng, 1, 8) for _ in range(depth)] for depth in (0, _int(rng, 1, 2), _int(rng, 3, 5))]
    for hidden in cases:
        dims, scale = (_int(rng, 2, 12), _int(rng, 2, 10)), _log_uniform(rng, 1e-3, 1.0)
        inputs = dict(hidden=np.array(hidden, dtype=int), dims=np.array(dims), scale=scale, seed=_seed(rng))
        obs, exp = probe.run(FC_INIT_OBS, **inputs), probe.reference(FC_INIT_OBS, **inputs)
        net = f"hidden_dims={hidden}, input_dim={dims[0]}, num_classes={dims[1]}"
        assert list(obs["names"]) == list(exp["names"]), f"{net}: params should have keys {list(exp['names'])}, got {list(obs['names'])}"
        for k in exp:
            if k.startswith("shape_"):
                assert tuple(np.atleast_1d(obs[k])) == tuple(exp[k]), \
                    f"{net}: {k[6:]} has shape {tuple(np.atleast_1d(obs[k]))}, expected {tuple(exp[k])}"
        assert float(obs["b_abs"]) == 0.0, f"{net}: biases should start at zero"
    # the constructor's generator: the same seed gives the same weights, another seed other weights
    hidden, dims, scale, seed = [_int(rng, 2, 6)], (_int(rng, 2, 8), _int(rng, 2, 6)), _log_uniform(rng, 1e-3, 1.0), _seed(rng)
    twice = probe.run(FC_SEEDS_OBS, hidden=np.array(hidden), dims=np.array(dims), scale=scale, seeds=np.array([seed, seed, seed + 1]))
    net = f"hidden_dims={hidden}, input_dim={dims[0]}, num_classes={dims[1]}"
    assert bool(twice["same"]), (f"{net}: two networks built with seed={seed} have different weights: draw them with the "
                                 "generator `rng` the constructor creates from the seed, not with np.random")
    assert not bool(twice["other"]), f"{net}: networks built with seeds {seed} and {seed + 1} have the same weights"
    # large layers: the spread of every weight matrix, measured
    # (a scale of at most 0.3, so that a matrix drawn with scale 1 -- weight_scale forgotten -- is
    # at least 3x off: with scales up to 1, 1 run in 15 let that bug pass)
    # (three hidden layers: a scale forgotten in a deeper layer, as for W4, shows too)
    hidden = [_int(rng, 100, 160) for _ in range(3)]  # >= 15000 weights a matrix: both estimates within ~0.01
    dims, scale = (_int(rng, 150, 250), _int(rng, 150, 250)), _log_uniform(rng, 1e-3, 0.3)
    inputs = dict(hidden=np.array(hidden), dims=np.array(dims), scale=scale, seed=_seed(rng))
    obs = probe.run(FC_SPREAD_OBS, **inputs)
    for i in range(1, len(hidden) + 2):
        std, mean = float(obs[f"std_W{i}"]), float(obs[f"mean_W{i}"])
        msg = (f"W{i} of a network with hidden_dims={hidden} and weight_scale={scale:.3g} has mean {mean:.3g} and "
               f"standard deviation {std:.3g}: every weight matrix should be drawn from N(0, weight_scale**2)")
        probe.below("weight std / weight_scale - 1", abs(std / scale - 1.0), 0.25, msg)
        probe.below("weight mean / weight_scale", abs(mean / scale), 0.3, msg)


FC_LOSS_OBS = """
import json
dt = np.dtype(str(dtype))
m = FullyConnectedNet([int(h) for h in hidden], input_dim=X.shape[1], num_classes=int(C), reg=float(reg),
                      weight_scale=0.5, seed=int(seed), dtype=dt.type)
for i in range(len(hidden) + 1):
    m.params["W%d" % (i + 1)] = Ws[i, :m.params["W%d" % (i + 1)].shape[0], :m.params["W%d" % (i + 1)].shape[1]].astype(dt)
    m.params["b%d" % (i + 1)] = bs[i, :m.params["b%d" % (i + 1)].shape[0]].astype(dt)
loss, grads = m.loss(X, y)
scores = m.loss(X)
__obs__ = {"scores": scores, "loss": loss, **{"d" + k: v for k, v in grads.items()},
           "dtypes": json.dumps({"scores": str(np.asarray(scores).dtype),
                                 **{k: str(np.asarray(v).dtype) for k, v in grads.items()}}, sort_keys=True)}
"""


def test_fc_loss(probe):
    rng = probe.rng("fc_loss")
    # a float64 model three times, then a float32 one fed float64 data: it computes, and answers, in float32
    probe.domain("fc: model dtype", "float64", "float32")
    for depth, reg, dtype in ((_int(rng, 0, 1), 0.0, "float64"), (_int(rng, 0, 1), _log_uniform(rng, 0.05, 3.0), "float64"),
                              (_int(rng, 2, 3), _log_uniform(rng, 0.05, 3.0), "float64"),
                              (_int(rng, 1, 2), _log_uniform(rng, 0.05, 3.0), "float32")):
        probe.hit("fc: model dtype", dtype)
        tol = 1e-9 if dtype == "float64" else 2e-4
        hidden = [_int(rng, 2, 8) for _ in range(depth)]
        # two examples or more in the first two cases (a loss summed instead of averaged is right for
        # one example: 1 run in 200 drew one example three times); the deep case may draw a single one
        C, D, N = _int(rng, 2, 6), _int(rng, 2, 8), _int(rng, 2, 6) if depth < 2 else _int(rng, 1, 6)
        inputs = dict(hidden=np.array(hidden, dtype=int), C=C, reg=reg, seed=_seed(rng), X=rng.standard_normal((N, D)),
                      y=rng.integers(C, size=N), Ws=0.6 * rng.standard_normal((depth + 1, 8, 8)),
                      bs=0.5 * rng.standard_normal((depth + 1, 8)), dtype=dtype)
        obs, exp = probe.run(FC_LOSS_OBS, **inputs), probe.reference(FC_LOSS_OBS, **inputs)
        net = (f"a {depth + 1}-layer net (hidden_dims={hidden}, D={D}, C={C}, {N} examples, reg={reg:.4g}"
               + (", dtype=np.float32, fed float64 data)" if dtype == "float32" else ")"))
        got_types, want_types = json.loads(str(obs["dtypes"])), json.loads(str(exp["dtypes"]))
        assert got_types == want_types, (
            f"{net}: the scores and gradients have dtypes {got_types}, expected {want_types}: cast the input to the "
            "model's dtype (X.astype(self.dtype)) so that a float32 model computes in float32")
        if dtype == "float32":  # float32 rounding: compared against each array's scale, not entry by entry
            for k in ["scores", "loss"] + [k for k in exp if k.startswith("d") and k != "dtypes"]:
                assert k in obs, f"{net}: grads has no entry {k[1:]!r}"
                a, b = np.asarray(obs[k], np.float64), np.asarray(exp[k], np.float64)
                err = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)) if a.shape == b.shape else np.inf
                probe.below("FC float32 model vs reference (of scale)", err, 1e-3,
                            f"{net}: {k} differs from the reference's by {err:.1e} of its scale")
            continue
        _close(probe, obs["scores"], exp["scores"], "FC scores", f"the scores of {net}", tol=tol)
        _close(probe, obs["loss"], exp["loss"], "FC loss", f"the loss of {net}", tol=tol,
               hint="softmax loss plus 0.5 * reg * sum(W**2) over every weight matrix W1 ... WL")
        for k in exp:
            if k.startswith("d") and k != "dtypes":
                assert k in obs, f"{net}: grads has no entry {k[1:]!r}"
                _close(probe, obs[k], exp[k], "FC gradients", f"gradient {k[1:]} of {net}", tol=max(tol, 1e-7),
                       hint="walk the caches backwards; every weight gradient gets + reg * W")


# ------------------------------------------------------------------ Part 4: real data

OVERFIT_OBS = """
X50, y50 = small_data["X_train"], small_data["y_train"]
__obs__ = {"X": X50, "y": y50, "history": np.asarray(solver.train_acc_history, dtype=float),
           "n_epochs": solver.epoch, "scores_in_order": np.asarray(overfit_model.loss(X50[order.astype(int)]), dtype=float),
           **{k: v for k, v in overfit_model.params.items()}}
"""


def test_overfit_small(probe):
    # the examples in an order drawn for this run: the model's own scores in that order tie the
    # observations to the trained model (a table of another run's observations cannot answer)
    order = probe.rng("test_overfit_small").permutation(50)
    obs = probe.run(OVERFIT_OBS, order=order)
    X, y = np.asarray(obs["X"], dtype=float), np.asarray(obs["y"])
    assert X.shape[0] == 50, "small_data should hold the first 50 training examples"
    params = {k: np.asarray(v, dtype=float) for k, v in obs.items() if k[0] in "Wb" and k[1:].isdigit()}
    # accuracy of the trained parameters, computed here: {affine - ReLU} x (L - 1) - affine
    L = len(params) // 2
    scores = X
    for i in range(1, L + 1):
        scores = scores @ params[f"W{i}"] + params[f"b{i}"]
        scores = np.maximum(scores, 0.0) if i < L else scores
    acc = float(np.mean(np.argmax(scores, axis=1) == y))
    _close(probe, obs["scores_in_order"], scores[order], "overfit: model scores", "overfit_model's scores on its 50 examples",
           1e-6, "overfit_model.loss(X) should give the scores of its own parameters")
    history = np.atleast_1d(obs["history"])
    assert history.size and history[-1] == 1.0, ("the network should reach 100 % training accuracy on the 50 examples "
                                                 f"by the last epoch (got {history[-1] if history.size else 'nothing'}): "
                                                 "try a larger learning rate or another weight scale")
    # the Solver keeps the best-validation epoch's parameters, whose training accuracy it recorded
    probe.below("kept parameters' accuracy vs the recorded epochs", float(np.min(np.abs(history - acc))), 1e-9,
                f"the model's parameters classify {acc:.0%} of the 50 examples, which matches no epoch of "
                "solver.train_acc_history")


TUNE_OBS = """
best_net, best_val, results = tune_two_layer_net(
    {"X_train": Xa, "y_train": ya, "X_val": Xb, "y_val": yb}, hidden_size=int(hidden), learning_rates=[float(v) for v in lrs],
    regs=[float(v) for v in regs], num_iters=int(iters), batch_size=int(bs), learning_rate_decay=float(decay), seed=int(seed))
keys = sorted(results)
vals = np.array([results[k] for k in keys], dtype=float)
# the returned network must be the one trained for its configuration: train each best configuration again here
again, tied = [], []
for i, ((lr, reg), (_, val)) in enumerate(zip(keys, vals)):
    if val == max(vals[:, 1]):
        tied.append(i)
        net = TwoLayerNet(Xa.shape[1], int(hidden), int(max(ya.max(), yb.max())) + 1, std=1e-4, seed=int(seed))
        net.train(Xa, ya, Xb, yb, learning_rate=lr, learning_rate_decay=float(decay), reg=reg, num_iters=int(iters),
                  batch_size=int(bs))
        again.append(max(float(np.max(np.abs(net.params[k] - best_net.params[k]))) for k in net.params))
__obs__ = {"best_val": best_val, "keys": np.array(keys, dtype=float), "vals": vals, "again": np.array(again), "tied": np.array(tied, dtype=int),
           **{"best_" + k: v for k, v in best_net.params.items()}}
"""


def _blobs(rng, C, D, n_train, n_val, spread, mislabelled_val=0):
    """Gaussian classes around well-separated centres (``spread`` apart along orthogonal directions);
    ``mislabelled_val`` validation examples carry another class's label, so that a network that fits the
    classes scores 100 % on the training set and less on the validation set (the two cannot be confused)."""
    centres = spread * np.linalg.qr(rng.standard_normal((D, D)))[0][:C]
    ya, yb = rng.integers(C, size=n_train), rng.integers(C, size=n_val)
    Xb = centres[yb] + rng.standard_normal((n_val, D))
    wrong = rng.permutation(n_val)[:mislabelled_val]
    yb[wrong] = (yb[wrong] + rng.integers(1, C, size=wrong.size)) % C
    return dict(Xa=centres[ya] + rng.standard_normal((n_train, D)), ya=ya, Xb=Xb, yb=yb)


def _tune_case(rng, order: str):
    """One grid search on well-separated classes: a good learning rate reaches 100 % from the tiny
    initialisation, and the useless 1e-7 comes last in the grid ("bad last": returning the last network
    fails) or first ("bad first": returning the first fails). The case is drawn again until the reference
    tells the two apart: its best network reaches 85 % (the check asks for 70 %: a good learning rate
    with a short schedule can stall below that) and its 1e-7 networks, which stay at their
    initialisation, score at least 10 points less (a lucky initialisation classifies as well as a
    trained network, and then returning the last or the first network is right by chance)."""
    for _ in range(50):
        C, D = _int(rng, 2, 3), _int(rng, 5, 8)
        good = _log_uniform(rng, 0.4, 1.2)
        lrs = [good, 1e-7] if order == "bad last" else [1e-7, good]
        regs = [_log_uniform(rng, 1e-4, 1e-2) for _ in range(2 if order == "bad last" else 1)]
        data = _blobs(rng, C, D, 100, 100, 10.0, mislabelled_val=5)
        inputs = dict(lrs=np.array(lrs), regs=np.array(regs), iters=_int(rng, 30, 45), bs=_int(rng, 15, 30),
                      hidden=_int(rng, 8, 14), decay=float(rng.uniform(0.8, 0.99)), seed=_seed(rng), **data)
        _, best, results = ref.tune_two_layer_net(
            {"X_train": data["Xa"], "y_train": data["ya"], "X_val": data["Xb"], "y_val": data["yb"]},
            hidden_size=inputs["hidden"], learning_rates=lrs, regs=regs, num_iters=inputs["iters"],
            batch_size=inputs["bs"], learning_rate_decay=inputs["decay"], seed=inputs["seed"])
        if best >= 0.85 and max(val for (lr, _), (_, val) in results.items() if lr == 1e-7) <= best - 0.1:
            return inputs, C, lrs, regs
    raise RuntimeError(f"no {order!r} grid in 50 draws trains well and separates the useless learning rate from the good one")


def test_tune_two_layer_net(probe):
    rng = probe.rng("tune_two_layer_net")
    attainable = 0.95  # 5 of the 100 validation labels are wrong
    for order in ("bad last", "bad first"):
        inputs, C, lrs, regs = _tune_case(rng, order)
        data, D = inputs, inputs["Xa"].shape[1]
        obs = probe.run(TUNE_OBS, **inputs)
        what = (f"tune_two_layer_net(learning_rates={[float(f'{v:.3g}') for v in lrs]}, regs={[float(f'{v:.3g}') for v in regs]}, "
                f"num_iters={inputs['iters']}, batch_size={inputs['bs']}, hidden_size={inputs['hidden']})")
        grid = sorted((lr, reg) for lr in lrs for reg in regs)
        keys = [tuple(k) for k in np.atleast_2d(obs["keys"])]
        assert len(keys) == len(grid) and np.allclose(keys, grid, rtol=1e-12, atol=0), \
            f"{what}: results should have one entry per (learning_rate, reg) pair of the grid"
        vals = np.atleast_2d(obs["vals"])
        assert vals.shape == (len(grid), 2) and np.all((vals >= 0) & (vals <= 1)), \
            f"{what}: results values should be (train_acc, val_acc) fractions"
        best_val = float(obs["best_val"])
        probe.below("best_val vs the best validation accuracy in results", abs(best_val - vals[:, 1].max()), 1e-12,
                    f"{what}: best_val ({best_val:.4f}) should be the highest validation accuracy in results ({vals[:, 1].max():.4f})")
        probe.below("best validation accuracy below the attainable 0.95", max(attainable - best_val, 0.0), 0.25,
                    f"{what}: the best validation accuracy should reach {attainable - 0.25:.2f} on these well-separated "
                    f"classes, got {best_val:.3f}")
        net = ref.TwoLayerNet(D, inputs["hidden"], C)
        net.params = {k[5:]: np.asarray(v, dtype=float) for k, v in obs.items() if k.startswith("best_")}
        measured = float(np.mean(net.predict(data["Xb"]) == data["yb"]))
        probe.below("returned network's validation accuracy vs best_val", abs(measured - best_val), 1e-12,
                    f"{what}: the returned network scores {measured:.4f} on the validation set but best_val is {best_val:.4f}: "
                    "return the trained network you measured, not a new or a later one")
        again, tied = np.atleast_1d(obs["again"]), np.atleast_1d(obs["tied"])
        if again.size and again.size == tied.size:  # the results entry of the configuration that gave the network
            i = int(tied[int(np.argmin(again))])
            trained = float(np.mean(net.predict(data["Xa"]) == data["ya"]))
            probe.below("results entry of the returned network vs its accuracies", float(np.max(np.abs(vals[i] - [trained, measured]))),
                        1e-12, f"{what}: results[({keys[i][0]:.3g}, {keys[i][1]:.3g})] is {tuple(np.round(vals[i], 4).tolist())}, but that network's "
                               f"(train_acc, val_acc) is ({trained:.4f}, {measured:.4f}): store (training accuracy, "
                               "validation accuracy), each measured on its own split")
        probe.below("returned network vs its configuration trained again", float(np.min(again)) if again.size else np.inf,
                    1e-12, f"{what}: the returned network is not what TwoLayerNet(input_size, hidden_size, num_classes, "
                           "std=1e-4, seed=seed).train(...) gives for its (learning_rate, reg) with the given num_iters, "
                           "batch_size and learning_rate_decay: train every configuration with all the settings passed in")


# ------------------------------------------------------------------ kernel-free runs of the checks

# The notebook as it stands before a variant's cells replace some of it: the given cells' names
# (setup's imports, the toy problem, the affine-ReLU sandwich, load_data in the smoke profile) and
# the reference answers of every other cell, defined *in the namespace* as in the kernel (so that
# tune_two_layer_net trains the namespace's TwoLayerNet, FullyConnectedNet uses its layers). Executed
# before a variant's cells in kernel-free tests (tests/test_check_draws.py); the overfitting cell,
# which trains, runs in :func:`_overfit_state`.
VARIANT_PRELUDE = '''
import numpy as np
from coursekit import data as course_data
from coursekit.flat import flat_splits
from coursekit.solver import Solver

PROFILE = "smoke"
SETTINGS = dict(dataset="fashion-mnist", n_train=5000, n_val=1000, n_test=1000, image_shape=(28, 28))
train_split, test_split = course_data.load(SETTINGS["dataset"], numpy=True)
data = flat_splits(train_split, test_split, n_train=SETTINGS["n_train"], n_val=SETTINGS["n_val"],
                   n_test=SETTINGS["n_test"], seed=0)
INPUT_DIM, NUM_CLASSES = data["X_train"].shape[1], int(data["y_train"].max()) + 1


def __notebook_cells__():
    from autograder import chapters
    from autograder.build import reference_code
    for cell in chapters.load("two_layer_net").cells:
        if cell.role == "solution" and cell.grade_id != "overfit_small":
            yield reference_code(cell.source)
        elif cell.role == "given" and cell.grade_id in ("toy_problem", "affine_relu"):
            yield cell.source


for __source__ in __notebook_cells__():
    exec(compile(__source__, "<two_layer_net notebook cell>", "exec"), globals())
del __source__, __notebook_cells__
'''


class _NoPlots:
    """``plt`` for a notebook cell run outside a kernel: every call does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _overfit_state(namespace: dict) -> dict:
    """What the notebook's overfitting cell leaves behind (``small_data``, ``overfit_model``,
    ``solver``): the state ``test_overfit_small`` reads. A variant's namespace already ran its own
    overfit cell (after :data:`VARIANT_PRELUDE`); otherwise the reference cell runs here, on the
    namespace's ``FullyConnectedNet``, after the given cells."""
    names = ("small_data", "overfit_model", "solver")
    if all(n in namespace for n in names):
        return {n: namespace[n] for n in names}
    from autograder import chapters

    ns = dict(namespace)
    exec(compile(VARIANT_PRELUDE, "<two_layer_net prelude>", "exec"), ns)
    ns["plt"] = _NoPlots()
    exec(compile(chapters.load("two_layer_net").solutions["overfit_small"], "<overfit_small>", "exec"), ns)
    return {n: ns[n] for n in names}


# check name -> (namespace -> notebook state it reads beyond the student's functions), for kernel-free tests of the checks
NOTEBOOK_STATE = {"test_overfit_small": _overfit_state}
