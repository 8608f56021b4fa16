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
    search: dict                       # "hidden=..,lr=..,reg=.." -> [train_acc, val_acc]
    best_config: tuple[float, float]   # (learning rate, reg) of the selected network
    two_layer_val: float
    two_layer_test: float
    fc_val: float
    fc_test: float
    seconds: float
    best_hidden: int = 0               # hidden size of the selected network
    fc_history: dict = field(default_factory=dict)       # the Solver's per-epoch train/val accuracy, per-iteration loss
    overfit: dict = field(default_factory=dict)          # the overfit-a-few-examples sanity check
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
                f"| TwoLayerNet (hidden {self.best_hidden or self.hparams.hidden_size}) | lr={self.best_config[0]:g}, reg={self.best_config[1]:g} "
                f"| {self.two_layer_val:.2%} | {self.two_layer_test:.2%} |",
                f"| FullyConnectedNet {list(self.hparams.fc_hidden_dims)} | {self.hparams.fc_update_rule}, "
                f"lr={self.hparams.fc_learning_rate:g} | {self.fc_val:.2%} | {self.fc_test:.2%} |"]
        if self.overfit:
            o = self.overfit
            rows.append(f"| sanity check: FullyConnectedNet {list(o['hidden_dims'])} on {o['n']} training examples | "
                        f"sgd, lr={o['learning_rate']:g}, weight scale {o['weight_scale']:g}, {o['epochs']} epochs | "
                        f"training accuracy {o['train_acc'][-1]:.0%} | – |")
        return "\n".join(rows) + "\n\n" + self.search_table()

    def search_table(self) -> str:
        """Validation accuracy of every searched configuration: a row per (hidden size, learning
        rate), a column per regularisation strength; the selected one in bold."""
        hp = self.hparams
        rows = ["| hidden | learning rate | " + " | ".join(f"reg {r:g}" for r in hp.regs) + " |",
                "|---:|---:|" + "---:|" * len(hp.regs)]
        for h in hp.hidden_sizes:
            for lr in hp.learning_rates:
                cells = []
                for reg in hp.regs:
                    train_acc, val_acc = self.search[search_key(h, lr, reg)]
                    chosen = (h == (self.best_hidden or hp.hidden_size) and (lr, reg) == tuple(self.best_config))
                    cell = f"{val_acc:.1%} ({train_acc:.1%})"
                    cells.append(f"**{cell}**" if chosen else cell)
                rows.append(f"| {h} | {lr:g} | " + " | ".join(cells) + " |")
        return ("Validation accuracy (training accuracy in brackets) of every TwoLayerNet of the search; "
                "the selected network in bold.\n\n" + "\n".join(rows))

    def figures(self) -> dict:
        import matplotlib.pyplot as plt

        from coursekit.plotting import plot_training, show_weights

        s = self.fc_solver
        training = plot_training(s.loss_history, s.train_acc_history, s.val_acc_history,
                                 title=f"FullyConnectedNet {list(self.hparams.fc_hidden_dims)}, {self.profile} profile")
        weights, ax = plt.subplots(figsize=(6, 6))
        show_weights(self.best_net.params["W1"], self.hparams.image_shape, ax=ax, title="TwoLayerNet first-layer weights")
        figures = {"fc_training": training, "weights": weights, "search": plot_search(self)}
        if self.overfit:
            figures["overfit"] = plot_overfit(self.overfit)
        return figures


def search_key(hidden: int, lr: float, reg: float) -> str:
    return f"hidden={hidden},lr={lr:g},reg={reg:g}"


def plot_search(result: Result):
    """Validation accuracy over learning rate x regularisation, one panel per hidden size."""
    import matplotlib.pyplot as plt

    hp = result.hparams
    sizes = hp.hidden_sizes
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), squeeze=False)
    for ax, h in zip(axes[0], sizes):
        grid = np.array([[100 * result.search[search_key(h, lr, reg)][1] for reg in hp.regs] for lr in hp.learning_rates])
        image = ax.imshow(grid, cmap="viridis", vmin=max(0.0, grid.min()), vmax=grid.max(), aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=9,
                        color="white" if grid[i, j] < (grid.min() + grid.max()) / 2 else "black")
        ax.set_xticks(range(len(hp.regs)), [f"{r:g}" for r in hp.regs])
        ax.set_yticks(range(len(hp.learning_rates)), [f"{lr:g}" for lr in hp.learning_rates])
        ax.set(xlabel="regularisation strength", ylabel="learning rate", title=f"hidden size {h}: validation accuracy (%)")
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_overfit(overfit: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    epochs = range(len(overfit["train_acc"]))  # the Solver measures after the first step, then after every epoch
    ax.plot(epochs, [100 * a for a in overfit["train_acc"]], marker="o", label=f"training ({overfit['n']} examples)")
    ax.plot(epochs, [100 * a for a in overfit["val_acc"]], marker="o", label="validation")
    ax.set(xlabel="epoch (0: after the first step)", ylabel="accuracy (%)", ylim=(0, 102),
           title=f"sanity check: overfitting {overfit['n']} examples")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def overfit_small(hp: Hparams, data: dict, progress: bool = False) -> dict:
    """The chapter's sanity check: a FullyConnectedNet trained on ``hp.overfit_n`` examples must
    reach 100 % training accuracy (validation stays low: it has memorised, not learnt)."""
    small = {"X_train": data["X_train"][:hp.overfit_n], "y_train": data["y_train"][:hp.overfit_n],
             "X_val": data["X_val"], "y_val": data["y_val"]}
    model = FullyConnectedNet(list(hp.overfit_hidden_dims), input_dim=data["X_train"].shape[1],
                              num_classes=int(data["y_train"].max()) + 1, weight_scale=hp.overfit_weight_scale,
                              seed=hp.seed)
    solver = Solver(model, small, update_rule="sgd", optim_config={"learning_rate": hp.overfit_learning_rate},
                    batch_size=min(25, hp.overfit_n), num_epochs=hp.overfit_epochs, num_val_samples=1000,
                    verbose=False, progress=progress, seed=hp.seed)
    solver.train()
    return {"n": hp.overfit_n, "hidden_dims": list(hp.overfit_hidden_dims), "weight_scale": hp.overfit_weight_scale,
            "learning_rate": hp.overfit_learning_rate, "epochs": hp.overfit_epochs,
            "train_acc": [float(a) for a in solver.train_acc_history], "val_acc": [float(a) for a in solver.val_acc_history]}


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

    # one search per hidden size (the chapter's tune_two_layer_net), the best network over all of them
    search, best_net, best_val, best_hidden, best_config = {}, None, -1.0, None, None
    for hidden in hp.hidden_sizes:
        net, val, results = tune_two_layer_net(
            data, hidden, hp.learning_rates, hp.regs, hp.num_iters,
            batch_size=hp.batch_size, learning_rate_decay=hp.lr_decay, seed=hp.seed)
        say(f"TwoLayerNet (hidden {hidden}) search:")
        for (lr, reg), (tr, va) in sorted(results.items()):
            say(f"  lr={lr:<8g} reg={reg:<6g} train {tr:.3f}  val {va:.3f}")
            search[search_key(hidden, lr, reg)] = [tr, va]
        if val > best_val:
            best_net, best_val, best_hidden = net, val, hidden
            best_config = max(results, key=lambda k: results[k][1])
    two_layer_test = float(np.mean(best_net.predict(data["X_test"]) == data["y_test"]))
    say(f"  best hidden={best_hidden} lr={best_config[0]:g} reg={best_config[1]:g}: val {best_val:.3f}, "
        f"test {two_layer_test:.3f}")

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
    overfit = overfit_small(hp, data, progress=verbose)
    say(f"overfit {hp.overfit_n} examples: training accuracy {overfit['train_acc'][-1]:.3f}")
    return Result(
        profile=profile, hparams=hp, search=search,
        best_config=best_config, two_layer_val=best_val, two_layer_test=two_layer_test,
        fc_val=fc_val, fc_test=fc_test, seconds=time.perf_counter() - start, best_hidden=best_hidden,
        fc_history={"loss": [float(v) for v in solver.loss_history],
                    "train_acc": [float(v) for v in solver.train_acc_history],
                    "val_acc": [float(v) for v in solver.val_acc_history]},
        overfit=overfit,
        best_net=best_net, fc_net=fc, fc_solver=solver, data=data)
