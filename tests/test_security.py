"""What a hostile class can hand in: links instead of files, scripts in outputs and answers,
ids a spreadsheet reads as formulas, answers far larger than the grader reads.

The fast tests hold each defence on its own (the CSV writer, the link rules of ``discover`` and
``read_submission``, the sanitiser, the flags); the slow one grades one class holding all of it
with the public command line and opens every feedback page in headless Chromium."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest

from autograder import ROOT, attacks, chapters, csvsafe, flags, sanitize
from autograder.grading import NotRegularFile, Status, Submission, discover, read_submission
from autograder.submissions import make_submission

import browser

FORMULA_IDS = ("=1+1", "-1+1", "@SUM(A1)", "+1")


# ------------------------------------------------------------------ CSV
@pytest.mark.parametrize("value, written", [("=1+1", "'=1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("+1-1", "'+1-1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("-0.5", "-0.5"),
                                            ("3", "3"), ("alice", "alice"), ("'quoted", "'quoted"), ("", "")])
def test_csv_cells_that_start_like_a_formula_get_a_quote(value, written, tmp_path):
    assert csvsafe.cell(value) == written
    csvsafe.write(tmp_path / "t.csv", ["a"], [[value]])
    with open(tmp_path / "t.csv", newline="") as fh:
        assert list(csv.reader(fh))[1] == [written]
    assert csvsafe.read(tmp_path / "t.csv")[0]["a"] == value  # the course's own reader sees the value


# ------------------------------------------------------------------ links
def _notebook(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_links_and_other_non_files_are_never_read(tmp_path):
    chapter = chapters.released()[0]
    subs_dir = tmp_path / "subs"
    real = _notebook(subs_dir / "alice" / chapter / f"{chapter}.ipynb")
    (subs_dir / "mallory" / chapter).mkdir(parents=True)
    (subs_dir / "mallory" / chapter / f"{chapter}.ipynb").symlink_to(ROOT / "source" / chapter / f"{chapter}.ipynb")
    (subs_dir / "eve").mkdir()
    (subs_dir / "eve" / chapter).symlink_to(subs_dir / "alice" / chapter)  # a folder link to a peer's work
    (subs_dir / f"trent_{chapter}.ipynb").symlink_to(real)                  # a flat file link
    os.mkfifo(subs_dir / f"pipe_{chapter}.ipynb")
    (subs_dir / "root").symlink_to("/")
    subs, skipped = discover(subs_dir)
    by = {s.student: s for s in subs}
    assert by["alice"].problem == ""
    for who in ("mallory", "eve", "trent", "pipe"):
        assert by[who].problem, who
    assert "link" in by["mallory"].problem and "link" in by["eve"].problem
    assert any("root" in s.path for s in skipped)  # a link that names no chapter: skipped, not followed
    assert read_submission(by["alice"]) == b"{}"
    for who in ("mallory", "eve", "trent", "pipe"):
        with pytest.raises(NotRegularFile):
            read_submission(Submission(who, chapter, by[who].path, root=subs_dir))


def test_a_file_swapped_for_a_link_after_discovery_is_not_read(tmp_path):
    chapter = chapters.released()[0]
    path = _notebook(tmp_path / "subs" / "alice" / chapter / f"{chapter}.ipynb")
    (sub,), _ = discover(tmp_path / "subs")
    path.unlink()
    path.symlink_to(ROOT / "source" / chapter / f"{chapter}.ipynb")
    with pytest.raises(NotRegularFile):
        read_submission(sub)
    path.unlink()
    folder = path.parent
    os.rename(folder, tmp_path / "elsewhere")
    folder.symlink_to(tmp_path / "elsewhere")  # a folder on the way swapped for a link
    _notebook(tmp_path / "elsewhere" / f"{chapter}.ipynb")
    with pytest.raises(NotRegularFile):
        read_submission(sub)


# ------------------------------------------------------------------ sanitising
def test_the_sanitiser_keeps_results_and_drops_everything_that_runs():
    clean = sanitize.clean_html(attacks.PAYLOAD_HTML + '<b>bold</b><table><tr><td>1</td></tr></table>'
                                '<img src="data:image/png;base64,iVBORw0KGgo=" width="3">'
                                '<a href="https://example.org/">ok</a>')
    assert sanitize.active_content(clean) == []
    for kept in ("<b>bold</b>", "<td>1</td>", 'src="data:image/png;base64,iVBORw0KGgo="', 'href="https://example.org/"'):
        assert kept in clean, kept
    assert "data-pwned" not in clean and "srcdoc" not in clean
    found = sanitize.active_content(attacks.PAYLOAD_HTML)
    assert len(found) >= 5, found  # the scanner sees what the sanitiser removed


def test_a_notebook_is_cleaned_for_formgrader():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": attacks.PAYLOAD_HTML,
                                                                 "application/javascript": "alert(1)",
                                                                 "text/plain": "<HTML>"})]
    nb.cells = [code, nbformat.v4.new_markdown_cell(attacks.PAYLOAD_HTML + "[x](javascript:alert(1))")]
    cleaned = sanitize.clean_notebook(nb)
    data = cleaned.cells[0].outputs[0]["data"]
    assert "application/javascript" not in data and sanitize.active_content(data["text/html"]) == []
    assert "javascript:" not in cleaned.cells[1].source and sanitize.active_content(cleaned.cells[1].source) == []


# ------------------------------------------------------------------ flags
def test_the_source_notebook_and_identical_work_are_flagged():
    chapter = chapters.released()[0]
    source = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    found, _ = flags.examine(source, chapter)
    assert any(flags.SOURCE_FLAG in f for f in found)
    full = make_submission(chapter, fill="all")
    found, print_a = flags.examine(full, chapter)
    assert "every answer is the reference solution, verbatim" in found
    assert flags.examine(make_submission(chapter, fill="none"), chapter) == ([], "")  # nothing written: no fingerprint
    from autograder.grading import Row
    rows = [Row("a", chapter), Row("b", chapter), Row("c", chapter)]
    rows[0].fingerprint = rows[1].fingerprint = print_a
    rows[2].fingerprint = "other"
    flags.mark_identical(rows)
    assert rows[0].flags == ["identical to b"] and rows[1].flags == ["identical to a"] and rows[2].flags == []


# ------------------------------------------------------------------ one hostile class
CONTROL = "<!doctype html><html><head><meta charset='utf-8'></head><body>{}</body></html>"

PWNED = "return document.documentElement.getAttribute('data-pwned')"
CLICK_SCRIPT_LINKS = """
for (const a of document.querySelectorAll('a[href^="javascript"]')) { a.click(); }
return document.querySelectorAll('a[href^="javascript"]').length;
"""


def _pwned(driver, page) -> tuple[str | None, int]:
    """(what the payload set, how many script links there were) after loading ``page`` and clicking its script links."""
    import time

    driver.get(page.resolve().as_uri())
    links = driver.execute_script(CLICK_SCRIPT_LINKS)
    time.sleep(0.5)
    return driver.execute_script(PWNED), links


@pytest.mark.slow
def test_a_hostile_class_gets_nothing_it_did_not_earn(tmp_path):
    """Two honest students, a link to the source notebook, a link to a peer, scripts in outputs
    and in a written answer, ids beginning with = - @ +, and an answer that returns 1 GB only to
    the hidden checks, graded together with the public command line (2 workers)."""
    if browser.unavailable():
        pytest.skip(browser.unavailable())
    released = chapters.released()
    plain, written = released[0], "frn_vs_bn"  # frn_vs_bn has a written answer (why_frn)
    subs = tmp_path / "subs"

    def put(student, chapter, nb):
        path = subs / student / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        return path

    honest = put("honest_a", plain, make_submission(plain, fill="all"))
    put("honest_b", plain, make_submission(plain, fill="all"))
    (subs / "link_source" / plain).mkdir(parents=True)
    (subs / "link_source" / plain / f"{plain}.ipynb").symlink_to(ROOT / "source" / plain / f"{plain}.ipynb")
    (subs / "link_peer" / plain).mkdir(parents=True)
    (subs / "link_peer" / plain / f"{plain}.ipynb").symlink_to(honest)
    cat = chapters.load(plain).catalogue
    for sid in FORMULA_IDS:
        put(sid, plain, attacks.build_honest(plain, cat))
    oversized = next(a for a in attacks.ATTACKS if a.name == "oversized_observation")
    put("huge_answer", plain, attacks.build_attack(oversized, plain, cat))
    payload = make_submission(written, fill="all")
    target = next(i for i, c in enumerate(payload.cells) if c.metadata.get("nbgrader", {}).get("solution")
                  and c.cell_type == "code")
    payload.cells[target].source += "\n" + attacks.SCRIPT_OUTPUT
    for cell in payload.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "FRN normalises each channel by its own mean square.\n\n" + attacks.PAYLOAD_HTML + \
                "\n\n[more](javascript:document.documentElement.setAttribute('data-pwned','md'))\n"
    put("payload", written, payload)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--workers", "2",
                           "--seed", "11"], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    print(proc.stdout[-3000:], proc.stderr[-2000:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    bad = csvsafe.formula_cells(out / "grades.csv")
    assert not bad, bad
    grades = {(r["student_id"], r["assignment"]): r for r in csvsafe.read(out / "grades.csv")}
    for sid in ("honest_a", "honest_b"):
        row = grades[(sid, plain)]
        assert row["status"] == "ok" and float(row["score"]) == float(row["max_score"]) > 0, row
        assert "identical to" in row["flags"]
    assert grades[("payload", written)]["status"].startswith("ok")
    for sid in ("link_source", "link_peer"):
        row = grades[(sid, plain)]
        assert row["status"].startswith(Status.MALFORMED.value) and float(row["score"]) == 0, row
        assert "symbolic link" in row["status"] and "not a regular file" in row["flags"], row
    assert "link_source" in proc.stdout and "link_peer" in proc.stdout  # the summary lists them
    ids = {sid for sid, _ in grades}
    assert {"-1_1", "1_1", "SUM_A1", "1"} <= ids, ids
    huge = grades[("huge_answer", plain)]
    assert float(huge["score"]) <= float(grades[("1", plain)]["score"])
    memory = json.loads((out / "run.json").read_text())["memory"]
    print("grader memory:", memory)
    if memory["measured"].startswith("cgroup"):
        assert memory["total_mb"] <= 1536, memory
    # every feedback page, in a browser: no payload runs; the same payload unsanitised does
    pages = sorted((out / "feedback").glob("*/*.html"))
    assert len(pages) >= 8
    control = tmp_path / "control.html"
    # (without the payload's <meta> refresh, which would leave the page before the check reads it)
    control.write_text(CONTROL.format(attacks.PAYLOAD_HTML.split("<meta")[0]))
    with browser.browser() as driver:
        ran, _ = _pwned(driver, control)
        assert ran, "the control page's payload did not run: this test could not see a payload run"
        for page in pages:
            ran, links = _pwned(driver, page)
            assert ran is None and links == 0, (page, ran, links)
            assert sanitize.active_content(page.read_text()) == [], page
        problems = browser.check_page(driver, out / "feedback" / "payload" / f"{written}.html")
        # MathJax still typesets under the page's CSP, and nothing is refused noisily (the payload's
        # stripped <img> has no source left, and the book it links to is not built here)
        assert not [p for p in problems if "MathJax" in p or "JavaScript" in p or "raw TeX" in p], problems
    for notebook in (out / "autograded").glob("*/*/*.ipynb"):  # what formgrader renders, cleaned too
        nb = nbformat.read(str(notebook), 4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                assert sanitize.active_content(output.get("data", {}).get("text/html", "")) == []
                assert "application/javascript" not in output.get("data", {})
