"""The reference implementation of two_layer_net against numerical gradients and the seed's toy values."""
import numpy as np
import pytest

from coursekit.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array, grad_check_sparse, rel_error
from coursekit.solver import Solver
from solutions.two_layer_net import (FullyConnectedNet, TwoLayerNet, affine_backward, affine_forward,
                                     affine_relu_backward, affine_relu_forward, relu_backward, relu_forward,
                                     softmax_loss, svm_loss, tune_two_layer_net)


def toy():
    net = TwoLayerNet(4, 10, 3, std=1e-1, seed=0)
    X = 10 * np.random.RandomState(1).randn(5, 4)
    return net, X, np.array([0, 1, 2, 2, 1])


def test_toy_scores_and_loss_match_the_original_notebook():
    net, X, y = toy()
    expected = np.array([[-1.07260209, 0.05083871, -0.87253915], [-2.02778743, -0.10832494, -1.52641362],
                         [-0.74225908, 0.15259725, -0.39578548], [-0.38172726, 0.10835902, -0.17328274],
                         [-0.64417314, -0.18886813, -0.41106892]])
    assert np.abs(net.loss(X) - expected).sum() < 1e-7
    loss, _ = net.loss(X, y, reg=0.05)
    assert loss == pytest.approx(1.071696123862817, abs=1e-12)


def test_toy_model_does_not_touch_global_random_state():
    np.random.seed(123)
    before = np.random.rand()
    np.random.seed(123)
    TwoLayerNet(4, 10, 3, seed=0).train(*toy()[1:], *toy()[1:], num_iters=3, batch_size=2)
    assert np.random.rand() == before


@pytest.mark.parametrize("reg", [0.0, 0.05, 0.7])
def test_two_layer_gradients(reg):
    net, X, y = toy()
    _, grads = net.loss(X, y, reg=reg)
    for name in grads:
        num = eval_numerical_gradient(lambda _: net.loss(X, y, reg=reg)[0], net.params[name])
        assert rel_error(num, grads[name]) < 1e-7, name


def test_train_fits_toy_data():
    net, X, y = toy()
    stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, batch_size=200)
    assert stats["loss_history"][-1] < 0.05
    assert len(stats["val_acc_history"]) == 100  # N=5 < batch: one iteration per epoch
    assert np.array_equal(net.predict(X), np.argmax(net.loss(X), axis=1))


def test_train_multiplies_the_learning_rate_by_the_decay_once_per_epoch():
    """With gradients of ones, each step moves b2 by exactly that step's learning rate."""
    net, X, y = toy()
    scores = net.loss
    seen = []

    def unit_gradients(Xb, y=None, reg=0.0):
        if y is None:
            return scores(Xb)
        seen.append(net.params["b2"][0])  # b2 before this step
        return 0.0, {name: np.ones_like(p) for name, p in net.params.items()}

    net.loss = unit_gradients
    net.train(X, y, X, y, learning_rate=0.1, learning_rate_decay=0.5, reg=0.0, num_iters=6, batch_size=2)
    seen.append(net.params["b2"][0])
    # 5 examples in batches of 2: an epoch is 5 // 2 = 2 iterations, so 0.1, 0.1, 0.05, 0.05, 0.025, 0.025
    np.testing.assert_allclose(-np.diff(seen), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


@pytest.mark.parametrize("shape", [(3, 6), (2, 3, 2), (4, 1, 2, 3)])
def test_affine_layer(shape):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((6, 4)), rng.standard_normal(4)
    dout = rng.standard_normal((shape[0], 4))
    out, cache = affine_forward(x, w, b)
    np.testing.assert_allclose(out, x.reshape(shape[0], -1) @ w + b)
    dx, dw, db = affine_backward(dout, cache)
    assert dx.shape == x.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)) < 1e-8


def test_relu_and_sandwich():
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    out, cache = relu_forward(x)
    assert np.array_equal(out, np.maximum(x, 0))
    assert rel_error(relu_backward(dout, cache), eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)) < 1e-9
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((12, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((2, 5))
    dx, dw, db = affine_relu_backward(dout, affine_relu_forward(x, w, b)[1])
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_relu_forward(v, w, b)[0], x, dout)) < 1e-8


def test_losses():
    rng = np.random.default_rng(2)
    scores, y = 1e-3 * rng.standard_normal((50, 10)), rng.integers(10, size=50)
    loss, d = softmax_loss(scores, y)
    assert loss == pytest.approx(np.log(10), abs=1e-3)
    assert rel_error(d, eval_numerical_gradient(lambda s: softmax_loss(s, y)[0], scores)) < 1e-7
    big = softmax_loss(scores + 1e4, y)
    assert big[0] == pytest.approx(loss, rel=1e-9)
    loss, d = svm_loss(scores, y)
    assert loss == pytest.approx(9.0, abs=1e-2)
    assert rel_error(d, eval_numerical_gradient(lambda s: svm_loss(s, y)[0], scores)) < 1e-6


@pytest.mark.parametrize("hidden", [[], [7], [6, 5, 4]])
def test_fully_connected_net_gradients(hidden):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((4, 5)), rng.integers(3, size=4)
    model = FullyConnectedNet(hidden, input_dim=5, num_classes=3, reg=0.4, weight_scale=0.5, seed=0)
    for k in model.params:
        if k.startswith("b"):
            model.params[k] = 0.5 + 0.1 * rng.standard_normal(model.params[k].shape)
    _, grads = model.loss(X, y)
    assert sorted(grads) == sorted(model.params)
    for name in grads:
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
        assert rel_error(num, grads[name]) < 1e-7, name
    assert grad_check_sparse(lambda _: model.loss(X, y)[0], model.params["W1"], grads["W1"]) < 1e-7


def test_solver_rejects_unknown_options_and_keeps_best_parameters():
    rng = np.random.default_rng(4)
    data = {"X_train": rng.standard_normal((60, 4)), "y_train": rng.integers(3, size=60),
            "X_val": rng.standard_normal((30, 4)), "y_val": rng.integers(3, size=30)}
    model = FullyConnectedNet([8], input_dim=4, num_classes=3, weight_scale=0.1, seed=0)
    with pytest.raises(ValueError, match="unknown option"):
        Solver(model, data, learning_rate=1e-3)
    with pytest.raises(ValueError, match="update_rule"):
        Solver(model, data, update_rule="sgdd")
    solver = Solver(model, data, update_rule="sgd_momentum", optim_config={"learning_rate": 0.05},
                    num_epochs=8, batch_size=20, verbose=False)
    solver.train()
    assert solver.best_val_acc == max(solver.val_acc_history)
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == pytest.approx(solver.best_val_acc)


def test_solver_stops_on_divergence():
    class Diverging:
        params = {"W": np.zeros((4, 3))}

        def loss(self, X, y=None):
            if y is None:
                return np.zeros((len(X), 3))
            return np.nan, {"W": np.zeros((4, 3))}

    rng = np.random.default_rng(5)
    data = {"X_train": rng.standard_normal((40, 4)), "y_train": rng.integers(3, size=40),
            "X_val": rng.standard_normal((10, 4)), "y_val": rng.integers(3, size=10)}
    with pytest.raises(FloatingPointError, match="learning rate"):
        Solver(Diverging(), data, num_epochs=1, batch_size=10, verbose=False).train()


def test_search_keeps_the_measured_network():
    rng = np.random.RandomState(0)
    centers = 4 * rng.randn(3, 8)
    ya, yb = rng.randint(3, size=200), rng.randint(3, size=100)
    data = {"X_train": centers[ya] + rng.randn(200, 8), "y_train": ya, "X_val": centers[yb] + rng.randn(100, 8), "y_val": yb}
    net, best, results = tune_two_layer_net(data, 10, [1e-1, 1e-7], [1e-3, 1.0], num_iters=100, batch_size=50)
    assert len(results) == 4 and best == max(v for _, v in results.values())
    assert np.mean(net.predict(data["X_val"]) == yb) == best


def test_what_a_worker_sends_back_holds_no_dataset(tmp_path):
    """A runner's result travels from a Dask worker without its dataset (two_layer_net's held the
    whole of CIFAR-10): the same table, summary and figures from a fraction of the bytes."""
    import pickle

    from solutions.two_layer_net.config import PROFILES
    from solutions.two_layer_net.experiment import run

    result = run(PROFILES["smoke"], progress=False)
    slim = result.without_data()
    assert slim.data is None and slim.fc_solver.X_train is None and result.fc_solver.X_train is not None
    assert len(pickle.dumps(slim)) < len(pickle.dumps(result)) / 5
    assert slim.table() == result.table() and slim.summary() == result.summary()
    assert sorted(slim.figures()) == sorted(result.figures())
