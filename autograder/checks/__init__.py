"""Trusted hidden tests, run by the grading worker, outside the student's kernel.

A chapter's module defines ``CHECKS``: grade_id -> function(probe). A check asks the
student's kernel for *observations* with ``probe.run(code, **inputs)`` (the code runs in
the kernel's namespace on inputs the check chose, and returns arrays), computes the
expected values with ``probe.reference(code, **inputs)`` (the same code on the reference
implementation from ``solutions``, in this trusted process), and decides with assertions
in this process. Nothing the student's code does inside the kernel (patched comparisons,
swallowed exceptions, replaced helpers) can change the decision; to pass, the kernel must
return the right numbers for inputs it has never seen.
"""
import importlib


def _module(chapter: str):
    try:
        return importlib.import_module(f"{__name__}.{chapter}")
    except ModuleNotFoundError:
        return None


def load(chapter: str) -> dict:
    """grade_id -> trusted check of ``chapter`` (empty when the chapter has none)."""
    module = _module(chapter)
    return dict(module.CHECKS) if module else {}


def reference(chapter: str) -> dict:
    """The namespace the checks' observation code runs in on the reference implementation."""
    module = _module(chapter)
    return dict(module.REFERENCE) if module else {}
