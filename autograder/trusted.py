"""Trusted checking inside nbgrader's ``autograde``.

:class:`TrustedExecute` replaces nbgrader's ``Execute`` preprocessor. It executes the
submission cell by cell as nbgrader does, and after each autograded test cell it runs that
cell's trusted check (``autograder/chapters/<chapter>/checks.py``) from this process:

* the check sends *probe* code to the kernel; the kernel runs it on the student's objects
  and prints the observations (NumPy arrays, ``allow_pickle=False``) after a random marker;
* the check computes the expected values with the reference implementation here, and
  compares here, with this process's own NumPy;
* a failed check appends an error output (the check's message) to the test cell, so
  nbgrader's own rule -- a graded cell with an error output earns nothing -- records it.

So the pass/fail decision and the expected values never exist in the student's process. A
student's code can only make its own cells fail (its errors still count); it cannot make a
check pass without returning correct results.

A cell that reaches a limit (its time, the memory limit, ``MemoryError``) or kills its kernel
(``os._exit``, a crash) costs that cell: the kernel is restarted, the code cells before it are
run again in the new kernel (the given ones and the student's, not the tests, and not the cells
that lost a kernel themselves), and grading goes on. Every such cell ends the same way, whichever
limit it reaches first: a memory bomb is killed at the memory limit on an idle machine and runs
out of CPU time first on a loaded one, and either way the later cells see the same state.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import signal
import textwrap
import threading
import time

import numpy as np
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellControlSignal, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from jupyter_client.asynchronous import AsyncKernelClient
from traitlets import Integer, Unicode

from . import chapters

_PROBE = '''
def __course_probe__():
    import base64 as b64, io, json, numpy as np
    ns = dict(globals())
    ns.update({{k: np.load(io.BytesIO(b64.b64decode(v)), allow_pickle=False) for k, v in {inputs!r}.items()}})
    exec(compile({code!r}, "<check>", "exec"), ns)
    values = {{key: np.asarray(value) for key, value in ns["__obs__"].items()}}
    size = sum(int(v.nbytes) for v in values.values())
    if size > {limit}:  # never send more than the grader reads: say how much there was instead
        print({marker!r} + json.dumps({{"__too_large__": size}}))
        return
    out = {{}}
    for key, value in values.items():
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)  # the arrays whose size was counted, not new ones
        out[key] = b64.b64encode(buf.getvalue()).decode()
    print({marker!r} + json.dumps(out))
__course_probe__()
del __course_probe__
'''


class CheckFailed(AssertionError):
    pass


class Observations(dict):
    """What one probe returned, remembering which observations the check read: an observation
    recorded and never compared is a blind spot (``Probe.unused``; a fast test fails on one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def items(self):
        self.read.update(self.keys())
        return super().items()

    def values(self):
        self.read.update(self.keys())
        return super().values()

    def unread(self) -> set:
        return set(self.keys()) - self.read


class KernelLost(Exception):
    """A cell reached a limit or killed its kernel (the message says which, for the student);
    ``timeout``: a time limit did it."""

    def __init__(self, message: str, timeout: bool = False):
        super().__init__(message)
        self.timeout = timeout


# what a cell or a probe raises when its kernel is gone or must go
LOST = (DeadKernelError, CellTimeoutError, CellControlSignal, KernelLost)


def _encode(value) -> str:
    buf = io.BytesIO()
    np.save(buf, np.asarray(value), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode()


def _decode(text: str):
    arr = np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
    return arr[()] if arr.shape == () else arr


def probe_source(code: str, inputs: dict, marker: str, limit: int = 1 << 62) -> str:
    """The cell the kernel runs for one observation: ``code`` on ``inputs``, results printed after
    ``marker`` (or, past ``limit`` bytes of observations, only their size)."""
    return _PROBE.format(code=textwrap.dedent(code), inputs={k: _encode(v) for k, v in inputs.items()}, marker=marker,
                         limit=int(limit))


# the stream output that replaces whatever a cell sends past the output limit
CUT = "[output cut here: this cell's output passed the {} MB output limit; nothing after this was read]\n"


def _mb(nbytes: int) -> str:
    return f"{nbytes / 2 ** 20:,.0f}" if nbytes >= 2 ** 20 else f"{nbytes / 2 ** 20:.2f}"


def _key(part) -> int:
    """A stable 32-bit integer for one part of a random-stream key (ints as they are, strings hashed)."""
    if isinstance(part, (int, np.integer)):
        return int(part) & 0xFFFFFFFF
    return int.from_bytes(hashlib.sha256(str(part).encode()).digest()[:4], "little")


class Probe:
    """What a check can do: run observation code in the kernel, or on the reference, and draw
    its hidden inputs from the grading run's seed (:meth:`rng`)."""

    def __init__(self, runner, reference_namespace: dict, timeout: int, seed: int = 0, output_mb: int = 64):
        self._runner = runner
        self.output_mb = int(output_mb)
        self._reference = reference_namespace
        self.timeout = timeout
        self.seed = int(seed)
        self.margins: dict[str, float] = {}  # bound name -> worst error / bound seen (for the draw tests)
        self.observed: list[Observations] = []  # every probe's observations, to find the ones never compared
        self.declared: dict[str, set] = {}      # domain dimension -> the values a check's contract covers
        self.reached: dict[str, set] = {}       # ... and the values this run's cases reached

    def domain(self, dimension: str, *values) -> None:
        """Declare that the check's contract covers ``values`` along ``dimension`` (dtypes, sizes
        that do and do not divide, model states): every run must reach each (:meth:`hit`)."""
        self.declared.setdefault(dimension, set()).update(values)

    def hit(self, dimension: str, value) -> None:
        """Record that this run's cases reached ``value`` along a declared ``dimension``."""
        self.reached.setdefault(dimension, set()).add(value)

    def missed(self) -> dict[str, set]:
        """Declared domain values this run's cases did not reach (a fast test holds this empty)."""
        return {d: v - self.reached.get(d, set()) for d, v in self.declared.items() if v - self.reached.get(d, set())}

    def unused(self) -> set:
        """Observations the probes recorded and the check never read, in any of its probes (a
        ``*_msg`` observation is a message for the student, read only when its check fails; a
        ``_*`` one is context the checks' own code computed, not the student's)."""
        if not self.observed:
            return set()
        recorded = set().union(*(o.keys() for o in self.observed))
        read = set().union(*(o.read for o in self.observed))
        return {k for k in recorded - read if not str(k).endswith("_msg") and not str(k).startswith("_")}

    def _observed(self, values: dict) -> Observations:
        obs = Observations(values)
        self.observed.append(obs)
        return obs

    def rng(self, *key) -> np.random.Generator:
        """A random stream for the hidden inputs named by ``key``: fresh for every grading run's
        seed, identical for every submission of one run (and for a rerun with the same seed)."""
        return np.random.default_rng([_key(self.seed), *(_key(k) for k in key)])

    def below(self, name: str, error: float, bound: float, message: str) -> None:
        """Assert ``error < bound`` for the numeric comparison ``name`` (failing with ``message``),
        and remember the worst ratio ``error / bound``: a bound needs a wide margin over what
        correct code reaches on every draw (``tests/test_check_draws.py`` prints these)."""
        error = float(error)
        ratio = error / bound if np.isfinite(error) else float("inf")
        self.margins[name] = max(self.margins.get(name, 0.0), ratio)
        if not error < bound:
            raise CheckFailed(message)

    def close(self, actual, expected, name: str, tol: float, hint: str = "") -> None:
        """``actual`` equals ``expected`` up to relative error ``tol`` (cs231n's ``rel_error``), recorded as :meth:`below`."""
        expected = np.asarray(expected, dtype=np.float64)
        actual = np.asarray(actual, dtype=np.float64)
        if actual.shape != expected.shape:
            raise CheckFailed(f"{name} has shape {actual.shape}, expected {expected.shape}")
        if not np.all(np.isfinite(actual)):
            raise CheckFailed(f"{name} contains NaN or inf" + (f". Hint: {hint}" if hint else ""))
        err = float(np.max(np.abs(actual - expected) / np.maximum(1e-8, np.abs(actual) + np.abs(expected)))) if actual.size else 0.0
        msg = f"{name} is wrong: relative error {err:.2e} (should be below {tol:.0e})"
        if expected.size <= 6:
            msg += f"; expected {np.round(expected, 8).tolist()}, got {np.round(actual, 8).tolist()}"
        self.below(name, err, tol, msg + (f". Hint: {hint}" if hint else ""))

    def run(self, code: str, **inputs) -> dict:
        marker = f"__COURSE_OBS_{secrets.token_hex(16)}__"
        source = probe_source(code, inputs, marker, limit=self.output_mb << 20)
        outputs = self._runner(source)
        for out in outputs:
            if out.get("output_type") == "error":
                raise CheckFailed(f"{out.get('ename')}: {out.get('evalue')}")
        text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        for line in text.splitlines():
            if line.startswith(marker):
                try:
                    raw = json.loads(line[len(marker):])
                    if "__too_large__" in raw:
                        raise CheckFailed(f"your results for this check are {_mb(int(raw['__too_large__']))} MB, more "
                                          f"than the {self.output_mb} MB the checks read (the output limit)")
                    return self._observed({k: _decode(v) for k, v in raw.items()})
                except CheckFailed:
                    raise
                except Exception:  # malformed observations
                    break
        if CUT.format(self.output_mb) in text:
            raise CheckFailed(f"the checks could not read your results: they passed the {self.output_mb} MB output "
                              "limit and were cut off")
        raise CheckFailed("the checks could not read your results (did this cell's code run to the end? results "
                          f"over the {self.output_mb} MB output limit are not read)")

    def reference(self, code: str, **inputs) -> dict:
        ns = {"np": np, **self._reference, **{k: np.asarray(v) for k, v in inputs.items()}}
        exec(compile(textwrap.dedent(code), "<reference>", "exec"), ns)
        return {k: (np.asarray(v)[()] if np.asarray(v).shape == () else np.asarray(v)) for k, v in ns["__obs__"].items()}


class ReferenceProbe(Probe):
    """A probe whose "kernel" is a namespace in this process: the reference, a broken copy of it,
    or notebook state (for kernel-free tests of the checks)."""

    def __init__(self, chapter, namespace: dict | None = None, state: dict | None = None, seed: int = 0):
        super().__init__(runner=None, reference_namespace=chapter.reference, timeout=10, seed=seed)
        self.namespace = {**(chapter.reference if namespace is None else namespace), **(state or {})}

    def run(self, code: str, **inputs) -> dict:
        ns = {"np": np, **self.namespace, **{k: np.asarray(v) for k, v in inputs.items()}}
        exec(compile(textwrap.dedent(code), "<student>", "exec"), ns)
        return self._observed({k: (np.asarray(v)[()] if np.asarray(v).shape == () else np.asarray(v))
                               for k, v in ns["__obs__"].items()})


def run_check(check, probe: Probe) -> str | None:
    """None when the check passes, else the message for the student."""
    try:
        check(probe)
    except LOST:  # the kernel must be restarted: the caller's business, not a verdict on the results
        raise
    except (CheckFailed, AssertionError) as err:
        return str(err) or "a hidden check failed"
    except Exception as err:  # a check crashing on strange observations is a failed check, never a pass
        return f"hidden check could not evaluate your results: {type(err).__name__}: {err}"
    return None


class BoundedKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse any message larger than ``max_message_mb``.

    ZeroMQ checks a message's size from its header, before it allocates anything
    (``ZMQ_MAXMSGSIZE``), and drops the connection to a peer that sends a larger one (it
    reconnects at once, and the next messages arrive): a kernel cannot make the grader hold
    more than this limit for one message, whatever it sends."""

    max_message_mb = Integer(64, help="the largest message read from a kernel, in MB").tag(config=True)

    def _create_connected_socket(self, channel, identity=None):
        import zmq

        # a default of the context's new sockets: the option must be set before the socket connects
        self.context.setsockopt(zmq.MAXMSGSIZE, int(self.max_message_mb) << 20)
        sock = super()._create_connected_socket(channel, identity=identity)
        assert sock.getsockopt(zmq.MAXMSGSIZE) == int(self.max_message_mb) << 20
        return sock


class TrustedExecute(Execute):
    """nbgrader's Execute plus trusted checks after test cells and survival of dead kernels.

    The chapter is the assignment nbgrader is grading (``resources["nbgrader"]["assignment"]``);
    ``run_seed`` is the grading run's seed, from which every check draws its hidden inputs."""

    run_seed = Integer(0, help="the grading run's seed for the hidden inputs").tag(config=True)
    cgroup = Unicode("", help="the submission's control group (autograder.cgroup); empty: wall-clock timeouts only").tag(config=True)
    cell_cpu_s = Integer(120, help="CPU seconds a cell may use (counted over the control group)").tag(config=True)
    mem_mb = Integer(0, help="the memory limit, for messages (0: unknown)").tag(config=True)
    output_mb = Integer(64, help="the output one cell may send (and the checks read), in MB").tag(config=True)

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handling, with what a cell sends past ``output_mb`` dropped as it
        arrives (one note in its place), so no cell makes the grader hold more than that."""
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(v) if isinstance(v, str) else len(json.dumps(v))
                                                   for v in (content.get("data") or {}).values())
        self._out_bytes = getattr(self, "_out_bytes", 0) + size
        if self._out_bytes > self.output_mb << 20:
            if not getattr(self, "_out_cut", False):
                self._out_cut = True
                outs.append(new_output("stream", name="stderr", text=CUT.format(self.output_mb)))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        self._lost = set()  # indices of the cells that lost a kernel: never run again
        return super().preprocess(nb, resources, km)

    def _group(self):
        from .cgroup import attach

        if not hasattr(self, "_cgroup_handle"):
            self._cgroup_handle = attach(self.cgroup)
        return self._cgroup_handle

    def _watch(self, group, stop: threading.Event, tripped: list) -> None:
        """A cell's time limit, counted so that a neighbour's load cannot use it up.

        The cell is interrupted when it has used ``cell_cpu_s`` seconds of CPU (all its processes,
        from the control group), or has waited ``cell_cpu_s`` seconds of wall-clock time while its
        processes used almost no CPU (a sleeping or hung kernel: waiting is not slowed by load,
        computing is). If it is still running 5 s after the interrupt, the sandbox is killed and
        the kernel restarted. When the process limit refuses a fork, every process but the
        kernel is killed at once."""
        from .cgroup import sandbox_pids

        start, refused = group.cpu_seconds(), group.fork_failures()
        last_cpu, last_t, idle, tripped_at = start, time.monotonic(), 0.0, None
        while not stop.wait(0.05):
            if group.fork_failures() > refused:  # a fork bomb hit the process limit: end its copies now
                self._reap_strays(group)
                refused = group.fork_failures()
            now, cpu = time.monotonic(), group.cpu_seconds()
            if cpu - last_cpu < 0.05 * (now - last_t):  # under 5 % of a core: waiting, not computing
                idle += now - last_t
            last_cpu, last_t = cpu, now
            if tripped_at is None and (cpu - start > self.cell_cpu_s or idle > self.cell_cpu_s):
                tripped.append(("CPU", cpu - start) if cpu - start > self.cell_cpu_s else ("idle", idle))
                tripped_at = now
                kernel, _ = sandbox_pids(group)
                if kernel:
                    try:
                        os.kill(kernel, signal.SIGINT)
                    except ProcessLookupError:
                        pass
            elif tripped_at is not None and now - tripped_at > 5:
                group.kill()
                return

    def _reap_strays(self, group) -> None:
        """Kill what a cell left running (forked copies of the kernel, background workers)."""
        from .cgroup import sandbox_pids

        _, keep = sandbox_pids(group)
        group.kill(keep=keep)

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._out_bytes, self._out_cut, started = 0, False, time.monotonic()
        try:
            return self._execute_cell(cell, cell_index, execution_count, store_history)
        except CellTimeoutError as err:
            took = time.monotonic() - started
            if took < self.timeout:  # the reply came, its output did not: a message past the limit was dropped
                raise KernelLost(f"the cell's output stopped arriving after {took:.0f} s: a message larger than the "
                                 f"{self.output_mb} MB output limit is not read") from err
            raise KernelLost(f"the cell ran for {took:.0f} s of wall-clock time without finishing (the limit is "
                             f"{self.timeout} s)", timeout=True) from err

    def _execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        group = self._group() if cell.cell_type == "code" else None
        if group is None:
            return super().execute_cell(cell, cell_index, execution_count, store_history)
        stop, tripped, ooms = threading.Event(), [], group.oom_kills()
        watchdog = threading.Thread(target=self._watch, args=(group, stop, tripped), daemon=True)
        watchdog.start()
        try:
            result = super().execute_cell(cell, cell_index, execution_count, store_history)
            error = None
        except LOST as err:
            result, error = None, err
        finally:
            stop.set()
            watchdog.join()
            self._reap_strays(group)
        if error is not None and group.oom_kills() > ooms:  # before the time limits: the kill is what ended it
            limit = f" of {self.mem_mb} MB" if self.mem_mb else ""
            raise KernelLost(f"the kernel was killed at the memory limit{limit} (its memory reached the limit)") from error
        if tripped:  # whether the interrupt ended the cell or the kill after it: the same outcome
            what = ("used {:.1f} s of CPU time, more than its {} s" if tripped[0][0] == "CPU" else
                    "waited {:.1f} s without computing, more than its {} s").format(tripped[0][1], self.cell_cpu_s)
            raise KernelLost(f"the cell {what} (the time limit)", timeout=True) from error
        if error is not None:
            raise error
        return result

    def _probe_runner(self, index):
        def runner(source: str):
            # a plain node: nbformat's new_code_cell validates with jsonschema, ~5 ms a probe
            cell = NotebookNode(cell_type="code", source=source, metadata=NotebookNode(), outputs=[],
                                execution_count=None)
            self.execute_cell(cell, index, store_history=False)
            return cell.outputs
        return runner

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        start = time.perf_counter()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            lost = _out_of_memory(cell)
        except LOST as err:
            lost = _lost(err)
        if lost is not None:
            self._lost.add(index)
            self.nb.cells[index] = cell
            again = self._restart_kernel(index)
            ename, evalue = "CellTimeoutError" if lost.timeout else "KernelDied", f"{lost}; {again}"
            cell.outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
            return cell, resources
        self.log.info("cell %s executed in %.2f s", meta.get("grade_id", index), time.perf_counter() - start)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            chapter = chapters.load(resources["nbgrader"]["assignment"])
            check = chapter.checks.get(meta.get("grade_id"))
            if check is not None:
                checked = time.perf_counter()
                try:
                    probe = Probe(self._probe_runner(index), chapter.reference, self.timeout, seed=self.run_seed,
                                  output_mb=self.output_mb)
                    message = run_check(check, probe)
                except LOST as err:
                    message = f"the hidden checks could not finish: {_lost(err)}; {self._restart_kernel(index)}"
                self.log.info("cell %s ran in %.2f s, checks in %.2f s", meta.get("grade_id"), checked - start,
                              time.perf_counter() - checked)
                self.nb.cells[index] = cell  # nbclient stores each executed cell at its index: put the test cell back
                if message:
                    cell.outputs.append(new_output("error", ename="HiddenTestFailed", evalue=message,
                                                   traceback=[f"HiddenTestFailed: {message}"]))
        return cell, resources

    def _restart_kernel(self, index: int) -> str:
        """A fresh kernel, with the code cells before cell ``index`` run again in it (the given
        ones and the student's; not the tests, and not the cells that lost a kernel themselves),
        so that the later cells see the state they would have seen. Returns what happened, for the student."""
        self._fresh_kernel()
        for i in range(index):
            cell = self.nb.cells[i]
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or i in self._lost or (meta.get("grade") and not meta.get("solution")):
                continue
            again = NotebookNode(cell_type="code", source=cell.source, metadata=cell.metadata, outputs=[],
                                 execution_count=None)
            try:
                self.execute_cell(again, i, store_history=False)
                lost = _out_of_memory(again)
            except LOST as err:
                lost = _lost(err)
            finally:
                self.nb.cells[i] = cell  # nbclient stores each executed cell at its index: put the original back
            if lost is not None:
                self._lost.add(i)
                self._fresh_kernel()
                return (f"the kernel was restarted, and running the cells before this one again stopped at "
                        f"cell {i + 1} ({lost}): the later cells run without the state of the cells before it")
        return "the kernel was restarted and the cells before this one were run again"

    def _fresh_kernel(self) -> None:
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        run_sync(self.km.restart_kernel)(now=True)
        self.start_new_kernel_client()


def _lost(err: Exception) -> KernelLost:
    """What ended a cell's kernel, as a :class:`KernelLost` (a wall-clock timeout is one already:
    :meth:`TrustedExecute.execute_cell` says how long the cell ran)."""
    if isinstance(err, KernelLost):
        return err
    return KernelLost("the kernel died while running this cell (os._exit or a crash)")


def _out_of_memory(cell) -> KernelLost | None:
    """A cell that raised MemoryError may keep what it allocated: its kernel is restarted too, so
    that memory cannot decide whether the later cells pass (the same outcome as the memory limit)."""
    if any(o.get("output_type") == "error" and str(o.get("ename", "")).endswith("MemoryError") for o in cell.get("outputs", [])):
        return KernelLost("the cell ran out of memory (MemoryError)")
    return None
