"""Reference solutions and experiment runners (instructor-only; never shipped to students).

Each chapter is a subpackage with the reference implementation of every graded item and a
runner, ``python -m solutions.<chapter> --profile smoke|full --device auto|cpu|cuda``.
The solution regions of ``source/<chapter>/<chapter>.ipynb`` are generated from these
modules (see :mod:`autograder.build`), so the notebook and the package cannot drift apart.
"""
