"""What a chapter's catalogue (``autograder/chapters/<chapter>/catalogue.py``) is made of.

* ``MUTANTS``: plausible wrong answers, each an edit of the reference answer of one cell; each
  must lose the points of the test cells it names.
* ``VARIANTS``: correct answers written differently; each must keep full marks.
* ``HONEST``, ``ATTACK_TARGET``, ``ATTACK_STUBS``: the honest part every attack submission
  completes, the cell that receives the attack, and wrong-but-shaped stubs for the rest
  (:mod:`autograder.attacks`).

``python -m autograder selftest`` grades them all; the names they use are checked against the
chapter's notebook when the chapter loads (:mod:`autograder.chapters`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Mutant:
    """A plausible wrong answer: ``edits`` (old, new) applied to the reference source of ``cell``.

    Grading it must cost points in every test cell named in ``catches``."""

    name: str
    cell: str
    edits: list[tuple[str, str]]
    catches: list[str]
    why: str = ""

    def source(self, reference: str) -> str:
        out = reference
        for old, new in self.edits:
            if old not in out:
                raise ValueError(f"mutant {self.name}: {old!r} not found in cell {self.cell}")
            out = out.replace(old, new, 1)
        return out


@dataclass
class Variant:
    """A correct answer written differently: ``cells`` maps grade ids to new sources. Full marks expected."""

    name: str
    cells: dict[str, str] = field(default_factory=dict)
    why: str = ""
