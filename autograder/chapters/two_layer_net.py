"""Spec of source/two_layer_net/two_layer_net.ipynb (built by ``python -m autograder build``)."""
from solutions.two_layer_net import fc_net, layers, neural_net, search

from ..build import answer, given, given_source, md, solution, student_code, tests

CELLS = [
    md("""
    # Backpropagation from scratch: a two-layer network in NumPy

    In this assignment you write, by hand, everything a deep-learning framework does for a
    fully connected network: the forward pass, the loss, the backward pass and the training
    loop. You then rebuild the same network from small reusable layers, generalise it to any
    depth, and tune it on real images.

    **How this notebook is graded.** Every cell marked `YOUR CODE HERE` is yours to complete.
    The test cell after it runs a few *visible* checks; when you submit, more *hidden* checks
    run in the same cell (other inputs, other shapes, numerical gradients). Passing the visible
    checks is necessary, not sufficient: write the general solution, not one that fits the
    examples. Do not rename functions, change their signatures, or delete cells.

    **Run time.** The notebook uses the course's `smoke` profile by default (a subset of
    Fashion-MNIST, a few seconds per cell on a laptop). Set `COURSE_PROFILE=full` before
    starting Jupyter to work on CIFAR-10 as in the original assignment.
    """),
    given("""
    try:
        import coursekit  # the course's library of given code
    except ImportError:  # a copy of release/: the library sits one folder up
        import sys
        sys.path.insert(0, "..")
        import coursekit

    import numpy as np
    import matplotlib.pyplot as plt

    from coursekit import data as course_data
    from coursekit.checks import check_close, check_gradient, check_shape
    from coursekit.flat import flat_splits
    from coursekit.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
    from coursekit.plotting import plot_training, show_weights
    from coursekit.profiles import current_profile
    from coursekit.solver import Solver

    %matplotlib inline
    plt.rcParams["figure.figsize"] = (8.0, 5.0)
    PROFILE = current_profile()
    print("profile:", PROFILE)
    """, grade_id="setup"),
    md("""
    ## Part 1. A two-layer network, written in one piece

    The network maps an input row $x \\in \\mathbb{R}^D$ to class scores
    $s = \\max(0, xW_1 + b_1)\\,W_2 + b_2 \\in \\mathbb{R}^C$ with a hidden layer of $H$ ReLU units.
    The loss over a batch of $N$ examples is the mean softmax cross-entropy plus an L2 penalty
    on the weights (not the biases):

    $$L = \\frac{1}{N}\\sum_{i=1}^{N} -\\log \\frac{e^{s_{i,y_i}}}{\\sum_j e^{s_{i,j}}}
          + \\frac{\\lambda}{2}\\left(\\lVert W_1\\rVert^2 + \\lVert W_2\\rVert^2\\right).$$

    The factor ½ is a convention that makes the penalty's gradient exactly $\\lambda W$; the
    expected values below assume it.

    Complete `loss` (the scores, then the loss and every gradient), `train` (minibatch SGD
    with the learning rate multiplied by `learning_rate_decay` after each epoch) and
    `predict`. The constructor is given: it draws the weights from the network's own random
    generator `self.rng`, so a `seed` makes a run repeatable without touching NumPy's global
    random state. Use `self.rng` for the minibatches too.
    """),
    solution("two_layer_net", neural_net.TwoLayerNet),
    md("""
    A toy problem keeps the numbers small enough to check by hand: 5 inputs with 4 features,
    10 hidden units, 3 classes.
    """),
    given("""
    def toy_problem():
        net = TwoLayerNet(input_size=4, hidden_size=10, output_size=3, std=1e-1, seed=0)
        X = 10 * np.random.RandomState(1).randn(5, 4)
        y = np.array([0, 1, 2, 2, 1])
        return net, X, y

    net, X_toy, y_toy = toy_problem()
    """, grade_id="toy_problem"),
    md("### 1.1 Forward pass: scores"),
    tests("test_two_layer_scores", 2, visible="""
    net, X_toy, y_toy = toy_problem()
    scores = net.loss(X_toy)
    expected_scores = np.array([
        [-1.07260209,  0.05083871, -0.87253915],
        [-2.02778743, -0.10832494, -1.52641362],
        [-0.74225908,  0.15259725, -0.39578548],
        [-0.38172726,  0.10835902, -0.17328274],
        [-0.64417314, -0.18886813, -0.41106892]])
    check_shape(scores, (5, 3), "net.loss(X) (the scores)")
    check_close(scores, expected_scores, "toy scores", tol=1e-7,
                hint="scores = relu(X @ W1 + b1) @ W2 + b2")
    print("toy scores match")
    """, hidden="""
    _net = TwoLayerNet(6, 8, 4, std=0.5, seed=3)
    _X = np.linspace(-3, 3, num=30).reshape(5, 6)
    check_close(_net.loss(_X), np.array([
        [ 1.2942392768,  5.1760488764,  3.5442693538,  4.9852874075],
        [ 0.4220647424,  2.1371930227,  1.1253001964,  2.5335737248],
        [ 0.2338792471, -0.0950703129, -0.1161404447,  0.235450669 ],
        [ 0.1670543797, -0.3750255035, -0.2084649759,  0.1324638804],
        [ 0.2235511192, -0.5018567678, -0.2789665184,  0.1772623308]]),
        "scores of a second network (6 inputs, 8 hidden, 4 classes)", tol=1e-7,
        hint="the ReLU acts on the hidden layer only; the biases are added before it")
    """),
    md("### 1.2 Forward pass: loss"),
    tests("test_two_layer_loss", 2, visible="""
    net, X_toy, y_toy = toy_problem()
    loss, _ = net.loss(X_toy, y_toy, reg=0.05)
    check_close(loss, 1.071696123862817, "toy loss at reg=0.05", tol=1e-10,
                hint="mean cross-entropy over the batch plus 0.5 * reg * (sum(W1**2) + sum(W2**2))")
    print("toy loss:", loss)
    """, hidden="""
    _net = TwoLayerNet(6, 8, 4, std=0.5, seed=3)
    _X = np.linspace(-3, 3, num=30).reshape(5, 6)
    _y = np.array([0, 3, 1, 2, 3])
    _l0 = _net.loss(_X, _y, reg=0.0)[0]
    check_close(_l0, 1.9154562104540311, "loss without regularisation", tol=1e-10,
                hint="the data loss is the *mean* of -log softmax probability of the correct class")
    _penalty = 0.5 * 0.7 * (np.sum(_net.params["W1"] ** 2) + np.sum(_net.params["W2"] ** 2))
    check_close(_net.loss(_X, _y, reg=0.7)[0] - _l0, _penalty, "the regularisation term at reg=0.7",
                tol=1e-10, hint="0.5 * reg * (sum(W1**2) + sum(W2**2)); biases are not regularised")
    _net.params["b2"] = _net.params["b2"] + 800.0  # every score grows by 800: softmax must not change
    _l800 = _net.loss(_X, _y, reg=0.0)[0]
    check_close(_l800, _l0, "the loss after adding 800 to every score", tol=1e-10,
                hint="np.exp(800) overflows: subtract each row's maximum score before exponentiating")
    """),
    md("""
    ### 1.3 Backward pass

    Check every gradient against a numerical estimate (centred differences, in float64).
    A correct implementation gives relative errors around 1e-9 or less.
    """),
    tests("test_two_layer_gradients", 3, visible="""
    net, X_toy, y_toy = toy_problem()
    loss, grads = net.loss(X_toy, y_toy, reg=0.05)
    for name in ("W1", "b1", "W2", "b2"):
        assert name in grads, f"grads has no entry {name!r}"
        f = lambda _: net.loss(X_toy, y_toy, reg=0.05)[0]
        numeric = eval_numerical_gradient(f, net.params[name])
        print(f"{name} max relative error: {rel_error(grads[name], numeric):.2e}")
        check_gradient(grads[name], numeric, name, tol=1e-7)
    """, hidden="""
    for _reg in (0.0, 0.7):
        _net = TwoLayerNet(6, 8, 4, std=0.5, seed=3)
        _X = np.linspace(-3, 3, num=30).reshape(5, 6) + 0.01 * np.random.RandomState(5).randn(5, 6)
        _y = np.array([0, 3, 1, 2, 3])
        _, _grads = _net.loss(_X, _y, reg=_reg)
        for _name in ("W1", "b1", "W2", "b2"):
            _f = lambda _: _net.loss(_X, _y, reg=_reg)[0]
            check_gradient(_grads[_name], eval_numerical_gradient(_f, _net.params[_name]),
                           f"{_name} (reg={_reg})", tol=1e-7)
    """),
    md("""
    ### 1.4 Training with SGD

    `train` samples a minibatch (with replacement) from `self.rng`, computes the loss and
    gradients, updates every parameter, and after each epoch records the accuracies and
    decays the learning rate. On the toy problem the loss should fall close to zero.
    """),
    tests("test_two_layer_train", 2, visible="""
    net, X_toy, y_toy = toy_problem()
    stats = net.train(X_toy, y_toy, X_toy, y_toy, learning_rate=1e-1, reg=5e-6,
                      num_iters=100, batch_size=200, verbose=False)
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        assert key in stats, f"train() should return a dict with {key!r}"
    print("final training loss:", stats["loss_history"][-1])
    assert len(stats["loss_history"]) == 100, "loss_history should hold one loss per iteration"
    assert stats["loss_history"][-1] < 0.05, "the toy loss should fall below 0.05 after 100 iterations"
    plt.plot(stats["loss_history"]); plt.xlabel("iteration"); plt.ylabel("training loss"); plt.show()
    """, hidden="""
    _rs = np.random.RandomState(7)
    _X = _rs.randn(40, 5)
    _y = _rs.randint(3, size=40)

    def _trained(decay, iters):
        _n = TwoLayerNet(5, 6, 3, std=0.1, seed=11)
        _s = _n.train(_X, _y, _X, _y, learning_rate=0.5, learning_rate_decay=decay, reg=0.01,
                      num_iters=iters, batch_size=10)
        return _n.params, _s

    # one epoch = 40 // 10 = 4 iterations: the decay must not act inside the first epoch ...
    _p1, _ = _trained(1.0, 4)
    _p2, _ = _trained(0.5, 4)
    for _k in _p1:
        assert np.allclose(_p1[_k], _p2[_k]), ("the learning rate changed within the first epoch: "
                                               "decay it once per epoch, not once per iteration")
    # ... and must act after it: with decay 0 nothing moves in the second epoch
    _p3, _s3 = _trained(0.0, 8)
    _p4, _ = _trained(0.0, 4)
    _p5, _ = _trained(1.0, 8)
    for _k in _p3:
        assert np.allclose(_p3[_k], _p4[_k]), ("with learning_rate_decay=0 the parameters still changed in "
                                               "the second epoch: multiply the learning rate by the decay after each epoch")
    assert any(not np.allclose(_p5[_k], _p4[_k]) for _k in _p5), "with decay 1.0 the second epoch should still learn"
    assert len(_s3["val_acc_history"]) == 2, "record the accuracies once per epoch"
    """),
    md("### 1.5 Prediction"),
    tests("test_two_layer_predict", 1, visible="""
    net, X_toy, y_toy = toy_problem()
    pred = net.predict(X_toy)
    check_shape(pred, (5,), "predict(X)")
    assert np.array_equal(pred, np.argmax(net.loss(X_toy), axis=1)), "predict should return the highest-scoring class"
    """, hidden="""
    _net = TwoLayerNet(6, 8, 4, std=0.5, seed=3)
    _X = np.random.RandomState(2).randn(7, 6)
    _p = _net.predict(_X)
    check_shape(_p, (7,), "predict(X) for 7 inputs")
    assert np.issubdtype(np.asarray(_p).dtype, np.integer), "predict should return integer class indices"
    assert np.array_equal(_p, np.argmax(_net.loss(_X), axis=1)), "predict should return argmax over classes, per row"
    """),
    md("""
    ## Part 2. Modular layers

    Writing every network in one piece does not scale. From here on each layer is a pair of
    functions: `forward(inputs) -> (out, cache)` keeps what the backward pass will need, and
    `backward(dout, cache)` returns the gradient of the loss with respect to each input,
    given the gradient `dout` with respect to the output.

    ### 2.1 Affine (fully connected) layer

    The input may have any shape `(N, d_1, ..., d_k)`: flatten each example to a row first.
    """),
    solution("affine_forward", layers.affine_forward),
    tests("test_affine_forward", 2, visible="""
    x = np.linspace(-0.4, 0.6, num=2 * 3 * 4).reshape(2, 3, 4)
    w = np.linspace(-0.25, 0.35, num=12 * 3).reshape(12, 3)
    b = np.linspace(-0.2, 0.2, num=3)
    out, _ = affine_forward(x, w, b)
    check_shape(out, (2, 3), "affine_forward output")
    check_close(out, [[0.0563229814, 0.2232298137, 0.390136646], [0.2620372671, 0.5362732919, 0.8105093168]],
                "affine_forward output", tol=1e-8, hint="flatten x to (N, D), then x @ w + b")
    """, hidden="""
    _rs = np.random.RandomState(3)
    for _shape in [(4, 6), (1, 6), (3, 2, 3), (2, 1, 2, 3)]:
        _x = _rs.randn(*_shape)
        _w = _rs.randn(6, 5)
        _b = _rs.randn(5)
        _x_before = _x.copy()
        _out, _cache = affine_forward(_x, _w, _b)
        check_close(_out, _x.reshape(_shape[0], 6) @ _w + _b, f"affine_forward for input shape {_shape}",
                    tol=1e-10, hint="each example must be flattened to a row of length D")
        assert np.array_equal(_x, _x_before), "affine_forward must not modify its input"
    """),
    solution("affine_backward", layers.affine_backward),
    tests("test_affine_backward", 2, visible="""
    rs = np.random.RandomState(0)
    x, w, b, dout = rs.randn(4, 2, 3), rs.randn(6, 5), rs.randn(5), rs.randn(4, 5)
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    for name, grad, arg in (("dx", dx, x), ("dw", dw, w), ("db", db, b)):
        check_shape(grad, arg.shape, name)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout), "dx")
    check_gradient(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout), "dw")
    check_gradient(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout), "db")
    print("affine_backward matches the numerical gradient")
    """, hidden="""
    _rs = np.random.RandomState(9)
    for _shape in [(7, 4), (1, 2, 2), (3, 2, 1, 2)]:
        _x, _w, _b = _rs.randn(*_shape), _rs.randn(4, 3), _rs.randn(3)
        _dout = _rs.randn(_shape[0], 3)
        _ref = lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b
        _dx, _dw, _db = affine_backward(_dout, affine_forward(_x, _w, _b)[1])
        check_shape(_dx, _shape, f"dx for input shape {_shape}")
        check_gradient(_dx, eval_numerical_gradient_array(lambda v: _ref(v, _w, _b), _x, _dout), f"dx, input {_shape}")
        check_gradient(_dw, eval_numerical_gradient_array(lambda v: _ref(_x, v, _b), _w, _dout), f"dw, input {_shape}")
        check_gradient(_db, eval_numerical_gradient_array(lambda v: _ref(_x, _w, v), _b, _dout), f"db, input {_shape}",
                       hint="the bias gradient sums dout over the batch")
    """),
    md("""
    ### 2.2 ReLU

    `relu_forward` returns `max(0, x)`; `relu_backward` lets the upstream gradient through
    where the input was positive and blocks it elsewhere.
    """),
    solution("relu", layers.relu_forward, layers.relu_backward),
    tests("test_relu_forward", 1, visible="""
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    check_close(out, np.where(x > 0, x, 0.0), "relu_forward output", tol=1e-10)
    """, hidden="""
    _x = np.random.RandomState(4).randn(2, 3, 4)
    _x_before = _x.copy()
    _out, _ = relu_forward(_x)
    check_shape(_out, _x.shape, "relu_forward output for a 3-d input")
    assert np.all(_out >= 0) and np.array_equal(_out[_x > 0], _x[_x > 0]), "relu_forward should keep positive entries unchanged and zero the rest"
    assert np.array_equal(_x, _x_before), "relu_forward must not modify its input (the cache holds it)"
    """),
    tests("test_relu_backward", 1, visible="""
    rs = np.random.RandomState(1)
    x = rs.randn(6, 5)
    dout = rs.randn(6, 5)
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout), "dx")
    """, hidden="""
    _rs = np.random.RandomState(8)
    _x = _rs.randn(4, 3, 5)
    _x[np.abs(_x) < 1e-3] = 0.5  # stay away from the kink
    _dout = _rs.randn(4, 3, 5)
    _dx = relu_backward(_dout, relu_forward(_x)[1])
    check_gradient(_dx, np.where(_x > 0, _dout, 0.0), "dx of ReLU", tol=1e-10,
                   hint="the mask depends on the sign of the *input* x, not on dout")
    _x0 = np.array([[-1.0, 0.0, 2.0]])
    _d0 = relu_backward(np.ones((1, 3)), relu_forward(_x0)[1])
    assert _d0[0, 0] == 0 and _d0[0, 2] == 1, "ReLU passes the gradient where x > 0 only"
    """),
    md("""
    ### 2.3 Loss layers

    `softmax_loss` and `svm_loss` take the scores of the last layer and the labels and
    return the mean loss and its gradient with respect to the scores. Subtract each row's
    largest score before exponentiating: softmax is unchanged by adding a constant to a row,
    and `np.exp(1000)` is infinite.
    """),
    solution("softmax_loss", layers.softmax_loss),
    tests("test_softmax_loss", 2, visible="""
    rs = np.random.RandomState(2)
    scores = 1e-3 * rs.randn(50, 10)
    y = rs.randint(10, size=50)
    loss, dscores = softmax_loss(scores, y)
    print("loss:", loss, "(about ln 10 = 2.3026 for tiny scores)")
    check_close(loss, np.log(10), "softmax loss for near-zero scores", tol=1e-3)
    check_gradient(dscores, eval_numerical_gradient(lambda s: softmax_loss(s, y)[0], scores), "dscores")
    """, hidden="""
    _s = np.linspace(-2, 3, num=20).reshape(4, 5)
    _y = np.array([4, 0, 2, 1])
    check_close(softmax_loss(_s, _y)[0], 1.743468065120082, "softmax loss of a fixed example", tol=1e-10,
                hint="mean over the batch of -log(softmax probability of the correct class)")
    _rs = np.random.RandomState(12)
    _s2 = _rs.randn(6, 4)
    _y2 = _rs.randint(4, size=6)
    _l2, _d2 = softmax_loss(_s2, _y2)
    check_gradient(_d2, eval_numerical_gradient(lambda s: softmax_loss(s, _y2)[0], _s2), "dscores for unit-scale scores")
    _shift = 1000 * _rs.randn(6, 1)
    _l3, _d3 = softmax_loss(_s2 + _shift, _y2)
    check_close(_l3, _l2, "softmax loss after adding a large constant to each row", tol=1e-8,
                hint="softmax is invariant to a per-row shift: subtract each row's own maximum")
    check_close(_d3, _d2, "dscores after a per-row shift", tol=1e-7)
    """),
    solution("svm_loss", layers.svm_loss),
    tests("test_svm_loss", 2, visible="""
    rs = np.random.RandomState(3)
    scores = 1e-3 * rs.randn(50, 10)
    y = rs.randint(10, size=50)
    loss, dscores = svm_loss(scores, y)
    print("loss:", loss, "(about C - 1 = 9 for tiny scores)")
    check_close(loss, 9.0, "SVM loss for near-zero scores", tol=1e-2, hint="the correct class contributes no margin")
    check_gradient(dscores, eval_numerical_gradient(lambda s: svm_loss(s, y)[0], scores), "dscores", tol=1e-6)
    """, hidden="""
    _s = np.linspace(-2, 3, num=20).reshape(4, 5)
    _y = np.array([4, 0, 2, 1])
    check_close(svm_loss(_s, _y)[0], 4.342105263157895, "SVM loss of a fixed example", tol=1e-10,
                hint="sum over wrong classes of max(0, s_j - s_y + 1), averaged over the batch")
    _rs = np.random.RandomState(13)
    _s2 = 2 * _rs.randn(8, 5)
    _y2 = _rs.randint(5, size=8)
    _l2, _d2 = svm_loss(_s2, _y2)
    check_gradient(_d2, eval_numerical_gradient(lambda s: svm_loss(s, _y2)[0], _s2), "dscores, scale 2", tol=1e-6)
    check_close(svm_loss(_s2 + 7.0, _y2)[0], _l2, "SVM loss after adding a constant to every score", tol=1e-10)
    """),
    md("""
    Layers compose. The affine–ReLU sandwich is given, built from *your* two layers, and the
    network below uses it.
    """),
    given_source("affine_relu", layers.affine_relu_forward, layers.affine_relu_backward),
    md("""
    ## Part 3. A fully connected network of any depth

    `FullyConnectedNet(hidden_dims, ...)` stacks `len(hidden_dims)` affine–ReLU layers and a
    final affine layer, with softmax loss and an L2 penalty `0.5 * reg * sum(W**2)` over
    *every* weight matrix. Weights `W1 … WL` are drawn from a Gaussian with standard deviation
    `weight_scale` (use the `rng` created in the constructor); biases `b1 … bL` start at zero.
    Keep the forward caches in a list and walk it backwards.
    """),
    solution("fully_connected_net", fc_net.FullyConnectedNet),
    tests("test_fc_init", 1, visible="""
    model = FullyConnectedNet([20, 30], input_dim=15, num_classes=7, weight_scale=1e-2, seed=0)
    expected = {"W1": (15, 20), "b1": (20,), "W2": (20, 30), "b2": (30,), "W3": (30, 7), "b3": (7,)}
    assert sorted(model.params) == sorted(expected), f"params should have keys {sorted(expected)}, got {sorted(model.params)}"
    for name, shape in expected.items():
        check_shape(model.params[name], shape, f"params[{name!r}]")
    assert abs(model.params["W2"].std() - 1e-2) < 1e-3, "weights should have standard deviation weight_scale"
    assert np.all(model.params["b1"] == 0), "biases should start at zero"
    """, hidden="""
    for _dims in ([], [4], [3, 5, 2, 6]):
        _m = FullyConnectedNet(_dims, input_dim=9, num_classes=4, weight_scale=0.3, seed=1)
        _all = [9, *_dims, 4]
        assert len(_m.params) == 2 * (len(_dims) + 1), f"hidden_dims={_dims}: expected {2 * (len(_dims) + 1)} parameter arrays"
        for _i in range(len(_dims) + 1):
            check_shape(_m.params[f"W{_i + 1}"], (_all[_i], _all[_i + 1]), f"W{_i + 1} for hidden_dims={_dims}")
            check_shape(_m.params[f"b{_i + 1}"], (_all[_i + 1],), f"b{_i + 1} for hidden_dims={_dims}")
    _big = FullyConnectedNet([200, 200], input_dim=300, num_classes=10, weight_scale=0.05, seed=2)
    assert abs(_big.params["W1"].std() - 0.05) < 0.005 and abs(_big.params["W1"].mean()) < 0.005, \\
        "W should be drawn from N(0, weight_scale**2)"
    """),
    tests("test_fc_loss", 3, visible="""
    rs = np.random.RandomState(0)
    N, D, C = 3, 5, 4
    X, y = rs.randn(N, D), rs.randint(C, size=N)
    for reg in (0.0, 3.14):
        model = FullyConnectedNet([6, 7], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2, seed=1)
        loss, grads = model.loss(X, y)
        print(f"reg={reg}: initial loss {loss:.4f}")
        for name in sorted(grads):
            numeric = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
            check_gradient(grads[name], numeric, f"{name} (reg={reg})", tol=1e-6)
    """, hidden="""
    _rs = np.random.RandomState(21)
    _X, _y = _rs.randn(4, 6), _rs.randint(3, size=4)
    # depth 1 is a softmax classifier
    _m = FullyConnectedNet([], input_dim=6, num_classes=3, reg=0.3, weight_scale=0.5, seed=4)
    _s = _X @ _m.params["W1"] + _m.params["b1"]
    check_close(_m.loss(_X), _s, "scores of a network with no hidden layer", tol=1e-10)
    _sh = _s - _s.max(axis=1, keepdims=True)
    _ce = -np.mean(_sh[np.arange(4), _y] - np.log(np.exp(_sh).sum(axis=1)))
    check_close(_m.loss(_X, _y)[0], _ce + 0.5 * 0.3 * np.sum(_m.params["W1"] ** 2),
                "loss of a network with no hidden layer at reg=0.3", tol=1e-10,
                hint="softmax loss plus 0.5 * reg * sum(W**2) over every weight matrix")
    # deeper, regularised: every gradient, and the penalty covers every layer
    _m4 = FullyConnectedNet([5, 4, 6], input_dim=6, num_classes=3, reg=0.9, weight_scale=0.6, seed=5)
    for _i in range(1, 5):  # non-zero biases keep the ReLUs away from their kink
        _m4.params[f"b{_i}"] = 0.5 + 0.1 * _rs.randn(*_m4.params[f"b{_i}"].shape)
    _l4, _g4 = _m4.loss(_X, _y)
    assert sorted(_g4) == sorted(_m4.params), "grads should have one entry per parameter"
    for _name in sorted(_g4):
        check_gradient(_g4[_name], eval_numerical_gradient(lambda _: _m4.loss(_X, _y)[0], _m4.params[_name]),
                       f"{_name} in a 4-layer net (reg=0.9)", tol=1e-6)
    _m4.reg = 0.0
    _l4_0 = _m4.loss(_X, _y)[0]
    _pen = 0.5 * 0.9 * sum(np.sum(_m4.params[f"W{_i}"] ** 2) for _i in range(1, 5))
    check_close(_l4 - _l4_0, _pen, "the L2 penalty of a 4-layer net", tol=1e-10,
                hint="regularise every weight matrix (W1 ... WL), not the biases")
    check_shape(_m4.loss(_X), (4, 3), "scores of the 4-layer net")
    """),
    md("""
    ## Part 4. Real images

    The cell below loads the profile's dataset (Fashion-MNIST in the `smoke` profile,
    CIFAR-10 in `full`), carves a validation split *from the training set*, flattens each
    image to a row and subtracts the mean training image.
    """),
    given("""
    SETTINGS = {
        "smoke": dict(dataset="fashion-mnist", n_train=5000, n_val=1000, n_test=1000, image_shape=(28, 28)),
        "full": dict(dataset="cifar10", n_train=49000, n_val=1000, n_test=1000, image_shape=(3, 32, 32)),
    }[PROFILE]
    train_split, test_split = course_data.load(SETTINGS["dataset"])
    data = flat_splits(train_split, test_split, n_train=SETTINGS["n_train"], n_val=SETTINGS["n_val"],
                       n_test=SETTINGS["n_test"], seed=0)
    for key in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        print(f"{key:8s} {data[key].shape}")
    INPUT_DIM, NUM_CLASSES = data["X_train"].shape[1], int(data["y_train"].max()) + 1
    """, grade_id="load_data"),
    md("""
    ### 4.1 Sanity check: overfit 50 examples

    A network that cannot drive the training loss of a tiny dataset to zero has a bug (or a
    bad initial scale or learning rate). Choose `weight_scale` and `learning_rate` so that a
    three-layer network (two hidden layers of 100 units) trained by the given `Solver` for 20
    epochs reaches **100 % training accuracy** on 50 examples.
    """),
    student_code("overfit_small", """
    small_data = {"X_train": data["X_train"][:50], "y_train": data["y_train"][:50],
                  "X_val": data["X_val"], "y_val": data["y_val"]}
    ### BEGIN SOLUTION
    weight_scale = 2e-2
    learning_rate = 1e-2
    ### END SOLUTION
    overfit_model = FullyConnectedNet([100, 100], input_dim=INPUT_DIM, num_classes=NUM_CLASSES,
                                      weight_scale=weight_scale, seed=0)
    solver = Solver(overfit_model, small_data, update_rule="sgd", optim_config={"learning_rate": learning_rate},
                    num_epochs=20, batch_size=25, print_every=10, verbose=False)
    solver.train()
    plt.plot(solver.loss_history, "o"); plt.xlabel("iteration"); plt.ylabel("training loss"); plt.show()
    """),
    tests("test_overfit_small", 2, visible="""
    train_acc = solver.train_acc_history[-1]
    print("training accuracy on the 50 examples after the last epoch:", train_acc)
    assert train_acc == 1.0, ("the network should fit all 50 training examples: try a larger learning rate, "
                              "or a weight scale that keeps the initial scores neither vanishing nor exploding")
    """),
    md("""
    ### 4.2 Hyper-parameter search

    Write `tune_two_layer_net`: train one `TwoLayerNet` per pair of learning rate and
    regularisation strength, measure each on the validation set, and return the trained
    network that scored best. **Keep that network**: training "the best configuration" again
    afterwards gives a different network than the one you measured.
    """),
    solution("tune_two_layer_net", search.tune_two_layer_net),
    tests("test_tune_two_layer_net", 3, visible="""
    rs = np.random.RandomState(0)
    centers = 4 * rs.randn(3, 8)
    def blobs(n):
        labels = rs.randint(3, size=n)
        return centers[labels] + rs.randn(n, 8), labels
    Xa, ya = blobs(300)
    Xb, yb = blobs(150)
    blob_data = {"X_train": Xa, "y_train": ya, "X_val": Xb, "y_val": yb}
    best_net, best_val, results = tune_two_layer_net(blob_data, hidden_size=10, learning_rates=[1e-1, 1e-7],
                                                     regs=[1e-3], num_iters=150, batch_size=50)
    print("results:", results)
    assert set(results) == {(1e-1, 1e-3), (1e-7, 1e-3)}, "results should have one entry per (learning_rate, reg) pair"
    assert best_val > 0.9, f"the best validation accuracy on well-separated blobs should exceed 0.9, got {best_val}"
    """, hidden="""
    _measured = float(np.mean(best_net.predict(Xb) == yb))
    assert abs(_measured - best_val) < 1e-12, (f"best_net scores {_measured:.3f} on the validation set but best_val is "
                                               f"{best_val:.3f}: return the trained network that was measured, not a new one")
    assert abs(best_val - max(v for _, v in results.values())) < 1e-12, "best_val should be the highest validation accuracy in results"
    for (_lr, _reg), (_tr, _va) in results.items():
        assert 0 <= _tr <= 1 and 0 <= _va <= 1, "results values should be (train_acc, val_acc) fractions"
    _b2, _v2, _r2 = tune_two_layer_net(blob_data, hidden_size=10, learning_rates=[1e-7, 3e-2, 1e-1],
                                       regs=[1e-3, 5.0], num_iters=150, batch_size=50)
    assert len(_r2) == 6, "every (learning_rate, reg) pair of the grid should be tried"
    assert abs(float(np.mean(_b2.predict(Xb) == yb)) - _v2) < 1e-12, "return the network that achieved the best validation accuracy"
    assert _r2[(1e-1, 5.0)][1] <= _v2 and _r2[(1e-7, 1e-3)][1] < _v2, "the best network should beat the useless configurations"
    # overlapping classes: networks from different initialisations score differently
    _rs2 = np.random.RandomState(4)
    _c2 = 1.2 * _rs2.randn(3, 8)
    _l_tr, _l_va = _rs2.randint(3, size=200), _rs2.randint(3, size=400)
    _noisy = {"X_train": _c2[_l_tr] + _rs2.randn(200, 8), "y_train": _l_tr,
              "X_val": _c2[_l_va] + _rs2.randn(400, 8), "y_val": _l_va}
    _b3, _v3, _r3 = tune_two_layer_net(_noisy, hidden_size=10, learning_rates=[0.3, 1.0], regs=[1e-2],
                                       num_iters=100, batch_size=20, seed=3)
    _m3 = float(np.mean(_b3.predict(_noisy["X_val"]) == _l_va))
    assert abs(_m3 - _v3) < 1e-12, (f"on overlapping classes the returned network scores {_m3:.4f} but best_val is "
                                    f"{_v3:.4f}: keep the network you measured instead of training it again")
    """),
    md("""
    Now run your search on the real data. The grid below is a starting point; widen it if
    your best validation accuracy is low (aim for about 80 % on the smoke profile's
    Fashion-MNIST and at least 50 % on CIFAR-10 in the full profile, with 50 hidden units).
    """),
    given("""
    grid = {"smoke": dict(learning_rates=[3e-4, 1e-3], regs=[0.05, 0.25], num_iters=600),
            "full": dict(learning_rates=[1e-3, 1.5e-3], regs=[0.25, 0.35, 0.5], num_iters=5000)}[PROFILE]
    best_net, best_val, results = tune_two_layer_net(data, hidden_size=50, **grid)
    for (lr, reg), (train_acc, val_acc) in sorted(results.items()):
        print(f"lr={lr:<8g} reg={reg:<6g} train {train_acc:.3f}  val {val_acc:.3f}")
    test_acc = np.mean(best_net.predict(data["X_test"]) == data["y_test"])
    print(f"best validation accuracy {best_val:.3f}; test accuracy of that same network {test_acc:.3f}")
    show_weights(best_net.params["W1"], SETTINGS["image_shape"], title="first-layer weights of the best net")
    plt.show()
    """, grade_id="run_search"),
    md("""
    ### 4.3 Question

    Each image above is one hidden unit's weight vector, shown as a picture. What do the
    units of a well-tuned network respond to, and how would the picture look for a network
    whose learning rate was far too small?
    """),
    answer("weights_question", "*Your answer here (not graded).*"),
]
