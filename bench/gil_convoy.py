"""A continuation's time in the server's interpreter when another thread keeps Python busy (as
Gradio's request handling does under a class): torch lets go of the interpreter lock for each
small operation of a decoding step, and numpy (gpt.NumpyStep, since) for each matrix product
(BLAS) and each elementwise operation over more than 500 numbers, and gets it back only when the
busy thread gives it up, at most every ``sys.setswitchinterval`` seconds. Then which of a
NumpyStep's operations let go of it: one that does waits about the switch interval.

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

import numpy as np  # noqa: E402
from scipy.special import erf  # noqa: E402

sys.setswitchinterval(0.005)
rng = np.random.default_rng(0)
x, h = rng.random(192, np.float32), rng.random(768, np.float32)
W, K = rng.random((192, 768), np.float32), rng.random((4, 128, 48), np.float32)
q = rng.random((4, 48, 1), np.float32)
ops = {"x @ W, (192,) @ (192, 768) (BLAS)": lambda: x @ W, "x + x, 192 numbers": lambda: x + x,
       "h + h, 768 numbers": lambda: h + h, "erf(h), 768 numbers": lambda: erf(h),
       "x.dot(x), 192": lambda: x.dot(x),
       "attention scores, (4, 50, 48) @ (4, 48, 1) (a strided view: no BLAS)": lambda: np.matmul(K[:, :50], q)}
print("\n| beside a busy Python thread, switch interval 5 ms | wall time an operation |\n|---|---|")
for name, op in ops.items():
    t0 = time.perf_counter()
    for _ in range(20):
        op()
    print(f"| {name} | {(time.perf_counter() - t0) / 20 * 1e3:.3f} ms |")
busy_on.clear()
