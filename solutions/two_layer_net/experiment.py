"""The two_layer_net experiment: search a TwoLayerNet, train a FullyConnectedNet, report.

Used by the runner (``python -m solutions.two_layer_net``) and by the book's experiment page.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from coursekit import data as course_data
from coursekit.flat import flat_splits
from coursekit.solver import Solver

from .config import Hparams
from .fc_net import FullyConnectedNet
from .search import tune_two_layer_net


@dataclass
class Result:
    profile: str
    hparams: Hparams
    search: dict                       # "lr=..,reg=.." -> [train_acc, val_acc]
    best_config: tuple[float, float]
    two_layer_val: float
    two_layer_test: float
    fc_val: float
    fc_test: float
    seconds: float
    # kept out of result.json (arrays)
    best_net: object = field(repr=False, default=None)
    fc_net: object = field(repr=False, default=None)
    fc_solver: object = field(repr=False, default=None)
    data: dict = field(repr=False, default=None)

    def summary(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("best_net", "fc_net", "fc_solver", "data", "seconds")}
        out["hparams"] = asdict(self.hparams)
        return out

    def without_data(self) -> "Result":
        """This result without the dataset (what a Dask worker sends back): the table, the summary
        and the figures need none of it, and the full profile's CIFAR-10 is 1.2 GB of float64."""
        solver = copy.copy(self.fc_solver)
        for name in ("X_train", "y_train", "X_val", "y_val"):
            setattr(solver, name, None)
        return replace(self, data=None, fc_solver=solver)

    def table(self) -> str:
        rows = ["| model | configuration | validation accuracy | test accuracy |", "|---|---|---:|---:|",
                f"| TwoLayerNet (hidden {self.hparams.hidden_size}) | lr={self.best_config[0]:g}, reg={self.best_config[1]:g} "
                f"| {self.two_layer_val:.2%} | {self.two_layer_test:.2%} |",
                f"| FullyConnectedNet {list(self.hparams.fc_hidden_dims)} | {self.hparams.fc_update_rule}, "
                f"lr={self.hparams.fc_learning_rate:g} | {self.fc_val:.2%} | {self.fc_test:.2%} |"]
        return "\n".join(rows)

    def figures(self) -> dict:
        import matplotlib.pyplot as plt

        from coursekit.plotting import plot_training, show_weights

        s = self.fc_solver
        training = plot_training(s.loss_history, s.train_acc_history, s.val_acc_history,
                                 title=f"FullyConnectedNet, {self.profile} profile")
        weights, ax = plt.subplots(figsize=(6, 6))
        show_weights(self.best_net.params["W1"], self.hparams.image_shape, ax=ax, title="TwoLayerNet first-layer weights")
        return {"fc_training": training, "weights": weights}


def load_data(hp: Hparams, root=None) -> dict[str, np.ndarray]:
    train, test = course_data.load(hp.dataset, root=root, numpy=True)
    return flat_splits(train, test, n_train=hp.n_train, n_val=hp.n_val, n_test=hp.n_test, seed=hp.seed)


def accuracy(model, X, y) -> float:
    scores = model.loss(X)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def run(hp: Hparams, device=None, root=None, progress: bool = True) -> Result:
    """The chapter's experiment (NumPy, on the CPU: ``device`` is accepted for the common contract)."""
    profile, verbose = hp.profile, progress
    start = time.perf_counter()
    data = load_data(hp, root)
    say = print if verbose else (lambda *a, **k: None)
    say(f"[{profile}] {hp.dataset}: train {data['X_train'].shape}, val {data['X_val'].shape}, test {data['X_test'].shape}")

    best_net, best_val, results = tune_two_layer_net(
        data, hp.hidden_size, hp.learning_rates, hp.regs, hp.num_iters,
        batch_size=hp.batch_size, learning_rate_decay=hp.lr_decay, seed=hp.seed)
    best_config = max(results, key=lambda k: results[k][1])
    two_layer_test = float(np.mean(best_net.predict(data["X_test"]) == data["y_test"]))
    say(f"TwoLayerNet (hidden {hp.hidden_size}) search:")
    for (lr, reg), (tr, va) in sorted(results.items()):
        say(f"  lr={lr:<8g} reg={reg:<6g} train {tr:.3f}  val {va:.3f}")
    say(f"  best lr={best_config[0]:g} reg={best_config[1]:g}: val {best_val:.3f}, test {two_layer_test:.3f}")

    fc = FullyConnectedNet(list(hp.fc_hidden_dims), input_dim=data["X_train"].shape[1],
                           num_classes=int(data["y_train"].max()) + 1, reg=hp.fc_reg,
                           weight_scale=hp.fc_weight_scale, seed=hp.seed)
    solver = Solver(fc, data, update_rule=hp.fc_update_rule,
                    optim_config={"learning_rate": hp.fc_learning_rate}, lr_decay=hp.fc_lr_decay,
                    batch_size=hp.fc_batch_size, num_epochs=hp.fc_epochs, verbose=False,
                    progress=verbose, seed=hp.seed)
    solver.train()
    fc_val = accuracy(fc, data["X_val"], data["y_val"])
    fc_test = accuracy(fc, data["X_test"], data["y_test"])
    say(f"FullyConnectedNet {list(hp.fc_hidden_dims)}: best val {fc_val:.3f}, test {fc_test:.3f}")
    return Result(
        profile=profile, hparams=hp,
        search={f"lr={lr:g},reg={reg:g}": list(v) for (lr, reg), v in results.items()},
        best_config=best_config, two_layer_val=best_val, two_layer_test=two_layer_test,
        fc_val=fc_val, fc_test=fc_test, seconds=time.perf_counter() - start,
        best_net=best_net, fc_net=fc, fc_solver=solver, data=data)
