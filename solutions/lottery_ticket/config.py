"""Typed hyper-parameters of the lottery_ticket experiment, one preset per profile and model."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .imp import STRATEGIES
from .training import TrainConfig

MODELS = ("lenet", "textcnn")
RANDOM_MASKS = ("ticket", "own")


@dataclass(frozen=True)
class Hparams:
    model: str = "lenet"                  # lenet (LeNet-300-100) | textcnn
    dataset: str = "fashion-mnist"        # lenet: a name accepted by coursekit.data.load; textcnn: ag_news
    n_train: int | None = None            # None: every training example not held out for validation
    n_val: int = 5000                     # carved at random (per seed) from the training set
    n_test: int | None = None             # None: the whole test set
    # pruning
    strategies: tuple[str, ...] = STRATEGIES
    rounds: int = 15                      # pruning rounds after the dense round 0 (0.8^15 = 3.5 % of hidden weights)
    hidden_rate: float = 0.2              # per round, of the surviving weights of every layer but the last
    output_rate: float = 0.1              # per round, of the output layer's surviving weights
    late_iteration: int = 1000            # k of late rewinding (about 2 % of training)
    # "ticket": the random re-initialisation control keeps the masks found by the "init" run
    # of the same seed (Frankle & Carbin's control: same structure, new initial values);
    # "own": it prunes its own randomly re-initialised networks round after round (the seed's way).
    random_masks: str = "ticket"
    # optimisation (Frankle & Carbin, LeNet-300-100: Adam 1.2e-3, batch 60, 50,000 iterations)
    iterations: int = 50_000
    batch_size: int = 60
    lr: float = 1.2e-3
    weight_decay: float = 0.0
    eval_every: int = 100
    patience: int | None = None           # iterations without a better validation loss before stopping
    seeds: tuple[int, ...] = (0,)
    # text CNN (model="textcnn")
    vocab_size: int = 20_000
    max_len: int = 64
    embed_dim: int = 64
    filters: int = 100
    kernel_sizes: tuple[int, ...] = (3, 4, 5)
    dropout: float = 0.5
    synthetic: bool = False               # write a synthetic AG News into a temporary data root
    synthetic_sizes: tuple[int, int] = (1200, 200)   # its training and test rows

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown or not self.strategies:
            raise ValueError(f"strategies must be a non-empty subset of {STRATEGIES}, got {self.strategies}")
        if self.random_masks not in RANDOM_MASKS:
            raise ValueError(f"random_masks must be one of {RANDOM_MASKS}, got {self.random_masks!r}")
        if not 0 <= self.late_iteration <= self.iterations:
            raise ValueError(f"late_iteration={self.late_iteration} must lie in 0..iterations={self.iterations}")

    def with_(self, **changes) -> "Hparams":
        return replace(self, **changes)

    def train_config(self) -> TrainConfig:
        return TrainConfig(iterations=self.iterations, batch_size=self.batch_size, lr=self.lr,
                           weight_decay=self.weight_decay, eval_every=self.eval_every, patience=self.patience)


PROFILES = {
    # LeNet-300-100 on a Fashion-MNIST subset (offline, from Debian): 5 rounds, 3 strategies, seconds on a CPU.
    "smoke": Hparams(n_train=5000, n_val=1000, n_test=2000, rounds=5, iterations=500, eval_every=50,
                     late_iteration=50),
    # Frankle & Carbin's recipe on the whole of Fashion-MNIST (55,000 / 5,000 / 10,000), three seeds
    # (they average five trials); a GPU recommended.
    "full": Hparams(seeds=(0, 1, 2)),
}

TEXT_PROFILES = {
    # a small text CNN on a synthetic AG News written to a temporary folder: seconds on a CPU.
    "smoke": Hparams(model="textcnn", dataset="ag_news", synthetic=True, n_val=200, rounds=3, iterations=150,
                     eval_every=25, late_iteration=25, batch_size=32, lr=1e-3, vocab_size=2000, max_len=32,
                     embed_dim=32, filters=16),
    # the real AG News (120,000 / 7,600 news items): 115,000 / 5,000 / 7,600, about 3 epochs per round.
    "full": Hparams(model="textcnn", dataset="ag_news", rounds=12, iterations=6000, eval_every=200,
                    late_iteration=200, batch_size=64, lr=1e-3),
}


def preset(profile: str, model: str = "lenet") -> Hparams:
    """The preset of ``profile`` ("smoke" or "full") for ``model`` ("lenet" or "textcnn")."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return (PROFILES if model == "lenet" else TEXT_PROFILES)[profile]
