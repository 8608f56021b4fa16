"""Reference solutions of the lottery_ticket chapter: iterative magnitude pruning and rewinding.

Masks are values (``{weight name: bool tensor}``) passed in and returned; no global state.
Graded: :func:`prune_layerwise`, :func:`apply_masks`, :func:`rewind`,
:func:`iterative_magnitude_pruning`. Run the experiment with
``python -m solutions.lottery_ticket --model lenet --profile full --seeds 3``.
"""
from .imp import STRATEGIES, RoundResult, TrainReport, iterative_magnitude_pruning
from .models import LeNet300100, TextCNN
from .pruning import (PRUNABLE, apply_masks, check_masks, effective_weight, expected_counts, layer_rates,
                      logical_parameters, prunable, prune_layerwise, remaining, rewind, seeded, snapshot)
from .text import Vocabulary, build_vocab, encode, text_splits, tokenize
from .training import TrainConfig, make_train_fn, train_early_stopping

__all__ = [
    "LeNet300100", "PRUNABLE", "RoundResult", "STRATEGIES", "TextCNN", "TrainConfig", "TrainReport", "Vocabulary",
    "apply_masks", "build_vocab", "check_masks", "effective_weight", "encode", "expected_counts",
    "iterative_magnitude_pruning", "layer_rates", "logical_parameters", "make_train_fn", "prunable",
    "prune_layerwise", "remaining", "rewind", "seeded", "snapshot", "text_splits", "tokenize",
    "train_early_stopping",
]
