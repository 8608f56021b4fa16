"""Per-chapter catalogues of mutants (plausible wrong answers) and valid variants (correct
answers written differently), graded by ``python -m autograder selftest``."""
import importlib


def load(chapter: str):
    """The catalogue module of ``chapter`` (with ``MUTANTS`` and ``VARIANTS``), or None."""
    try:
        return importlib.import_module(f"{__name__}.{chapter}")
    except ModuleNotFoundError:
        return None
