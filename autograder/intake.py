"""Robust intake: read whatever a student submitted and hand nbgrader a notebook it can grade.

Problems are repaired where that cannot give points away, and reported in the row's status:

* not JSON, not a notebook, or an unreadable nbformat: the row is ``malformed`` (0 points);
* nbformat 3 or an older 4.x: upgraded to 4.5;
* missing or duplicated cell ids: new ids;
* a graded cell the assignment does not have (invented, or a second copy of a grade id):
  its nbgrader metadata is removed, so it is plain code worth nothing;
* solution cells whose grade ids are missing or duplicated: the first copy counts;
* another kernel name: the notebook's kernelspec is set back to the assignment's;
* edited or deleted locked cells: nbgrader restores edited ones from the gradebook; a
  deleted test cell earns nothing (reported).
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import nbformat

from .build import KERNELSPEC


def _known_cells(source_nb) -> dict[str, dict]:
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]
            for c in source_nb.cells if "nbgrader" in c.metadata}


def normalise(path: Path, source_path: Path) -> tuple[bool, list[str]]:
    """Repair ``path`` in place against the assignment's source notebook.

    Returns (gradable, problems)."""
    problems: list[str] = []
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return False, [f"not a notebook ({type(err).__name__})"]
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        return False, ["not a notebook (no cells)"]
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as err:  # nbformat could not read or convert it
        return False, [f"unreadable notebook ({type(err).__name__}: {str(err)[:80]})"]
    if raw.get("nbformat") != 4:
        problems.append(f"nbformat {raw.get('nbformat')} upgraded to 4")
    nb.nbformat, nb.nbformat_minor = 4, 5
    known = _known_cells(nbformat.read(source_path, as_version=4))
    seen_ids, seen_grades = set(), set()
    for cell in nb.cells:
        cid = cell.get("id")
        if not cid or cid in seen_ids:
            cell["id"] = uuid.uuid4().hex[:8]
            if "repaired cell ids" not in problems:
                problems.append("repaired cell ids")
        seen_ids.add(cell["id"])
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id")
        if gid not in known:
            del cell.metadata["nbgrader"]
            problems.append(f"ignored unknown graded cell {gid!r}")
        elif gid in seen_grades:
            del cell.metadata["nbgrader"]
            problems.append(f"ignored duplicate of cell {gid!r}")
        else:
            seen_grades.add(gid)
    missing = sorted(g for g, m in known.items() if m.get("grade") and g not in seen_grades)
    if missing:
        problems.append(f"graded cells missing: {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''}")
    spec = nb.metadata.get("kernelspec", {})
    if spec.get("name") != KERNELSPEC["name"]:
        problems.append(f"kernel {spec.get('name')!r} replaced by python3")
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(nb, str(path))
    return True, problems
