"""``python -m autograder selftest``: prove the hidden tests and the grader do their job.

For each chapter it grades, in one run: the source notebook (must earn full marks), the
release notebook (must earn no autograded points), every mutant of the chapter's catalogue
(must lose points in each test cell it names) and every valid variant (full marks). The last
line reads ``mutants caught: K/N, variants passed: V/M, attacks contained: A/B``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat

from . import ROOT, attacks, chapters as course_chapters
from .grading import Status, Submission, grade_submissions
from .limits import SELFTEST, SELFTEST_SEED
from .submissions import make_submission


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def selftest(chapters=None, out: Path = ROOT / "_build" / "selftest", workers: int | None = None,
             echo=print, with_attacks: bool = True, seed: int = SELFTEST_SEED,
             attack_plan: dict | None = None) -> bool:
    """``attack_plan`` (chapter -> attacks) grades only those attacks (default: every attack
    against every chapter); all chapters are graded in one run, with ``workers`` at once."""
    chapters = list(chapters or course_chapters.released())
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    workers = workers or os.cpu_count() or 1
    subs: list[Submission] = []
    expect: dict[tuple[str, str], tuple[str, object]] = {}
    for chapter in chapters:
        ch = course_chapters.load(chapter)  # an import error or a broken link stops the self-test here
        cat = ch.catalogue
        folder = out / "submissions"
        subs.append(Submission("source", chapter, _write(nbformat.read(ch.source_path, 4), folder / f"source_{chapter}.ipynb")))
        expect[("source", chapter)] = ("full", None)
        subs.append(Submission("release", chapter, _write(make_submission(chapter, fill="none"), folder / f"release_{chapter}.ipynb")))
        expect[("release", chapter)] = ("zero", None)
        reference = ch.solutions
        for m in ch.mutants:
            nb = make_submission(chapter, replace={m.cell: m.source(reference[m.cell])})
            sid = f"mutant-{m.name}"
            subs.append(Submission(sid, chapter, _write(nb, folder / f"{sid}_{chapter}.ipynb")))
            expect[(sid, chapter)] = ("mutant", m)
        for v in ch.variants:
            nb = make_submission(chapter, replace=v.cells)
            sid = f"variant-{v.name}"
            subs.append(Submission(sid, chapter, _write(nb, folder / f"{sid}_{chapter}.ipynb")))
            expect[(sid, chapter)] = ("variant", v)
        if with_attacks and hasattr(cat, "HONEST"):
            subs.append(Submission("honest", chapter, _write(attacks.build_honest(chapter, cat), folder / f"honest_{chapter}.ipynb")))
            expect[("honest", chapter)] = ("honest", None)
            for a in (attack_plan[chapter] if attack_plan is not None else attacks.ATTACKS):
                sid = a.student or f"attack-{a.name}"
                path = folder / f"{sid}_{chapter}.ipynb"
                if a.placement == "notebook":
                    _write(attacks.build_attack(a, chapter, cat), path)
                else:  # a symbolic link in place of the file: to the source notebook, or to the honest student's
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.symlink_to(ch.source_path.resolve() if a.placement == "link_source"
                                    else folder / f"honest_{chapter}.ipynb")
                subs.append(Submission(sid, chapter, path))
                expect[(sid, chapter)] = ("attack", a)
    echo(f"selftest: grading {len(subs)} notebooks of {', '.join(chapters)} with {workers} worker(s), seed {seed}")
    # no canary: the self-test grades the source notebook itself and expects full marks
    rows = grade_submissions(subs, out, workers=workers, limits=SELFTEST, hide=(out / "submissions",), seed=seed,
                             canary=False)
    from .grading import write_csv
    write_csv(rows, out / "grades.csv")  # what an instructor's spreadsheet opens (the formula-id attack reads it)
    counts = {"mutant": [0, 0], "variant": [0, 0], "attack": [0, 0]}
    ok = True
    honest = {r.chapter: r for r in rows if r.student == "honest"}
    attack_rows = []
    for row in rows:
        kind, item = expect[(row.student, row.chapter)]
        full = row.full_marks
        if kind == "full":
            good = full
            detail = f"{row.score:g}/{row.max_score:g} (expected full marks)"
        elif kind == "zero":
            good = row.status is Status.OK and row.score == 0
            detail = f"{row.score:g}/{row.max_score:g} (expected 0)"
        elif kind == "mutant":
            lost = [c for c in item.catches if c in row.cells and row.cells[c]["score"] < row.cells[c]["max_score"]]
            missing = [c for c in item.catches if c not in lost]
            # a mutant is caught by a check's verdict, not by a cell that ran out of time (under
            # a class's looser limits it could pass)
            good = row.status is Status.OK and not missing and not row.incidents
            counts["mutant"][1] += 1
            counts["mutant"][0] += good
            detail = f"{row.score:g}/{row.max_score:g}" + (f", NOT caught by {missing}" if missing else f", caught by {lost}")
            if row.incidents:
                detail += f", but {row.incidents} cell(s) timed out or killed the kernel: not a check's verdict"
        elif kind == "honest":
            good = row.status is Status.OK and 0 < row.score < row.max_score
            detail = f"{row.score:g}/{row.max_score:g} (the honest part of every attack)"
        elif kind == "attack":
            attack_rows.append(row)
            continue
        else:
            good = full
            counts["variant"][1] += 1
            counts["variant"][0] += good
            failed = [c for c, v in row.cells.items() if not v.get("manual") and v["score"] < v["max_score"]]
            detail = f"{row.score:g}/{row.max_score:g}" + (f", lost points in {failed}" if failed else "")
        ok &= good
        echo(f"  {'PASS' if good else 'FAIL'}  {row.chapter:<14} {row.student:<45} {detail}  [{row.status_text}]")
    # an attack is contained when it earns no more than the honest part alone and every other
    # submission of this run (source, release, mutants, variants, honest) got its expected grade
    others_ok = ok
    for row in attack_rows:
        base = honest.get(row.chapter)
        attack = expect[(row.student, row.chapter)][1]
        why = attack.verify(row, out) if attack.verify else None
        good = others_ok and base is not None and row.score <= base.score + 1e-9 and row.max_score == base.max_score \
            and why is None
        counts["attack"][1] += 1
        counts["attack"][0] += good
        ok &= good
        gained = f"{row.score:g}/{row.max_score:g} vs honest {base.score:g}" if base else "no honest baseline"
        gained += f", but {why}" if why else ""
        echo(f"  {'PASS' if good else 'FAIL'}  {row.chapter:<14} {row.student:<45} {gained}  [{row.status_text}]")
    m, v, a = counts["mutant"], counts["variant"], counts["attack"]
    echo(f"mutants caught: {m[0]}/{m[1]}, variants passed: {v[0]}/{v[1]}, attacks contained: {a[0]}/{a[1]}")
    return ok
