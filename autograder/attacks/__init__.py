"""The attack catalogue: submissions that try to get points they did not earn or to harm the
grading run. Each attack is the chapter's release notebook with an *honest part* completed
(the catalogue's ``HONEST``, the same for every attack) plus the attack. ``selftest`` grades
them in one run with everything else and counts an attack contained when it earns no more
than the honest part alone and every other submission of the run still gets its expected
grade.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import nbformat

from ..submissions import make_submission


@dataclass
class Attack:
    name: str
    what: str
    build: Callable  # (chapter, honest cells, target student cell, stubs) -> notebook
    # how it is handed in: "notebook" (a file), "link_source" (a symbolic link to the instructor's
    # source notebook in place of the file) or "link_peer" (a link to another student's file)
    placement: str = "notebook"
    student: str = ""  # the student id it is handed in under ("" : attack-<name>)
    # what else containment needs, beyond earning no more than the honest part: (row, OUT) -> why
    # not contained, or None (a feedback page with no active content, a spreadsheet-safe CSV)
    verify: Callable | None = None


def _with_cell(code: str):
    """Put ``code`` (and the catalogue's shaped-but-wrong stubs) into the first student cell after the honest part."""
    def build(chapter, honest, target, stubs):
        return make_submission(chapter, fill=honest, replace={target: stubs + "\n\n" + code})
    return build


MONKEYPATCH = '''
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.abs = lambda x: x * 0
np.max = lambda *a, **k: 0.0
'''

PATCH_HELPERS = '''
import coursekit.checks, coursekit.gradcheck
for _mod in (coursekit.checks, coursekit.gradcheck):
    for _name in ("check_close", "check_shape", "check_gradient", "check_finite"):
        setattr(_mod, _name, lambda *a, **k: None)
    _mod.rel_error = lambda *a, **k: 0.0
check_close = check_shape = check_gradient = lambda *a, **k: None
rel_error = lambda *a, **k: 0.0
'''

BUILTINS = '''
import builtins
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.abs = lambda x: 0
builtins.print = lambda *a, **k: None
builtins.isinstance = lambda *a: True
'''

SWALLOW = '''
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
'''

HIDE_TRACEBACKS = '''
import sys
from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.showtraceback = lambda *a, **k: None
InteractiveShell.showsyntaxerror = lambda *a, **k: None
sys.excepthook = lambda *a: None
'''

REWRITE_TESTS = '''
def _neutralise(lines):
    text = "".join(lines)
    return ["pass\\n"] if ("check_" in text or "assert" in text or "__obs__" in text) else lines
get_ipython().input_transformers_post.append(_neutralise)
'''

IMPORT_SOLUTIONS = '''
import sys, pathlib, importlib, importlib.util
import coursekit
_root = pathlib.Path(coursekit.__file__).resolve().parents[1]
sys.path.insert(0, str(_root))
for _package in sorted(_root.glob("solutions/*/__init__.py")):
    try:
        globals().update(vars(importlib.import_module("solutions." + _package.parent.name)))
    except Exception:
        pass
for _path in sorted(_root.glob("solutions/*/*.py")):
    try:
        _spec = importlib.util.spec_from_file_location("s", str(_path))
        _m = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(_m); globals().update(vars(_m))
    except Exception:
        pass
'''

READ_HIDDEN = '''
import glob, json, os, pathlib, re, coursekit
_root = pathlib.Path(coursekit.__file__).resolve().parents[1]
_found = []
for _pattern in [str(_root / "source" / "*" / "*.ipynb"), str(_root / "solutions" / "*" / "*.py"),
                 str(_root / "autograder" / "chapters" / "*" / "*.py"), "../../../../source/*/*.ipynb", "/tmp/*/source/*/*.ipynb",
                 "../../../../gradebook.db", "/work/*/source/*/*.ipynb"]:
    _found += glob.glob(_pattern)
for _path in _found:
    try:
        _text = open(_path).read()
    except Exception:
        continue
    if _path.endswith(".py"):
        try:
            exec(_text, globals())
        except Exception:
            pass
    elif _path.endswith(".ipynb"):
        for _cell in json.loads(_text)["cells"]:
            if "BEGIN SOLUTION" in "".join(_cell["source"]):
                try:
                    exec("".join(_cell["source"]), globals())
                except Exception:
                    pass
'''

WRITE_GRADEBOOK = '''
import os, sqlite3, pathlib
for _top in ["/", "/tmp", "/work", "/root", "..", "../..", "../../..", "../../../.."]:
    for _dirpath, _dirs, _files in os.walk(_top):
        if _dirpath.count(os.sep) > 8:
            _dirs[:] = []
        for _f in _files:
            _p = os.path.join(_dirpath, _f)
            try:
                if _f == "gradebook.db":
                    _c = sqlite3.connect(_p); _c.execute("UPDATE grade SET auto_score = 1000"); _c.commit()
                elif _f.endswith(".ipynb") and "submitted" in _p:
                    open(_p, "w").write("{}")
                elif _f in ("grades.csv", "result.json"):
                    open(_p, "w").write("hacked")
            except Exception:
                pass
'''

NETWORK = '''
import socket, urllib.request
_ok = []
for _host, _port in [("pypi.org", 443), ("127.0.0.1", 22), ("10.0.0.1", 80)]:
    try:
        socket.create_connection((_host, _port), timeout=2).close(); _ok.append(_host)
    except Exception:
        pass
try:
    urllib.request.urlopen("https://pypi.org/simple/", timeout=3); _ok.append("https")
except Exception:
    pass
print("network reachable:", _ok)
'''

INFINITE_LOOP = "while True:\n    pass\n"

MEMORY_BOMB = '''
_hog = []
while True:
    _hog.append(bytearray(256 * 2**20))
'''

FORK_BOMB = '''
import os
for _ in range(100000):
    try:
        os.fork()
    except OSError:
        pass
'''

OS_EXIT = "import os\nos._exit(0)\n"

HUGE_OUTPUT = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000 + '\\n')\n"

FILL_DISK = '''
import os, tempfile
_chunk = bytes(64 << 20)
for _folder in (".", os.path.expanduser("~"), tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
    for _i in range(64):  # up to 4 GB in each folder
        try:
            with open(os.path.join(_folder, f"fill_{_i}.bin"), "wb") as _fh:
                _fh.write(_chunk)
        except OSError:
            break
'''

# An input transformer that answers the hidden checks from a table of a previous grading run:
# for a probe cell it has seen, it prints the recorded observations instead of running anything.
REPLAY = '''
import base64, hashlib, json, re, zlib
_TABLE = json.loads(zlib.decompress(base64.b64decode({table!r})))
def _replay(lines):
    text = "".join(lines)
    marker = re.search(r"__COURSE_OBS_[0-9a-f]{{32}}__", text)
    if not marker:
        return lines
    key = hashlib.sha256(text.replace(marker.group(0), "MARKER").strip().encode()).hexdigest()
    if key not in _TABLE:
        return lines
    return ["print(" + repr(marker.group(0)) + " + " + repr(_TABLE[key]) + ")\\n"]
get_ipython().input_transformers_post.append(_replay)
'''

# the seed of the "previous run" whose feedback the replay attack learned from (not the self-test's)
PREVIOUS_RUN_SEED = 7


def replay_table(chapter: str, seed: int = PREVIOUS_RUN_SEED, max_bytes: int = 400_000) -> str:
    """What a student could collect from a run with ``seed``: for every probe of every check, the
    observations of correct code, keyed by the probe cell's source. Compressed, base64."""
    import base64
    import hashlib
    import json
    import zlib

    from .. import chapters
    from ..trusted import ReferenceProbe, _encode, probe_source, run_check

    ch = chapters.load(chapter)
    table = {}

    class Recorder(ReferenceProbe):
        def run(self, code, **inputs):
            obs = super().run(code, **inputs)
            encoded = json.dumps({k: _encode(v) for k, v in obs.items()})
            if len(encoded) <= max_bytes:
                key = hashlib.sha256(probe_source(code, inputs, "MARKER").strip().encode()).hexdigest()
                table[key] = encoded
            return obs

    for name, check in ch.checks.items():
        state = getattr(ch.checks_module, "NOTEBOOK_STATE", {}).get(name)
        run_check(check, Recorder(ch, state=state(ch.reference) if state else None, seed=seed))
    return base64.b64encode(zlib.compress(json.dumps(table).encode(), 9)).decode()


def _replay_previous_run(chapter, honest, target, stubs):
    return make_submission(chapter, fill=honest, replace={target: stubs + "\n\n" + REPLAY.format(table=replay_table(chapter))})


def _edit_locked(chapter, honest, target, stubs):
    nb = make_submission(chapter, fill=honest, replace={target: stubs})
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") or meta.get("grade"):
            if cell.cell_type == "code":
                cell.source = "pass"
            if meta.get("grade"):
                meta["points"] = 1000
    return nb


def _delete_tests(chapter, honest, target, stubs):
    nb = make_submission(chapter, fill=honest, replace={target: stubs})
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    return nb


def _fake_metadata(chapter, honest, target, stubs):
    nb = make_submission(chapter, fill=honest, replace={target: stubs})
    extra = nbformat.v4.new_code_cell("pass")
    extra.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                  "points": 1000, "grade_id": "free_points", "task": False}
    nb.cells.insert(1, extra)
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    return nb


# What a page must never run: a script, event handlers, a javascript: link, an SVG that runs on
# load, a frame with its own document. Each sets an attribute of <html> that a test's browser reads.
PAYLOAD_HTML = ('<img src=x onerror="document.documentElement.setAttribute(\'data-pwned\',\'img\')">'
                '<script>document.documentElement.setAttribute("data-pwned","script")</script>'
                '<svg onload="document.documentElement.setAttribute(\'data-pwned\',\'svg\')"><circle r="4"/></svg>'
                '<a href="javascript:document.documentElement.setAttribute(\'data-pwned\',\'link\')">results</a>'
                '<iframe srcdoc="<script>parent.document.documentElement.setAttribute(\'data-pwned\',\'iframe\')</script>"></iframe>'
                '<meta http-equiv="refresh" content="0;url=https://example.invalid/">')

SCRIPT_OUTPUT = f"""
from IPython.display import HTML, SVG, Javascript, display
display(HTML({PAYLOAD_HTML!r}))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="document.documentElement.setAttribute(&quot;data-pwned&quot;,&quot;svgout&quot;)"><circle r="4"/></svg>'))
display(Javascript('document.documentElement.setAttribute("data-pwned", "js")'))
display({{"text/html": {PAYLOAD_HTML!r}, "application/javascript": "document.title = 'pwned'"}}, raw=True)
"""


def _script_in_markdown(chapter, honest, target, stubs):
    """The payload as raw HTML in every written answer (or, without one, a markdown cell of its own)."""
    nb = make_submission(chapter, fill=honest, replace={target: stubs})
    text = "My answer: see the figure.\n\n" + PAYLOAD_HTML + "\n\n[more](javascript:alert(1))\n"
    answers = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    for cell in answers:
        cell.source = text
    if not answers:
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
    return nb


def _page_is_inert(row, out) -> str | None:
    from ..sanitize import active_content

    if row.feedback is None or not row.feedback.exists():
        return "no feedback page to check"
    found = active_content(row.feedback.read_text(errors="replace"))
    return f"its feedback page has active content: {found[:3]}" if found else None


def _is_malformed(row, out) -> str | None:
    return None if row.status_text.startswith("malformed") and row.score == 0 else \
        f"a link was graded ({row.status_text}, {row.score:g})"


def _csv_is_safe(row, out) -> str | None:
    from ..csvsafe import formula_cells
    bad = formula_cells(out / "grades.csv")
    return f"grades.csv has cells a spreadsheet reads as formulas: {bad[:3]}" if bad else None


def _honest_notebook(chapter, honest, target, stubs):
    return make_submission(chapter, fill=honest, replace={target: stubs})


# an answer that returns 1 GB only to the hidden checks (every array the probe turns into its
# observations), and one that answers a probe with a single 100 MB message
OVERSIZED_OBSERVATION = """
import sys, numpy as np
_asarray, _big = np.asarray, np.ones(1 << 27)  # 1 GB of float64, made once
def _huge(value, *args, **kwargs):
    frame = sys._getframe(1)
    for _ in range(3):  # called by the probe (or a comprehension inside it)
        if frame is None:
            break
        if frame.f_code.co_name == "__course_probe__":
            return _big
        frame = frame.f_back
    return _asarray(value, *args, **kwargs)
np.asarray = _huge
"""

OVERSIZED_MESSAGE = """
import builtins, sys
_print = builtins.print
def _flood(*args, **kwargs):
    if sys._getframe(1).f_code.co_name == "__course_probe__":
        marker = str(args[0]).split("{", 1)[0] if args else ""
        sys.stdout.write(marker + '{"x": "' + "A" * (100 << 20) + '"}\\n')
        sys.stdout.flush()
        return None
    return _print(*args, **kwargs)
builtins.print = _flood
"""


ATTACKS = [
    Attack("monkeypatch_numpy", "patches NumPy's comparison functions", _with_cell(MONKEYPATCH)),
    Attack("patch_test_helpers", "replaces the test helpers with no-ops", _with_cell(PATCH_HELPERS)),
    Attack("builtins_tampering", "replaces builtins (AssertionError, abs, print, isinstance)", _with_cell(BUILTINS)),
    Attack("swallow_exceptions", "IPython custom exception handler that swallows every error", _with_cell(SWALLOW)),
    Attack("hide_tracebacks", "silences tracebacks and sys.excepthook", _with_cell(HIDE_TRACEBACKS)),
    Attack("rewrite_test_cells", "an input transformer that replaces test code with pass", _with_cell(REWRITE_TESTS)),
    Attack("import_solutions", "imports the instructor's solutions package", _with_cell(IMPORT_SOLUTIONS)),
    Attack("read_hidden_tests", "reads source notebooks, solutions and checks from disk and runs them", _with_cell(READ_HIDDEN)),
    Attack("write_gradebook", "rewrites gradebooks, grades and other students' submissions it can find", _with_cell(WRITE_GRADEBOOK)),
    Attack("network_access", "opens network connections", _with_cell(NETWORK)),
    Attack("infinite_loop", "loops forever in a cell", _with_cell(INFINITE_LOOP)),
    Attack("memory_bomb", "allocates memory without bound", _with_cell(MEMORY_BOMB)),
    Attack("fork_bomb", "forks without bound", _with_cell(FORK_BOMB)),
    Attack("os_exit", "kills its own kernel with os._exit", _with_cell(OS_EXIT)),
    Attack("huge_output", "prints 100 MB", _with_cell(HUGE_OUTPUT)),
    Attack("fill_disk", "writes 64 MB files until every writable folder is full", _with_cell(FILL_DISK)),
    Attack("replay_previous_run", "answers the hidden checks from a table of a previous run's inputs and answers",
           _replay_previous_run),
    Attack("edit_locked_cells", "empties every locked cell and sets test points to 1000", _edit_locked),
    Attack("delete_test_cells", "deletes the test cells", _delete_tests),
    Attack("fake_grade_metadata", "adds a 1000-point test cell and claims another kernel", _fake_metadata),
    Attack("link_to_source", "hands in a symbolic link to the instructor's source notebook", _honest_notebook,
           placement="link_source", verify=_is_malformed),
    Attack("link_to_peer", "hands in a symbolic link to another student's notebook", _honest_notebook,
           placement="link_peer", verify=_is_malformed),
    Attack("script_in_output", "displays HTML, SVG and JavaScript that would run in the feedback page",
           _with_cell(SCRIPT_OUTPUT), verify=_page_is_inert),
    Attack("script_in_markdown", "writes raw HTML with scripts and event handlers into its written answers",
           _script_in_markdown, verify=_page_is_inert),
    Attack("formula_id", "a student id a spreadsheet reads as a formula", _honest_notebook,
           student="-1+1@cmd", verify=_csv_is_safe),
    Attack("oversized_observation", "returns 1 GB to the hidden checks only", _with_cell(OVERSIZED_OBSERVATION)),
    Attack("oversized_message", "answers the checks with one 100 MB message", _with_cell(OVERSIZED_MESSAGE)),
]


# Attacks on the machine or the grading run (time, memory, processes, disk, output, the network,
# the gradebook) rather than on a chapter's checks: what contains them is the sandbox, the same
# for every chapter.
MACHINE_LEVEL = ("write_gradebook", "network_access", "infinite_loop", "memory_bomb", "fork_bomb", "os_exit",
                 "huge_output", "fill_disk", "link_to_source", "link_to_peer", "script_in_output", "script_in_markdown",
                 "formula_id", "oversized_observation", "oversized_message")


def dealt(chapters) -> dict[str, list[Attack]]:
    """Every attack on a chapter's checks for each chapter, and the machine-level attacks dealt
    out over the chapters (each graded once): the test suite's self-test, which `selftest`
    itself (every attack against every chapter) does not replace."""
    chapters = list(chapters)
    machine = [a for a in ATTACKS if a.name in MACHINE_LEVEL]
    return {ch: [a for a in ATTACKS if a.name not in MACHINE_LEVEL] + machine[i::len(chapters)]
            for i, ch in enumerate(chapters)}


def build_attack(attack: Attack, chapter: str, catalogue) -> nbformat.NotebookNode:
    return attack.build(chapter, catalogue.HONEST, catalogue.ATTACK_TARGET, catalogue.ATTACK_STUBS)


def build_honest(chapter: str, catalogue) -> nbformat.NotebookNode:
    return make_submission(chapter, fill=catalogue.HONEST, replace={catalogue.ATTACK_TARGET: catalogue.ATTACK_STUBS})
