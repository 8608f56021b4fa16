"""One download per chapter for students: ``_build/student/<chapter>.zip``.

It holds what a student needs to work on the chapter outside the course repository, and no
more: the release notebook, the student library :mod:`coursekit` beside it (the notebook
imports it from ``..`` when it is not installed), ``requirements.txt`` with the exact versions
the course is tested with, and a short README (set up, data, check before submitting). It is
built by ``make course`` (``python -m autograder archive``) before the book, whose exercise
pages link it. The archive's bytes depend only on its contents (fixed timestamps and order).
"""
from __future__ import annotations

import io
import zipfile
from importlib import metadata
from pathlib import Path

from . import ROOT, chapters as course_chapters

OUT = ROOT / "_build" / "student"
# what the release notebooks and coursekit import, plus Jupyter to open them and nbval to check them
REQUIREMENTS = ("torch", "torchvision", "numpy", "matplotlib", "pillow", "tqdm", "torchinfo", "notebook", "ipykernel", "pytest",
                "nbval")
STAMP = (2026, 1, 1, 0, 0, 0)

README = """# {chapter}: the graded notebook

This folder is the chapter's whole download: the notebook `{chapter}/{chapter}.ipynb` and
`coursekit/`, the course's library of given code, which the notebook imports from the folder
above it. Keep the two side by side.

## Set up (once)

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
```

`requirements.txt` pins the versions the course is tested with (Python 3.11; CPU is enough).

## Data

Notebooks run the small `smoke` profile. The data live under `$COURSE_DATA` (default
`~/.cache/dl-course/data`). `.venv/bin/python -m coursekit where` lists what is there and
`.venv/bin/python -m coursekit fetch fashion-mnist` gets the offline default; a notebook that
misses its data says which command fetches it.

## Work

```bash
.venv/bin/jupyter notebook {chapter}/{chapter}.ipynb
```

Replace every `raise NotImplementedError()` with your code and run the visible tests after each
part. Hidden tests run when your notebook is graded: they call your code on other inputs.

## Before you submit

Restart the kernel and run everything, or check from a terminal that the notebook runs top to
bottom without an error:

```bash
.venv/bin/pytest --nbval-lax {chapter}/{chapter}.ipynb
```

Every cell must pass. Then hand in `{chapter}/{chapter}.ipynb` alone.
"""


def requirements() -> str:
    lines = ["# the versions the course is tested with"]
    for name in REQUIREMENTS:
        lines.append(f"{name}=={metadata.version(name)}")
    return "\n".join(lines) + "\n"


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def build_archive(chapter: str, out: Path = OUT, root: Path = ROOT) -> Path:
    notebook = root / "release" / chapter / f"{chapter}.ipynb"
    library = root / "release" / "coursekit"
    if not notebook.exists() or not library.exists():
        raise FileNotFoundError(f"{notebook} or {library} is missing: run `python -m autograder release` first")
    top = f"{chapter}-student"
    files = {f"{top}/{chapter}/{chapter}.ipynb": notebook.read_bytes(),
             f"{top}/requirements.txt": requirements().encode(),
             f"{top}/README.md": README.format(chapter=chapter).encode()}
    for path in sorted(library.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[f"{top}/coursekit/{path.relative_to(library).as_posix()}"] = path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(files):
            _add(zf, name, files[name])
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{chapter}.zip"
    if not target.exists() or target.read_bytes() != buffer.getvalue():
        target.write_bytes(buffer.getvalue())
    return target


def build_archives(chapters=None, out: Path = OUT) -> list[Path]:
    return [build_archive(c, out) for c in (chapters or course_chapters.released())]
