"""Loaded by every Python process of a grading run (its folder is first on PYTHONPATH).

Student code must not import the instructor-only packages: a meta-path finder placed
before every other finder answers ``ModuleNotFoundError`` for them.
"""
import sys

_BLOCKED = ("solutions",)


class _Blocker:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not available while grading)", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
