"""GAN benchmarks: sample quality of the shipped checkpoints, CPU training throughput, the CPU
preset's progress in time, and sampling latency. Needs ../shared/data (or GENAI_DATA_DIR).

    python bench/gan.py quality      # FID / class entropy of each shipped GAN vs the noise floor
    python bench/gan.py throughput   # images/s as a share of this machine's fp32 matmul rate
    python bench/gan.py preset       # cpu-fast: time to reach FID <= --target, FID after 120 s
    python bench/gan.py latency      # 64 samples from the shipped DCGAN, p50
    python bench/gan.py all
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_DATA_DIR", str(ROOT.parent / "shared" / "data"))

import torch  # noqa: E402

from genai import checkpoints, data, metrics, models  # noqa: E402


def quality(n: int = 2000):
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    floor = q.score(ds.train_x[:n].float() / 255)
    print(f"noise floor (2,000 real training digits vs the 2,000 held-out): FID {floor['fid']:.1f}, "
          f"class entropy {floor['class_entropy']:.4f}, confident {floor['confident']:.3f}")
    print("| checkpoint | FID | FID / floor | class entropy | confident > 0.9 |")
    print("|---|---|---|---|---|")
    for c in checkpoints.list_checkpoints("gan", runs_dir=os.devnull):
        model, _ = models.from_checkpoint(c.path)
        s = q.score(model.sample(n, generator=torch.Generator().manual_seed(0)))
        print(f"| {c.name} | {s['fid']:.1f} | {s['fid'] / floor['fid']:.2f} | {s['class_entropy']:.4f} | {s['confident']:.3f} |")


def matmul_gflops(reps: int = 10) -> float:
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * 2048**3 / min(times) / 1e9


def step_flops(model, batch, opts) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        model.train_step(batch, opts)
    return fc.get_total_flops()


def throughput(presets=("dcgan", "cpu-fast", "mlp"), batch_sizes=(64, 128), threads=(1, 2), steps: int = 20):
    ds = data.load_images("mnist")
    print("| preset | batch | threads | ms/step | images/s | GFLOP/step | achieved GFLOP/s | matmul GFLOP/s | share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for nt in threads:
        torch.set_num_threads(nt)
        for preset in presets:
            for bs in batch_sizes:
                torch.manual_seed(0)
                model = models.build("gan", preset=preset)
                opts = model.configure_optimizers()
                g = torch.Generator().manual_seed(0)
                batch = model.make_batch(ds, bs, g)
                flops = step_flops(model, batch, opts)
                for _ in range(3):
                    model.train_step(batch, opts)
                times = []
                for _ in range(steps):
                    batch = model.make_batch(ds, bs, g)
                    t = time.perf_counter()
                    model.train_step(batch, opts)
                    times.append(time.perf_counter() - t)
                mm = matmul_gflops()  # measured in the same run, right after: the machine is shared
                dt = statistics.median(times)
                got = flops / dt / 1e9
                print(f"| {preset} | {bs} | {nt} | {dt * 1e3:.1f} | {bs / dt:,.0f} | {flops / 1e9:.2f} | {got:.0f} | {mm:.0f} | {got / mm:.0%} |")


def preset_progress(preset: str = "cpu-fast", seconds: float = 120, target: float = 500, eval_every: float = 10):
    """Train ``preset`` for ``seconds`` of training time (evaluation excluded), FID each ~10 s."""
    from genai.device import configure_threads

    threads = configure_threads(beside_server=False)
    ds = data.load_images("mnist")
    torch.manual_seed(0)
    model = models.build("gan", preset=preset)
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    clock, step, next_eval, reached = 0.0, 0, eval_every, None
    print(f"{preset} on MNIST, batch 64, {threads} thread(s); FID on 1,000 samples vs 2,000 held-out digits")
    while clock < seconds:
        t = time.perf_counter()
        model.train_step(model.make_batch(ds, 64, g), opts)
        clock += time.perf_counter() - t
        step += 1
        if clock >= next_eval or clock >= seconds:
            next_eval += eval_every
            s = q.score(model.sample(1000, generator=torch.Generator().manual_seed(0)))
            print(f"  {clock:6.1f} s  step {step:5d}  FID {s['fid']:8.1f}  class entropy {s['class_entropy']:.3f}")
            if reached is None and s["fid"] <= target:
                reached = clock
    print(f"time to FID <= {target}: {reached:.0f} s" if reached else f"FID {target} not reached in {seconds} s")
    print(f"FID after {seconds:.0f} s of training: {s['fid']:.1f} (step {step})")


def experiment(steps: int = 600):
    """The tab's guided experiment: dcgan with D's learning rate x1 and x10, and dcgan-bce, same seed."""
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    runs = (("dcgan, lr_d 2e-4", "dcgan", {}), ("dcgan, lr_d 2e-3 (10x)", "dcgan", {"lr_d": 2e-3}),
            ("dcgan-bce, lr_d 2e-4", "dcgan-bce", {}), ("dcgan-bce, lr_d 2e-3 (10x)", "dcgan-bce", {"lr_d": 2e-3}))
    for label, preset, kw in runs:
        torch.manual_seed(0)
        model = models.build("gan", preset=preset, **kw)
        opts = model.configure_optimizers()
        g = torch.Generator().manual_seed(0)
        line = []
        for step in range(1, steps + 1):
            m = model.train_step(model.make_batch(ds, 64, g), opts)
            if step % (steps // 3) == 0:
                s = q.score(model.sample(1000, generator=torch.Generator().manual_seed(0)))
                line.append(f"step {step}: FID {s['fid']:.0f}, entropy {s['class_entropy']:.2f}, "
                            f"D(x) {m['D(x)']:.2f}, D(G(z)) {m['D(G(z))']:.2f}")
        print(f"{label}: " + "; ".join(line))


def latency(n: int = 64, reps: int = 50):
    path = checkpoints.SHIPPED_DIR / "gan_dcgan_mnist.safetensors"
    model, _ = models.from_checkpoint(path)
    for nt in (1, 2):
        torch.set_num_threads(nt)
        times = []
        for i in range(reps):
            t = time.perf_counter()
            model.sample(n, generator=torch.Generator().manual_seed(i))
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"sample {n} images, {nt} thread(s): p50 {statistics.median(times) * 1e3:.1f} ms, "
              f"p90 {times[int(0.9 * reps)] * 1e3:.1f} ms")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["quality", "throughput", "preset", "latency", "experiment", "all"])
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--target", type=float, default=500)
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores")
    if a.what in ("quality", "all"):
        quality()
    if a.what in ("throughput", "all"):
        throughput()
    if a.what in ("preset", "all"):
        preset_progress(seconds=a.seconds, target=a.target)
    if a.what in ("latency", "all"):
        latency()
    if a.what in ("experiment", "all"):
        experiment()
