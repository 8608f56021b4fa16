"""Hyper-parameter search for :class:`TwoLayerNet` on a validation split.

The search keeps the network that scored best, instead of re-training "the best
configuration" from a new random initialisation afterwards (which gives a different network
than the one that was measured).
"""
import numpy as np

from .neural_net import TwoLayerNet


def tune_two_layer_net(data, hidden_size, learning_rates, regs, num_iters,
                       batch_size=200, learning_rate_decay=0.95, seed=0):
    """Train one TwoLayerNet per (learning_rate, reg) pair and keep the best on validation.

    ``data`` holds ``X_train, y_train, X_val, y_val``. Every network starts from the same
    initialisation (``std=1e-4, seed=seed``), so configurations differ only by their
    hyper-parameters. Returns ``(best_net, best_val_acc, results)`` where
    ``results[(learning_rate, reg)] = (train_acc, val_acc)`` and ``best_net`` is the trained
    network that scored ``best_val_acc``.
    """
    X_train, y_train = data["X_train"], data["y_train"]
    X_val, y_val = data["X_val"], data["y_val"]
    input_size, num_classes = X_train.shape[1], int(max(y_train.max(), y_val.max())) + 1
    results = {}
    best_net, best_val_acc = None, -1.0
    ### BEGIN SOLUTION
    for lr in learning_rates:
        for reg in regs:
            net = TwoLayerNet(input_size, hidden_size, num_classes, std=1e-4, seed=seed)
            net.train(X_train, y_train, X_val, y_val, learning_rate=lr,
                      learning_rate_decay=learning_rate_decay, reg=reg,
                      num_iters=num_iters, batch_size=batch_size)
            train_acc = float(np.mean(net.predict(X_train) == y_train))
            val_acc = float(np.mean(net.predict(X_val) == y_val))
            results[(lr, reg)] = (train_acc, val_acc)
            if val_acc > best_val_acc:
                best_net, best_val_acc = net, val_acc
    ### END SOLUTION
    return best_net, best_val_acc, results
