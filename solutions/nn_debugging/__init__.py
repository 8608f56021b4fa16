"""Reference solutions of the nn_debugging chapter: finding the bugs that make training fail silently.

``sanity_report(model, batches, ...)`` runs the checks of a good training recipe; the
detectors it is made of live in :mod:`.checks`, the fixes in :mod:`.loop` and :mod:`.repair`,
the broken setups (each a value, with its symptom and fix) in :mod:`.setups`. Run the
experiment with ``python -m solutions.nn_debugging --profile smoke``.
"""
from .checks import (CODES, Finding, check_eval_consistency, check_input_mismatch, check_input_statistics,
                     check_label_diversity, check_labels, check_loss_at_init, check_overfit_one_batch,
                     check_weight_decay, check_zero_grad, effective_weight_decay, find_degenerate_tensors,
                     params_without_gradient)
from .data import PngFolder, load_data, load_png_folder, png_folder, read_like_opencv
from .loop import predict, shuffled_batches, train_loop, train_step
from .model import SmallResNet, build_model, resnet18_gray
from .repair import ZEROED, repair_degenerate, seed_uniform_repair, zero_tensors
from .report import SanityReport, sanity_report
from .setups import CASES, HEALTHY, Case, Setup, report_for

__all__ = ["CASES", "CODES", "Case", "Finding", "HEALTHY", "PngFolder", "SanityReport", "Setup", "SmallResNet",
           "ZEROED", "build_model", "check_eval_consistency", "check_input_mismatch", "check_input_statistics",
           "check_label_diversity", "check_labels", "check_loss_at_init", "check_overfit_one_batch",
           "check_weight_decay", "check_zero_grad", "effective_weight_decay", "find_degenerate_tensors",
           "load_data", "load_png_folder", "params_without_gradient", "png_folder", "predict", "read_like_opencv",
           "repair_degenerate", "report_for", "resnet18_gray", "sanity_report", "seed_uniform_repair",
           "shuffled_batches", "train_loop", "train_step", "zero_tensors"]
