"""Typed hyper-parameters of the frn_vs_bn sweep, one preset per profile."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Hparams:
    dataset: str = "cifar10"              # cifar10 | fashion-mnist | mnist (coursekit.data names)
    n_train: int | None = None            # None: every training image not held out for validation
    n_val: int = 5000                     # carved at random from the training set (seed 0, the same for every run)
    n_test: int | None = None
    # the sweep: every (norm, batch size, seed) is a fresh model and optimizer
    norms: tuple[str, ...] = ("bn", "frn", "gn")
    batch_sizes: tuple[int, ...] = (2, 4, 8, 32, 128)
    seeds: tuple[int, ...] = (0, 1, 2)
    # model
    width: float = 1.0                    # NiN's channels x width (192 -> 48 at 0.25)
    dropout: float = 0.5
    # optimisation: SGD + Nesterov momentum, one-cycle schedule stepped per batch,
    # learning rate scaled linearly with the batch size (base_lr at base_batch)
    epochs: int = 40
    base_lr: float = 0.05
    base_batch: int = 128
    momentum: float = 0.9
    weight_decay: float = 5e-4
    pct_start: float = 0.15
    amp: bool = True                      # bf16 autocast on CUDA (FRN keeps nu2 in float32)

    def lr(self, batch_size: int) -> float:
        return self.base_lr * batch_size / self.base_batch

    def with_(self, **changes) -> "Hparams":
        return replace(self, **changes)


PROFILES = {
    # Fashion-MNIST (offline), 512 training images, a quarter-width NiN, one epoch, one seed:
    # the whole sweep in well under a minute on 2 CPU cores. It shows the pipeline, not the result.
    "smoke": Hparams(dataset="fashion-mnist", n_train=512, n_val=256, n_test=500, width=0.25, epochs=1,
                     seeds=(0,)),
    # Fashion-MNIST on 2 CPU cores in under an hour (book/frn_vs_bn/measured/): the whole sweep
    # (3 norms x 5 batch sizes x 3 seeds, 45 fresh networks), each on the same 4,000 training images
    # for 10 epochs at an eighth of NiN's width, without dropout (at this width and budget the
    # network underfits: a pilot at batch 128 reached 75 % with dropout 0.5, 85 % without), and a
    # base learning rate of 0.1 at batch 128 (0.05 and 0.2 did no better for either norm).
    "cpu": Hparams(dataset="fashion-mnist", n_train=4000, n_val=500, n_test=2000, width=0.125, dropout=0.0,
                   epochs=10, base_lr=0.1),
    # CIFAR-10 as in the original notebook, with crop + flip augmentation; 3 seeds (a GPU is needed:
    # batch size 2 alone is 22,500 steps per epoch).
    "full": Hparams(),
}


def for_dataset(hp: Hparams, dataset: str) -> Hparams:
    return hp.with_(dataset=dataset)
