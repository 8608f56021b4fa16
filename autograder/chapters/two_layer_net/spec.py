"""The cells of source/two_layer_net/two_layer_net.ipynb (built by ``python -m autograder build``)."""
from solutions.two_layer_net import fc_net, layers, neural_net, search

from autograder.build import answer, given, given_source, md, setup, solution, student_code, tests

from . import checks

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
    setup("""
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
    tests(checks.test_two_layer_scores, 2, visible="""
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
    """),
    md("### 1.2 Forward pass: loss"),
    tests(checks.test_two_layer_loss, 2, visible="""
    net, X_toy, y_toy = toy_problem()
    loss, _ = net.loss(X_toy, y_toy, reg=0.05)
    check_close(loss, 1.071696123862817, "toy loss at reg=0.05", tol=1e-10,
                hint="mean cross-entropy over the batch plus 0.5 * reg * (sum(W1**2) + sum(W2**2))")
    print("toy loss:", loss)
    """),
    md("""
    ### 1.3 Backward pass

    Check every gradient against a numerical estimate (centred differences, in float64).
    A correct implementation gives relative errors around 1e-9 or less.
    """),
    tests(checks.test_two_layer_gradients, 3, visible="""
    net, X_toy, y_toy = toy_problem()
    loss, grads = net.loss(X_toy, y_toy, reg=0.05)
    for name in ("W1", "b1", "W2", "b2"):
        assert name in grads, f"grads has no entry {name!r}"
        f = lambda _: net.loss(X_toy, y_toy, reg=0.05)[0]
        numeric = eval_numerical_gradient(f, net.params[name])
        print(f"{name} max relative error: {rel_error(grads[name], numeric):.2e}")
        check_gradient(grads[name], numeric, name, tol=1e-7)
    """),
    md("""
    ### 1.4 Training with SGD

    `train` samples a minibatch (with replacement) from `self.rng`, computes the loss and
    gradients, updates every parameter, and after each epoch records the accuracies and
    decays the learning rate. On the toy problem the loss should fall close to zero.
    """),
    tests(checks.test_two_layer_train, 2, visible="""
    net, X_toy, y_toy = toy_problem()
    stats = net.train(X_toy, y_toy, X_toy, y_toy, learning_rate=1e-1, reg=5e-6,
                      num_iters=100, batch_size=200, verbose=False)
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        assert key in stats, f"train() should return a dict with {key!r}"
    print("final training loss:", stats["loss_history"][-1])
    assert len(stats["loss_history"]) == 100, "loss_history should hold one loss per iteration"
    assert stats["loss_history"][-1] < 0.05, "the toy loss should fall below 0.05 after 100 iterations"
    plt.plot(stats["loss_history"]); plt.xlabel("iteration"); plt.ylabel("training loss"); plt.show()
    """),
    md("### 1.5 Prediction"),
    tests(checks.test_two_layer_predict, 1, visible="""
    net, X_toy, y_toy = toy_problem()
    pred = net.predict(X_toy)
    check_shape(pred, (5,), "predict(X)")
    assert np.array_equal(pred, np.argmax(net.loss(X_toy), axis=1)), "predict should return the highest-scoring class"
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
    tests(checks.test_affine_forward, 2, visible="""
    x = np.linspace(-0.4, 0.6, num=2 * 3 * 4).reshape(2, 3, 4)
    w = np.linspace(-0.25, 0.35, num=12 * 3).reshape(12, 3)
    b = np.linspace(-0.2, 0.2, num=3)
    out, _ = affine_forward(x, w, b)
    check_shape(out, (2, 3), "affine_forward output")
    check_close(out, [[0.0563229814, 0.2232298137, 0.390136646], [0.2620372671, 0.5362732919, 0.8105093168]],
                "affine_forward output", tol=1e-8, hint="flatten x to (N, D), then x @ w + b")
    """),
    solution("affine_backward", layers.affine_backward),
    tests(checks.test_affine_backward, 2, visible="""
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
    """),
    md("""
    ### 2.2 ReLU

    `relu_forward` returns `max(0, x)`; `relu_backward` lets the upstream gradient through
    where the input was positive and blocks it elsewhere.
    """),
    solution("relu", layers.relu_forward, layers.relu_backward),
    tests(checks.test_relu_forward, 1, visible="""
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    check_close(out, np.where(x > 0, x, 0.0), "relu_forward output", tol=1e-10)
    """),
    tests(checks.test_relu_backward, 1, visible="""
    rs = np.random.RandomState(1)
    x = rs.randn(6, 5)
    dout = rs.randn(6, 5)
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout), "dx")
    """),
    md("""
    ### 2.3 Loss layers

    `softmax_loss` and `svm_loss` take the scores of the last layer and the labels and
    return the mean loss and its gradient with respect to the scores. Subtract each row's
    largest score before exponentiating: softmax is unchanged by adding a constant to a row,
    and `np.exp(1000)` is infinite.
    """),
    solution("softmax_loss", layers.softmax_loss),
    tests(checks.test_softmax_loss, 2, visible="""
    rs = np.random.RandomState(2)
    scores = 1e-3 * rs.randn(50, 10)
    y = rs.randint(10, size=50)
    loss, dscores = softmax_loss(scores, y)
    print("loss:", loss, "(about ln 10 = 2.3026 for tiny scores)")
    check_close(loss, np.log(10), "softmax loss for near-zero scores", tol=1e-3)
    check_gradient(dscores, eval_numerical_gradient(lambda s: softmax_loss(s, y)[0], scores), "dscores")
    """),
    solution("svm_loss", layers.svm_loss),
    tests(checks.test_svm_loss, 2, visible="""
    rs = np.random.RandomState(3)
    scores = 1e-3 * rs.randn(50, 10)
    y = rs.randint(10, size=50)
    loss, dscores = svm_loss(scores, y)
    print("loss:", loss, "(about C - 1 = 9 for tiny scores)")
    check_close(loss, 9.0, "SVM loss for near-zero scores", tol=1e-2, hint="the correct class contributes no margin")
    check_gradient(dscores, eval_numerical_gradient(lambda s: svm_loss(s, y)[0], scores), "dscores", tol=1e-6)
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
    tests(checks.test_fc_init, 1, visible="""
    model = FullyConnectedNet([20, 30], input_dim=15, num_classes=7, weight_scale=1e-2, seed=0)
    expected = {"W1": (15, 20), "b1": (20,), "W2": (20, 30), "b2": (30,), "W3": (30, 7), "b3": (7,)}
    assert sorted(model.params) == sorted(expected), f"params should have keys {sorted(expected)}, got {sorted(model.params)}"
    for name, shape in expected.items():
        check_shape(model.params[name], shape, f"params[{name!r}]")
    assert abs(model.params["W2"].std() - 1e-2) < 1e-3, "weights should have standard deviation weight_scale"
    assert np.all(model.params["b1"] == 0), "biases should start at zero"
    """),
    tests(checks.test_fc_loss, 3, visible="""
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
    train_split, test_split = course_data.load(SETTINGS["dataset"], numpy=True)  # NumPy arrays, no PyTorch needed
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
    tests(checks.test_overfit_small, 2, visible="""
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
    tests(checks.test_tune_two_layer_net, 3, visible="""
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
    """, grade_id="run_search", tags=["skip-autograde"]),
    md("""
    ### 4.3 Question

    Each image above is one hidden unit's weight vector, shown as a picture. What do the
    units of a well-tuned network respond to, and how would the picture look for a network
    whose learning rate was far too small?
    """),
    answer("weights_question", "*Your answer here (not graded).*"),
]
