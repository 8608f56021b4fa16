"""Written answers reach the instructor: a graded class folder opens in nbgrader's formgrader
(a real Jupyter server, driven through formgrader's own REST API, as its page does), the
scores a person gives there land in the class gradebook, and one command exports the final
grades with them."""
import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from autograder import ROOT, chapters
from autograder.grading import grade_folder
from autograder.limits import SELFTEST
from autograder.submissions import make_submission

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """``jupyter server`` started in the class folder, as ``make formgrader`` does."""

    def __init__(self, folder):
        self.port, self.token = free_port(), "course-test-token"
        jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
        self.proc = subprocess.Popen([jupyter, "server", "--no-browser", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
                                      f"--IdentityProvider.token={self.token}", "--ServerApp.root_dir=."]
                                     + (["--allow-root"] if os.geteuid() == 0 else []),
                                     cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while True:
            try:
                self.get("/formgrader/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.time() > deadline:
                    self.close()
                    raise RuntimeError("formgrader did not start: " + self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.5)

    def request(self, path, data=None, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if data is None else json.dumps(data).encode(),
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()

    def get(self, path):
        status, body = self.request(path)
        assert status == 200, (path, status)
        return body

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def read_csv(path):
    with open(path) as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_written_answers_scored_in_formgrader_reach_the_exported_grades(tmp_path):
    chapter = next(n for n in chapters.released() if chapters.load(n).manual_points)
    manual = chapters.load(chapter).manual_points
    subs = tmp_path / "class"
    (subs / "ada" / chapter).mkdir(parents=True)
    (subs / "bob" / chapter).mkdir(parents=True)
    written = [c.metadata.nbgrader["grade_id"] for c in make_submission(chapter, fill="none").cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    answers = {gid: f"My answer to {gid}: it depends on the batch, as the concept page shows." for gid in written}
    nbformat.write(make_submission(chapter, fill="all", replace=answers), str(subs / "ada" / chapter / f"{chapter}.ipynb"))
    nbformat.write(make_submission(chapter, fill="none"), str(subs / "bob" / chapter / f"{chapter}.ipynb"))
    out = tmp_path / "out"
    report = grade_folder(subs, out, workers=2, limits=SELFTEST, seed=7)
    grades = read_csv(report.csv_path)
    ada, bob = grades[("ada", chapter)], grades[("bob", chapter)]
    assert float(ada["manual_pending"]) == manual and float(ada["score"]) == float(ada["max_score"]) - manual
    assert float(bob["manual_pending"]) == 0  # answers left as the prompt: scored 0 by nbgrader, nobody waits
    assert (out / "nbgrader_config.py").exists()
    assert (out / "autograded" / "ada" / chapter / f"{chapter}.ipynb").exists()

    cli = [sys.executable, "-m", "autograder", "export", str(out)]
    printed = subprocess.run(cli, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert "1 with written answers still to score (ada/" in printed and "make formgrader" in printed, printed
    before = read_csv(out / "final_grades.csv")
    assert float(before[("ada", chapter)]["manual_pending"]) == manual
    assert before[("ada", chapter)]["score"] == ada["score"] and before[("ada", chapter)]["status"] == "ok"

    server = Formgrader(out)
    try:
        notebooks = json.loads(server.get(f"/formgrader/api/submitted_notebooks/{chapter}/{chapter}"))
        ids = {nb["student"]: nb["id"] for nb in notebooks}
        assert set(ids) == {"ada", "bob"}
        page = server.get(f"/formgrader/submissions/{ids['ada']}/")  # the autograded notebook, rendered for grading
        assert "formgrade" in page.lower() and "ada" in page
        written = [g for g in json.loads(server.get(f"/formgrader/api/grades?submission_id={ids['ada']}"))
                   if g["needs_manual_grade"]]
        assert sum(g["max_score"] for g in written) == manual
        given = 0.0
        for g in written:
            given += g["max_score"] / 2
            status, body = server.request(f"/formgrader/api/grade/{g['id']}", {"manual_score": g["max_score"] / 2}, "PUT")
            assert status == 200 and not json.loads(body)["needs_manual_grade"]
    finally:
        server.close()

    subprocess.run(cli, capture_output=True, text=True, check=True, cwd=ROOT)
    after = read_csv(out / "final_grades.csv")
    a = after[("ada", chapter)]
    assert float(a["score"]) == float(ada["score"]) + given and float(a["manual_score"]) == given
    assert float(a["manual_pending"]) == 0 and float(a["auto_score"]) == float(ada["score"])
    assert after[("bob", chapter)]["score"] == bob["score"]


def test_export_of_a_folder_that_was_not_graded_says_what_to_run(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "export", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "python -m autograder grade" in done.stderr and "Traceback" not in done.stderr
