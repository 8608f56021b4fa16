"""Reference solutions of the mnist_tuning chapter: a CNN under 10,000 parameters for MNIST.

Run the experiment with ``python -m solutions.mnist_tuning --profile full --seeds 3``.
"""
from .engine import evaluate, to_input, train_one_epoch
from .model import Net, conv_block
from .receptive_field import receptive_field
from .transforms import augment, random_erasing

__all__ = ["Net", "augment", "conv_block", "evaluate", "random_erasing", "receptive_field",
           "to_input", "train_one_epoch"]
