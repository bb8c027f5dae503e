"""Command line: ``python -m genai train|sample|list|classifier|import|eval-text|repair|upscale|cas``.

    python -m genai train gan --preset dcgan --dataset mnist --steps 3000 --out checkpoints/gan_dcgan_mnist
    python -m genai sample checkpoints/gan_dcgan_mnist --n 64 --seed 0 --out grid.png
    python -m genai list
Set GENAI_DATA_DIR to a folder with the data files when offline (e.g. ../shared/data).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _value(text: str):
    """--set values: JSON where it parses (numbers, true/false), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def cmd_train(args) -> int:
    from tqdm import tqdm

    from genai import device as devmod, distributed
    from genai.trainer import TrainSpec, check_spec, train

    if not distributed.launched():  # under torchrun, distributed.setup shares the cores out
        devmod.configure_threads(beside_server=False)
    from genai import models

    kind = models.data_kind(args.family)
    args.dataset = args.dataset or ("tinyshakespeare" if kind == "text" else "digits")
    bad = [kv for kv in args.set if "=" not in kv]
    if bad:
        raise ValueError(f"--set takes FIELD=VALUE, such as --set lr_g=2e-4 (got {bad[0]!r})")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    data = None
    if args.text:  # a text file of one's own, for the text families
        from genai import data as datamod

        try:
            data = datamod.load_user_text(Path(args.text).read_bytes(), Path(args.text).name)
        except (OSError, datamod.DataError) as e:
            print(f"error: {args.text}: {e}", file=sys.stderr)
            return 2
        args.dataset = Path(args.text).name
    spec = TrainSpec(family=args.family, preset=args.preset, overrides={k: _value(v) for k, v in overrides.items()},
                     dataset=args.dataset, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                     name=args.name or f"{args.family}-{args.preset or 'custom'}-{time.strftime('%Y%m%d-%H%M%S')}", eval_every=args.eval_every, sample_every=args.sample_every,
                     ckpt_every=args.ckpt_every, out=args.out or "", init_from=args.init_from or "")
    check_spec(spec)  # bad settings: a message and exit code 2, before anything loads
    if data is None:  # a named data set: known, and of the family's kind, before the run starts
        from genai import data as datamod

        known = [n for n, d in datamod.DATASETS.items() if d.kind == kind]
        if args.dataset not in known:
            raise ValueError(f"Unknown {kind} data set {args.dataset!r}; choose one of {', '.join(known)}"
                             + (" (or --text FILE)" if kind == "text" else ""))
    ranks, device = distributed.setup()  # torchrun: join the process group; otherwise nothing
    if ranks.main and not args.name:  # a folder of its own, even beside a run started this second
        from genai.runlog import claim_name

        spec.name = claim_name(spec.name)
    if ranks.active:
        # one name for the run on every rank (rank 0's clock), so that rank 0's log says where it went
        import torch.distributed as tdist

        names = [spec.name]
        tdist.broadcast_object_list(names, src=0)
        spec.name = names[0]
    bar = tqdm(total=spec.steps, unit="step", disable=args.quiet or not ranks.main, file=sys.stderr)
    failed, start = [], [0]

    def say(msg):
        bar.write(msg if ranks.main else f"[rank {ranks.rank}] {msg}", file=sys.stderr)

    t0 = time.time()

    def on_event(ev):
        if ev.kind == "metrics":
            bar.update(max(0, ev.step - start[0] - bar.n))
            shown = {k: f"{v:.3g}" for k, v in ev.data.items() if not k[len("heldout_class_"):].isdigit()}
            bar.set_postfix(shown, refresh=False)
            if any(k.startswith("heldout_") for k in ev.data):
                say(f"step {ev.step}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        elif ev.kind == "log":
            if bar.n == 0:
                start[0] = ev.step  # a run from --init-from starts at its checkpoint's step
            say(ev.data)
        elif ev.kind == "checkpoint":
            say(f"step {ev.step}: saved {ev.data}")
        elif ev.kind == "error":
            failed.append(ev.data)
            say(f"error: {ev.data}")
        elif ev.kind == "done":
            say(f"{ev.data['status']} at step {ev.step} after {time.time() - t0:.1f} s")
            if args.metrics_json:
                with open(args.metrics_json, "w") as f:
                    json.dump({"step": ev.step, "seconds": time.time() - t0, **ev.data["metrics"]}, f, indent=1)

    try:
        from genai.checkpoints import RUNS_DIR

        # the monitor tab shows CLI runs too (rank 0's log, under torchrun)
        train(spec, on_event, data=data, log_dir=RUNS_DIR / spec.name, device=device, ranks=ranks)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        bar.close()
        distributed.cleanup()
    return 1 if failed else 0


MAX_SAMPLES = 1000  # images in one grid (or texts): enough for any figure, small enough for memory


def cmd_sample(args) -> int:
    import torch

    from genai import images, models

    from genai.trainer import MAX_SEED

    if not 1 <= args.n <= MAX_SAMPLES:
        raise ValueError(f"--n must be from 1 to {MAX_SAMPLES} (got {args.n})")
    if not 0 <= args.seed <= MAX_SEED:
        raise ValueError(f"--seed must be from 0 to {MAX_SEED} (got {args.seed})")
    model, meta = models.from_checkpoint(args.checkpoint)
    conditional = getattr(model.config, "conditional", False)
    if args.digit is not None and not conditional:
        raise ValueError("--digit is for a conditional model (GAN or diffusion); this checkpoint draws any digit")
    if args.digit is not None and not 0 <= args.digit < model.config.n_classes:
        raise ValueError(f"--digit must be from 0 to {model.config.n_classes - 1} (got {args.digit})")
    g = torch.Generator().manual_seed(args.seed)
    if models.data_kind(meta["family"]) == "text":
        print(model.sample(args.n, generator=g, prompt=args.prompt))
        return 0
    kw = {"labels": args.digit} if args.digit is not None else {}
    x = model.sample(args.n, generator=g, **kw)
    if args.out.endswith(".npy"):  # the raw samples, for one's own measures: (N, H, W) in [0, 1]
        import numpy as np

        np.save(args.out, x.float().clamp(0, 1)[:, 0].numpy())
    else:
        images.grid_image(x, nrow=args.nrow).save(args.out)
    print(f"wrote {args.n} samples from {args.checkpoint} ({meta['family']}, step {meta['step']}) to {args.out}")
    return 0


def cmd_list(args) -> int:
    from genai import checkpoints, data

    print("checkpoints:")
    for c in checkpoints.list_checkpoints(args.family):
        m = {k: round(v, 4) for k, v in c.meta.get("metrics", {}).items() if not k.startswith("class_")}
        print(f"  {c.name:32s} {c.family:10s} step {c.meta.get('step', 0):6d}  {c.meta.get('dataset', '')}  {m}")
    print("data sets:")
    for d in data.DATASETS.values():
        print(f"  {d.name:16s} {d.kind:6s} {d.description}")
    return 0


def cmd_strip(args) -> int:
    """Drop the optimizer state from a checkpoint (a shipped file needs only the weights)."""
    from genai import checkpoints

    path, dropped = checkpoints.rewrite(args.checkpoint, half=args.half)
    print(f"{path}: dropped {dropped} optimizer tensors; {path.stat().st_size / 2**20:.1f} MB")
    return 0


def cmd_classifier(args) -> int:
    from genai import data, device as devmod, metrics

    devmod.configure_threads(beside_server=False)
    ds = data.load_images(args.dataset)
    t0 = time.time()
    model = metrics.train_classifier(ds, steps=args.steps)
    acc = metrics.accuracy(model, ds)
    path = metrics.save_classifier(model, args.out, args.dataset, {"heldout_accuracy": acc, "seconds": time.time() - t0})
    print(f"held-out accuracy {acc:.4f}; saved {path}")
    return 0


def cmd_import(args) -> int:
    from genai import monitor

    folder = monitor.import_zip(args.zip, owner=args.owner)
    print(f"imported {args.zip} as run {folder.name} ({folder}); resume it with "
          f"python -m genai train ... --init-from {folder / 'checkpoint'}, or in the page's Training monitor")
    return 0


def load_text_model(name: str, data):
    """A checkpoint of a text family, or ``bigram``: the character bigram baseline fitted on
    ``data``'s training text. With ``data`` None, only checks that the checkpoint is a text model."""
    from genai import checkpoints, models, textmeasures
    from genai.locales import said

    if name == "bigram":
        return textmeasures.Bigram(data.train)
    meta = checkpoints.read_meta(name)
    if meta["family"] not in ("gpt", "lm"):  # the text families
        raise said(checkpoints.CheckpointError, "err.not_text_model", name=Path(name).name, family=meta["family"])
    return models.from_checkpoint(name)[0] if data is not None else None


def cmd_eval_text(args) -> int:
    """How good is the text a model writes: BLEU, chrF, ROUGE-L, distinct-n and repetition per
    temperature on held-out passages, and its held-out loss and perplexity (genai/textmeasures.py)."""
    from genai import data as datamod, device as devmod, textmeasures

    devmod.configure_threads(beside_server=False)
    if not 1 <= args.passages <= textmeasures.MAX_PASSAGES:
        raise ValueError(f"--passages must be from 1 to {textmeasures.MAX_PASSAGES} (got {args.passages})")
    if args.checkpoint != "bigram":
        load_text_model(args.checkpoint, None)  # a text model, before any text is read
    if args.text:
        try:
            raw = Path(args.text).read_bytes()
        except OSError as e:
            raise datamod.DataError(f"{args.text}: {e.strerror}") from None
        data = datamod.load_user_text(raw, Path(args.text).name)
    else:
        data = datamod.load_text("tinyshakespeare")
    model = load_text_model(args.checkpoint, data)
    report = textmeasures.evaluate(model, data, args.passages, args.seed, name=Path(args.checkpoint).stem)
    Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    print(f"{report['model']}: held-out loss {report['heldout_loss']:.3f} nats/char, perplexity "
          f"{report['perplexity']:.2f}, {report['bits_per_char']:.3f} bits/char; {args.passages} passages of "
          f"{data.name}, {report['seconds']:.1f} s")
    print(f"{'temperature':12s} {'BLEU':>6s} {'chrF':>6s} {'ROUGE-L':>8s} {'dist-1':>7s} {'dist-2':>7s} {'rep-4':>6s}")
    for row in textmeasures.table_rows(report):
        label = row["temperature"] if row["model"] != textmeasures.REAL else "real text"
        print(f"{label:12s} {row['bleu']:6.2f} {row['chrf']:6.2f} {row['rouge_l']:8.3f} {row['distinct_1']:7.3f} "
              f"{row['distinct_2']:7.3f} {row['repetition']:6.3f}")
    print(f"wrote {args.json}")
    return 0


def load_array(path: str, what: str):
    """A .npy file as a float array; never a pickle (``allow_pickle=False``)."""
    import numpy as np

    try:
        arr = np.load(path, allow_pickle=False)
    except OSError as e:
        raise ValueError(f"{what} {path}: {e.strerror or 'not a .npy file'}") from None
    except ValueError as e:  # a pickled object array, or a file that is not .npy
        raise ValueError(f"{what} {path}: not a numeric .npy array ({e})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise ValueError(f"{what} {path}: not a numeric array")
    return arr.astype(np.float32)


def check_seed(seed: int) -> None:
    from genai.trainer import MAX_SEED

    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be from 0 to {MAX_SEED} (got {seed})")


def image_model(checkpoint: str, families: tuple[str, ...]):
    """A checkpoint's model, refused with a message when it is not of ``families``."""
    from genai import checkpoints, models

    meta = checkpoints.read_meta(checkpoint)
    if meta["family"] not in families:
        raise ValueError(f"{Path(checkpoint).name} is a {meta['family']} checkpoint; this needs one of: "
                         f"{', '.join(families)}")
    return models.from_checkpoint(checkpoint)


def cmd_repair(args) -> int:
    """Fill the masked pixels of images with a diffusion (RePaint), GAN or VAE model (search)."""
    import numpy as np
    import torch

    from genai import device as devmod, strategies

    check_seed(args.seed)
    devmod.configure_threads(beside_server=False)
    images = strategies.check_images(load_array(args.images, "--images"), "--images")
    mask = strategies.check_mask(load_array(args.mask, "--mask"), len(images))
    model, meta = image_model(args.checkpoint, strategies.FAMILIES)
    out, seconds = strategies.timed(strategies.repair, model, images, mask, torch.Generator().manual_seed(args.seed))
    np.save(args.out, out[:, 0].numpy())
    print(f"repaired {len(images)} images with {Path(args.checkpoint).name} ({meta['family']}) in {seconds:.1f} s; "
          f"wrote {args.out}")
    return 0


def cmd_upscale(args) -> int:
    """(N, 7, 7) or (N, 14, 14) images to 28x28 by the diffusion model, guided by them (ILVR)."""
    import numpy as np
    import torch

    from genai import device as devmod, strategies

    check_seed(args.seed)
    devmod.configure_threads(beside_server=False)
    low = load_array(args.images, "--images")
    model, _ = image_model(args.checkpoint, ("diffusion",))
    out, seconds = strategies.timed(strategies.upscale, model, low, torch.Generator().manual_seed(args.seed))
    np.save(args.out, out[:, 0].numpy())
    print(f"upscaled {len(out)} images from {low.shape[-1]}x{low.shape[-1]} in {seconds:.1f} s; wrote {args.out}")
    return 0


def cmd_cas(args) -> int:
    """The Classification Accuracy Score of a class-conditional model, and its digits as added data."""
    from genai import data as datamod, device as devmod, metrics, synthetic

    check_seed(args.seed)
    devmod.configure_threads(beside_server=False)
    model, meta = image_model(args.checkpoint, ("gan", "diffusion"))
    if not getattr(model.config, "conditional", False):
        raise ValueError(f"{Path(args.checkpoint).name}: the accuracy score needs a class-conditional model "
                         "(one you can ask for a digit): the conditional GAN or the diffusion model")
    if not 1 <= args.per_class <= 800:
        raise ValueError(f"--per-class must be from 1 to 800 (got {args.per_class})")
    data = datamod.load_images(meta.get("dataset") or "mnist")
    from genai.strategies import timed

    if not 10 <= args.steps <= 10_000:
        raise ValueError(f"--steps must be from 10 to 10000 (got {args.steps})")
    report, seconds = timed(synthetic.cas, model, data, args.per_class, steps=args.steps, seed=args.seed)
    report.update(checkpoint=Path(args.checkpoint).name, seconds=round(seconds, 1))
    alike = metrics.measured_alike(meta)
    if alike:
        report["fid"] = alike[0]["fid"]
    Path(args.json).write_text(json.dumps(report, indent=1))
    print(f"{report['checkpoint']}: trained on its {10 * args.per_class} digits only {report['generated']:.1%} "
          f"(real digits, as many: {report['real']:.1%}); {report['few']} real {report['few_real']:.1%}, "
          f"with its digits added {report['few_real_plus_generated']:.1%}; {seconds:.0f} s; wrote {args.json}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m genai", description="Generative AI Lab: train and sample from the command line")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train a model and save a checkpoint")
    from genai.models import FAMILIES

    t.add_argument("family", choices=list(FAMILIES))
    t.add_argument("--preset")
    t.add_argument("--dataset", help="a named data set (default: digits for images, tinyshakespeare for text)")
    t.add_argument("--text", metavar="FILE", help="text models: train on this UTF-8 text file (last 10%% held out)")
    t.add_argument("--steps", type=int, default=500)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="change a config field")
    t.add_argument("--name")
    t.add_argument("--out", help="checkpoint path (default runs/NAME/checkpoint)")
    t.add_argument("--init-from", help="start from this checkpoint's weights")
    t.add_argument("--eval-every", type=int, default=250)
    t.add_argument("--sample-every", type=int, default=250)
    t.add_argument("--ckpt-every", type=int, default=1000)
    t.add_argument("--metrics-json", help="write the final metrics here")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="sample from a checkpoint")
    s.add_argument("checkpoint")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--nrow", type=int, default=8)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--digit", type=int, help="conditional models: the class to draw")
    s.add_argument("--prompt", default="\n", help="text models: the prompt")
    s.add_argument("--out", default="samples.png", help="image models: a PNG grid, or FILE.npy for the raw "
                   "samples, an (N, 28, 28) array in [0, 1]")
    s.set_defaults(fn=cmd_sample)

    ls = sub.add_parser("list", help="list checkpoints and data sets")
    ls.add_argument("--family")
    ls.set_defaults(fn=cmd_list)

    st = sub.add_parser("strip", help="drop a checkpoint's optimizer state (to ship it)")
    st.add_argument("checkpoint")
    st.add_argument("--half", action="store_true", help="also store the weights as float16")
    st.set_defaults(fn=cmd_strip)

    c = sub.add_parser("classifier", help="train the digit classifier used for FID")
    c.add_argument("--dataset", default="mnist")
    c.add_argument("--steps", type=int, default=1500)
    c.add_argument("--out", default="checkpoints/mnist_classifier")
    c.set_defaults(fn=cmd_classifier)

    im = sub.add_parser("import", help="bring back a run exported from the page (its zip)")
    im.add_argument("zip")
    im.add_argument("--owner", default="", help="the student it belongs to (default: none, a CLI run "
                    "every page lists)")
    im.set_defaults(fn=cmd_import)

    ev = sub.add_parser("eval-text", help="score a text model's continuations of held-out passages (BLEU, "
                        "chrF, ROUGE-L, distinct-n) and its perplexity")
    ev.add_argument("checkpoint", help="a text checkpoint, or 'bigram' for the character bigram baseline")
    ev.add_argument("--json", required=True, help="write every passage and score here")
    ev.add_argument("--text", metavar="FILE", help="a UTF-8 text file of one's own (last 10%% held out); "
                    "default Tiny Shakespeare")
    ev.add_argument("--passages", type=int, default=20, help="passages per temperature (1-200)")
    ev.add_argument("--seed", type=int, default=0)
    ev.set_defaults(fn=cmd_eval_text)

    rp = sub.add_parser("repair", help="fill the masked pixels of images (RePaint, or a search in a GAN's or "
                        "VAE's latent space)")
    rp.add_argument("checkpoint", help="a diffusion, GAN or VAE checkpoint")
    rp.add_argument("--images", required=True, help="an (N, 28, 28) .npy array of floats in [0, 1]")
    rp.add_argument("--mask", required=True, help="1 where a pixel is known, 0 where it is to be filled: one "
                    "(28, 28) array for all, or (N, 28, 28)")
    rp.add_argument("--out", required=True, help="the repaired images, (N, 28, 28); the known pixels unchanged")
    rp.add_argument("--seed", type=int, default=0)
    rp.set_defaults(fn=cmd_repair)

    up = sub.add_parser("upscale", help="bring (N, 7, 7) or (N, 14, 14) images to 28x28 with the diffusion "
                        "model (ILVR)")
    up.add_argument("checkpoint", help="a diffusion checkpoint")
    up.add_argument("--images", required=True, help="an (N, 7, 7) or (N, 14, 14) .npy array in [0, 1]")
    up.add_argument("--out", required=True)
    up.add_argument("--seed", type=int, default=0)
    up.set_defaults(fn=cmd_upscale)

    ca = sub.add_parser("cas", help="train a classifier on a conditional model's digits and test it on real "
                        "ones (Classification Accuracy Score)")
    ca.add_argument("checkpoint", help="a class-conditional GAN or diffusion checkpoint")
    ca.add_argument("--json", required=True)
    ca.add_argument("--per-class", type=int, default=100, help="generated digits of each class (1-800)")
    ca.add_argument("--steps", type=int, default=400, help="Adam steps of batch 64 for each classifier")
    ca.add_argument("--seed", type=int, default=0)
    ca.set_defaults(fn=cmd_cas)

    args = p.parse_args(argv)
    from genai.checkpoints import CheckpointError
    from genai.data import DataError

    try:
        return args.fn(args)
    except (DataError, CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
