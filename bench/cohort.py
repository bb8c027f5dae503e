"""Lesson GAN steps alone against the same runs stacked into one batched model (gan.Cohort), on
one CPU thread: milliseconds a step, and a run's share of a stacked step.

    python bench/cohort.py 8 15
"""
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GENAI_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
from genai import data as datamod, models  # noqa: E402
from genai.models import gan  # noqa: E402

torch.set_num_threads(1)
cfg = models.make_config("gan", "lesson")
data = datamod.load_images("mnist")
m = gan.Model(cfg)
o = m.configure_optimizers()
g = torch.Generator().manual_seed(0)
for _ in range(20):
    m.train_step(m.make_batch(data, 64, g), o)
t = time.perf_counter()
for _ in range(200):
    m.train_step(m.make_batch(data, 64, g), o)
print(f"alone: {(time.perf_counter() - t) / 200 * 1000:.2f} ms a step", flush=True)
for K in [int(x) for x in sys.argv[1:]] or [8, 15]:
    co = gan.Cohort(cfg)
    for _ in range(K):
        mm = gan.Model(cfg)
        co.add(mm, mm.configure_optimizers())
    gens = [torch.Generator().manual_seed(k) for k in range(K)]
    act = torch.ones(K, dtype=torch.bool)
    for _ in range(5):
        co.train_step(co.make_batch(data, 64, gens), act)
    n = max(10, 400 // K)
    t = time.perf_counter()
    for _ in range(n):
        co.train_step(co.make_batch(data, 64, gens), act)
    dt = (time.perf_counter() - t) / n
    print(f"{K} stacked: {dt * 1000:.1f} ms a step, {dt / K * 1000:.2f} ms a run", flush=True)
