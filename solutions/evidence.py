"""Committed measurements, shown in the book: ``book/<chapter>/measured/``.

A runner run with ``--out book/<chapter>/measured`` leaves there its ``table.md``,
``result.json``, figures and ``provenance.json`` (:mod:`solutions.provenance`). The book's
experiment pages show that record instead of rerunning it (a measured run takes up to an hour;
the book builds in minutes): :func:`provenance_line` says how it was made, :func:`show` puts the
table, the line and the figures on the page. ``tests/test_measured.py`` fails when a record's
hyper-parameters are no longer its profile's preset, and names the command that re-measures.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measured_dir(chapter: str, sub: str = "") -> Path:
    return ROOT / "book" / chapter / "measured" / sub


def records(root: Path = ROOT) -> list[Path]:
    """Every committed ``provenance.json`` under ``book/*/measured/``."""
    return sorted((root / "book").glob("*/measured/**/provenance.json"))


def load(chapter: str, sub: str = "") -> tuple[dict, dict, str]:
    """``(provenance, result, table markdown)`` of a chapter's measured run; FileNotFoundError names the command."""
    folder = measured_dir(chapter, sub)
    try:
        prov = json.loads((folder / "provenance.json").read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no measured run in {folder}: python -m solutions.{chapter} --profile cpu "
                                f"--out {folder.relative_to(ROOT)}") from None
    result = json.loads((folder / "result.json").read_text())
    return prov, result, (folder / "table.md").read_text()


def provenance_line(prov: dict) -> str:
    """One sentence: what was run, where, when, how long (markdown)."""
    minutes = prov["seconds"] / 60
    state = "clean tree" if prov.get("clean") else ("uncommitted changes: " + ", ".join(prov.get("dirty") or [])
                                                    if prov.get("clean") is False else "tree state unknown")
    workers = f", {prov['workers']} Dask worker processes" if prov.get("workers") else ""
    seeds = prov.get("seeds")
    seeds = f"; seeds {', '.join(str(s) for s in seeds)}" if seeds else ""
    return (f"*Measured* with `{prov['command']}` at commit `{prov['commit'][:10]}` ({state}) on "
            f"{prov['device']}{workers}, torch {prov['torch']}, {prov['date'][:10]}: "
            f"{minutes:.1f} min of wall time{seeds}.")


def show(chapter: str, figures: list[str] | None = None, sub: str = "") -> dict:
    """Display the measured run of ``chapter`` (provenance line, table, then ``figures`` by file
    stem, default all PNGs); returns its ``result.json``."""
    from IPython.display import Image, Markdown, display

    prov, result, table = load(chapter, sub)
    display(Markdown(provenance_line(prov)))
    display(Markdown(table))
    folder = measured_dir(chapter, sub)
    names = figures if figures is not None else sorted(p.stem for p in folder.glob("*.png"))
    for name in names:
        display(Image(filename=str(folder / f"{name}.png")))
    return result
