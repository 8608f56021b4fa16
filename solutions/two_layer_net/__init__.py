"""two_layer_net: backprop from scratch in NumPy (reference solutions)."""
from .fc_net import FullyConnectedNet
from .layers import (affine_backward, affine_forward, affine_relu_backward, affine_relu_forward,
                     relu_backward, relu_forward, softmax_loss, svm_loss)
from .neural_net import TwoLayerNet
from .search import tune_two_layer_net

__all__ = [
    "FullyConnectedNet", "TwoLayerNet", "affine_backward", "affine_forward", "affine_relu_backward",
    "affine_relu_forward", "relu_backward", "relu_forward", "softmax_loss", "svm_loss", "tune_two_layer_net",
]
