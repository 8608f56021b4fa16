"""A two-layer fully connected network written from scratch (no layer modules).

Architecture: input - affine - ReLU - affine - softmax. Parameters live in ``self.params``
(``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,)). The L2 penalty is
``0.5 * reg * (sum(W1**2) + sum(W2**2))``; biases are not regularised.
"""
import numpy as np


class TwoLayerNet:
    """Two-layer net trained with minibatch SGD; ``std`` scales the Gaussian initial weights.

    ``seed`` makes the initialisation and the minibatch sampling reproducible without
    touching NumPy's global random state: ``self.rng`` is this network's own generator.
    The weights are drawn as (out, in) matrices and stored transposed, as (in, out): the
    draw order of the course's original notebook (so its toy values still hold) with the
    ``X @ W`` convention of the modular layers.
    """

    def __init__(self, input_size, hidden_size, output_size, std=1e-4, seed=None):
        self.rng = np.random.RandomState(seed)
        self.params = {
            "W1": std * self.rng.randn(hidden_size, input_size).T.copy(),
            "b1": np.zeros(hidden_size),
            "W2": std * self.rng.randn(output_size, hidden_size).T.copy(),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        """Scores (N, C) when ``y`` is None; otherwise ``(loss, grads)`` with softmax loss + L2."""
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        ### BEGIN SOLUTION
        h = np.maximum(0, X @ W1 + b1)
        scores = h @ W2 + b2
        ### END SOLUTION
        if y is None:
            return scores
        ### BEGIN SOLUTION
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean()
        loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {}
        grads["W2"] = h.T @ dscores + reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dh = dscores @ W2.T
        dh[h <= 0] = 0
        grads["W1"] = X.T @ dh + reg * W1
        grads["b1"] = dh.sum(axis=0)
        ### END SOLUTION
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        """Minibatch SGD for ``num_iters`` steps, sampling batches (with replacement) from ``self.rng``.

        After every epoch (``max(N // batch_size, 1)`` iterations) the train and validation
        accuracies are recorded and the learning rate is multiplied by ``learning_rate_decay``.
        Returns a dict with ``loss_history``, ``train_acc_history`` and ``val_acc_history``.
        """
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)
        loss_history, train_acc_history, val_acc_history = [], [], []
        for it in range(num_iters):
            ### BEGIN SOLUTION
            idx = self.rng.choice(num_train, batch_size, replace=True)
            loss, grads = self.loss(X[idx], y=y[idx], reg=reg)
            loss_history.append(loss)
            for name in self.params:
                self.params[name] -= learning_rate * grads[name]
            ### END SOLUTION
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:.6f}")
            if (it + 1) % iterations_per_epoch == 0:
                train_acc_history.append(np.mean(self.predict(X[idx]) == y[idx]))
                val_acc_history.append(np.mean(self.predict(X_val) == y_val))
                ### BEGIN SOLUTION
                learning_rate *= learning_rate_decay
                ### END SOLUTION
        return {
            "loss_history": loss_history,
            "train_acc_history": train_acc_history,
            "val_acc_history": val_acc_history,
        }

    def predict(self, X):
        """Predicted class index (N,) for each row of ``X``."""
        ### BEGIN SOLUTION
        y_pred = np.argmax(self.loss(X), axis=1)
        ### END SOLUTION
        return y_pred
