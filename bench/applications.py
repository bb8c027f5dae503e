"""What image generators are for, measured (issue 28) on held-out digits that no model trained on,
with the project's own classifier (genai/metrics.py) as the reader:

* repair: per mask and model, the share of repaired digits read as their true class, the mean
  squared error on the masked pixels, and seconds per 64 fills on one thread; beside the nearest
  training digit's fill and the digit with the part left blank;
* upscaling from 7x7 and 14x14: the diffusion model (ILVR) against bicubic and the nearest
  training digit;
* synthetic data: the Classification Accuracy Score of each class-conditional model, and 100 real
  digits with and without its 1,000 added (genai/synthetic.py).

    python bench/applications.py --n 2000 --json /tmp/applications.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_DATA_DIR", str(ROOT.parent / "shared" / "data"))
REPAIRERS = {"diffusion (RePaint)": "diffusion_mnist", "GAN: DCGAN (search)": "gan_dcgan_mnist",
             "GAN: MLP (search)": "gan_mlp_mnist", "VAE (search)": "vae_conv-16d_mnist"}
CONDITIONAL = {"conditional DCGAN": "gan_cdcgan_mnist", "diffusion": "diffusion_mnist"}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000, help="held-out digits (the last 2,000 of MNIST's test split)")
    p.add_argument("--parts", default="repair,upscale,cas", help="any of repair, upscale, cas, oracle, timing (64 fills "
                   "of each model on each mask, the median of 3, on their own: the figure the goal names)")
    p.add_argument("--masks", default="bottom,left,centre,random75")
    p.add_argument("--json", default="")
    p.add_argument("--tables", default="", help="print BENCHMARKS.md's tables from this JSON (merged from "
                   "several runs: one per part) and stop")
    args = p.parse_args()
    if args.tables:
        report = {}
        for f in args.tables.split(","):
            report.update(json.loads(Path(f).read_text()))
        print(tables(report))
        return

    import torch

    torch.set_num_threads(1)  # "on one core"
    from genai import data as datamod, metrics, models, strategies as S, synthetic

    data = datamod.load_images("mnist")
    x, y = data.heldout_float(args.n)
    train = data.train_x.float().div(255)
    clf = metrics.load_classifier()
    model = {}

    def get(name):
        if name not in model:
            model[name] = models.from_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")[0]
        return model[name]

    def scores(out, m=None):
        read = (clf.embed(out)[0].argmax(1) == y).float().mean().item()
        w = torch.ones_like(x) if m is None else 1 - m
        return {"read_as_true": round(read, 4), "mse": round(float(((out - x) ** 2 * w).sum() / w.sum()), 4)}

    def per64(seconds):
        return round(seconds * 64 / len(x), 2)

    print(f"load average before: {os.getloadavg()}, torch {torch.__version__}, 1 thread, {len(x)} held-out digits")
    report = {"n": len(x), "repair": {}, "upscale": {}, "cas": {}}
    parts = args.parts.split(",")
    if "repair" in parts:
        for mask in args.masks.split(","):
            m = S.make_mask(mask, len(x), torch.Generator().manual_seed(1))
            rows = {"blank": scores(x * m, m)}
            fill, s = S.timed(S.nearest_fill, train, x, m)
            rows["nearest training digit"] = {**scores(m * x + (1 - m) * fill, m), "s_per_64": per64(s)}
            for label, name in REPAIRERS.items():
                out, s = S.timed(S.repair, get(name), x, m, torch.Generator().manual_seed(0))
                rows[label] = {**scores(out, m), "s_per_64": per64(s)}
                print(mask, label, rows[label], flush=True)
            out, s = S.timed(S.vae_clamp, get("vae_conv-16d_mnist"), x, m)
            rows["VAE (encode-decode, clamped, 30 rounds)"] = {**scores(out, m), "s_per_64": per64(s)}
            report["repair"][mask] = rows
            print(mask, json.dumps(rows), flush=True)
    if "upscale" in parts:
        for size in S.LOW_SIZES:
            low = S.downscale(x, size)
            rows = {"bicubic": scores(S.upscale_bicubic(low)),
                    "nearest training digit": scores(S.upscale_nearest(train, low))}
            out, s = S.timed(S.upscale, get("diffusion_mnist"), low[:, 0], torch.Generator().manual_seed(0))
            rows["diffusion (ILVR)"] = {**scores(out), "s_per_64": per64(s)}
            report["upscale"][f"{size}x{size}"] = rows
            print(size, json.dumps(rows), flush=True)
    if "cas" in parts:
        fids = {r["checkpoint"]: r["fid"] for r in
                json.loads((ROOT / "checkpoints" / "image_models.json").read_text())["rows"] if r.get("checkpoint")}
        for label, name in CONDITIONAL.items():
            t0 = time.perf_counter()
            r = synthetic.cas(get(name), data)
            r.update(seconds=round(time.perf_counter() - t0, 1), fid=fids.get(name))
            report["cas"][label] = r
            print(label, json.dumps(r), flush=True)
        # the same models drawn sharper or wider: guidance and truncation against FID and CAS; FID
        # here of the 1,000 drawn digits against the 2,000 held-out ones (SampleQuality)
        quality = metrics.SampleQuality.for_data(data)
        sweep = [("diffusion", "diffusion_mnist", "guidance", v) for v in (1.0, 3.0, 5.0)]
        sweep += [("conditional DCGAN", "gan_cdcgan_mnist", "truncation", v) for v in (0.5, 0.7, 1.0)]
        report["cas_sweep"] = []
        for label, name, field, value in sweep:
            mdl = get(name)
            kept = getattr(mdl.config, field)
            setattr(mdl.config, field, value)
            try:
                gen = synthetic.generate(mdl, synthetic.PER_CLASS)
                fid = quality.score(gen[0], gen[1])
                r = synthetic.cas(mdl, data, generated=gen)
            finally:
                setattr(mdl.config, field, kept)
            row = {"model": label, field: value, "fid": round(fid["fid"], 1), "label_match": round(fid["label_match"], 4),
                   "cas": round(r["generated"], 4), "few_real_plus_generated": round(r["few_real_plus_generated"], 4)}
            report["cas_sweep"].append(row)
            print(json.dumps(row), flush=True)
    if "oracle" in parts:  # what the diffusion model repairs when told the digit (RePaint with its label)
        report["oracle"] = {}
        n = min(500, len(x))
        for mask in ("bottom", "centre"):
            m = S.make_mask(mask, n, torch.Generator().manual_seed(1))
            for s in (1.0, 3.0):
                out = S.repair(get("diffusion_mnist"), x[:n], m, torch.Generator().manual_seed(0), labels=y[:n],
                               guidance=s)
                read = (clf.embed(out)[0].argmax(1) == y[:n]).float().mean().item()
                report["oracle"][f"{mask}, guidance {s:g}"] = round(read, 4)
                print("oracle", mask, s, round(read, 4), flush=True)
    if "timing" in parts:
        x64 = x[:64]
        report["timing"] = {}
        for mask in args.masks.split(","):
            m = S.make_mask(mask, 64, torch.Generator().manual_seed(1))
            row = {}
            for label, name in REPAIRERS.items():
                times = [S.timed(S.repair, get(name), x64, m, torch.Generator().manual_seed(k))[1] for k in range(3)]
                row[label] = round(sorted(times)[1], 2)
            row["nearest training digit"] = round(S.timed(S.nearest_fill, train, x64, m)[1], 3)
            report["timing"][mask] = row
            print("timing", mask, json.dumps(row), flush=True)
        up = [S.timed(S.upscale, get("diffusion_mnist"), S.downscale(x64, 7)[:, 0], torch.Generator().manual_seed(k))[1]
              for k in range(3)]
        report["timing"]["upscale 64 from 7x7"] = round(sorted(up)[1], 2)
        t0 = time.perf_counter()
        for name in CONDITIONAL.values():
            synthetic.cas(get(name), data)
        report["timing"]["cas, both models (the page's button)"] = round(time.perf_counter() - t0, 1)
        print("timing", json.dumps(report["timing"]), flush=True)
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


def tables(r: dict) -> str:
    """The report as Markdown tables: repair (read as true / masked error per mask), upscaling, CAS."""
    out = []
    if r.get("repair"):
        masks = list(r["repair"])
        out.append("| fill | " + " | ".join(masks) + " |")
        out.append("|---|" + "---|" * len(masks))
        for row in r["repair"][masks[0]]:
            cells = [f"{r['repair'][m][row]['read_as_true']:.1%} / {r['repair'][m][row]['mse']:.3f}" for m in masks]
            out.append(f"| {row} | " + " | ".join(cells) + " |")
    if r.get("upscale"):
        out.append("\n| upscaled by | " + " | ".join(r["upscale"]) + " |")
        out.append("|---|" + "---|" * len(r["upscale"]))
        for row in next(iter(r["upscale"].values())):
            cells = [f"{v[row]['read_as_true']:.1%} / {v[row]['mse']:.4f}" for v in r["upscale"].values()]
            out.append(f"| {row} | " + " | ".join(cells) + " |")
    if r.get("cas"):
        out.append("\n| model | FID | its digits only (CAS) | 100 real | 100 real + its digits | 1,000 real | seconds |")
        out.append("|---|---|---|---|---|---|---|")
        for label, v in r["cas"].items():
            out.append(f"| {label} | {v['fid']} | {v['generated']:.1%} | {v['few_real']:.1%} | "
                       f"{v['few_real_plus_generated']:.1%} | {v['real']:.1%} | {v['seconds']} |")
    if r.get("cas_sweep"):
        out.append("\n| model | setting | FID (1,000 drawn vs 2,000 held-out) | asked-for digit | CAS | 100 real + its |")
        out.append("|---|---|---|---|---|---|")
        for v in r["cas_sweep"]:
            setting = f"guidance {v['guidance']:g}" if "guidance" in v else f"psi {v['truncation']:g}"
            out.append(f"| {v['model']} | {setting} | {v['fid']} | {v['label_match']:.1%} | {v['cas']:.1%} | "
                       f"{v['few_real_plus_generated']:.1%} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
