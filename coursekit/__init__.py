"""coursekit: the given code of the course *Training neural networks, from backprop to pruning*.

Students receive this package next to the release notebooks. It holds only code that is
handed out, never a graded algorithm:

- :mod:`coursekit.data`      one loader per dataset, synthetic data in the real on-disk formats
                             (a package split by concern: root, errors, splits, idx, cifar,
                             ag_news, fetch, synthetic, registry; import from ``coursekit.data``)
- :mod:`coursekit.device`    CPU / CUDA selection
- :mod:`coursekit.profiles`  the ``smoke`` / ``full`` run profiles
- :mod:`coursekit.gradcheck` numerical gradients and relative errors (float64)
- :mod:`coursekit.optim`     update rules for the NumPy :class:`~coursekit.solver.Solver`
- :mod:`coursekit.solver`    the cs231n-style Solver for NumPy models
- :mod:`coursekit.train`     ``fit``: the one PyTorch training loop shared by every chapter
- :mod:`coursekit.plotting`  weight grids and training curves
"""

__version__ = "0.1.0"
