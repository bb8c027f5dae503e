"""VAE benchmarks: held-out negative ELBO of the shipped checkpoints and after 60 s of CPU
training with the CPU preset, and the tab's latencies. Needs ../shared/data (or GENAI_DATA_DIR).

    python bench/vae.py heldout        # nats per image, each shipped VAE, on the 2,000 held-out digits
    python bench/vae.py train60        # cpu-fast preset: held-out loss after 60 s of training
    python bench/vae.py latency        # 10-frame interpolation incl. encoding two drawn digits; map click
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

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from genai import checkpoints, data, images, models, sketch  # noqa: E402


def heldout():
    ds = data.load_images("mnist")
    print("| checkpoint | z | held-out loss (nats/image) | reconstruction | KL |")
    print("|---|---|---|---|---|")
    for c in checkpoints.list_checkpoints("vae", runs_dir=os.devnull):
        model, meta = models.from_checkpoint(c.path)
        m = model.evaluate(ds)
        print(f"| {c.name} | {model.config.z_dim} | {m['loss']:.1f} | {m['recon']:.1f} | {m['kl']:.1f} |")


def train60(preset: str = "cpu-fast", seconds: float = 60, batch: int = 128):
    from genai.device import configure_threads

    threads = configure_threads(beside_server=False)
    ds = data.load_images("mnist")
    torch.manual_seed(0)
    model = models.build("vae", preset=preset)
    model.prepare(ds)
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    clock, step = 0.0, 0
    while clock < seconds:
        t = time.perf_counter()
        model.train_step(model.make_batch(ds, batch, g), opts)
        clock += time.perf_counter() - t
        step += 1
    m = model.evaluate(ds)
    print(f"{preset}, batch {batch}, {threads} thread(s): after {clock:.0f} s of training ({step} steps) "
          f"held-out loss {m['loss']:.1f} nats/image (reconstruction {m['recon']:.1f}, KL {m['kl']:.1f})")


def drawn(seed: int) -> np.ndarray:
    """A 280x280 sketchpad composite: a dark stroke on a white page, as the browser sends it."""
    rng = np.random.default_rng(seed)
    im = Image.new("L", (280, 280), "white")
    x0, y0 = rng.integers(60, 110, 2)
    ImageDraw.Draw(im).ellipse((x0, y0, x0 + 100, y0 + 150), outline="black", width=22)
    return np.asarray(im)


def latency(reps: int = 50):
    torch.set_num_threads(1)
    two, sixteen = (checkpoints.SHIPPED_DIR / f"vae_conv-{d}_mnist.safetensors" for d in ("2d", "16d"))
    for path in (two, sixteen):
        model, _ = models.from_checkpoint(path)
        pads = [drawn(1), drawn(2)]
        times = []
        for i in range(reps):
            t = time.perf_counter()
            x = torch.from_numpy(np.stack([sketch.sketch_to_mnist(p) for p in pads])).float().div(255)[:, None]
            mu, _ = model.encode(x)
            frames = model.decode(model.interpolate(mu[0], mu[1], 10, "slerp"))
            images.grid_image(frames, nrow=10)
            times.append(time.perf_counter() - t)
        print(f"{path.stem}: 10-frame interpolation incl. preprocessing and encoding two drawn digits, "
              f"1 thread: p50 {statistics.median(times) * 1e3:.1f} ms")
    model, _ = models.from_checkpoint(two)
    times = []
    for i in range(reps):
        t = time.perf_counter()
        images.grid_image(model.decode(torch.tensor([[0.1 * (i % 10), -0.5]])), scale=6, pad=0)
        times.append(time.perf_counter() - t)
    print(f"{two.stem}: latent-map click to decoded image, 1 thread: p50 {statistics.median(times) * 1e3:.2f} ms")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["heldout", "train60", "latency", "all"])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--preset", default="cpu-fast")
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores")
    if a.what in ("heldout", "all"):
        heldout()
    if a.what in ("train60", "all"):
        train60(a.preset, a.seconds)
    if a.what in ("latency", "all"):
        latency()
