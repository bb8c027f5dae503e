"""VAE benchmarks: held-out negative ELBO of the shipped checkpoints and after 60 s of CPU
training with the CPU preset, and the tab's latencies. Needs ../shared/data (or GENAI_DATA_DIR).

    python bench/vae.py heldout        # nats per image, each shipped VAE, on the 2,000 held-out digits
    python bench/vae.py train60        # cpu-fast preset: held-out loss after 60 s of training
    python bench/vae.py train60 --recipe examples   # pytorch/examples' VAE recipe, the same 60 s
    python bench/vae.py side60         # both at once, one thread each, one process each
    python bench/vae.py latency        # 10-frame interpolation incl. encoding two drawn digits; map click
"""
from __future__ import annotations

import argparse
import json
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


def train60(preset: str = "cpu-fast", seconds: float = 60, batch: int = 128, recipe: str = "",
            sets: list[str] | None = None):
    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    if recipe:
        model, name = ExamplesRecipe(ds), "pytorch/examples vae/main.py (784-400-20, Adam 1e-3)"
        step_fn = lambda: model.step(batch, g)  # noqa: E731
    else:
        overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in sets or [])}
        model = models.build("vae", preset=preset, **overrides)
        model.prepare(ds)
        opts = model.configure_optimizers()
        name = preset + "".join(f", {k}={v}" for k, v in overrides.items())
        step_fn = lambda: model.train_step(model.make_batch(ds, batch, g), opts)  # noqa: E731
    clock, step = 0.0, 0
    while clock < seconds:
        t = time.perf_counter()
        step_fn()
        clock += time.perf_counter() - t
        step += 1
    m = model.evaluate() if recipe else model.evaluate(ds)
    print(f"| {name} | batch {batch}, 1 thread | {clock:.0f} s, {step:,} steps | {m['loss']:.1f} "
          f"| {m['recon']:.1f} | {m['kl']:.1f} |")


class ExamplesVAE(torch.nn.Module):
    """pytorch/examples vae/main.py as published: 784-400-20 MLP, ReLU, a sigmoid decoder, Adam
    at 1e-3, batch 128, shuffled epochs; loss = BCE summed over pixels + KL, summed over the batch
    (Kingma & Welling 2014, Appendix B for the KL)."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x):
        h1 = torch.relu(self.fc1(x.view(-1, 784)))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z))))

    def losses(self, x, eps):
        """(recon, kl) summed over pixels and z, summed over the batch."""
        mu, logvar = self.encode(x)
        x_hat = self.decode(mu + eps * torch.exp(0.5 * logvar))
        bce = torch.nn.functional.binary_cross_entropy(x_hat, x.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce, kld


class ExamplesRecipe:
    """The example's training loop on the project's digits, and the project's held-out measure
    (a one-sample negative ELBO per image, eps from seed 0: VAE Model.evaluate)."""

    def __init__(self, ds):
        self.net, self.ds = ExamplesVAE(), ds
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.order, self.at = None, 0

    def step(self, batch_size, g):
        n = len(self.ds.train_x)
        if self.order is None or self.at >= n:  # DataLoader(shuffle=True): a new order each epoch
            self.order, self.at = torch.randperm(n, generator=g), 0
        idx = self.order[self.at:self.at + batch_size]
        self.at += batch_size
        x = self.ds.train_x[idx].float().div(255)
        self.opt.zero_grad()
        bce, kld = self.net.losses(x, torch.randn(len(x), 20))
        (bce + kld).backward()
        self.opt.step()

    @torch.no_grad()
    def evaluate(self, n=2000):
        x_all = self.ds.heldout_float(n)[0]
        g = torch.Generator().manual_seed(0)
        recon = kl = 0.0
        for x in x_all.split(500):
            bce, kld = self.net.losses(x, torch.randn(len(x), 20, generator=g))
            recon, kl = recon + bce.item(), kl + kld.item()
        return {"loss": (recon + kl) / len(x_all), "recon": recon / len(x_all), "kl": kl / len(x_all)}


def side60(preset: str, seconds: float, sets: list[str]):
    """The project's preset and pytorch/examples' recipe trained at once, one process and one
    thread each, for the same training time: the comparison a teacher would make."""
    import subprocess

    cmd = [sys.executable, __file__, "train60", "--seconds", str(seconds)]
    procs = [subprocess.Popen(cmd + ["--recipe", "examples"], stdout=subprocess.PIPE, text=True),
             subprocess.Popen(cmd + ["--preset", preset] + [a for kv in sets for a in ("--set", kv)],
                              stdout=subprocess.PIPE, text=True)]
    for p in procs:
        out, _ = p.communicate()
        print(out.strip().splitlines()[-1])


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
    p.add_argument("what", choices=["heldout", "train60", "side60", "latency", "all"])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--preset", default="cpu-fast")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--recipe", choices=["examples"], default="", help="train pytorch/examples' recipe instead")
    p.add_argument("--set", action="append", default=[], help="a preset setting key=value (JSON value)")
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores")
    if a.what in ("heldout", "all"):
        heldout()
    if a.what in ("train60", "side60", "all"):
        print("| what | batch | training | held-out -ELBO (nats/image) | reconstruction | KL |")
        print("|---|---|---|---|---|---|")
    if a.what in ("train60", "all"):
        train60(a.preset, a.seconds, a.batch, a.recipe, a.set)
    if a.what == "side60":
        side60(a.preset, a.seconds, a.set)
    if a.what in ("latency", "all"):
        latency()
