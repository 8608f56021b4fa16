"""Receptive-field arithmetic for a chain of convolution and pooling layers.

Each layer is ``(kernel, stride, padding)``. Walking from the input, three numbers describe
the output of every layer: its spatial ``size``, the receptive field ``rf`` of one output
pixel (in input pixels), and the ``jump`` (how many input pixels apart two neighbouring
output pixels are)::

    size_out = (size_in + 2 * padding - kernel) // stride + 1
    rf_out   = rf_in + (kernel - 1) * jump_in
    jump_out = jump_in * stride

The receptive field grows with the *incoming* jump, so a layer's stride only affects the
layers after it.
"""
from __future__ import annotations


def receptive_field(layers, input_size=28):
    """Return one ``(size, rf, jump)`` tuple per layer of ``layers`` (``(kernel, stride, padding)`` each)."""
    ### BEGIN SOLUTION
    size, rf, jump = input_size, 1, 1
    table = []
    for kernel, stride, padding in layers:
        size = (size + 2 * padding - kernel) // stride + 1
        rf = rf + (kernel - 1) * jump
        jump = jump * stride
        table.append((size, rf, jump))
    return table
    ### END SOLUTION
