"""Reference solutions of the frn_vs_bn chapter: Filter Response Normalization against
BatchNorm and GroupNorm in a Network-in-Network, compared fairly across batch sizes.

Run the sweep with ``python -m solutions.frn_vs_bn --profile full``; the data pipelines'
benchmark with ``python -m solutions.frn_vs_bn.bench``.
"""
from .dependence import batch_dependence
from .frn import FilterResponseNorm2d
from .nin import LAYOUT, NORMS, NiN, channels, norm_layer
from .protocol import compare_norms

__all__ = ["FilterResponseNorm2d", "LAYOUT", "NORMS", "NiN", "batch_dependence", "channels", "compare_norms",
           "norm_layer"]
