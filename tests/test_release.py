"""source/ is built from the specs, release/ from source/, and neither leaks solutions."""
import re
import shutil

import nbformat
import pytest

from autograder import ROOT, chapters
from autograder.build import SOLUTION_MARKERS as MARKERS
from autograder.build import build
from autograder.release import LEAK_MARKERS, chapters_with_source, release

CHAPTERS = chapters_with_source()


def secret_lines(chapter: str, kinds=("solution", "hidden")) -> list[str]:
    """Lines of solution regions and/or hidden tests that appear nowhere else in the source notebook."""
    nb = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    secret, public = {"solution": set(), "hidden": set()}, set()
    for cell in nb.cells:
        region = None
        for line in cell.source.splitlines():
            s = line.strip()
            if s in MARKERS or s in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                region = ("hidden" if "HIDDEN" in s else "solution") if s.startswith("### BEGIN") else None
                continue
            (secret[region] if region else public).add(s)
    lines = set().union(*(secret[k] for k in kinds)) - public
    return sorted(s for s in lines if len(s) >= 16 and not s.startswith("#"))


def check_lines(chapter: str) -> list[str]:
    """Lines of the trusted hidden tests' observation code (autograder/chapters/<chapter>/checks.py)."""
    module = chapters.load(chapter).checks_module
    lines = set()
    for name, value in vars(module).items():
        if name.endswith("_OBS") and isinstance(value, str):
            lines |= {l.strip() for l in value.splitlines()}
    nb = nbformat.read(ROOT / "source" / chapter / f"{chapter}.ipynb", 4)
    public = "\n".join(c.source for c in nb.cells)  # what the notebook itself also says is no secret
    return sorted(l for l in lines if len(l) >= 16 and l not in public)


def test_source_notebooks_are_built_from_the_specs_and_solutions():
    stale = build(check=True)
    assert not stale, f"source notebooks differ from a fresh build: {stale}; run `python -m autograder build`"


def test_release_is_up_to_date_and_byte_identical(tmp_path):
    for chapter in CHAPTERS:
        shutil.copytree(ROOT / "source" / chapter, tmp_path / "source" / chapter)
    release(CHAPTERS, root=tmp_path)
    fresh = {p.relative_to(tmp_path / "release"): p.read_bytes() for p in (tmp_path / "release").rglob("*") if p.is_file()}
    committed = {p.relative_to(ROOT / "release"): p.read_bytes() for p in (ROOT / "release").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    assert sorted(fresh) == sorted(committed), "release/ has other files than a fresh release"
    stale = [str(k) for k in fresh if fresh[k] != committed[k]]
    assert not stale, f"release/ is stale ({stale}); run `python -m autograder release`"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_has_no_solution_text(chapter):
    text = (ROOT / "release" / chapter / f"{chapter}.ipynb").read_text()
    assert not [m for m in LEAK_MARKERS if m in text]
    leaked = [line for line in secret_lines(chapter) + check_lines(chapter) if line in text]
    assert not leaked, f"solution or hidden-test lines in the release notebook: {leaked[:5]}"
    assert len(secret_lines(chapter)) > 30  # the scan is not vacuous (frn_vs_bn, the shortest, has 45 lines)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_notebook_is_well_formed(chapter):
    nb = nbformat.read(ROOT / "release" / chapter / f"{chapter}.ipynb", 4)
    nbformat.validate(nb)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(tests) >= 5, "at least 5 autograded cells"
    assert all("YOUR CODE HERE" in c.source for c in solutions if c.cell_type == "code")
    assert not any(re.search(r"^\s*(from|import) solutions", c.source, re.M) for c in nb.cells)


def test_release_ships_the_student_library_only():
    shipped = {p.name for p in (ROOT / "release").iterdir()}
    assert shipped == {"coursekit", *CHAPTERS}
    for path in (ROOT / "release" / "coursekit").rglob("*.py"):
        assert "solutions" not in re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(), re.M), path
