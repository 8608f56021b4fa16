"""The demo class: grades and feedback, and the same grades with any number of workers and beside attackers."""
import csv

import nbformat
import pytest

from autograder import attacks, chapters
from autograder.demo import run_demo, write_demo_submissions
from autograder.grading import grade_folder
from autograder.limits import SELFTEST
from test_release import check_lines

pytestmark = pytest.mark.slow


def read_grades(path):
    with open(path) as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def test_demo_class_grades_and_feedback(tmp_path):
    report = run_demo(tmp_path / "demo", workers=2)
    grades = read_grades(report.csv_path)
    assert list(next(csv.reader(open(report.csv_path)))) == ["student_id", "assignment", "score", "max_score", "status"]
    full = grades[("ada_lovelace", "two_layer_net")]
    assert float(full["score"]) == float(full["max_score"]) == sum(chapters.load("two_layer_net").points.values())
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


def test_workers_do_not_change_grades_and_attackers_do_not_change_honest_grades(tmp_path):
    """The demo class plus every attack and the attacks' honest part, graded with 2 workers and with 1;
    and the demo class alone. An attack earns no more than its honest part alone."""
    everyone = tmp_path / "everyone"
    pairs = write_demo_submissions(everyone)
    chapter = pairs[0][1]
    cat = chapters.load(chapter).catalogue
    for student, nb in [("honest", attacks.build_honest(chapter, cat))] + \
                       [(f"attacker_{a.name}", attacks.build_attack(a, chapter, cat)) for a in attacks.ATTACKS]:
        path = everyone / student / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    alone = tmp_path / "alone"
    write_demo_submissions(alone)
    two = read_grades(grade_folder(everyone, tmp_path / "w2", workers=2, limits=SELFTEST).csv_path)
    one = read_grades(grade_folder(everyone, tmp_path / "w1", workers=1, limits=SELFTEST).csv_path)
    solo = read_grades(grade_folder(alone, tmp_path / "solo", workers=2, limits=SELFTEST).csv_path)
    assert {k: v["score"] for k, v in two.items()} == {k: v["score"] for k, v in one.items()}
    for key, row in solo.items():
        assert two[key]["score"] == row["score"], key
    honest = float(two[("honest", chapter)]["score"])
    assert 0 < honest < float(two[("honest", chapter)]["max_score"])
    for key, row in two.items():
        if key[0].startswith("attacker_"):
            assert float(row["score"]) <= honest, (key, row)
