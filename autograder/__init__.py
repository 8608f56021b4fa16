"""The course autograder (``python -m autograder``), built on nbgrader.

Commands
--------
``build``     regenerate ``source/<chapter>/<chapter>.ipynb`` from the chapter's spec
              (``autograder/chapters/<chapter>/``) and the reference code in :mod:`solutions`.
``release``   regenerate ``release/`` from ``source/`` with nbgrader's ``generate_assignment``
              (byte-identical on a rerun) and ship the student library beside it.
``grade``     autograde a folder of submissions (nbgrader's ``<student>/<chapter>/<chapter>.ipynb``
              tree, or flat ``<student>_<chapter>.ipynb`` files) into ``OUT/grades.csv``, one
              feedback HTML per student and chapter, a class gradebook and a score histogram.
``selftest``  grade the source notebook (full marks), the release notebook (no autograded
              points), every mutant / valid variant, and every attack of the catalogue.
``demo``      build the bundled demo class from the release and grade it.

How a class is graded (and why a submission cannot cheat or harm the run)
-------------------------------------------------------------------------
1. **Intake** (:mod:`autograder.intake`, trusted parent). Each file is parsed and repaired
   against the assignment where that gives nothing away (nbformat upgrade, cell ids,
   unknown or duplicated graded cells dropped, kernelspec reset); unreadable files get a
   ``malformed`` row. nbgrader then restores every locked and test cell from its gradebook.
2. **Isolation** (:mod:`autograder.grading`, :mod:`autograder.worker`,
   :mod:`autograder.sandbox`). Every submission is graded by its own worker process in its
   own course folder (a copy of the generated assignment and a private gradebook), under a
   wall-clock timeout; nbgrader's ``autograde`` runs there with a per-cell timeout. The
   student kernel starts through :mod:`autograder.sandbox`: new mount and network
   namespaces (no network; the repository, ``/tmp``, home folders, the submissions and the
   grading output hidden behind empty tmpfs mounts, only ``.venv``, ``coursekit``, a
   read-only data root and its own working folder visible), resource limits (address
   space, CPU time, file size, processes), and an unprivileged uid of its own, whose
   processes are all killed afterwards. Kernel and worker talk over Unix sockets. Without
   root or namespaces the sandbox falls back to limits only and says so in the worker log.
3. **Trusted checking** (:mod:`autograder.trusted`, ``autograder/chapters/<chapter>/checks.py``). The hidden
   tests are not in the notebook. After each test cell, the worker asks the kernel for
   observations (the student's functions applied to inputs chosen by the check, returned as
   plain NumPy arrays read with ``allow_pickle=False``), computes the expected values with
   :mod:`solutions` in the worker, and compares there. A failed check appends an error to
   the test cell, which nbgrader scores 0. Monkeypatched NumPy, replaced builtins or test
   helpers, swallowed exceptions, rewritten test cells: none of it reaches the decision; the
   only way to pass is to return correct results for inputs the student has never seen.
4. **Results** (trusted parent). Scores are read back from each private gradebook, merged
   by one writer into ``OUT/gradebook.db`` (so parallel grading never shares a database
   file), and written to ``grades.csv``; feedback HTML shows each graded cell with its
   points and message, with tracebacks cut to the message.

A chapter is one package, ``autograder/chapters/<chapter>/`` (spec, trusted checks, catalogue;
see :mod:`autograder.chapters`), beside ``solutions/<chapter>/`` and ``book/<chapter>/``; the
chapters and their order come from the book's ``_toc.yml``. The repository root is the
nbgrader course root; :mod:`autograder.nbconfig` holds the nbgrader configuration every
command uses.
"""
import sys
from pathlib import Path

# jsonschema (imported by nbformat) loads the optional ``rfc3987_syntax`` IRI checker when it
# is installed (jupyter-events pulls it in), which builds a grammar at import: about 1 s of
# CPU in every grading process. Nothing here validates IRIs, so it is skipped (jsonschema
# treats a failed import of it as "not installed").
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

ROOT = Path(__file__).resolve().parent.parent
