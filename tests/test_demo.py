"""The demo class: grades and feedback, and the same grades with any number of workers and beside attackers."""
import csv

import nbformat
import pytest

from autograder import attacks, chapters
from autograder.demo import run_demo, write_demo_submissions
from autograder.grading import GRADES_COLUMNS, grade_folder
from autograder.limits import SELFTEST
from test_release import check_lines

pytestmark = pytest.mark.slow


def read_grades(path):
    with open(path) as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def test_demo_class_grades_and_feedback(tmp_path):
    """The demo class hands in every released chapter: the complete notebook gets every autograded
    point (its written answers wait for a person), the untouched one 0, the partial and the buggy
    ones some points; every feedback page opens with its summary table and leaks no hidden test."""
    report = run_demo(tmp_path / "demo", workers=2)
    grades = read_grades(report.csv_path)
    assert list(next(csv.reader(open(report.csv_path)))) == GRADES_COLUMNS
    released = chapters.released()
    assert {ch for _, ch in grades} == set(released)
    for chapter in released:
        ch = chapters.load(chapter)
        full = grades[("ada_lovelace", chapter)]
        assert float(full["score"]) == float(full["max_score"]) - ch.manual_points == sum(ch.points.values()) - ch.manual_points
        assert float(full["manual_pending"]) == ch.manual_points
        assert float(grades[("edsger_dijkstra", chapter)]["score"]) == 0
        for student in ("alan_turing", "grace_hopper"):
            assert 0 < float(grades[(student, chapter)]["score"]) < float(full["score"]), (student, chapter)
        hidden = check_lines(chapter)
        for student in ("ada_lovelace", "alan_turing", "grace_hopper", "edsger_dijkstra"):
            html = (tmp_path / "demo" / "feedback" / student / f"{chapter}.html").read_text()
            assert "BEGIN HIDDEN TESTS" not in html and 'id="feedback-summary"' in html
            leaked = [s for s in hidden if s in html]
            assert not leaked, f"hidden test code in {student}'s {chapter} feedback: {leaked[:3]}"
    assert len(check_lines("two_layer_net")) > 30
    grace = (tmp_path / "demo" / "feedback" / "grace_hopper" / "two_layer_net.html").read_text()
    assert "multiply the learning rate by the decay once after each epoch" in grace  # the hidden test's message reaches the student
    assert (tmp_path / "demo" / "feedback" / "_static" / "mathjax" / "tex-svg-full.js").exists()


def write_class(folder, attack_plan):
    """The demo class, and for each chapter of ``attack_plan`` its attacks' honest part and the attacks it lists."""
    pairs = write_demo_submissions(folder, chapters.released()[:1])
    for chapter, attack_list in attack_plan.items():
        cat = chapters.load(chapter).catalogue
        for student, nb in [("honest", attacks.build_honest(chapter, cat))] + \
                           [(f"attacker_{a.name}", attacks.build_attack(a, chapter, cat)) for a in attack_list]:
            path = folder / student / chapter / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(path))
    return pairs


# The attacks that act on their neighbours or on the machine (time, memory, processes, disk,
# output, the gradebook, earlier runs); every attack of every chapter is graded by its selftest.
NEIGHBOURLY = ("write_gradebook", "infinite_loop", "memory_bomb", "fork_bomb", "os_exit", "huge_output", "fill_disk",
               "replay_previous_run")


def test_grades_do_not_depend_on_workers_runs_or_neighbours(tmp_path):
    """The demo class of the first chapter, every chapter's honest part and every attack that acts on its neighbours
    (dealt out over the chapters: what they attack is the machine and the run, not a chapter's
    checks), graded with 1 worker and with 2 (same seed): identical scores; the demo class alone
    gets the same grades; no attack earns more than its honest part alone. (Two concurrent
    grading runs are compared with a run alone in tests/test_grading.py.)"""
    everyone = tmp_path / "everyone"
    released = chapters.released()
    neighbourly = [a for a in attacks.ATTACKS if a.name in NEIGHBOURLY]
    assert len(neighbourly) == len(NEIGHBOURLY)
    write_class(everyone, {ch: neighbourly[i::len(released)] for i, ch in enumerate(released)})
    limits = SELFTEST.with_(cell_s=10)
    runs = {}
    for i, workers in enumerate((1, 2)):
        runs[i] = read_grades(grade_folder(everyone, tmp_path / f"run{i}", workers=workers, limits=limits, seed=5).csv_path)
    scores = [{k: v["score"] for k, v in grades.items()} for grades in runs.values()]
    for i, other in enumerate(scores[1:], 1):
        differ = {k: (scores[0][k], other.get(k)) for k in scores[0] if scores[0][k] != other.get(k)}
        assert not differ, f"run {i} differs from run 0: {differ}"
    alone = tmp_path / "alone"
    write_demo_submissions(alone, released[:1])
    solo = read_grades(grade_folder(alone, tmp_path / "solo", workers=2, limits=limits, seed=5).csv_path)
    for key, row in solo.items():
        assert runs[0][key]["score"] == row["score"], key
    for chapter in released:
        honest, most = float(runs[0][("honest", chapter)]["score"]), float(runs[0][("honest", chapter)]["max_score"])
        assert 0 < honest < most
        for (student, ch), row in runs[0].items():
            if ch == chapter and student.startswith("attacker_"):  # contained, as the selftest holds its attacks
                assert float(row["score"]) <= honest and float(row["max_score"]) == most, (student, ch, row)


def test_bombs_and_hogs_beside_an_honest_submission_barely_slow_it(tmp_path):
    """An honest submission graded at the same time as a fork bomb, a memory bomb and a CPU hog
    (4 workers at once) keeps its grade, and takes less than 50 % longer than when it is graded
    at the same time as three other honest submissions."""
    chapter = chapters.released()[0]
    cat = chapters.load(chapter).catalogue
    honest_nb = attacks.build_honest(chapter, cat)
    hostile = [a for a in attacks.ATTACKS if a.name in ("fork_bomb", "memory_bomb", "infinite_loop")]
    limits = SELFTEST.with_(cell_s=10)

    def grade(folder, notebooks):
        for student, nb in notebooks:
            path = folder / student / chapter / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, str(path))
        report = grade_folder(folder, folder.parent / f"{folder.name}-out", workers=4, limits=limits, seed=3)
        return {r.student: r for r in report.rows}

    peers = grade(tmp_path / "peers", [("honest", honest_nb)] + [(f"peer_{i}", honest_nb) for i in range(3)])
    crowd = grade(tmp_path / "crowd", [("honest", honest_nb)] + [(f"attacker_{a.name}", attacks.build_attack(a, chapter, cat))
                                                                for a in hostile])
    calm, beside = peers["honest"], crowd["honest"]
    print(f"\nhonest beside 3 honest peers {calm.seconds:.1f} s, beside a fork bomb, a memory bomb and a CPU hog "
          f"{beside.seconds:.1f} s ({beside.seconds / calm.seconds - 1:+.0%})")
    assert beside.score == calm.score > 0 and beside.status_text == "ok"
    assert beside.seconds < 1.5 * calm.seconds
    for a in hostile:
        assert crowd[f"attacker_{a.name}"].score <= calm.score
