"""Provenance of a measured run: what made a committed result, so a reader and a test can check it.

Every runner writes ``provenance.json`` next to its ``table.md`` and ``result.json``
(:func:`solutions.runner.save`); ``python -m solutions.measure_gpu`` writes one per record. The
fields::

    command      the exact command line that re-measures it
    commit       the git commit of the course (``COURSE_COMMIT`` where the tree has no .git)
    clean        whether the git tree was clean (``dirty`` lists the changed paths, at most 20)
    device       the CPU model or the GPU name
    torch        torch.__version__
    date         UTC, ISO 8601, when the run ended
    seconds      wall time of the run
    seeds        the seeds it used
    chapter, profile, hparams (the chapter's ``Hparams`` as a dict) and ``overrides``: the fields
    in which ``hparams`` differ from the profile's preset, so that
    ``preset(profile).with_(**overrides) == hparams`` while the preset is unchanged
    (:func:`stale` says when it is not).

A device machine gets a copy of the working tree without ``.git``: there the commit and the
changed paths come from ``COURSE_COMMIT`` and ``COURSE_DIRTY`` (comma-separated), set by the
command that starts the run.
"""
from __future__ import annotations

import dataclasses
import datetime
import importlib
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "provenance.json"
FIELDS = ("command", "commit", "clean", "device", "torch", "date", "seconds", "seeds")


def git_state(root: Path = ROOT) -> tuple[str, bool | None, list[str]]:
    """``(commit, clean, dirty paths)`` of the checkout at ``root``; from the environment without git."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=30, check=True).stdout
        dirty = [line[3:] for line in status.splitlines() if line.strip()]
        return commit, not dirty, dirty
    except (OSError, subprocess.SubprocessError):
        commit = os.environ.get("COURSE_COMMIT", "unknown")
        dirty = [p for p in os.environ.get("COURSE_DIRTY", "").split(",") if p]
        return commit, (not dirty) if "COURSE_COMMIT" in os.environ else None, dirty


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def device_name(device) -> str:
    """The GPU's name for a CUDA device, else the CPU model."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def _is_device(device) -> bool:
    import re

    return not isinstance(device, str) or re.fullmatch(r"cpu|cuda(:\d+)?", device) is not None


def as_dict(hp) -> dict:
    """A dataclass as JSON-ready values (tuples become lists); ``None`` stays ``None``."""
    if hp is None:
        return None
    return json.loads(json.dumps(dataclasses.asdict(hp), default=str))


def overrides(hp, preset) -> dict:
    """The fields of ``hp`` that differ from ``preset`` (both the same dataclass)."""
    mine, base = as_dict(hp), as_dict(preset)
    return {k: v for k, v in mine.items() if base.get(k) != v}


def preset_of(chapter: str, profile: str, hp=None):
    """The chapter's preset for ``profile`` (``config.preset(profile, model)`` where the chapter has one)."""
    config = importlib.import_module(f"solutions.{chapter}.config")
    chooser = getattr(config, "preset", None)
    if chooser is not None and hp is not None and hasattr(hp, "model"):
        return chooser(profile, hp.model)
    return config.PROFILES[profile]


def record(*, command: str, chapter: str, profile: str, hp, device, seconds: float, seeds=None,
           root: Path = ROOT, git: tuple[str, bool | None, list[str]] | None = None, **extra: Any) -> dict:
    """The provenance of one run (see the module's docstring); ``git`` is :func:`git_state` taken
    when the run started (the code that ran; default: now); ``extra`` adds fields."""
    import torch

    commit, clean, dirty = git or git_state(root)
    if seeds is None:
        seeds = getattr(hp, "seeds", None)
        if seeds is None and hasattr(hp, "seed"):
            seeds = [hp.seed]
    try:
        base = overrides(hp, preset_of(chapter, profile, hp)) if hp is not None else None
    except (ImportError, KeyError, AttributeError, TypeError):
        base = None
    out = {"command": command, "commit": commit, "clean": clean, "dirty": dirty[:20],
           "device": device_name(device) if _is_device(device) else str(device),
           "torch": torch.__version__,
           "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
           "seconds": round(float(seconds), 2), "seeds": list(seeds) if seeds is not None else None,
           "chapter": chapter, "profile": profile, "hparams": as_dict(hp), "overrides": base}
    out.update(extra)
    return out


def write(path: Path, rec: dict) -> Path:
    """Write ``rec`` as JSON at ``path`` (a folder gets ``provenance.json``), through a temporary file."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        path = path / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(rec, indent=1, default=str) + "\n")
    os.replace(tmp, path)
    return path


def stale(rec: dict) -> str | None:
    """``None`` while ``rec``'s hyper-parameters are its profile's current preset with its recorded
    ``overrides``; else a message naming the fields that differ and the command that re-measures."""
    config = importlib.import_module(f"solutions.{rec['chapter']}.config")
    hp_type = type(config.PROFILES[rec["profile"]])
    try:
        hp = hp_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in rec["hparams"].items()})
    except TypeError as err:
        return f"the recorded hyper-parameters no longer fit {hp_type.__name__} ({err}); re-measure: {rec['command']}"
    preset = preset_of(rec["chapter"], rec["profile"], hp)
    expected = as_dict(dataclasses.replace(preset, **{k: tuple(v) if isinstance(v, list) else v
                                                   for k, v in (rec.get("overrides") or {}).items()}))
    diff = {k: (v, expected.get(k)) for k, v in as_dict(hp).items() if expected.get(k) != v}
    if not diff:
        return None
    fields = ", ".join(f"{k}: measured {a!r}, preset now {b!r}" for k, (a, b) in diff.items())
    return f"{rec['chapter']} ({rec['profile']} preset) was measured with other hyper-parameters ({fields}); " \
           f"re-measure: {rec['command']}"
