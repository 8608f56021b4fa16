"""Loaded by every student kernel during grading (its folder is first on the kernel's PYTHONPATH).

Student code must not import the instructor-only packages: a meta-path finder placed
before every other finder answers ``ModuleNotFoundError`` for them. (In the isolated
sandbox the packages are not even visible; this also covers the weaker mode.)
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
