"""Diffusion benchmarks, and GAN vs VAE vs diffusion. Needs ../shared/data (or GENAI_DATA_DIR).

    python bench/diffusion.py latency CKPT   # 64 digits on one thread: UniPC, DDIM by step count, the DDPM chain
    python bench/diffusion.py quality CKPT   # FID / floor, class entropy, confident, IS, asked-for digit
    python bench/diffusion.py guidance CKPT  # the asked-for share and the ink by guidance scale
    python bench/diffusion.py preset         # candidates for cpu-fast: FID against training time
    python bench/diffusion.py compare        # the shipped GAN, VAE and diffusion model on the same measures;
                                             # writes checkpoints/image_models.json (the tab's table)
    python bench/diffusion.py stray CKPT...  # stray ink of 2,000 digits with its 95% interval, beside real ones
    python bench/diffusion.py finetune [CKPT] --steps N --out P [--middle] [--p2]   # issue 30's experiments
"""
from __future__ import annotations

import argparse
import json
import math
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

from genai import checkpoints, data, metrics, models  # noqa: E402
from genai.models import diffusion  # noqa: E402

SHIPPED = checkpoints.SHIPPED_DIR / "diffusion_mnist.safetensors"


def timed(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def latency(path=SHIPPED, n: int = 64, reps: int = 3):
    torch.set_num_threads(1)
    model, _ = models.from_checkpoint(path)
    labels = torch.arange(n) % 10
    g = model.config.guidance
    print(f"{n} digits, one thread, median of {reps}")
    print("| sampler | steps | guidance | network passes a digit | seconds |")
    print("|---|---|---|---|---|")
    def passes(ts, s):  # guided steps (inside the interval) run the network twice, the others once
        return sum(2 if model.guidance_at(t, s) not in (0, 1) else 1 for t in ts)

    for sampler in ("unipc", "ddim"):
        for steps in (1, 2, 3, 4, 5, 6, 10, 20):
            for s in (g, 1.0):
                n_passes = passes(diffusion.timesteps_of(model.config, steps, sampler), s)
                sec = timed(lambda: model.sample(n, torch.Generator().manual_seed(0), labels, steps, s, sampler), reps)
                print(f"| {diffusion.SAMPLER_NAMES[sampler]} | {steps} | {s:g} | {n_passes} | {sec:.2f} |", flush=True)
    # every DDPM step does the same work: time 100 of the 1,000 and multiply
    chain = model.reverse(n, torch.Generator().manual_seed(0), labels, guidance=g, sampler="ddpm")
    next(chain)
    t = time.perf_counter()
    for _ in range(100):
        next(chain)
    per = (time.perf_counter() - t) / 100
    n_passes = passes(range(model.config.timesteps), g)
    # the 100 steps timed are the noisiest, outside the guidance interval: one network pass each
    print(f"| DDPM | {model.config.timesteps} | {g:g} | {n_passes} | {per * n_passes:.0f} "
          f"(100 unguided steps timed: {per * 1e3:.0f} ms a pass) |")


def quality(path=SHIPPED, n: int = 2000, steps: int | None = None, guidance: float | None = None,
            threads: int = 2, write: bool = False, sampler: str = "unipc", interval: str = "") -> dict:
    if write and sampler != "unipc":
        raise SystemExit("--write records the figures of the default sampler (UniPC): leave --sampler out")
    torch.set_num_threads(threads)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    model, meta = models.from_checkpoint(path)
    if interval:  # "LO,HI": guidance above 1 only while t/T is in [LO, HI) ("0,1": every step)
        model.config.guide_from, model.config.guide_to = map(float, interval.split(","))
    labels = torch.arange(n) % 10
    x = torch.cat([model.sample(len(lab), torch.Generator().manual_seed(i), lab, steps, guidance, sampler)
                   for i, lab in enumerate(labels.split(250))])
    s = q.score(x, labels)
    floor = metrics.FID_FLOOR["mnist"]
    c = model.config
    how = (f"{diffusion.SAMPLER_NAMES[sampler]} {steps or c.sample_steps} steps, guidance "
           f"{c.guidance if guidance is None else guidance:g} for t/T in [{c.guide_from:g}, {c.guide_to:g})")
    print(f"{Path(path).name} (step {meta['step']}), {n} digits, {how}: FID {s['fid']:.1f} "
          f"({s['fid'] / floor:.2f} x floor), class entropy {s['class_entropy']:.4f}, confident {s['confident']:.3f}, "
          f"IS {s['inception_score']:.2f}, asked-for digit {s['label_match']:.3f}, stray ink "
          f"{metrics.stray_share(x):.2%}, mean brightness {float(x.mean()):.3f}", flush=True)
    if write:  # these figures into the checkpoint's sidecar (the tab's info line reads them)
        # the card's defaults become the settings measured, so that its figures are what it draws
        config = {"sample_steps": steps or c.sample_steps, "guide_from": c.guide_from, "guide_to": c.guide_to,
                  "guidance": c.guidance if guidance is None else guidance}
        checkpoints.rewrite(path, config=config, metrics=s, extra={
            "metrics_by": f"python bench/diffusion.py quality --write: {n} digits, 0-9 in turn, {how}"})
        print(f"wrote the figures into {Path(path).with_suffix('.json').name} (optimizer state dropped)")
    return s


def guidance(path=SHIPPED, n: int = 200, scales=(0, 1, 2, 3, 4, 8)):
    """n digits asked for 0-9 in turn (the config's sampler steps) at each guidance scale: how many the
    classifier reads as asked, how many it is sure of, and the mean pixel (the ink)."""
    torch.set_num_threads(1)
    clf = metrics.load_classifier()
    model, _ = models.from_checkpoint(path)
    labels = torch.arange(n) % 10
    for s in scales:
        x = model.sample(n, torch.Generator().manual_seed(0), labels, None, s)
        logits = clf.embed(x)[0]
        match = (logits.argmax(1) == labels).float().mean().item()
        sure = (logits.softmax(1).max(1).values > 0.9).float().mean().item()
        print(f"s={s}: asked-for {match:.1%}, confident {sure:.1%}, ink {x.mean().item():.3f}", flush=True)


CANDIDATES = [  # (label, preset, overrides)
    ("cpu-fast", "cpu-fast", {}),  # width 8, lr 2e-3 decayed over 700 steps
    ("width 16", "cpu-fast", {"width": 16, "decay_steps": 400}),  # the small model's network
]


def preset(seconds: float = 180, every: float = 30, n_eval: int = 500, only: str = ""):
    """Each candidate trained for ``seconds`` of one thread (evaluation excluded), FID of
    ``n_eval`` digits (UniPC, the config's steps and guidance) every ``every`` seconds."""
    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    floor = metrics.FID_FLOOR["mnist"]
    for label, name, kw in CANDIDATES:
        if only and only != label:
            continue
        torch.manual_seed(0)
        model = models.build("diffusion", preset=name, **kw)
        opts, g = model.configure_optimizers(), torch.Generator().manual_seed(0)
        clock, step, next_eval = 0.0, 0, every
        print(f"{label}: one thread, batch 64; FID of {n_eval} digits (0-9 in turn) vs 2,000 held-out", flush=True)
        while clock < seconds:
            t = time.perf_counter()
            model.train_step(model.make_batch(ds, 64, g), opts)
            clock += time.perf_counter() - t
            step += 1
            if clock >= next_eval or clock >= seconds:
                next_eval += every
                labels = torch.arange(n_eval) % 10
                s = q.score(model.sample(n_eval, torch.Generator().manual_seed(0), labels), labels)
                print(f"  {clock:6.1f} s  step {step:5d}  FID {s['fid']:7.1f} ({s['fid'] / floor:.2f} x floor)  "
                      f"class entropy {s['class_entropy']:.3f}  asked-for digit {s['label_match']:.2f}", flush=True)
        if only:
            grid = ROOT / "runs" / f"bench_diffusion_{label.replace(' ', '_').replace(',', '')}.png"
            from genai.images import grid_image

            grid.parent.mkdir(exist_ok=True)
            grid_image(model.sample(40, torch.Generator().manual_seed(0), torch.arange(40) % 10), nrow=10).save(grid)
            print(f"  samples: {grid}")


def seconds_per_step(family: str, config: dict, batch: int, steps: int = 10) -> float:
    """One thread's seconds a training step, measured here (for the table's training time)."""
    torch.manual_seed(0)
    model = models.build(family, config)
    ds = data.load_images("mnist")
    opts, g = model.configure_optimizers(), torch.Generator().manual_seed(0)
    b = model.make_batch(ds, batch, g)
    model.train_step(b, opts)
    return timed(lambda: model.train_step(b, opts), steps)


def compare(n: int = 1000):
    """The shipped image models, measured alike against real digits the classifier never saw
    (issue 30). The 2,000 held-out digits are split in two: ``n`` of them are the reference, and
    the other ``n`` are the floor (what real digits score against the reference); each model
    draws ``n`` digits (the conditional ones each digit in turn) and is scored against the same
    reference: FID, KID (unbiased at this size), the classifier's measures, the stray-pixel share,
    and a memorisation check (each sample's distance to its nearest training digit, against the
    real held-out digits' own). Training time: its steps x one thread's measured seconds a step."""
    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    clf = metrics.load_classifier()
    held, _ = ds.heldout_float(2 * n)
    ref = clf.embed(held[n:])[1]
    train = ds.train_x.float() / 255
    real_near = metrics.nearest_distances(held[:n], train)

    def measures(x):
        logits, feats = clf.embed(x)
        _, entropy, confident = metrics.class_histogram(logits)
        near = metrics.nearest_distances(x, train)
        return {"fid": metrics.frechet_distance(feats, ref), "kid": metrics.kid(feats, ref),
                "class_entropy": entropy, "confident": confident, "inception_score": metrics.inception_score(logits),
                "stray": metrics.stray_share(x),
                # < 1: the samples lie nearer the training digits than unseen real digits do
                "memorised": float(near.median() / real_near.median()),
                "copies": float((near < real_near.quantile(0.01)).float().mean())}

    floor = measures(held[:n])
    seen = measures(train[:n])  # what the old floor measured: digits the classifier learned from
    rows = []

    def row(label, name, s, params=None, train_min=None, draw64=None):
        return {"model": label, "checkpoint": name, "fid": round(s["fid"], 1), "fid_floor": round(s["fid"] / floor["fid"], 2),
                "kid": round(s["kid"], 1), "class_entropy": round(s["class_entropy"], 3),
                "confident": round(s["confident"], 3), "inception_score": round(s["inception_score"], 2),
                "stray": round(s["stray"], 4), "memorised": round(s["memorised"], 2), "copies": round(s["copies"], 3),
                "params_m": params, "train_min": train_min, "draw64_s": draw64}

    for name, label in (("gan_dcgan_mnist", "GAN (DCGAN, self-conditioned)"), ("gan_mlp_mnist", "GAN (MLP, self-conditioned)"),
                        ("gan_cdcgan_mnist", "GAN (conditional DCGAN)"),
                        ("vae_conv-16d_mnist", "VAE (conv, 16-D)"), ("diffusion_mnist", "diffusion")):
        path = checkpoints.SHIPPED_DIR / f"{name}.safetensors"
        if not path.exists():
            print(f"{name}: not shipped, skipped")
            continue
        model, meta = models.from_checkpoint(path)
        family = meta["family"]
        if family == "gan" and model.config.truncation < 1:
            label = f"{label[:-1]}, psi {model.config.truncation:g})"
        if family == "diffusion":
            label += f" (UniPC {model.config.sample_steps}, s = {model.config.guidance:g})"
        kw = {"labels": torch.arange(n) % 10} if getattr(model.config, "conditional", False) else {}
        x = model.sample(n, torch.Generator().manual_seed(0), **kw)
        draws = {"gan": model.sampler if family == "gan" else None, "vae": getattr(model, "decoder", None),
                 "diffusion": getattr(model, "sampler", None)}[family]
        params = sum(p.numel() for p in draws.parameters())
        kw64 = {"labels": torch.arange(64) % 10} if kw else {}
        draw64 = timed(lambda: model.sample(64, torch.Generator().manual_seed(1), **kw64), 3)
        per_step = seconds_per_step(family, meta["config"], int(meta.get("batch_size") or 64))
        rows.append(row(label, name, measures(x), round(params / 1e6, 3), round(meta["step"] * per_step / 60, 1),
                        round(draw64, 3)))
        rows[-1]["save_id"] = meta.get("save_id")  # the tabs show these figures for this very file only
        print(rows[-1], flush=True)
    rows.append(row(f"real digits ({n:,} held-out, not the reference)", "", floor))
    rows.append(row(f"training digits ({n:,}: the classifier learned from them)", "", seen))
    out = checkpoints.SHIPPED_DIR / "image_models.json"
    out.write_text(json.dumps({"command": "python bench/diffusion.py compare", "n": n, "reference": f"{n} held-out digits",
                               "machine": f"{os.cpu_count()} CPU cores, one torch thread", "rows": rows}, indent=1))
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("-" if r.get(c) is None else str(r[c]) for c in cols) + " |")
    print(f"wrote {out}")


def stray(paths, n: int = 2000):
    """Stray ink of ``n`` digits (0-9 in turn, batches of 250, seeds 0, 1, ...) from each checkpoint
    and of ``n`` real held-out digits, with a 95% bootstrap interval: a few blotted digits carry the
    share, so one figure of 500 digits swings by half of itself from seed to seed."""
    torch.set_num_threads(1)

    def row(name, x):
        px = metrics.stray_pixels(x)
        rng = np.random.default_rng(0)
        draws = (rng.integers(0, len(px), len(px)) for _ in range(1000))
        boot = [px[i, 1].sum() / px[i, 0].sum() for i in draws]
        lo, hi = np.percentile(boot, [2.5, 97.5])
        print(f"{name}: stray ink {px[:, 1].sum() / px[:, 0].sum():.2%} (95%: {lo:.2%}-{hi:.2%}); digits with "
              f"any {(px[:, 1] > 0).mean():.1%}, with 5 or more stray pixels {(px[:, 1] >= 5).mean():.1%}; "
              f"ink pixels a digit {px[:, 0].mean():.0f}, near-black pixels {float((x < 0.05).float().mean()):.1%}",
              flush=True)

    row(f"real held-out digits ({n})", data.load_images("mnist").heldout_float(n)[0])
    for path in paths:
        model, meta = models.from_checkpoint(path)
        labels = torch.arange(n) % 10
        x = torch.cat([model.sample(len(lab), torch.Generator().manual_seed(i), lab)
                       for i, lab in enumerate(labels.split(250))])
        row(f"{Path(path).name} (step {meta['step']})", x)


def finetune(steps: int, out: str, middle: bool = False, p2: bool = False, path=SHIPPED):
    """Issue 30's experiments on the stray ink, from ``path`` (they began at the 24,000-step model,
    `git show f86473a:checkpoints/diffusion_mnist.safetensors`): ``steps`` more steps (batch 64,
    a fresh Adam at 2e-4 decayed (cosine) to 2e-5, the average over 0.9995), optionally with
    ``middle``: a middle block at 7x7 (two ResNet blocks around self-attention, so that every
    pixel sees the whole digit), zero-initialised so that it starts as the shipped model, at 1e-3;
    ``p2``: the loss weighted by 1 / (1 + SNR(t)) (Choi et al. 2022; ``diffusion.Model.loss``), which
    moves the loss towards the noisy middle of the chain where the dots are placed. A checkpoint
    every 2,000 steps. Its own loop around the model's ``train_step``, not ``genai train --init-from``:
    a fork there loads strictly and cannot add the middle block, and all three arms train alike."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    tensors, meta = checkpoints.load(path)
    cfg = dict(meta["config"], middle=middle, decay_steps=0, ema=0.9995, weighting="p2" if p2 else "none")
    m = diffusion.Model(diffusion.Config(**cfg))
    missing, unexpected = m.load_state_dict(checkpoints.split_optim(tensors)[0], strict=False)
    assert not unexpected and all(".mid_block." in k for k in missing), (missing, unexpected)
    with torch.no_grad():
        for net in (m.net, m.net_ema) if middle else ():
            for r in net.mid_block.resnets:  # residual blocks that add zero: the shipped model's function
                r.conv2.weight.zero_()
                r.conv2.bias.zero_()
            for a in net.mid_block.attentions:
                a.to_out[0].weight.zero_()
                a.to_out[0].bias.zero_()
    m.steps_done.fill_(10**6)  # the average at its full decay from the first step: the weights are trained
    new = [p for n, p in m.net.named_parameters() if n.startswith("mid_block.")]
    old = [p for n, p in m.net.named_parameters() if not n.startswith("mid_block.")]
    opt = torch.optim.Adam([{"params": old, "base": 2e-4}] + ([{"params": new, "base": 1e-3}] if new else []))
    ds, g = data.load_images("mnist"), torch.Generator().manual_seed(0)
    t0, losses = time.time(), []
    for step in range(1, steps + 1):
        for group in opt.param_groups:  # cosine from base to a tenth of it
            group["lr"] = group["base"] * (0.1 + 0.45 * (1 + math.cos(math.pi * step / steps)))
        losses.append(m.train_step(m.make_batch(ds, 64, g), {"opt": opt})["loss"])
        if step % 250 == 0:
            print(f"step {step} loss {statistics.mean(losses[-250:]):.5f} {time.time() - t0:.0f} s", flush=True)
        if step % 2000 == 0 or step == steps:
            checkpoints.save(f"{out}_{step}", m.state_dict(), family="diffusion", config=cfg,
                             step=meta["step"] + step, dataset="mnist",
                             extra={"preset": meta.get("preset", ""), "train_seconds": time.time() - t0})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["latency", "quality", "guidance", "preset", "compare", "stray", "finetune"])
    p.add_argument("checkpoint", nargs="*", default=[str(SHIPPED)])
    p.add_argument("--n", type=int, default=None, help="samples (default 2,000; compare: 1,000, half the held-out digits)")
    p.add_argument("--steps", type=int)
    p.add_argument("--guidance", type=float)
    p.add_argument("--sampler", choices=diffusion.SAMPLERS, default="unipc")
    p.add_argument("--interval", default="", help="quality: LO,HI, guidance above 1 only while t/T is in [LO, HI)")
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--only", default="")
    p.add_argument("--write", action="store_true", help="quality: put the figures in the checkpoint's sidecar")
    p.add_argument("--out", default="runs/finetune/diffusion", help="finetune: checkpoints go to OUT_<step>")
    p.add_argument("--middle", action="store_true", help="finetune: add a middle block with attention")
    p.add_argument("--p2", action="store_true", help="finetune: P2 weighting of the loss")
    a = p.parse_args()
    ckpt = a.checkpoint[0]
    if a.what == "latency":
        latency(ckpt)
    elif a.what == "quality":
        quality(ckpt, a.n or 2000, a.steps, a.guidance, write=a.write, sampler=a.sampler,
                interval=a.interval)
    elif a.what == "guidance":
        guidance(ckpt)
    elif a.what == "preset":
        preset(a.seconds, only=a.only)
    elif a.what == "stray":
        stray(a.checkpoint, a.n or 2000)
    elif a.what == "finetune":
        finetune(a.steps or 8000, a.out, a.middle, a.p2, path=ckpt)
    else:
        compare(a.n or 1000)
