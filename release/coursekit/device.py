"""Device selection shared by every runner: ``--device`` defaults to CUDA when available."""
from __future__ import annotations

import torch

CHOICES = ("auto", "cpu", "cuda")


def pick_device(requested: str | None = None) -> torch.device:
    """Return the device to train on.

    ``None`` or ``"auto"`` picks CUDA when a GPU is visible, else the CPU. Asking for
    ``"cuda"`` on a machine without a GPU raises a clear error instead of failing later
    inside a kernel launch.
    """
    if requested in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"--device {requested} was requested but no CUDA GPU is visible; "
            "use --device cpu (or leave --device out to pick automatically)."
        )
    return device
