"""Trusted hidden tests of two_layer_net (see :mod:`autograder.chapters` and :mod:`autograder.trusted`).

Each check names the quantity it compares and says what is wrong; expected values come from
:mod:`solutions.two_layer_net`, evaluated in the grading process.
"""
import numpy as np

from coursekit.checks import check_close, check_shape

import solutions.two_layer_net as ref

REFERENCE = {name: getattr(ref, name) for name in ref.__all__}


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ Part 1: TwoLayerNet

NET_OBS = """
net = TwoLayerNet(int(dims[0]), int(dims[1]), int(dims[2]), std=float(std), seed=int(seed))
__obs__ = {"W1": net.params["W1"], "W2": net.params["W2"], "scores": net.loss(X)}
"""


def test_two_layer_scores(probe):
    rng = _rng(101)
    for dims, std, seed in (((4, 10, 3), 0.1, 0), ((6, 8, 4), 0.5, 3), ((7, 5, 2), 1.0, 11)):
        X = 10 * rng.standard_normal((5, dims[0]))
        inputs = dict(dims=np.array(dims), std=std, seed=seed, X=X)
        obs, exp = probe.run(NET_OBS, **inputs), probe.reference(NET_OBS, **inputs)
        check_shape(obs["scores"], exp["scores"].shape, f"scores of a {dims} network")
        check_close(obs["scores"], exp["scores"], f"scores of a {dims} network", tol=1e-7,
                    hint="scores = relu(X @ W1 + b1) @ W2 + b2, with the ReLU on the hidden layer only")


LOSS_OBS = """
net = TwoLayerNet(int(dims[0]), int(dims[1]), int(dims[2]), std=float(std), seed=int(seed))
net.params["b1"] = b1.copy(); net.params["b2"] = b2.copy()
loss0 = net.loss(X, y, reg=0.0)[0]
loss_reg = net.loss(X, y, reg=float(reg))[0]
net.params["b2"] = net.params["b2"] + 800.0
loss_shift = net.loss(X, y, reg=0.0)[0]
__obs__ = {"loss0": loss0, "loss_reg": loss_reg, "loss_shift": loss_shift,
           "penalty": 0.5 * float(reg) * (np.sum(net.params["W1"] ** 2) + np.sum(net.params["W2"] ** 2))}
"""


def test_two_layer_loss(probe):
    rng = _rng(102)
    # the toy problem of the notebook, then other sizes and regularisation strengths
    toy_X = 10 * np.random.RandomState(1).randn(5, 4)
    cases = [(np.array([4, 10, 3]), 0.1, 0, toy_X, np.array([0, 1, 2, 2, 1]), 0.05, np.zeros(10), np.zeros(3))]
    for dims, std in (((6, 8, 4), 0.5), ((3, 12, 5), 0.3)):
        cases.append((np.array(dims), std, 3, rng.standard_normal((7, dims[0])) * 3, rng.integers(dims[2], size=7),
                      0.7, 0.1 * rng.standard_normal(dims[1]), 0.1 * rng.standard_normal(dims[2])))
    for dims, std, seed, X, y, reg, b1, b2 in cases:
        inputs = dict(dims=dims, std=std, seed=seed, X=X, y=y, reg=reg, b1=b1, b2=b2)
        obs, exp = probe.run(LOSS_OBS, **inputs), probe.reference(LOSS_OBS, **inputs)
        check_close(obs["loss0"], exp["loss0"], f"loss without regularisation ({tuple(dims)} network)", tol=1e-9,
                    hint="the data loss is the mean over the batch of -log(softmax probability of the correct class)")
        check_close(obs["loss_reg"] - obs["loss0"], obs["penalty"], f"the regularisation term at reg={reg}", tol=1e-9,
                    hint="0.5 * reg * (sum(W1**2) + sum(W2**2)); biases are not regularised")
        check_close(obs["loss_shift"], obs["loss0"], "the loss after adding 800 to every score", tol=1e-9,
                    hint="np.exp(800) overflows: subtract each row's maximum score before exponentiating")


GRAD_OBS = """
net = TwoLayerNet(int(dims[0]), int(dims[1]), int(dims[2]), std=float(std), seed=int(seed))
net.params["W1"], net.params["b1"], net.params["W2"], net.params["b2"] = W1.copy(), b1.copy(), W2.copy(), b2.copy()
loss, grads = net.loss(X, y, reg=float(reg))
__obs__ = {"loss": loss, **{"d" + k: grads[k] for k in ("W1", "b1", "W2", "b2")}}
"""


def test_two_layer_gradients(probe):
    rng = _rng(103)
    for (D, H, C), reg in (((4, 10, 3), 0.05), ((6, 8, 4), 0.0), ((5, 7, 3), 0.7)):
        inputs = dict(dims=np.array([D, H, C]), std=0.1, seed=0, reg=reg, X=3 * rng.standard_normal((6, D)),
                      y=rng.integers(C, size=6), W1=0.5 * rng.standard_normal((D, H)), b1=0.5 + 0.1 * rng.standard_normal(H),
                      W2=0.5 * rng.standard_normal((H, C)), b2=0.1 * rng.standard_normal(C))
        obs, exp = probe.run(GRAD_OBS, **inputs), probe.reference(GRAD_OBS, **inputs)
        for k in ("W1", "b1", "W2", "b2"):
            check_shape(obs["d" + k], exp["d" + k].shape, f"grads[{k!r}]")
            check_close(obs["d" + k], exp["d" + k], f"gradient {k} (reg={reg})", tol=1e-7,
                        hint="compare each step of your backward pass with the derivative of the forward pass")


TRAIN_OBS = """
def trained(decay, iters):
    n = TwoLayerNet(5, 6, 3, std=0.1, seed=11)
    s = n.train(X, y, X, y, learning_rate=0.5, learning_rate_decay=float(decay), reg=0.01,
                num_iters=int(iters), batch_size=10)
    return n.params, s
p1, _ = trained(1.0, 4); p2, _ = trained(0.5, 4)
p3, s3 = trained(0.0, 8); p4, _ = trained(0.0, 4); p5, _ = trained(1.0, 8)
toy = TwoLayerNet(4, 10, 3, std=1e-1, seed=0)
toy_stats = toy.train(toy_X, toy_y, toy_X, toy_y, learning_rate=1e-1, reg=5e-6, num_iters=100, batch_size=200)
__obs__ = {"same_first_epoch": all(np.allclose(p1[k], p2[k]) for k in p1),
           "frozen_second_epoch": all(np.allclose(p3[k], p4[k]) for k in p3),
           "moves_second_epoch": any(not np.allclose(p5[k], p4[k]) for k in p5),
           "n_val": len(s3["val_acc_history"]), "n_loss": len(s3["loss_history"]),
           "toy_losses": np.asarray(toy_stats["loss_history"], dtype=float),
           "toy_scores": toy.loss(toy_X)}
"""


def test_two_layer_train(probe):
    rs = np.random.RandomState(7)
    inputs = dict(X=rs.randn(40, 5), y=rs.randint(3, size=40), toy_X=10 * np.random.RandomState(1).randn(5, 4),
                  toy_y=np.array([0, 1, 2, 2, 1]))
    obs = probe.run(TRAIN_OBS, **inputs)
    assert obs["same_first_epoch"], "the learning rate changed within the first epoch: decay it once per epoch, not every iteration"
    assert obs["frozen_second_epoch"], ("with learning_rate_decay=0 the parameters still changed in the second epoch: "
                                        "multiply the learning rate by the decay after each epoch")
    assert obs["moves_second_epoch"], "with decay 1.0 the second epoch should still change the parameters"
    assert int(obs["n_val"]) == 2, f"record the accuracies once per epoch (2 epochs gave {int(obs['n_val'])} entries)"
    assert int(obs["n_loss"]) == 8, "loss_history should hold one loss per iteration"
    losses = np.asarray(obs["toy_losses"], dtype=float)
    assert losses.shape == (100,) and np.all(np.isfinite(losses)), "loss_history should hold 100 finite losses"
    assert losses[-1] < 0.05, f"on the toy problem the loss should fall below 0.05 in 100 iterations (got {losses[-1]:.3f})"
    # the trained toy network must be the network the losses describe: its own scores reach a low loss
    scores = np.asarray(obs["toy_scores"], dtype=float)
    y = inputs["toy_y"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    ce = -np.mean(shifted[np.arange(5), y] - np.log(np.exp(shifted).sum(axis=1)))
    assert ce < 0.1, "after training, the toy network's own scores should fit the toy labels"


PREDICT_OBS = """
net = TwoLayerNet(6, 8, 4, std=0.5, seed=3)
__obs__ = {"pred": net.predict(X), "scores": net.loss(X)}
"""


def test_two_layer_predict(probe):
    X = _rng(104).standard_normal((9, 6))
    obs, exp = probe.run(PREDICT_OBS, X=X), probe.reference(PREDICT_OBS, X=X)
    pred = np.asarray(obs["pred"])
    check_shape(pred, (9,), "predict(X) for 9 inputs")
    assert np.issubdtype(pred.dtype, np.integer), "predict should return integer class indices"
    assert np.array_equal(pred, exp["pred"]), "predict should return the index of the highest score in each row"


# ------------------------------------------------------------------ Part 2: layers

AFFINE_FWD_OBS = """
before = x.copy()
out, cache = affine_forward(x, w, b)
__obs__ = {"out": out, "unchanged": np.array_equal(x, before)}
"""


def test_affine_forward(probe):
    rng = _rng(105)
    for shape in [(2, 3, 4), (4, 6), (1, 6), (3, 2, 3), (2, 1, 2, 3)]:
        D = int(np.prod(shape[1:]))
        inputs = dict(x=rng.standard_normal(shape), w=rng.standard_normal((D, 5)), b=rng.standard_normal(5))
        obs, exp = probe.run(AFFINE_FWD_OBS, **inputs), probe.reference(AFFINE_FWD_OBS, **inputs)
        check_close(obs["out"], exp["out"], f"affine_forward for input shape {shape}", tol=1e-9,
                    hint="flatten each example to a row of length D, then x @ w + b")
        assert obs["unchanged"], "affine_forward must not modify its input"


AFFINE_BWD_OBS = """
dx, dw, db = affine_backward(dout, affine_forward(x, w, b)[1])
__obs__ = {"dx": dx, "dw": dw, "db": db}
"""


def test_affine_backward(probe):
    rng = _rng(106)
    for shape in [(4, 2, 3), (7, 4), (1, 2, 2), (3, 2, 1, 2)]:
        D = int(np.prod(shape[1:]))
        inputs = dict(x=rng.standard_normal(shape), w=rng.standard_normal((D, 3)), b=rng.standard_normal(3),
                      dout=rng.standard_normal((shape[0], 3)))
        obs, exp = probe.run(AFFINE_BWD_OBS, **inputs), probe.reference(AFFINE_BWD_OBS, **inputs)
        for k, hint in (("dx", "dx has the shape of x: reshape the (N, D) result back"), ("dw", "dw = x_flat.T @ dout"),
                        ("db", "the bias gradient sums dout over the batch")):
            check_shape(obs[k], exp[k].shape, f"{k} for input shape {shape}")
            check_close(obs[k], exp[k], f"{k} for input shape {shape}", tol=1e-9, hint=hint)


RELU_FWD_OBS = """
before = x.copy()
out, _ = relu_forward(x)
__obs__ = {"out": out, "unchanged": np.array_equal(x, before)}
"""


def test_relu_forward(probe):
    for x in (np.linspace(-0.5, 0.5, num=12).reshape(3, 4), _rng(107).standard_normal((2, 3, 4))):
        obs, exp = probe.run(RELU_FWD_OBS, x=x), probe.reference(RELU_FWD_OBS, x=x)
        check_close(obs["out"], exp["out"], f"relu_forward for shape {x.shape}", tol=1e-12)
        assert obs["unchanged"], "relu_forward must not modify its input (the cache holds it)"


RELU_BWD_OBS = """
__obs__ = {"dx": relu_backward(dout, relu_forward(x)[1])}
"""


def test_relu_backward(probe):
    rng = _rng(108)
    for shape in [(6, 5), (4, 3, 5)]:
        x = rng.standard_normal(shape)
        x[np.abs(x) < 1e-3] = 0.5
        inputs = dict(x=x, dout=rng.standard_normal(shape))
        obs, exp = probe.run(RELU_BWD_OBS, **inputs), probe.reference(RELU_BWD_OBS, **inputs)
        check_close(obs["dx"], exp["dx"], f"ReLU dx for shape {shape}", tol=1e-12,
                    hint="the gradient passes where the *input* x was positive, whatever the sign of dout")


SOFTMAX_OBS = """
loss, d = softmax_loss(s, y)
loss_shift, d_shift = softmax_loss(s + shift, y)
__obs__ = {"loss": loss, "d": d, "loss_shift": loss_shift, "d_shift": d_shift}
"""


def test_softmax_loss(probe):
    rng = _rng(109)
    for scale, (N, C) in ((1e-3, (50, 10)), (1.0, (6, 4)), (3.0, (8, 5))):
        inputs = dict(s=scale * rng.standard_normal((N, C)), y=rng.integers(C, size=N), shift=1000 * rng.standard_normal((N, 1)))
        obs, exp = probe.run(SOFTMAX_OBS, **inputs), probe.reference(SOFTMAX_OBS, **inputs)
        check_close(obs["loss"], exp["loss"], f"softmax loss (scores of scale {scale})", tol=1e-9,
                    hint="the mean over the batch of -log(softmax probability of the correct class)")
        check_close(obs["d"], exp["d"], f"softmax dscores (scores of scale {scale})", tol=1e-7,
                    hint="(softmax probabilities - one-hot labels) / N")
        check_close(obs["loss_shift"], exp["loss"], "softmax loss after adding a large constant to each row", tol=1e-8,
                    hint="softmax is invariant to a per-row shift: subtract each row's own maximum")


SVM_OBS = """
loss, d = svm_loss(s, y)
__obs__ = {"loss": loss, "d": d}
"""


def test_svm_loss(probe):
    rng = _rng(110)
    for scale, (N, C) in ((1e-3, (50, 10)), (2.0, (8, 5)), (1.0, (4, 3))):
        s = scale * rng.standard_normal((N, C))
        inputs = dict(s=s, y=rng.integers(C, size=N))
        obs, exp = probe.run(SVM_OBS, **inputs), probe.reference(SVM_OBS, **inputs)
        check_close(obs["loss"], exp["loss"], f"SVM loss (scores of scale {scale})", tol=1e-9,
                    hint="sum over wrong classes of max(0, s_j - s_y + 1), averaged over the batch; the correct class adds nothing")
        check_close(obs["d"], exp["d"], f"SVM dscores (scores of scale {scale})", tol=1e-9)


# ------------------------------------------------------------------ Part 3: FullyConnectedNet

FC_INIT_OBS = """
m = FullyConnectedNet([int(h) for h in hidden], input_dim=int(dims[0]), num_classes=int(dims[1]),
                      weight_scale=float(scale), seed=1)
__obs__ = {"names": np.array(sorted(m.params)), **{"shape_" + k: np.array(v.shape) for k, v in m.params.items()},
           "w_std": np.std(m.params["W1"]), "w_mean": np.mean(m.params["W1"]),
           "b_abs": max(float(np.abs(v).max()) for k, v in m.params.items() if k.startswith("b"))}
"""


def test_fc_init(probe):
    for hidden, dims, scale in (([], (9, 4), 0.3), ([4], (9, 4), 0.3), ([3, 5, 2, 6], (9, 4), 0.3), ([200, 200], (300, 10), 0.05)):
        inputs = dict(hidden=np.array(hidden, dtype=int), dims=np.array(dims), scale=scale)
        obs, exp = probe.run(FC_INIT_OBS, **inputs), probe.reference(FC_INIT_OBS, **inputs)
        assert list(obs["names"]) == list(exp["names"]), f"hidden_dims={hidden}: params should have keys {list(exp['names'])}, got {list(obs['names'])}"
        for k in exp:
            if k.startswith("shape_"):
                assert tuple(obs[k]) == tuple(exp[k]), f"hidden_dims={hidden}: {k[6:]} has shape {tuple(obs[k])}, expected {tuple(exp[k])}"
        assert float(obs["b_abs"]) == 0.0, "biases should start at zero"
        if hidden == [200, 200]:
            assert abs(float(obs["w_std"]) - scale) < 0.1 * scale and abs(float(obs["w_mean"])) < 0.1 * scale, \
                "weights should be drawn from N(0, weight_scale**2)"


FC_LOSS_OBS = """
m = FullyConnectedNet([int(h) for h in hidden], input_dim=X.shape[1], num_classes=int(C), reg=float(reg),
                      weight_scale=0.5, seed=5)
for i in range(len(hidden) + 1):
    m.params["W%d" % (i + 1)] = Ws[i, :m.params["W%d" % (i + 1)].shape[0], :m.params["W%d" % (i + 1)].shape[1]].copy()
    m.params["b%d" % (i + 1)] = bs[i, :m.params["b%d" % (i + 1)].shape[0]].copy()
loss, grads = m.loss(X, y)
__obs__ = {"scores": m.loss(X), "loss": loss, **{"d" + k: v for k, v in grads.items()}}
"""


def test_fc_loss(probe):
    rng = _rng(111)
    for hidden, reg in (([], 0.3), ([6, 7], 0.0), ([6, 7], 3.14), ([5, 4, 6], 0.9)):
        C, D, N = 3, 6, 4
        inputs = dict(hidden=np.array(hidden, dtype=int), C=C, reg=reg, X=rng.standard_normal((N, D)),
                      y=rng.integers(C, size=N), Ws=0.6 * rng.standard_normal((len(hidden) + 1, 8, 8)),
                      bs=0.5 + 0.1 * rng.standard_normal((len(hidden) + 1, 8)))
        obs, exp = probe.run(FC_LOSS_OBS, **inputs), probe.reference(FC_LOSS_OBS, **inputs)
        depth = f"{len(hidden) + 1}-layer net (reg={reg})"
        check_close(obs["scores"], exp["scores"], f"scores of a {depth}", tol=1e-9)
        check_close(obs["loss"], exp["loss"], f"loss of a {depth}", tol=1e-9,
                    hint="softmax loss plus 0.5 * reg * sum(W**2) over every weight matrix W1 ... WL")
        for k in exp:
            if k.startswith("d"):
                assert k in obs, f"grads has no entry {k[1:]!r}"
                check_close(obs[k], exp[k], f"gradient {k[1:]} in a {depth}", tol=1e-7)


# ------------------------------------------------------------------ Part 4: real data

OVERFIT_OBS = """
X50, y50 = small_data["X_train"], small_data["y_train"]
scores_all = overfit_model.loss(X50)
__obs__ = {"X": X50, "y": y50, "history": np.asarray(solver.train_acc_history, dtype=float),
           "n_epochs": solver.epoch, **{k: v for k, v in overfit_model.params.items()}}
"""


def test_overfit_small(probe):
    obs = probe.run(OVERFIT_OBS)
    X, y = np.asarray(obs["X"], dtype=float), np.asarray(obs["y"])
    assert X.shape[0] == 50, "small_data should hold the first 50 training examples"
    params = {k: np.asarray(v, dtype=float) for k, v in obs.items() if k[0] in "Wb" and k[1:].isdigit()}
    # accuracy of the trained parameters, computed here with the reference forward pass
    net = ref.FullyConnectedNet([params[f"W{i}"].shape[1] for i in range(1, len(params) // 2)],
                                input_dim=X.shape[1], num_classes=params[f"W{len(params) // 2}"].shape[1])
    net.params = params
    acc = float(np.mean(np.argmax(net.loss(X), axis=1) == y))
    history = np.atleast_1d(obs["history"])
    assert history.size and history[-1] == 1.0, ("the network should reach 100 % training accuracy on the 50 examples "
                                                 f"by the last epoch (got {history[-1] if history.size else 'nothing'}): "
                                                 "try a larger learning rate or another weight scale")
    # the Solver keeps the best-validation epoch's parameters, whose training accuracy it recorded
    assert np.any(np.abs(history - acc) < 1e-12), (f"the model's parameters classify {acc:.0%} of the 50 examples, "
                                                   "which matches no epoch of solver.train_acc_history")


TUNE_OBS = """
best_net, best_val, results = tune_two_layer_net(
    {"X_train": Xa, "y_train": ya, "X_val": Xb, "y_val": yb}, hidden_size=10,
    learning_rates=[float(v) for v in lrs], regs=[float(v) for v in regs], num_iters=int(iters), batch_size=int(bs), seed=3)
keys = sorted(results)
__obs__ = {"best_val": best_val, "keys": np.array(keys, dtype=float), "vals": np.array([results[k] for k in keys], dtype=float),
           **{"best_" + k: v for k, v in best_net.params.items()}}
"""


def test_tune_two_layer_net(probe):
    rs = np.random.RandomState(0)
    centers = 4 * rs.randn(3, 8)
    la, lb = rs.randint(3, size=300), rs.randint(3, size=150)
    easy = dict(Xa=centers[la] + rs.randn(300, 8), ya=la, Xb=centers[lb] + rs.randn(150, 8), yb=lb)
    rs2 = np.random.RandomState(4)
    c2 = 1.2 * rs2.randn(3, 8)
    ltr, lva = rs2.randint(3, size=200), rs2.randint(3, size=400)
    noisy = dict(Xa=c2[ltr] + rs2.randn(200, 8), ya=ltr, Xb=c2[lva] + rs2.randn(400, 8), yb=lva)
    for data, lrs, regs, iters, bs, floor in ((easy, [1e-1, 1e-7], [1e-3], 150, 50, 0.9),
                                             (easy, [1e-7, 3e-2, 1e-1], [1e-3, 5.0], 150, 50, 0.9),
                                             (noisy, [0.3, 1.0], [1e-2], 100, 20, 0.9)):
        obs = probe.run(TUNE_OBS, lrs=np.array(lrs), regs=np.array(regs), iters=iters, bs=bs, **data)
        grid = sorted((lr, reg) for lr in lrs for reg in regs)
        keys = [tuple(k) for k in np.atleast_2d(obs["keys"])]
        assert len(keys) == len(grid) and np.allclose(keys, grid), "results should have one entry per (learning_rate, reg) pair of the grid"
        vals = np.atleast_2d(obs["vals"])
        assert vals.shape == (len(grid), 2) and np.all((vals >= 0) & (vals <= 1)), "results values should be (train_acc, val_acc) fractions"
        best_val = float(obs["best_val"])
        assert abs(best_val - vals[:, 1].max()) < 1e-12, "best_val should be the highest validation accuracy in results"
        assert best_val >= floor, f"the best validation accuracy should reach {floor} on these classes, got {best_val:.3f}"
        net = ref.TwoLayerNet(8, 10, 3)
        net.params = {k[5:]: np.asarray(v, dtype=float) for k, v in obs.items() if k.startswith("best_")}
        measured = float(np.mean(net.predict(data["Xb"]) == data["yb"]))
        assert abs(measured - best_val) < 1e-12, (f"the returned network scores {measured:.4f} on the validation set but "
                                                  f"best_val is {best_val:.4f}: return the trained network you measured, "
                                                  "not a new or a later one")


def _overfit_state(namespace: dict) -> dict:
    """What the notebook's overfitting cell leaves behind (``small_data``, ``overfit_model``,
    ``solver``) when answered with the reference: the state ``test_overfit_small`` reads.
    (``namespace``: the answers under test; this state does not depend on them.)"""
    from coursekit.solver import Solver

    rng = np.random.default_rng(0)
    small = {"X_train": rng.standard_normal((50, 20)), "y_train": rng.integers(4, size=50),
             "X_val": rng.standard_normal((10, 20)), "y_val": rng.integers(4, size=10)}
    model = ref.FullyConnectedNet([30], input_dim=20, num_classes=4, weight_scale=0.1, seed=0)
    solver = Solver(model, small, optim_config={"learning_rate": 0.5}, num_epochs=30, batch_size=25, verbose=False)
    solver.train()
    return {"small_data": small, "overfit_model": model, "solver": solver}


# check name -> (namespace -> notebook state it reads beyond the student's functions), for kernel-free tests of the checks
NOTEBOOK_STATE = {"test_overfit_small": _overfit_state}
