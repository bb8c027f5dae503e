"""The one place that decides where and how tensors are computed.

Device: CUDA, then Apple MPS, then the CPU; ``GENAI_DEVICE`` overrides ("cpu", "cuda", "cuda:1",
"mps"). On ZeroGPU Spaces the page's own work and training use the CPU (a GPU exists there only
inside ``spaces.GPU`` calls; see ``genai/zerogpu.py``). Autocast: bf16 on CUDA GPUs that compute
it natively (compute capability 8.0 and newer: A10G, L4, A100, H100), fp32 elsewhere: a T4
(7.5) would only emulate bf16, and CPU bf16 autocast is slower than fp32 for these small models.
Threads: a job that trains beside the web server leaves it a core. Seeding: one seed gives the
same samples on the same device.
"""
from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch

from genai import zerogpu  # zerogpu imports nothing of genai: no loop
from genai.locales import Words


def pick_device() -> torch.device:
    forced = os.environ.get("GENAI_DEVICE", "").strip()
    if forced:
        dev = torch.device(forced)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"GENAI_DEVICE={forced} but CUDA is not available on this machine")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"GENAI_DEVICE={forced} but Apple MPS is not available on this machine")
        return dev
    if zerogpu.active():  # torch.cuda.is_available() may be True there outside GPU calls: not usable
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def call_device() -> torch.device:
    """The device for work inside a ``zerogpu.gpu`` call: CUDA on ZeroGPU (lent for the call),
    else the one ``pick_device`` chose."""
    if zerogpu.active() and torch.cuda.is_available():
        return torch.device("cuda")
    return pick_device()


def native_bf16(device: torch.device) -> bool:
    """Does this GPU compute bf16 in hardware? ``torch.cuda.is_bf16_supported()`` also counts
    emulation (``including_emulation=True`` is its default), which would make a T4 train slower
    in emulated bf16; bf16 tensor cores start with Ampere (sm80)."""
    if device.type != "cuda":
        return False
    return torch.cuda.get_device_capability(device)[0] >= 8


def autocast(device: torch.device):
    """bf16 autocast where the GPU computes it natively; a no-op context elsewhere (fp32)."""
    if native_bf16(device):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def describe(device: torch.device | None = None) -> str:
    """One line for the page header and the CLI: what computes, and with how many threads."""
    device = device or pick_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        amp = "bf16 autocast" if native_bf16(device) else "fp32"
        return Words("device.cuda", name=name, amp=amp)
    if device.type == "mps":
        return Words("device.mps")
    # catalogue text: English here and in the CLI, the page's language in the page
    return Words("device.cpu", threads=torch.get_num_threads(), cores=os.cpu_count())


def configure_threads(beside_server: bool) -> int:
    """Set torch's intra-op threads. Beside a web server leave one core free, because on a
    2-core machine two training threads stall the server's own work for a scheduler tick
    (measured: a 40 ms forward became 250 ms). ``GENAI_THREADS`` overrides."""
    cores = os.cpu_count() or 1
    n = int(os.environ.get("GENAI_THREADS", 0)) or (max(1, cores - 1) if beside_server else cores)
    torch.set_num_threads(n)
    return n


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for sampling noise.
    Noise is drawn on the CPU and moved, so a seed means the same z on every device."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def cpu_generator(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed))
    return g


def memory_in_use(device: torch.device) -> str:
    """GPU memory on CUDA, the process's resident memory elsewhere."""
    if device.type == "cuda":
        return f"{torch.cuda.memory_allocated(device) / 2**20:.0f} MB GPU"
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return f"{pages * os.sysconf('SC_PAGE_SIZE') / 2**20:.0f} MB RAM"
    except OSError:
        return "n/a"
