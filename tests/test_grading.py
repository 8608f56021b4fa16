"""Grading end to end: the self-test, the demo class, and robustness to bad submissions."""
import csv
import json
import re

import nbformat
import pytest

from autograder.demo import run_demo
from autograder.grading import discover, grade_folder
from autograder.selftest import selftest
from autograder.submissions import make_submission
from test_release import check_lines

pytestmark = pytest.mark.slow


def read_grades(path):
    with open(path) as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def test_selftest_catches_every_mutant_and_passes_every_variant(tmp_path):
    lines = []
    ok = selftest(["two_layer_net"], out=tmp_path / "selftest", workers=2, echo=lines.append)
    _assert_selftest(ok, lines, min_attacks=12)


def test_selftest_mnist_tuning(tmp_path):
    lines = []
    ok = selftest(["mnist_tuning"], out=tmp_path / "selftest", workers=2, echo=lines.append)
    _assert_selftest(ok, lines, min_attacks=12)


def _assert_selftest(ok, lines, min_attacks):
    last = lines[-1]
    m = re.fullmatch(r"mutants caught: (\d+)/(\d+), variants passed: (\d+)/(\d+), attacks contained: (\d+)/(\d+)", last)
    assert m, last
    caught, mutants, passed, variants, contained, attacks = map(int, m.groups())
    assert ok, "\n".join(l for l in lines if "FAIL" in l)
    assert caught == mutants >= 8 and passed == variants >= 3 and contained == attacks >= min_attacks


def test_demo_class_grades_and_feedback(tmp_path):
    report = run_demo(tmp_path / "demo", workers=2)
    grades = read_grades(report.csv_path)
    assert list(next(csv.reader(open(report.csv_path)))) == ["student_id", "assignment", "score", "max_score", "status"]
    full = grades[("ada_lovelace", "two_layer_net")]
    assert float(full["score"]) == float(full["max_score"]) > 0
    assert float(grades[("edsger_dijkstra", "two_layer_net")]["score"]) == 0
    partial = float(grades[("alan_turing", "two_layer_net")]["score"])
    buggy = float(grades[("grace_hopper", "two_layer_net")]["score"])
    assert 0 < partial < float(full["score"]) and 0 < buggy < float(full["score"])
    hidden = check_lines("two_layer_net")
    assert len(hidden) > 30
    for student in ("ada_lovelace", "alan_turing", "grace_hopper", "edsger_dijkstra"):
        html = (tmp_path / "demo" / "feedback" / student / "two_layer_net.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in html
        leaked = [s for s in hidden if s in html]
        assert not leaked, f"hidden test code in {student}'s feedback: {leaked[:3]}"
    grace = (tmp_path / "demo" / "feedback" / "grace_hopper" / "two_layer_net.html").read_text()
    assert "multiply the learning rate by the decay after each epoch" in grace  # the hidden test's message reaches the student


def test_flat_lms_files_and_broken_submissions(tmp_path):
    subs = tmp_path / "lms"
    subs.mkdir()
    nbformat.write(make_submission("two_layer_net", fill="all"), str(subs / "kim_two_layer_net.ipynb"))
    (subs / "lee_two_layer_net.ipynb").write_text("{ this is not json")
    loop = make_submission("two_layer_net", fill="all",
                           replace={"affine_forward": "while True:\n    pass"})
    nbformat.write(loop, str(subs / "max_two_layer_net.ipynb"))
    (subs / "notes.txt").write_text("not a notebook")
    (subs / "random.ipynb").write_text("{}")
    found, skipped = discover(subs)
    assert [(s.student, s.chapter) for s in found] == [("kim", "two_layer_net"), ("lee", "two_layer_net"), ("max", "two_layer_net")]
    assert "random.ipynb" in skipped
    report = grade_folder(subs, tmp_path / "out", workers=2, timeout=240, cell_timeout=10)
    grades = read_grades(report.csv_path)
    assert grades[("kim", "two_layer_net")]["status"] == "ok"
    assert float(grades[("kim", "two_layer_net")]["score"]) == float(grades[("kim", "two_layer_net")]["max_score"])
    assert grades[("lee", "two_layer_net")]["status"].startswith("malformed")
    assert float(grades[("lee", "two_layer_net")]["score"]) == 0
    looping = grades[("max", "two_layer_net")]
    assert float(looping["score"]) < float(grades[("kim", "two_layer_net")]["score"])
    assert "affine_forward" not in json.dumps(looping)  # a status, not a traceback


def test_workers_do_not_change_grades_and_attackers_do_not_change_honest_grades(tmp_path):
    """The demo class plus every attack, graded with 2 workers and with 1; and the demo class alone."""
    from autograder import attacks, catalogue
    from autograder.demo import write_demo_submissions

    everyone = tmp_path / "everyone"
    write_demo_submissions(everyone)
    cat = catalogue.load("two_layer_net")
    for a in attacks.ATTACKS:
        path = everyone / f"attacker_{a.name}" / "two_layer_net" / "two_layer_net.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(attacks.build_attack(a, "two_layer_net", cat), str(path))
    alone = tmp_path / "alone"
    write_demo_submissions(alone)
    two = read_grades(grade_folder(everyone, tmp_path / "w2", workers=2, timeout=300, cell_timeout=30).csv_path)
    one = read_grades(grade_folder(everyone, tmp_path / "w1", workers=1, timeout=300, cell_timeout=30).csv_path)
    solo = read_grades(grade_folder(alone, tmp_path / "solo", workers=2, timeout=300, cell_timeout=30).csv_path)
    assert {k: v["score"] for k, v in two.items()} == {k: v["score"] for k, v in one.items()}
    for key, row in solo.items():
        assert two[key]["score"] == row["score"], key
    for key, row in two.items():
        if key[0].startswith("attacker_"):
            assert float(row["score"]) <= 10.0, (key, row)  # the honest part of each attack is worth 10
