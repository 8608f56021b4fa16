"""Typed hyper-parameters of the two_layer_net experiment, one preset per profile."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hparams:
    dataset: str                      # a name accepted by coursekit.data.load
    image_shape: tuple[int, ...]      # (C, H, W) or (H, W), to draw first-layer weights
    n_train: int | None               # None: every training image not held out for validation
    n_val: int
    n_test: int | None
    # TwoLayerNet search (hidden size fixed, as in the assignment)
    hidden_size: int
    num_iters: int
    batch_size: int
    learning_rates: tuple[float, ...]
    regs: tuple[float, ...]
    lr_decay: float
    # FullyConnectedNet trained by the Solver
    fc_hidden_dims: tuple[int, ...]
    fc_weight_scale: float
    fc_reg: float
    fc_update_rule: str
    fc_learning_rate: float
    fc_lr_decay: float
    fc_epochs: int
    fc_batch_size: int
    seed: int = 0
    profile: str = "smoke"            # the preset's name, reported with the results
    # the search's hidden sizes (each searched over the same grid); () searches hidden_size alone
    search_hidden_sizes: tuple[int, ...] = ()
    # the sanity check of the chapter: a FullyConnectedNet that must reach 100 % on a few examples
    overfit_n: int = 50
    overfit_hidden_dims: tuple[int, ...] = (100, 100)
    overfit_weight_scale: float = 2e-2
    overfit_learning_rate: float = 1e-2
    overfit_epochs: int = 20

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return self.search_hidden_sizes or (self.hidden_size,)


PROFILES = {
    # Fashion-MNIST (offline, from Debian), a subset: about 10 s on 2 CPU cores.
    "smoke": Hparams(
        dataset="fashion-mnist", image_shape=(28, 28), n_train=5000, n_val=1000, n_test=1000,
        hidden_size=50, num_iters=600, batch_size=200,
        learning_rates=(3e-4, 1e-3), regs=(0.05, 0.25), lr_decay=0.95,
        fc_hidden_dims=(100, 100), fc_weight_scale=1e-3, fc_reg=0.05, fc_update_rule="adam",
        fc_learning_rate=1e-3, fc_lr_decay=0.95, fc_epochs=4, fc_batch_size=200,
    ),
    # Fashion-MNIST in full (55,000 / 5,000 / 10,000) on 2 CPU cores: 4 learning rates x 3
    # regularisation strengths (two orders of magnitude apart, so that regularisation shows) x 2
    # hidden sizes, 10 epochs each; a four-layer FullyConnectedNet for 15 epochs (book/two_layer_net/measured/).
    "cpu": Hparams(
        dataset="fashion-mnist", image_shape=(28, 28), n_train=None, n_val=5000, n_test=None,
        hidden_size=50, num_iters=2750, batch_size=200,
        learning_rates=(1e-4, 3e-4, 1e-3, 3e-3), regs=(1e-2, 1.0, 10.0), lr_decay=0.95,
        fc_hidden_dims=(256, 128, 64), fc_weight_scale=1e-2, fc_reg=1e-2, fc_update_rule="adam",
        fc_learning_rate=3e-4, fc_lr_decay=0.9, fc_epochs=15, fc_batch_size=200, profile="cpu",
        search_hidden_sizes=(50, 200),
    ),
    # CIFAR-10 as in the assignment: 49,000 / 1,000 / 1,000 (minutes on a CPU).
    "full": Hparams(
        dataset="cifar10", image_shape=(3, 32, 32), n_train=49000, n_val=1000, n_test=1000,
        hidden_size=50, num_iters=5000, batch_size=200,
        learning_rates=(1e-3, 1.5e-3), regs=(0.25, 0.35, 0.5), lr_decay=0.95,
        fc_hidden_dims=(512, 256), fc_weight_scale=1e-3, fc_reg=0.5, fc_update_rule="adam",
        fc_learning_rate=3e-4, fc_lr_decay=0.95, fc_epochs=20, fc_batch_size=200, profile="full",
    ),
}
