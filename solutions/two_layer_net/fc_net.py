"""A fully connected network of any depth, built from the modular layers.

Architecture: {affine - ReLU} x (L - 1) - affine - softmax, L = len(hidden_dims) + 1.
Parameters ``W1..WL`` (Gaussian, std ``weight_scale``) and ``b1..bL`` (zeros) live in
``self.params``; the loss adds ``0.5 * reg * sum(W**2)`` over every weight matrix.
"""
import numpy as np

from .layers import affine_backward, affine_forward, affine_relu_backward, affine_relu_forward, softmax_loss


class FullyConnectedNet:
    """cs231n's FullyConnectedNet without batch normalisation or dropout."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0,
                 weight_scale=1e-2, dtype=np.float64, seed=None):
        self.reg = reg
        self.dtype = dtype
        self.num_layers = len(hidden_dims) + 1
        rng = np.random.default_rng(seed)
        self.params = {}
        ### BEGIN SOLUTION
        dims = [input_dim, *hidden_dims, num_classes]
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = weight_scale * rng.standard_normal((dims[i], dims[i + 1]))
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1])
        ### END SOLUTION
        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """Scores (N, C) when ``y`` is None; otherwise ``(loss, grads)``."""
        X = X.astype(self.dtype)
        ### BEGIN SOLUTION
        caches = []
        out = X
        for i in range(1, self.num_layers):
            out, cache = affine_relu_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
        L = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        ### END SOLUTION
        if y is None:
            return scores
        grads = {}
        ### BEGIN SOLUTION
        loss, dout = softmax_loss(scores, y)
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, last_cache)
        for i in range(L - 1, 0, -1):
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dout, caches[i - 1])
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] += self.reg * W
        ### END SOLUTION
        return loss, grads
