"""Loaded by every student kernel during grading (its folder is first on the kernel's PYTHONPATH).

Student code must not import the instructor-only packages: a meta-path finder placed
before every other finder answers ``ModuleNotFoundError`` for them. (In the isolated
sandbox the packages are not even visible; this also covers the weaker mode.) Warnings
are printed to stdout (see below).
"""
import sys

_BLOCKED = ("solutions", "autograder")


class _Blocker:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not available while grading)", name=name)
        return None


sys.meta_path.insert(0, _Blocker())


# nbgrader scores a test cell 0 when it writes anything to stderr, and Python writes warnings
# there. A harmless warning from a library (PyTorch's "converting a tensor with
# requires_grad=True to a scalar", NumPy's overflow notes) would cost a student a correct
# cell, so while grading, warnings are printed to stdout instead: they still appear in the
# feedback, and only errors and failed checks cost points.
import warnings as _warnings


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None):
    sys.stdout.write(_warnings.formatwarning(message, category, filename, lineno, line))


_warnings.showwarning = _warning_to_stdout
