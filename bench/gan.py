"""GAN benchmarks: sample quality of the shipped checkpoints, CPU training throughput, the CPU
preset's progress in time, and sampling latency. Needs ../shared/data (or GENAI_DATA_DIR).

    python bench/gan.py quality      # FID / class entropy of each shipped GAN vs the noise floor
    python bench/gan.py throughput   # images/s as a share of this machine's fp32 matmul rate
    python bench/gan.py speedups     # a DCGAN step with fused Adam and channels_last, or not
    python bench/gan.py truncation   # the shipped MLP GAN with z scaled by 0.6-1 (--checkpoint, --write PSI)
    python bench/gan.py preset       # cpu-fast: time to FID <= --target x the floor, FID after 120 s
                                     # (--preset P --set "r1=1,clusters=50": any recipe; on CUDA if there)
    python bench/gan.py latency      # 64 samples from the shipped DCGAN, p50
    python bench/gan.py ablate --preset cpu-fast --seconds 120 --row "R1 gamma 1: r1=1" ...
                                     # one row per change: FID / floor after the same training time
    python bench/gan.py lesson       # candidates for the lesson preset: FID after 5..20 s of one thread
    python bench/gan.py run --steps 2600 --batch 32 --seeds 1,2,3,4 --set "lr_g=3e-3,lr_d=3e-3"
                                     # lesson runs as the GAN tab starts them: CPU s, final FID, stray ink
    python bench/gan.py trajectory --steps 7800 --seeds 1,2 --set "g_width=48,d_width=48" --ema 0.99,0.995
                                     # FID every 1,300 steps of one run, of G and of averages of G
    python bench/gan.py parallel     # two runs on one thread each against one run on two threads
    python bench/gan.py stacking     # K lesson GANs as one stacked (batched) model against K models
    python bench/gan.py all
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

import torch  # noqa: E402

from genai import checkpoints, data, metrics, models  # noqa: E402
from genai.models import gan  # noqa: E402


def quality(n: int = 2000, files=()):
    """The shipped GAN checkpoints' sample quality, or that of the checkpoint files given."""
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    floor = q.score(ds.train_x[:n].float() / 255)
    print(f"noise floor (2,000 real training digits vs the 2,000 held-out): FID {floor['fid']:.1f}, "
          f"class entropy {floor['class_entropy']:.4f}, confident {floor['confident']:.3f}, "
          f"Inception Score {floor['inception_score']:.2f}")
    print("| checkpoint | FID | FID / floor | class entropy | confident > 0.9 | Inception Score |")
    print("|---|---|---|---|---|---|")
    paths = files or [c.path for c in checkpoints.list_checkpoints("gan", runs_dir=os.devnull)]
    for path in paths:
        model, _ = models.from_checkpoint(path)
        s = q.score(model.sample(n, generator=torch.Generator().manual_seed(0)))
        print(f"| {Path(path).stem} | {s['fid']:.1f} | {s['fid'] / floor['fid']:.2f} | {s['class_entropy']:.4f} | {s['confident']:.3f} "
              f"| {s['inception_score']:.2f} |")


MATMUL = (torch.randn(2048, 2048), torch.randn(2048, 2048))  # the reference: 2 * 2048^3 FLOPs


def matmul_seconds() -> float:
    a, b = MATMUL
    t = time.perf_counter()
    a @ b
    return time.perf_counter() - t


def matmul_gflops(reps: int = 10) -> float:
    matmul_seconds()
    return 2 * 2048**3 / min(matmul_seconds() for _ in range(reps)) / 1e9


def step_flops(model, batch, opts) -> int:
    """The FLOPs of one training step, by torch's own per-op formulas (torch.utils.flop_counter).
    Counted in a plain dispatch mode: FlopCounterMode's per-module hooks break autograd.grad with
    create_graph, which the R1 penalty uses ("A leaf node was passed to _will_engine_execute_node")."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class Count(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func._overloadpacket in flop_registry:
                self.total += flop_registry[func._overloadpacket](*args, **(kwargs or {}), out_val=out)
            return out

    with Count() as counter:
        model.train_step(batch, opts)
    return counter.total


def throughput(presets=("dcgan", "dcgan-small", "mlp"), batch_sizes=(64, 128), threads=(1, 2), steps: int = 20):
    ds = data.load_images("mnist")
    print("| preset | batch | threads | ms/step | images/s | GFLOP/step | achieved GFLOP/s | matmul GFLOP/s (median) "
          "| share | matmul GFLOP/s (best) | share of best |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
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
                    matmul_seconds()
                times, mms = [], []
                for _ in range(steps):
                    batch = model.make_batch(ds, bs, g)
                    t = time.perf_counter()
                    model.train_step(batch, opts)
                    times.append(time.perf_counter() - t)
                    # the reference rate, a matmul after each step: a shared host's speed drifts
                    # from minute to minute (77-98 GFLOP/s in one run when measured once, after), so the share
                    # compares the two at the same moments
                    mms.append(matmul_seconds())
                mm, best = (2 * 2048**3 / f(mms) / 1e9 for f in (statistics.median, min))
                dt = statistics.median(times)
                got = flops / dt / 1e9
                print(f"| {preset} | {bs} | {nt} | {dt * 1e3:.1f} | {bs / dt:,.0f} | {flops / 1e9:.2f} | {got:.0f} | {mm:.0f} "
                      f"| {got / mm:.0%} | {best:.0f} | {got / best:.0%} |")


def speedups(preset: str = "dcgan", batch: int = 128, steps: int = 15):
    """What a DCGAN step gains from fused Adam (one kernel per parameter group instead of a loop of
    element-wise ops) and from channels_last tensors (oneDNN's preferred layout), one thread,
    the variants interleaved step by step so that a busy machine slows them all alike."""
    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    g = torch.Generator().manual_seed(0)
    variants = {}
    for fused in (False, True):
        for cl in (False, True):
            torch.manual_seed(0)
            layout = torch.channels_last if cl else torch.contiguous_format  # the model's default: channels_last
            model = models.build("gan", preset=preset).to(memory_format=layout)
            c = model.config
            opts = {k: torch.optim.Adam(getattr(model, k).parameters(), lr, betas=(c.beta1, c.beta2), fused=fused)
                    for k, lr in (("G", c.lr_g), ("D", c.lr_d))}
            variants[(fused, cl)] = (model, opts, [])
    for i in range(steps + 3):
        for (fused, cl), (model, opts, times) in variants.items():
            real, y = model.make_batch(ds, batch, g)
            real = real.contiguous(memory_format=torch.channels_last if cl else torch.contiguous_format)
            t = time.perf_counter()
            model.train_step((real, y), opts)
            if i >= 3:  # the first steps allocate
                times.append(time.perf_counter() - t)
    m0, o0, _ = variants[(False, False)]
    flops = step_flops(m0, m0.make_batch(ds, batch, g), o0)
    mm = matmul_gflops()
    print(f"{preset}, batch {batch}, one thread; matmul {mm:.0f} GFLOP/s, {flops / 1e9:.2f} GFLOP/step")
    print("| fused Adam | channels_last | ms/step | share of matmul rate |")
    print("|---|---|---|---|")
    for (fused, cl), (_, _, times) in variants.items():
        dt = statistics.median(times)
        print(f"| {'yes' if fused else 'no'} | {'yes' if cl else 'no'} | {dt * 1e3:.1f} | {flops / dt / 1e9 / mm:.0%} |")


def preset_progress(preset: str = "cpu-fast", seconds: float = 120, target: float = 2.0, eval_every: float = 10,
                    overrides: dict | None = None):
    """Train ``preset`` (with config ``overrides``) for ``seconds`` of training time (evaluation
    excluded) on the trainer's device (CUDA when there is one, or GENAI_DEVICE); every ~10 s the
    FID of 2,000 samples as a multiple of the noise floor, when it first reaches ``target`` times,
    and the images a second trained."""
    from genai import device as devmod

    devmod.configure_threads(beside_server=False)
    device = devmod.pick_device()
    ds = data.load_images("mnist")
    torch.manual_seed(0)
    model = models.build("gan", preset=preset, **(overrides or {})).to(device)
    model.prepare(ds)  # self-conditioning's k-means, before the clock starts
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    floor = q.score(ds.train_x[:2000].float() / 255)["fid"]
    clock, step, next_eval, reached = 0.0, 0, eval_every, None

    def sync():  # CUDA runs ahead of Python: wait for it before reading the clock
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    changes = f" ({', '.join(f'{k}={v}' for k, v in overrides.items())})" if overrides else ""
    print(f"{preset}{changes} on MNIST, batch 64, {devmod.describe(device)}; "
          f"FID of 2,000 samples vs 2,000 held-out digits, noise floor {floor:.1f}")
    print("| training time | steps | FID | FID / floor | class entropy | confident > 0.9 | Inception Score |")
    print("|---|---|---|---|---|---|---|")
    while clock < seconds:
        sync()
        t = time.perf_counter()
        with devmod.autocast(device):  # as the trainer steps: bf16 on GPUs that compute it natively
            model.train_step(model.make_batch(ds, 64, g), opts)
        sync()
        clock += time.perf_counter() - t
        step += 1
        if clock >= next_eval or clock >= seconds:
            next_eval += eval_every
            s = q.score(model.sample(2000, generator=torch.Generator().manual_seed(0)))
            print(f"| {clock:.0f} s | {step:,} | {s['fid']:.1f} | {s['fid'] / floor:.2f} | {s['class_entropy']:.4f} "
                  f"| {s['confident']:.3f} | {s['inception_score']:.2f} |", flush=True)
            if reached is None and s["fid"] <= target * floor:
                reached = clock
    print(f"time to FID <= {target} x floor: {reached:.0f} s" if reached else f"{target} x floor not reached")
    print(f"{step:,} steps in {clock:.1f} s of training: {step * 64 / clock:,.0f} images/s")

def truncation(checkpoint: str = "gan_mlp_mnist", psis=(1.0, 0.9, 0.8, 0.7, 0.6), n: int = 2000,
               write: float = 0.0):
    """The truncation trick (Brock et al. 2019) as z scaled by psi: fewer odd samples, or less variety?
    A conditional G is asked for 0-9 in turn, and the asked-for share is printed too. ``write``:
    make that psi the checkpoint's sampling default (config ``truncation``), with its figures."""
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    floor = q.score(ds.train_x[:n].float() / 255)["fid"]
    path = Path(checkpoint)
    if not path.is_file():
        path = checkpoints.find(checkpoint, "gan", runs_dir=os.devnull).path
    model, _ = models.from_checkpoint(path)
    labels = torch.arange(n) % 10 if model.config.conditional else None
    # a self-conditioned G draws its clusters once, the same for every psi
    given = labels if labels is not None else model.labels_for(n, generator=torch.Generator().manual_seed(1))
    print(f"{checkpoint}, {n} samples; | psi | FID / floor | class entropy | confident > 0.9 | Inception Score "
          f"| asked-for |")
    scores = {}
    for psi in sorted({*psis, write} - {0.0}, reverse=True):
        z = torch.randn(n, model.config.z_dim, generator=torch.Generator().manual_seed(0)) * psi
        s = scores[psi] = q.score(model.generate_from(z, given), labels)
        asked = f"{s['label_match']:.1%}" if labels is not None else "-"
        print(f"| {psi} | {s['fid'] / floor:.2f} | {s['class_entropy']:.4f} | {s['confident']:.3f} "
              f"| {s['inception_score']:.2f} | {asked} |", flush=True)
    if write:
        by = (f"python bench/gan.py truncation --checkpoint {checkpoint} --write {write}: {n} samples"
              + (", 0-9 in turn" if labels is not None else ""))
        checkpoints.rewrite(path, config={"truncation": write}, metrics=scores[write], extra={"metrics_by": by})
        print(f"wrote truncation {write} and its figures into {path.with_suffix('.json').name}")


def clusters(ks=(10, 20, 30, 50, 100)):
    """Self-conditioning's labels: how pure the k-means clusters of the 8,000 training digits'
    pixels are (the share of images whose cluster's most common digit is their own)."""
    ds = data.load_images("mnist")
    print("| clusters | purity | smallest cluster (images) |")
    print("|---|---|---|")
    for k in ks:
        model = models.build("gan", preset="tiny", clusters=k)
        model.fit_clusters(ds.train_x)
        y = torch.cdist(ds.train_x.flatten(1).float() / 255, model.centroids).argmin(1)
        pure = sum(int(torch.bincount(ds.train_y[y == j], minlength=10).max())
                   for j in range(k) if (y == j).any())
        print(f"| {k} | {pure / len(y):.3f} | {int(torch.bincount(y, minlength=k).min())} |", flush=True)


def _overrides(text: str) -> dict:
    """'r1=1,diffaug=translation;cutout' -> {'r1': 1, 'diffaug': 'translation,cutout'} (';' inside a value)"""
    out = {}
    for kv in filter(None, text.split(",")):
        k, v = kv.split("=", 1)
        try:
            out[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            out[k.strip()] = v.strip().replace(";", ",")
    return out


def ablate(preset: str, rows: list[str], seconds: float = 120, steps: int = 0, batch: int = 64, seed: int = 0,
           n: int = 2000):
    """Each row ("label: field=value,...") trains ``preset`` with those changes from the same seed
    for ``steps`` steps (equal work: what the change does, whatever else runs on the machine) or,
    with steps=0, for ``seconds`` of training time (equal time: what it is worth in a live run,
    evaluation excluded); then scores 2,000 samples against the noise floor (2,000 real training
    digits), as the quality table does."""
    from genai.device import configure_threads

    threads = configure_threads(beside_server=False)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds, n_real=2000)
    floor = q.score(ds.train_x[:n].float() / 255)["fid"]
    budget = f"{steps:,} steps" if steps else f"{seconds:.0f} s of training"
    print(f"{preset}, batch {batch}, {threads} thread(s), {budget} each, seed {seed}; "
          f"FID of {n} samples, noise floor {floor:.1f}")
    print("| change | steps | ms/step | FID | FID / floor | class entropy | confident > 0.9 | Inception Score |")
    print("|---|---|---|---|---|---|---|---|")
    for row in ["baseline:", *rows]:
        label, _, text = row.partition(":")
        torch.manual_seed(seed)
        model = models.build("gan", preset=preset, **_overrides(text))
        opts = model.configure_optimizers()
        g = torch.Generator().manual_seed(seed)
        clock, step = 0.0, 0
        while (step < steps) if steps else (clock < seconds):
            t = time.perf_counter()
            model.train_step(model.make_batch(ds, batch, g), opts)
            clock += time.perf_counter() - t
            step += 1
        labels = torch.arange(n) % 10 if model.config.conditional else None
        s = q.score(model.sample(n, generator=torch.Generator().manual_seed(0), labels=labels), labels)
        asked = f" (asked-for digit {s['label_match']:.1%})" if "label_match" in s else ""
        print(f"| {label.strip()}{asked} | {step:,} | {1000 * clock / step:.1f} | {s['fid']:.1f} "
              f"| {s['fid'] / floor:.2f} | {s['class_entropy']:.4f} | {s['confident']:.3f} "
              f"| {s['inception_score']:.2f} |", flush=True)


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


LESSON_CANDIDATES = [  # (label, preset, overrides, batch)
    ("dcgan-small (cpu-fast before issue 10)", "dcgan-small", {}, 64),
    ("dcgan-small, lr 1e-3, batch 32", "dcgan-small", {"lr_g": 1e-3, "lr_d": 1e-3}, 32),
    ("DCGAN width 16, lr 1e-3", "dcgan", {"loss": "bce", "spectral_norm": False, "z_dim": 32, "g_width": 16,
                                          "d_width": 16, "lr_g": 1e-3, "lr_d": 1e-3}, 64),
    ("MLP width 128, lr 1e-3", "mlp", {"g_width": 128, "d_width": 128, "lr_g": 1e-3, "lr_d": 1e-3}, 64),
    ("MLP width 96, lr 1e-3", "mlp", {"g_width": 96, "d_width": 96, "lr_g": 1e-3, "lr_d": 1e-3}, 64),
    ("MLP width 96, lr 1e-3, batch 32", "mlp", {"g_width": 96, "d_width": 96, "lr_g": 1e-3, "lr_d": 1e-3}, 32),
    ("MLP width 64, lr 1e-3", "mlp", {"g_width": 64, "d_width": 64, "lr_g": 1e-3, "lr_d": 1e-3}, 64),
    ("MLP width 64, lr 2e-3 (the lesson preset)", "lesson", {}, 64),
]


def lesson(seconds: float = 20, every: float = 5):
    """FID of each candidate after every 5 s of one-thread training (evaluation not counted)."""
    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    print(f"FID (1,000 samples vs 2,000 held-out digits) after each {every:.0f} s of one-thread training")
    print("| candidate | " + " | ".join(f"{t:.0f} s" for t in range(int(every), int(seconds) + 1, int(every))) + " |")
    print("|---|" + "---|" * int(seconds // every))
    for label, preset, kw, bs in LESSON_CANDIDATES:
        torch.manual_seed(0)
        model = models.build("gan", preset=preset, **kw)
        opts = model.configure_optimizers()
        g = torch.Generator().manual_seed(0)
        clock, step, nxt, cells = 0.0, 0, every, []
        while clock < seconds:
            t = time.perf_counter()
            model.train_step(model.make_batch(ds, bs, g), opts)
            clock += time.perf_counter() - t
            step += 1
            if clock >= nxt:
                nxt += every
                s = q.score(model.sample(1000, generator=torch.Generator().manual_seed(0)))
                cells.append(f"{s['fid']:.0f} (step {step})")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def tab_run(steps: int, batch: int, seeds, overrides: dict):
    """Lesson runs as the GAN tab starts them (``trainer.train``, the tab's TrainSpec, one thread):
    wall and CPU seconds of each, the time in its held-out evaluations, and its final model's
    FID (1,000 samples against the 2,000 held-out digits), confident share and stray ink."""
    import tempfile

    from genai.trainer import TrainSpec, train

    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    evaluate, spent = gan.Model.evaluate, [0.0]

    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return evaluate(*a, **k)
        finally:
            spent[0] += time.perf_counter() - t

    gan.Model.evaluate = timed
    for seed in seeds:
        spent[0] = 0.0
        spec = TrainSpec(family="gan", preset="lesson", dataset="mnist", overrides=overrides, steps=steps,
                         batch_size=batch, seed=seed, sample_every=max(10, steps // 100),
                         eval_every=max(50, -(-steps // gan.EVALS)), ckpt_every=max(500, steps // 4),
                         out=str(Path(tempfile.mkdtemp()) / "checkpoint"))
        c0, t0 = time.process_time(), time.perf_counter()
        ck = train(spec, lambda e: None, data=ds, device=torch.device("cpu"))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        model, _ = models.from_checkpoint(ck)
        x = model.sample(1000, generator=torch.Generator().manual_seed(0))
        s = q.score(x)
        print(json.dumps(dict(steps=steps, batch=batch, set=overrides, seed=seed, wall_s=round(wall, 1),
                              cpu_s=round(cpu, 1), eval_s=round(spent[0], 1), fid=round(s["fid"], 1),
                              confident=round(s["confident"], 3), stray=round(metrics.stray_share(x), 4))), flush=True)


def trajectory(steps: int, batch: int, seeds, overrides: dict, decays=(), every: int = 1300):
    """One lesson run's FID every ``every`` steps, of G, of the preset's average of G, and of
    averages over shorter horizons (``decays``, kept beside it: the run itself is the same)."""
    import copy

    torch.set_num_threads(1)
    ds = data.load_images("mnist")
    q = metrics.SampleQuality(metrics.load_classifier(), ds)
    for seed in seeds:
        torch.manual_seed(seed)
        model = models.build("gan", preset="lesson", **overrides)
        opts, g = model.configure_optimizers(), torch.Generator().manual_seed(seed)
        extra = [copy.deepcopy(model.G).requires_grad_(False) for _ in decays]
        c0 = time.process_time()
        for step in range(1, steps + 1):
            model.train_step(model.make_batch(ds, batch, g), opts)
            with torch.no_grad():
                for d, e in zip(decays, extra):  # the warm-up of Model._update_ema
                    torch._foreach_lerp_(list(e.parameters()), list(model.G.parameters()),
                                         1 - min(d, (1 + step) / (10 + step)))
                    torch._foreach_copy_(list(e.buffers()), list(model.G.buffers()))
            if step % every:
                continue
            row = {"seed": seed, "step": step, "cpu_s": round(time.process_time() - c0, 1)}
            nets = [("G", model.G), (f"ema {model.config.ema}", model.G_ema), *zip((f"ema {d}" for d in decays), extra)]
            for name, net in nets:
                net.eval()
                with torch.no_grad():
                    z = torch.randn(1000, model.config.z_dim, generator=torch.Generator().manual_seed(0))
                    row[name] = round(q.score(net(z).float().add(1).div(2).clamp(0, 1))["fid"])
                net.train(net is model.G)
            print(json.dumps(row), flush=True)


def _steps_in(seconds: float, threads: int, out=None) -> int:
    torch.set_num_threads(threads)
    ds = data.load_images("mnist")
    torch.manual_seed(0)
    model = models.build("gan", preset="lesson")
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        model.train_step(model.make_batch(ds, 64, g), opts)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        model.train_step(model.make_batch(ds, 64, g), opts)
        n += 1
    if out is not None:
        out.put(n)
    return n


def parallel(seconds: float = 20):
    """The lesson GAN: one run on two threads, against two runs at once on one thread each."""
    import multiprocessing as mp

    one = _steps_in(seconds, 2)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_steps_in, args=(seconds, 1, q)) for _ in range(2)]
    for p in procs:
        p.start()
    two = [q.get() for _ in procs]
    for p in procs:
        p.join()
    print(f"lesson GAN, {seconds:.0f} s: one run on 2 threads {one / seconds:.0f} steps/s; two runs on 1 thread "
          f"each {sum(two) / seconds:.0f} steps/s together ({two[0] / seconds:.0f} + {two[1] / seconds:.0f}), "
          f"x{sum(two) / one:.2f}")


def stacking(ks=(1, 4, 8, 16, 30), reps: int = 20):
    """Train K copies of the lesson GAN as one model whose layers are stacked (batched matmuls,
    per-model batch norm and Adam: mathematically K separate runs), against K separate models."""
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    B, Z, W = 64, 64, gan.PRESETS["lesson"]["g_width"]

    class Linear(nn.Module):  # K linear layers at once: (K, B, i) -> (K, B, o)
        def __init__(self, k, i, o):
            super().__init__()
            self.w = nn.Parameter(torch.randn(k, i, o) / i**0.5)
            self.b = nn.Parameter(torch.zeros(k, 1, o))

        def forward(self, x):
            return torch.baddbmm(self.b, x, self.w)

    class Norm(nn.Module):  # batch norm over each model's own batch
        def __init__(self, k, c):
            super().__init__()
            self.g, self.b = nn.Parameter(torch.ones(k, 1, c)), nn.Parameter(torch.zeros(k, 1, c))

        def forward(self, x):
            m, v = x.mean(1, keepdim=True), x.var(1, keepdim=True, unbiased=False)
            return (x - m) * torch.rsqrt(v + 1e-5) * self.g + self.b

    def stacked(k):
        act = nn.LeakyReLU(0.2)
        G = nn.Sequential(Linear(k, Z, W), act, Linear(k, W, 2 * W), Norm(k, 2 * W), act,
                          Linear(k, 2 * W, 4 * W), Norm(k, 4 * W), act, Linear(k, 4 * W, 784), nn.Tanh())
        D = nn.Sequential(Linear(k, 784, 2 * W), act, Linear(k, 2 * W, W), act, Linear(k, W, 1))
        og, od = (torch.optim.Adam(m.parameters(), 2e-3, betas=(0.5, 0.999)) for m in (G, D))

        def step(real):  # real: (K, B, 784); each model's loss summed, so gradients stay per model
            fake = G(torch.randn(k, B, Z))
            ld = (F.softplus(-D(real)).mean((1, 2)) + F.softplus(D(fake.detach())).mean((1, 2))).sum()
            od.zero_grad(set_to_none=True)
            ld.backward()
            od.step()
            lg = F.softplus(-D(fake)).mean((1, 2)).sum()
            og.zero_grad(set_to_none=True)
            lg.backward()
            og.step()
        return step

    print("| K models | separate, ms per model-step | stacked, ms per model-step | stacked speed-up |")
    print("|---|---|---|---|")
    real = torch.rand(B, 1, 28, 28) * 2 - 1
    for k in ks:
        sep = [models.build("gan", preset="lesson") for _ in range(min(k, 4))]  # per model, K does not matter
        opts = [m.configure_optimizers() for m in sep]
        for m, o in zip(sep, opts):
            m.train_step((real, torch.zeros(B, dtype=torch.long)), o)
        t = time.perf_counter()
        for _ in range(reps):
            for m, o in zip(sep, opts):
                m.train_step((real, torch.zeros(B, dtype=torch.long)), o)
        t_sep = (time.perf_counter() - t) / reps / len(sep)
        step, xs = stacked(k), torch.rand(k, B, 784) * 2 - 1
        step(xs)
        t = time.perf_counter()
        for _ in range(reps):
            step(xs)
        t_stk = (time.perf_counter() - t) / reps / k
        print(f"| {k} | {t_sep * 1e3:.2f} | {t_stk * 1e3:.2f} | x{t_sep / t_stk:.2f} |", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["quality", "throughput", "preset", "latency", "experiment", "lesson", "run",
                                    "trajectory", "parallel",
                                    "stacking", "ablate", "speedups", "truncation", "clusters", "all"])
    p.add_argument("--preset", default="cpu-fast")
    p.add_argument("--set", default="", help='preset: config changes, "r1=1,clusters=50"')
    p.add_argument("--row", action="append", default=[], help='"label: field=value,field=value"')
    p.add_argument("--batch", type=int, default=0, help="ablate: default 64; run, trajectory: the lesson's")
    p.add_argument("--steps", type=int, default=0, help="ablate: train this many steps instead of --seconds; "
                                                         "run, trajectory: the run's steps (default the lesson's)")
    p.add_argument("--seeds", default="1,2,3,4", help="run, trajectory: one run per seed")
    p.add_argument("--ema", default="", help="trajectory: averages of G over shorter horizons, 0.99,0.995")
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--target", type=float, default=2.0, help="preset: FID as a multiple of the noise floor")
    p.add_argument("--checkpoint", default="gan_mlp_mnist", help="truncation: a shipped GAN checkpoint, or a file")
    p.add_argument("--write", type=float, default=0.0, help="truncation: make this psi the checkpoint's default")
    p.add_argument("--file", action="append", default=[], help="quality: score this checkpoint file instead")
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores")
    if a.what in ("quality", "all"):
        quality(files=a.file)
    if a.what in ("clusters", "all"):
        clusters()
    if a.what in ("throughput", "all"):
        throughput()
    if a.what in ("preset", "all"):
        preset_progress(a.preset, seconds=a.seconds, target=a.target, overrides=_overrides(a.set))
    if a.what in ("latency", "all"):
        latency()
    if a.what in ("experiment", "all"):
        experiment()
    if a.what in ("lesson", "all"):
        lesson()
    if a.what in ("run", "trajectory"):
        seeds = [int(x) for x in a.seeds.split(",")]
        steps = a.steps or gan.LESSON["steps"]
        batch = a.batch or gan.LESSON["batch_size"]
        if a.what == "run":
            tab_run(steps, batch, seeds, _overrides(a.set))
        else:
            trajectory(steps, batch, seeds, _overrides(a.set), [float(x) for x in filter(None, a.ema.split(","))])
    if a.what == "parallel":
        parallel()
    if a.what == "truncation":
        truncation(a.checkpoint, write=a.write)
    if a.what == "speedups":
        speedups()
    if a.what == "ablate":
        ablate(a.preset, a.row, seconds=a.seconds, steps=a.steps, batch=a.batch or 64)
    if a.what == "stacking":
        stacking()
