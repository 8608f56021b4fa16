"""Run profiles.

``smoke`` (the default for tests, CI, autograding and the default book build) runs each
chapter in seconds on a laptop CPU, offline, on small data: it shows the pipeline, and its
numbers mean nothing. ``cpu`` runs the chapter's real experiment on real data (Fashion-MNIST,
offline), scaled to at most an hour on 2 CPU cores: what the book's experiment pages show.
``full`` runs the chapter's experiment at the paper's scale on the real dataset (a GPU is
recommended for the PyTorch chapters).

The profile is chosen by ``--profile`` on a runner or by the ``COURSE_PROFILE`` environment
variable. Chapters keep their own typed hyper-parameters per profile; this module only
names and validates the choice.
"""
from __future__ import annotations

import os

PROFILES = ("smoke", "cpu", "full")
ENV = "COURSE_PROFILE"


def current_profile(requested: str | None = None) -> str:
    """Return ``requested`` or ``$COURSE_PROFILE`` (default ``smoke``), validated."""
    name = (requested or os.environ.get(ENV) or "smoke").strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"unknown profile {name!r} (from {'--profile' if requested else '$' + ENV}); "
            f"choose one of: {', '.join(PROFILES)}"
        )
    return name
