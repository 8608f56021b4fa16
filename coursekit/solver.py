"""The Solver: minibatch training for NumPy models (cs231n's API).

A model is anything with a ``params`` dict of arrays and a method ``loss(X, y=None)`` that
returns class scores when ``y`` is None and ``(loss, grads)`` otherwise, ``grads`` having the
keys of ``params``. Example::

    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, batch_size=100, num_epochs=10)
    solver.train()
    solver.best_val_acc, solver.loss_history, solver.train_acc_history, solver.val_acc_history

After ``train()`` the model holds the parameters of the epoch with the best validation
accuracy (not merely the last ones).
"""
from __future__ import annotations


import numpy as np
from tqdm.auto import tqdm

from . import optim

_OPTIONS = {
    "update_rule": "sgd",
    "optim_config": None,
    "lr_decay": 1.0,
    "batch_size": 100,
    "num_epochs": 10,
    "num_train_samples": 1000,
    "num_val_samples": None,
    "print_every": 100,
    "verbose": True,
    "progress": False,
    "seed": 0,
}


class Solver:
    """Train a NumPy model with minibatch SGD-style update rules.

    Required: ``model`` and ``data`` (a dict with ``X_train``, ``y_train``, ``X_val``,
    ``y_val``). Options (unknown names raise ``ValueError``): ``update_rule`` (a name in
    :data:`coursekit.optim.UPDATE_RULES` or a callable), ``optim_config``, ``lr_decay``
    (multiplies the learning rate after each epoch), ``batch_size``, ``num_epochs``,
    ``num_train_samples`` / ``num_val_samples`` (subsample size for the per-epoch accuracy;
    ``None`` uses all), ``print_every``, ``verbose``, ``progress`` (a tqdm bar), ``seed``.
    """

    def __init__(self, model, data, **kwargs):
        unknown = sorted(set(kwargs) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"Solver got unknown option(s) {unknown}; valid options are {sorted(_OPTIONS)}")
        missing = [k for k in ("X_train", "y_train", "X_val", "y_val") if k not in data]
        if missing:
            raise ValueError(f"Solver data is missing {missing}")
        opts = {**_OPTIONS, **kwargs}
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        rule = opts["update_rule"]
        if isinstance(rule, str):
            if rule not in optim.UPDATE_RULES:
                raise ValueError(f"unknown update_rule {rule!r}; choose one of {sorted(optim.UPDATE_RULES)}")
            rule = optim.UPDATE_RULES[rule]
        self.update_rule = rule
        self.optim_config = dict(opts["optim_config"] or {})
        self.lr_decay = float(opts["lr_decay"])
        self.batch_size = int(opts["batch_size"])
        self.num_epochs = int(opts["num_epochs"])
        self.num_train_samples = opts["num_train_samples"]
        self.num_val_samples = opts["num_val_samples"]
        self.print_every = int(opts["print_every"])
        self.verbose = bool(opts["verbose"])
        self.progress = bool(opts["progress"])
        self.rng = np.random.default_rng(opts["seed"])
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        n = self.X_train.shape[0]
        idx = self.rng.choice(n, self.batch_size, replace=n < self.batch_size)
        loss, grads = self.model.loss(self.X_train[idx], self.y_train[idx])
        if not np.isfinite(loss):
            raise FloatingPointError(
                f"loss became {loss} at iteration {len(self.loss_history)}: the learning rate is "
                "probably too large (or the weights too big at initialisation)"
            )
        self.loss_history.append(float(loss))
        for name, w in self.model.params.items():
            next_w, self.optim_configs[name] = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w

    def check_accuracy(self, X, y, num_samples=None, batch_size=100) -> float:
        """Accuracy of the model on ``(X, y)``, optionally on a random subsample."""
        if num_samples is not None and X.shape[0] > num_samples:
            idx = self.rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[idx], y[idx]
        preds = [np.argmax(self.model.loss(X[i:i + batch_size]), axis=1)
                 for i in range(0, X.shape[0], batch_size)]
        return float(np.mean(np.concatenate(preds) == y))

    def train(self):
        """Run ``num_epochs`` epochs; keep the best-validation parameters in the model."""
        n = self.X_train.shape[0]
        per_epoch = max(n // self.batch_size, 1)
        total = self.num_epochs * per_epoch
        bar = tqdm(total=total, desc="Solver", disable=not self.progress, leave=False)
        for t in range(total):
            self._step()
            bar.update(1)
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {total}) loss: {self.loss_history[-1]:.6f}")
            end_of_epoch = (t + 1) % per_epoch == 0
            if end_of_epoch:
                self.epoch += 1
                for cfg in self.optim_configs.values():
                    cfg["learning_rate"] = cfg.get("learning_rate", 1e-2) * self.lr_decay
            if t == 0 or end_of_epoch:
                train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}", train=f"{train_acc:.3f}", val=f"{val_acc:.3f}")
                if self.verbose:
                    print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:.3f}; val_acc: {val_acc:.3f}")
                if val_acc > self.best_val_acc or not self.best_params:
                    self.best_val_acc = val_acc
                    self.best_params = {k: v.copy() for k, v in self.model.params.items()}
        bar.close()
        self.model.params = {k: v.copy() for k, v in self.best_params.items()}
        return self
