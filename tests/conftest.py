"""Shared fixtures. Tests run the smoke profile, offline."""
from __future__ import annotations

import os

# one BLAS thread: the tests run side by side with grading kernels on two cores, where two
# OpenBLAS threads per process oversubscribe the machine (a 50x784 product: 30 ms instead of 0.1 ms)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("COURSE_PROFILE", "smoke")


def execute_notebook(nb, cwd: Path, python: str = sys.executable, env: dict | None = None, timeout: int = 600):
    """Execute ``nb`` with a kernel of ``python`` in ``cwd`` (in a subprocess, so the kernel
    and its environment are those of ``python``); returns (executed notebook, seconds)."""
    cwd.mkdir(parents=True, exist_ok=True)
    src = cwd / "_under_test.ipynb"
    nbformat.write(nb, str(src))
    script = (
        "import sys, time, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], 4)\n"
        "t = time.perf_counter()\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3', allow_errors=True,\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "nb.metadata['seconds'] = time.perf_counter() - t\n"
        "nbformat.write(nb, sys.argv[1])\n"
    )
    full_env = {**os.environ, **(env or {})}
    subprocess.run([python, "-c", script, str(src), str(cwd)], check=True, env=full_env, timeout=timeout,
                   cwd=cwd, capture_output=True)
    out = nbformat.read(str(src), 4)
    return out, out.metadata["seconds"]


def cell_errors(nb) -> dict[str, str]:
    """grade_id (or index) -> 'ename: evalue' of every cell that raised."""
    errors = {}
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", str(i))
                errors[gid] = f"{output['ename']}: {output['evalue'][:300]}"
    return errors


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory) -> str:
    """A Python that sees the project's third-party packages but not the project itself:
    a fresh venv whose only link to .venv is a .pth naming .venv's site-packages (so the
    editable install's finder, which maps coursekit/solutions/autograder, is never loaded)."""
    import site
    import venv

    root = tmp_path_factory.mktemp("bare-venv")
    venv.EnvBuilder(with_pip=False).create(root)
    site_packages = next(Path(p) for p in site.getsitepackages() if p.endswith("site-packages"))
    target = next((root / "lib").glob("python3*/site-packages"))
    (target / "project-deps.pth").write_text(str(site_packages) + "\n")
    python = str(root / "bin" / "python")
    probe = subprocess.run([python, "-c", "import numpy, torch, ipykernel, nbclient\n"
                            "import importlib.util as u\n"
                            "print(u.find_spec('solutions'), u.find_spec('autograder'), u.find_spec('coursekit'))"],
                           capture_output=True, text=True, cwd=root, check=True)
    assert probe.stdout.split() == ["None", "None", "None"], probe.stdout
    return python


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book built offline in the smoke profile (once per test session), as ``make book`` does:
    the vendored MathJax and the student downloads first, then Jupyter Book with warnings as errors."""
    from autograder.student_archive import build_archives

    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    subprocess.run(["make", "-s", "_vendor/mathjax/tex-svg-full.js"], cwd=REPO, check=True)
    build_archives()
    proc = subprocess.run([str(jb), "build", str(REPO), "--path-output", str(out), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, env={**os.environ, "COURSE_PROFILE": "smoke"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "_build" / "html"
