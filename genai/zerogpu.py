"""Hugging Face ZeroGPU Spaces: a GPU is lent to a function only while it runs under the
``spaces.GPU`` decorator, in a forked process, within a time limit and the visitor's daily
quota. The rules that decide what runs where (README, "On Hugging Face Spaces"):

- Training stays on the CPU, in the job runner's background processes: a run outlives any one
  call and would spend the visitor's quota while they only watch.
- The shipped models sample and generate on the CPU (a 64-digit grid is 22 ms of one thread:
  less than asking for a GPU costs).
- Continuations from a Hub model run inside ``spaces.GPU``: that is where a GPU pays.

``pick_device`` answers "cpu" here, because the ``spaces`` package makes
``torch.cuda.is_available()`` true outside decorated calls too. Without ZeroGPU (no
``SPACES_ZERO_GPU`` in the environment, or no ``spaces`` package) the decorator changes nothing.
"""
from __future__ import annotations

import functools
import os

import torch


def active() -> bool:
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in ("1", "true")


def gpu(duration: int = 60):
    """``spaces.GPU(duration=...)`` on ZeroGPU; the function unchanged elsewhere."""
    def wrap(fn):
        if not active():
            return fn
        try:
            import spaces
        except ImportError:  # ZeroGPU announced but no package: run as it is, on the CPU
            return fn
        return functools.wraps(fn)(spaces.GPU(duration=duration)(fn))
    return wrap
