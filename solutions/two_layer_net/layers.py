"""Modular layers in NumPy, cs231n's API: ``forward -> (out, cache)``, ``backward -> gradients``.

The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are what students write;
:mod:`autograder.build` copies these functions into the source notebook verbatim.
"""
import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer, forward pass.

    x: input of shape (N, d_1, ..., d_k); each example is flattened to D = d_1 * ... * d_k.
    w: weights of shape (D, M).  b: biases of shape (M,).
    Returns out of shape (N, M) and cache = (x, w, b).
    """
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Fully connected layer, backward pass.

    dout: upstream gradient of shape (N, M); cache: (x, w, b) from affine_forward.
    Returns (dx, dw, db) with the shapes of x, w and b.
    """
    x, w, b = cache
    ### BEGIN SOLUTION
    x2d = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2d.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """ReLU, forward pass: out = max(0, x) element-wise. Returns (out, cache) with cache = x."""
    ### BEGIN SOLUTION
    out = np.maximum(0, x)
    ### END SOLUTION
    return out, x


def relu_backward(dout, cache):
    """ReLU, backward pass: the upstream gradient flows where the input was positive."""
    x = cache
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def softmax_loss(scores, y):
    """Mean cross-entropy of the softmax of ``scores`` (N, C) against labels ``y`` (N,).

    Returns (loss, dscores). Must stay finite for scores in the thousands.
    """
    ### BEGIN SOLUTION
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    ### END SOLUTION
    return loss, dscores


def svm_loss(scores, y):
    """Mean multiclass hinge loss with margin 1 (the correct class never counts). Returns (loss, dscores)."""
    ### BEGIN SOLUTION
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0, scores - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    active = (margins > 0).astype(scores.dtype)
    active[np.arange(n), y] = -active.sum(axis=1)
    dscores = active / n
    ### END SOLUTION
    return loss, dscores


def affine_relu_forward(x, w, b):
    """Affine layer followed by a ReLU (given: built from the two layers above)."""
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass of :func:`affine_relu_forward` (given)."""
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)
