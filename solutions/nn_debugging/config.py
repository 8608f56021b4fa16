"""Typed hyper-parameters of the nn_debugging experiment, one preset per profile."""
from __future__ import annotations

from dataclasses import dataclass, replace

#: Every case of :data:`solutions.nn_debugging.setups.CASES`, in the order the runner trains them.
CASE_NAMES = ("unshuffled", "weight_decay", "zeroed_checkpoint", "no_eval", "no_zero_grad", "bgr_uint8",
              "diverging_lr", "label_offset")


@dataclass(frozen=True)
class Hparams:
    dataset: str = "fashion-mnist"          # fashion-mnist (offline default) | mnist | synthetic
    n_train: int | None = None              # None: the whole training split as PNG files
    n_val: int | None = None                # None: the whole test split as the validation folder
    data_seed: int = 0                      # which subset the PNG folder holds
    # model: "small" (SmallResNet of `width`) or "resnet18" (torchvision's, adapted to 28x28 grayscale)
    model: str = "resnet18"
    width: int = 16
    # training: the same for every setup; a setup changes only what its bug changes
    epochs: int = 5                         # from scratch (the healthy run is also the checkpoint)
    finetune_epochs: int = 2                # from the (damaged or repaired) checkpoint
    batch_size: int = 128
    seed: int = 0
    amp: bool = False                       # fp32 everywhere: the broken loops run without autocast
    cases: tuple[str, ...] = CASE_NAMES
    target_acc: float = 0.88                # the validation accuracy every fix must reach

    def with_(self, **changes) -> "Hparams":
        return replace(self, **changes)


PROFILES = {
    # 2,000 / 500 PNG files of Fashion-MNIST, the small ResNet at width 12 (44k parameters), 3 epochs:
    # every case broken and fixed in about 40 s on one CPU thread (width 16: about 65 s for one point more).
    "smoke": Hparams(n_train=2000, n_val=500, model="small", width=12, epochs=3, finetune_epochs=2,
                     batch_size=64, target_acc=0.65),
    # all 60,000 / 10,000 images as PNG files, ResNet-18 as in the seed, 5 epochs (a GPU recommended).
    "full": Hparams(),
}
