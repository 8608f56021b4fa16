"""First-order update rules for NumPy models, used by :class:`coursekit.solver.Solver`.

Each rule has the signature ``next_w, config = rule(w, dw, config)``; ``config`` holds the
hyper-parameters and any state (such as a velocity) the rule keeps between steps.
"""
from __future__ import annotations

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``w -= learning_rate * dw``."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w = w - config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """SGD with (heavy-ball) momentum: ``v = momentum * v - lr * dw; w += v``."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


UPDATE_RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum}


def adam(w, dw, config=None):
    """Adam (Kingma & Ba, 2015) with bias correction."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0) + 1
    m = config["beta1"] * m + (1 - config["beta1"]) * dw
    v = config["beta2"] * v + (1 - config["beta2"]) * dw * dw
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


UPDATE_RULES["adam"] = adam
