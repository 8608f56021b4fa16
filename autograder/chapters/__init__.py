"""The course's chapters: one package each, ``autograder/chapters/<chapter>/``.

A chapter package holds, side by side:

* ``spec.py``: ``CELLS``, the cells of the source notebook (:mod:`autograder.build`). A test
  cell is made with ``tests(checks.test_x, points, visible=...)``: its grade id *is* the name
  of its trusted check, linked by the function object, so the two cannot be named apart;
* ``checks.py``: the trusted hidden checks (one function per test cell, run outside the
  student's kernel by :mod:`autograder.trusted`) and ``REFERENCE``, the namespace of reference
  objects from :mod:`solutions` that their observation code runs on;
* ``catalogue.py``: ``MUTANTS``, ``VARIANTS`` and the attack settings (:mod:`autograder.catalogue`).

Beside it live ``solutions/<chapter>/`` (reference code and runner) and ``book/<chapter>/``
(its pages). The list of chapters, in book order, comes from one place: the book's table of
contents ``_toc.yml``. A chapter is a folder ``book/<chapter>/`` named there *and* a package
here; one without the other is an error, so no list names a chapter that does not exist.

Loading a chapter imports its modules -- an import error (a renamed function in
:mod:`solutions`, say) propagates and stops ``build``, ``grade`` and ``selftest`` -- and checks
every name that links them (:meth:`Chapter.problems`): a chapter that does not hold together
raises :class:`ChapterError` listing what is wrong.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from .. import ROOT
from ..build import SOLUTION_MARKERS, Cell, name_cells, reference_code

PACKAGE_DIR = Path(__file__).resolve().parent


class ChapterError(RuntimeError):
    """A chapter whose parts do not agree (a test cell without a check, a mutant of a missing cell...)."""


@dataclass(frozen=True)
class Chapter:
    name: str
    cells: tuple[Cell, ...]
    checks_module: ModuleType
    catalogue: ModuleType

    # ------------------------------------------------------------------ what it holds
    @property
    def checks(self) -> dict[str, Callable]:
        """grade id -> trusted check, for every autograded test cell."""
        return {c.grade_id: c.check for c in self.cells if c.role == "tests"}

    @property
    def reference(self) -> dict:
        """The namespace the checks' observation code runs in on the reference implementation."""
        return dict(self.checks_module.REFERENCE)

    @property
    def points(self) -> dict[str, float]:
        """grade id -> points of every graded cell (autograded tests and manually graded answers)."""
        return {c.grade_id: c.points for c in self.cells if c.role in ("tests", "answer") and c.points}

    @property
    def manual_points(self) -> float:
        """Points of the written answers a person grades (nbgrader's manually graded cells)."""
        return float(sum(c.points for c in self.cells if c.role == "answer" and c.points))

    @property
    def solutions(self) -> dict[str, str]:
        """grade id -> the reference answer of every cell a student completes (markers removed)."""
        return {c.grade_id: reference_code(c.source) for c in self.cells if c.role == "solution"}

    def tests_of(self, cell: str) -> list[str]:
        """The test cells that test the solution cell ``cell``: those after it, up to the next solution cell."""
        out, after = [], False
        for c in self.cells:
            if c.grade_id == cell:
                after = True
            elif after and c.role == "solution":
                break
            elif after and c.role == "tests":
                out.append(c.grade_id)
        return out

    @property
    def mutants(self) -> list:
        return list(self.catalogue.MUTANTS)

    @property
    def variants(self) -> list:
        return list(self.catalogue.VARIANTS)

    @property
    def source_path(self) -> Path:
        return ROOT / "source" / self.name / f"{self.name}.ipynb"

    @property
    def release_path(self) -> Path:
        return ROOT / "release" / self.name / f"{self.name}.ipynb"

    # ------------------------------------------------------------------ does it hold together
    def problems(self) -> list[str]:
        """Every broken link between the spec, the checks and the catalogue (empty when sound)."""
        out = []
        tests = self.checks
        answers = self.solutions
        for cell in self.cells:
            if cell.role == "tests":
                if cell.check is None or getattr(cell.check, "__module__", None) != self.checks_module.__name__:
                    out.append(f"test cell {cell.grade_id!r} is not linked to a check of {self.checks_module.__name__}")
                if not cell.points > 0:
                    out.append(f"test cell {cell.grade_id!r} is worth no points")
            if cell.role == "solution":
                if not all(m in cell.source for m in SOLUTION_MARKERS):
                    out.append(f"solution cell {cell.grade_id!r} has no {' / '.join(SOLUTION_MARKERS)} region")
                elif not _between_markers(cell.source).strip():
                    out.append(f"solution cell {cell.grade_id!r} has no reference code between its markers")
        defined = {name for name, fn in vars(self.checks_module).items()
                   if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", None) == self.checks_module.__name__}
        for name in sorted(defined - set(tests)):
            out.append(f"check {name}() in {self.checks_module.__name__} is used by no test cell")
        for kind, items in (("mutant", self.mutants), ("variant", self.variants)):
            names = [item.name for item in items]
            for dup in sorted({n for n in names if names.count(n) > 1}):
                out.append(f"two {kind}s are named {dup!r}")
        for m in self.mutants:
            if m.cell not in answers:
                out.append(f"mutant {m.name!r} edits {m.cell!r}, which is not a solution cell")
            else:
                try:
                    if m.source(answers[m.cell]) == answers[m.cell]:
                        out.append(f"mutant {m.name!r} does not change cell {m.cell!r}")
                except ValueError as err:
                    out.append(f"{err} (the reference changed: update the mutant)")
            if not m.catches:
                out.append(f"mutant {m.name!r} names no test cell that must catch it")
            out += [f"mutant {m.name!r} must be caught by {c!r}, which is not a test cell" for c in m.catches if c not in tests]
        for v in self.variants:
            out += [f"variant {v.name!r} replaces {c!r}, which is not a solution cell" for c in v.cells if c not in answers]
        honest = list(getattr(self.catalogue, "HONEST", []))
        target = getattr(self.catalogue, "ATTACK_TARGET", None)
        out += [f"HONEST names {c!r}, which is not a solution cell" for c in honest if c not in answers]
        if target is not None and (target not in answers or target in honest):
            out.append(f"ATTACK_TARGET {target!r} must be a solution cell outside HONEST")
        return out


def _between_markers(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == SOLUTION_MARKERS[0]:
            inside = True
        elif line.strip() == SOLUTION_MARKERS[1]:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def from_package(package: str, name: str | None = None) -> Chapter:
    """Import a chapter package (``spec``, ``checks``, ``catalogue``) and check it; errors propagate."""
    name = name or package.rsplit(".", 1)[-1]
    spec = importlib.import_module(f"{package}.spec")
    checks_module = importlib.import_module(f"{package}.checks")
    catalogue = importlib.import_module(f"{package}.catalogue")
    chapter = Chapter(name, tuple(name_cells(name, spec.CELLS)), checks_module, catalogue)
    problems = chapter.problems()
    if problems:
        raise ChapterError(f"chapter {name} does not hold together:\n  - " + "\n  - ".join(problems))
    return chapter


def toc_chapters(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """The chapters the book's table of contents names (``book/<chapter>/...`` pages), in book order."""
    import yaml

    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            page = node.get("file")
            if isinstance(page, str):
                parts = Path(page).parts
                if len(parts) >= 3 and parts[0] == "book" and parts[1] not in found:
                    found.append(parts[1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(toc.read_text()))
    return found


@functools.lru_cache(maxsize=None)
def names() -> tuple[str, ...]:
    """Every chapter, in book order (see the module docstring)."""
    in_book = toc_chapters()
    packages = sorted(p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists())
    orphans = [p for p in packages if p not in in_book]
    missing = [c for c in in_book if c not in packages]
    if orphans or missing:
        raise ChapterError("_toc.yml and autograder/chapters/ disagree: "
                           + "; ".join([f"{c} has a package but no page in _toc.yml" for c in orphans]
                                       + [f"_toc.yml has pages for {c} but autograder/chapters/{c}/ does not exist" for c in missing]))
    return tuple(in_book)


@functools.lru_cache(maxsize=None)
def load(name: str) -> Chapter:
    """The chapter ``name`` (imported and checked once per process)."""
    if name not in names():
        raise KeyError(f"no chapter named {name!r} (chapters: {', '.join(names())})")
    return from_package(f"{__name__}.{name}", name)


def released() -> list[str]:
    """The chapters whose source and release notebooks exist, in book order."""
    return [c for c in names() if (ROOT / "source" / c / f"{c}.ipynb").exists()
            and (ROOT / "release" / c / f"{c}.ipynb").exists()]
