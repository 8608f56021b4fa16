"""The course autograder (``python -m autograder``), built on nbgrader.

Commands:

``build``     regenerate ``source/<chapter>/<chapter>.ipynb`` from the chapter spec in
              :mod:`autograder.chapters` and the reference code in :mod:`solutions`.
``release``   regenerate ``release/`` from ``source/`` with nbgrader's ``generate_assignment``
              (byte-identical on a rerun) and ship the student library beside it.
``grade``     autograde a folder of submissions (nbgrader's ``<student>/<chapter>/<chapter>.ipynb``
              tree, or flat ``<student>_<chapter>.ipynb`` files) into ``OUT/grades.csv`` and one
              feedback HTML per student and chapter.
``selftest``  grade the source notebook (full marks), the release notebook (no autograded
              points) and every mutant / valid variant of the chapter's catalogue.
``demo``      build the bundled demo class from the release and grade it.

The repository root is the nbgrader course root; :mod:`autograder.nbconfig` holds the one
nbgrader configuration every command uses.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ("two_layer_net", "mnist_tuning", "frn_vs_bn", "nn_debugging", "lottery_ticket")
