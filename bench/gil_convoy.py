"""A continuation's time in the server's interpreter when another thread keeps Python busy (as
Gradio's request handling does under a class): torch lets go of the interpreter lock for each
small operation of a decoding step and gets it back only when the busy thread gives it up, at
most every ``sys.setswitchinterval`` seconds.

    python bench/gil_convoy.py
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from genai import models  # noqa: E402

torch.set_num_threads(1)
model = models.from_checkpoint(ROOT / "checkpoints" / "gpt_char_shakespeare.safetensors")[0].eval()
busy_on = threading.Event()


def busy() -> None:
    x = 0
    while busy_on.is_set():
        for i in range(1000):
            x += i * i


def p50(n: int, reps: int = 5) -> float:
    times = []
    for seed in range(reps):
        t0 = time.perf_counter()
        model.generate("ROMEO:", n, 1.0, seed=seed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


print("| | characters | p50 |\n|---|---|---|")
print(f"| decoding alone | 100 | {p50(100) * 1e3:,.0f} ms |")
busy_on.set()
threading.Thread(target=busy, daemon=True).start()
for interval in (0.0005, 0.001, 0.002, 0.005):
    sys.setswitchinterval(interval)
    n = 100 if interval < 0.003 else 10  # at Python's default a 100-character run takes a minute
    print(f"| beside a busy Python thread, switch interval {interval * 1e3:g} ms | {n} | {p50(n) * 1e3:,.0f} ms |")
busy_on.clear()
