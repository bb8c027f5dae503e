"""Text-model benchmarks (genai/models/gpt.py) on Tiny Shakespeare. Needs ../shared/data (or
GENAI_DATA_DIR).

    python bench/text.py train130 --preset cpu-fast     # held-out loss after 130 s of training
    python bench/text.py train130 --preset baby --clock wall
    python bench/text.py side130                        # nanoGPT's baby config and cpu-fast at once
    python bench/text.py steptime --preset small        # ms per training step, parameters, MB
    python bench/text.py generate --checkpoint PATH     # tokens/s and time to first token, p50
    python bench/text.py decode                         # a continuation: hand loop vs generate()
    python bench/text.py finetune --modes lora,full     # LoRA against every weight on a new text

Training time counts the training steps only (batch + forward + backward + AdamW), never the
evaluation. ``--clock cpu`` (the default) reads the training thread's CPU time, which a busy
shared machine does not inflate the way it inflates wall time; with one thread (the default) it
equals wall time on an idle machine. The held-out loss is the mean over ``--eval-blocks`` fixed
random windows of the last 10% of the text (nanoGPT estimates it the same way, over 200 x 12).
Each command prints markdown table rows.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_DATA_DIR", str(ROOT.parent / "shared" / "data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from genai import data, models  # noqa: E402


def parse_sets(pairs):
    """--set key=value (JSON values: 3, 0.1, true, "x") -> dict."""
    out = {}
    for pair in pairs or []:
        k, _, v = pair.partition("=")
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def clock_fn(kind: str):
    return time.thread_time if kind == "cpu" else time.perf_counter


def build(preset: str, overrides: dict, seed: int, ds):
    torch.manual_seed(seed)
    model = models.build("gpt", preset=preset, **overrides)
    model.prepare(ds)
    return model


def train_for(a) -> None:
    torch.set_num_threads(a.threads)
    ds = data.load_text("tinyshakespeare")
    overrides = parse_sets(a.set)
    model = build(a.preset, overrides, a.seed, ds)
    bs = a.batch_size or model.config.batch_size
    opts = model.configure_optimizers()
    gen = torch.Generator().manual_seed(a.seed)
    n_params = sum(p.numel() for p in model.parameters())
    clock = clock_fn(a.clock)
    spent, step, next_eval, wall0 = 0.0, 0, a.curve or float("inf"), time.perf_counter()
    print(f"# {a.preset} {overrides or ''}: {n_params / 1e6:.3f} M parameters, batch {bs} x {model.config.block_size}, "
          f"{a.threads} thread(s), {a.clock} clock, budget {a.seconds:.0f} s", flush=True)
    while (spent < a.seconds) if not a.steps else (step < a.steps):
        t = clock()
        model.train_step(model.make_batch(ds, bs, gen), opts)
        spent += clock() - t
        step += 1
        if spent >= next_eval:
            next_eval += a.curve
            print(f"#   {spent:6.1f} s  step {step:5d}  lr {model.lr_at(step):.2e}  held-out "
                  f"{model.evaluate(ds, n_blocks=100)['loss']:.4f}", flush=True)
    loss = model.evaluate(ds, n_blocks=a.eval_blocks)["loss"]
    wall = time.perf_counter() - wall0
    print(f"| {a.preset} | {json.dumps(overrides) if overrides else ''} | {n_params / 1e6:.2f} M | {bs} x "
          f"{model.config.block_size} | {step} | {spent / step * 1e3:.1f} | {spent:.0f} | {loss:.4f} | {wall:.0f} |")
    if a.out:
        from genai import checkpoints

        path = checkpoints.save(a.out, model.state_dict(), family="gpt", config=models.config_dict(model), step=step,
                                dataset="tinyshakespeare", metrics={"loss": loss},
                                extra={"preset": a.preset, "seconds": spent, "batch_size": bs})
        print(f"# saved {path}")


def side130(a) -> None:
    """nanoGPT's "baby" configuration (its README's CPU run: 4 layers, 4 heads, 128 wide, context
    64, batch 12, lr 1e-3 with 100 warm-up steps and cosine decay to 1e-4 by step 2,000, beta2 0.99,
    no dropout: the `baby` preset) and the project's preset, trained at once for the same time,
    one process and one thread each: the comparison a teacher who knows nanoGPT would make."""
    import subprocess

    cmd = [sys.executable, __file__, "train130", "--seconds", str(a.seconds), "--clock", a.clock]
    sets = [x for kv in a.set or [] for x in ("--set", kv)]
    procs = [subprocess.Popen(cmd + ["--preset", "baby"], stdout=subprocess.PIPE, text=True),
             subprocess.Popen(cmd + ["--preset", a.preset] + sets, stdout=subprocess.PIPE, text=True)]
    for proc in procs:
        out, _ = proc.communicate()
        print(out.strip().splitlines()[-1])


def steptime(a) -> None:
    torch.set_num_threads(a.threads)
    ds = data.load_text("tinyshakespeare")
    print("| preset | parameters | fp32 MB | batch | threads | ms/step (CPU time) | ms/step (wall) | tokens/s |")
    print("|---|---|---|---|---|---|---|---|")
    for preset in a.preset.split(","):
        model = build(preset, parse_sets(a.set), a.seed, ds)
        bs = a.batch_size or model.config.batch_size
        opts = model.configure_optimizers()
        gen = torch.Generator().manual_seed(0)
        for _ in range(3):
            model.train_step(model.make_batch(ds, bs, gen), opts)
        cpu, wall = [], []
        for _ in range(a.reps):
            t, c = time.perf_counter(), time.thread_time()
            model.train_step(model.make_batch(ds, bs, gen), opts)
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - t)
        n = sum(p.numel() for p in model.parameters())
        ms = statistics.median(cpu) * 1e3
        print(f"| {preset} | {n / 1e6:.2f} M | {n * 4 / 2**20:.1f} | {bs} x {model.config.block_size} | {a.threads} | "
              f"{ms:.1f} | {statistics.median(wall) * 1e3:.1f} | {bs * model.config.block_size / ms * 1e3:,.0f} |")


def load_any(path: str):
    p = Path(path)
    if p.is_dir():
        from genai.models.gpt import Model

        return Model.from_pretrained(p), p.name
    model, meta = models.from_checkpoint(p, "gpt")
    return model, f"{p.stem} (step {meta.get('step', 0)})"


def generate(a) -> None:
    from transformers import TextIteratorStreamer

    class TimedStreamer(TextIteratorStreamer):
        """Notes when the first new token arrives (TextIteratorStreamer itself yields whole words)."""

        def put(self, value):
            if not self.next_tokens_are_prompt and self.first is None:
                self.first = time.perf_counter()
            super().put(value)

    torch.set_num_threads(a.threads)
    model, label = load_any(a.checkpoint)
    model.generate("\n", 20, seed=0)  # warm-up
    first_tok, first_text, rates, totals = [], [], [], []
    for rep in range(a.reps):
        streamer = TimedStreamer(model.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=60)
        streamer.first = None
        t0 = time.perf_counter()
        th = threading.Thread(target=model.generate, args=(a.prompt, a.tokens),
                              kwargs=dict(seed=rep, streamer=streamer, temperature=a.temperature))
        th.start()
        text, t_text = "", None
        for piece in streamer:
            if t_text is None and piece:
                t_text = time.perf_counter()
            text += piece
        t_end = time.perf_counter()
        th.join()
        first_tok.append(streamer.first - t0)
        first_text.append((t_text or t_end) - t0)
        rates.append((a.tokens - 1) / (t_end - streamer.first))
        totals.append(t_end - t0)
    print("| model | threads | new tokens | tokens/s (p50) | first token, ms (p50) | "
          "first streamed text, ms (p50) | total s (p50) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {label} | {a.threads} | {a.tokens} | {statistics.median(rates):.0f} | "
          f"{statistics.median(first_tok) * 1e3:.1f} | {statistics.median(first_text) * 1e3:.1f} | "
          f"{statistics.median(totals):.2f} |")


def decode(a) -> None:
    """A continuation's time on the server's path (Model.generate: the hand loop on the GPT's own
    weights) against transformers' generate() with the same sampler (the path before issue 31)."""
    from genai.models import gpt

    torch.set_num_threads(a.threads)
    model, label = load_any(a.checkpoint)
    model.eval()
    kw = dict(suppress_tokens=list(range(len(gpt.SPECIALS))), pad_token_id=gpt.PAD, bos_token_id=gpt.BOS,
              eos_token_id=gpt.EOS)
    ids, T = model._prompt_ids(a.prompt), model.config.block_size

    def hf(seed):
        sampler = gpt.SeededSampler(a.temperature, None, None, seed)
        new = gpt.generate_windowed(model.net, ids, a.tokens, T, sampler, kw, threading.Event(), None)
        return model.decode(new)

    def hand(seed):
        return model.generate(a.prompt, a.tokens, a.temperature, seed=seed)

    paths = {"transformers generate()": hf, "hand loop (Model.generate)": hand}
    times = {name: [] for name in paths}
    for rep in range(a.reps + 1):  # alternately, so that the machine's drift falls on both alike
        for name, fn in paths.items():
            t0 = time.perf_counter()
            text = fn(rep)
            if rep:  # the first is a warm-up
                times[name].append(time.perf_counter() - t0)
            assert len(text) == a.tokens
    same = hf(7) == hand(7)
    print(f"| model | path | new characters | ms (p50 of {a.reps}) | ms a character | same text, seed 7 |")
    print("|---|---|---|---|---|---|")
    for name, xs in times.items():
        ms = statistics.median(xs) * 1e3
        print(f"| {label} | {name} | {a.tokens} | {ms:.0f} | {ms / a.tokens:.2f} | {same} |")


def finetune(a) -> None:
    """Fine-tune a pretrained model on a new text, LoRA against every weight: held-out loss on the
    new text (what it learned) and on Tiny Shakespeare (what it kept), before and after."""
    from genai import checkpoints
    from genai.trainer import TrainSpec, build_model

    torch.set_num_threads(a.threads)
    new = data.load_user_text(Path(a.text).read_bytes(), Path(a.text).name)
    old = data.load_text("tinyshakespeare")
    print(f"# base {a.base}; new text {a.text} ({len(new.train):,} + {len(new.heldout):,} characters); "
          f"{a.steps} steps of {a.batch_size} windows, {a.threads} thread(s)")
    print("| mode | lr | trained parameters | checkpoint MB | training s | new text: before -> after "
          "(nats/char) | Shakespeare: before -> after |")
    print("|---|---|---|---|---|---|---|")
    for mode in a.modes.split(","):
        lora = mode.startswith("lora")
        lr = float(mode.split("@")[1]) if "@" in mode else (2e-3 if lora else 1e-4)
        spec = TrainSpec(family="lm", preset="lora" if lora else "full", seed=a.seed, steps=a.steps,
                         batch_size=a.batch_size, overrides={"base": a.base, "lr": lr, "min_lr": lr / 10,
                                                             "warmup_steps": 10, "decay_steps": a.steps,
                                                             **(parse_sets(a.set) if lora else {})})
        torch.manual_seed(a.seed)
        model, _, _ = build_model(spec)
        model.prepare(new)
        ev = lambda ds: model.evaluate(ds, n_blocks=a.eval_blocks)["loss_per_char"]  # noqa: E731
        before = ev(new), ev(old)
        model.prepare(new)  # evaluating Shakespeare re-read it: back to the new text
        opts = model.configure_optimizers()
        gen = torch.Generator().manual_seed(a.seed)
        spent = 0.0
        model.train()
        for _ in range(a.steps):
            t = time.thread_time()
            model.train_step(model.make_batch(new, a.batch_size, gen), opts)
            spent += time.thread_time() - t
        model.eval()
        after = ev(new), ev(old)
        n_train = sum(p.numel() for p in model.trainable())
        path = checkpoints.save(Path(a.tmp) / f"ft-{mode}", model.state_dict(), family="lm", config=models.config_dict(model))
        targets = ", ".join(sorted(model.net.peft_config["default"].target_modules)) if lora else ""
        print(f"| {f'LoRA r={model.config.lora_r} on {targets}' if lora else 'every weight'} | {lr:g} | {n_train:,} | "
              f"{path.stat().st_size / 2**20:.2f} | {spent:.0f} | {before[0]:.3f} -> {after[0]:.3f} | "
              f"{before[1]:.3f} -> {after[1]:.3f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train130", help="held-out loss after a training-time budget")
    t.add_argument("--preset", default="cpu-fast")
    t.add_argument("--seconds", type=float, default=130)
    t.add_argument("--steps", type=int, default=0, help="train this many steps instead of a time budget")
    t.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    t.add_argument("--curve", type=float, default=0, help="also print the held-out loss every this many s")
    t.add_argument("--eval-blocks", type=int, default=500)
    t.add_argument("--out", default="", help="save a genai checkpoint here")
    b = sub.add_parser("side130", help="nanoGPT's baby config and a preset, trained at once")
    b.add_argument("--preset", default="cpu-fast")
    b.add_argument("--seconds", type=float, default=130)
    b.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    b.add_argument("--set", action="append", help="config override of the preset, key=value (repeatable)")
    s = sub.add_parser("steptime", help="ms per training step")
    s.add_argument("--preset", default="baby,cpu-fast,small,lstm", help="comma-separated")
    s.add_argument("--reps", type=int, default=20)
    for q in (t, s):
        q.add_argument("--batch-size", type=int, default=0, help="default: the preset's batch_size")
        q.add_argument("--set", action="append", help="config override key=value (repeatable)")
        q.add_argument("--threads", type=int, default=1)
        q.add_argument("--seed", type=int, default=0)
    g = sub.add_parser("generate", help="generation speed of a checkpoint")
    g.add_argument("--checkpoint", required=True, help="a genai .safetensors checkpoint or a save_pretrained folder")
    g.add_argument("--tokens", type=int, default=300)
    g.add_argument("--reps", type=int, default=5)
    g.add_argument("--prompt", default="ROMEO:\n")
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--threads", type=int, default=1)
    d = sub.add_parser("decode", help="a continuation: the hand decoding loop against generate()")
    d.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "gpt_char_shakespeare.safetensors"))
    d.add_argument("--tokens", type=int, default=100)
    d.add_argument("--reps", type=int, default=20)
    d.add_argument("--prompt", default="ROMEO:")
    d.add_argument("--temperature", type=float, default=1.0)
    d.add_argument("--threads", type=int, default=1)
    f = sub.add_parser("finetune", help="LoRA against a full fine-tune on a new text")
    f.add_argument("--base", default=str(ROOT / "checkpoints" / "gpt_char_shakespeare.safetensors"),
                   help="a char GPT checkpoint, a transformers folder or a Hub id")
    f.add_argument("--text", default="/usr/share/common-licenses/GPL-3", help="the new text (UTF-8)")
    f.add_argument("--modes", default="lora,full", help="comma-separated lora|full, each optionally @LR")
    f.add_argument("--steps", type=int, default=300)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--eval-blocks", type=int, default=200)
    f.add_argument("--threads", type=int, default=1)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--set", action="append", help="LoRA config override key=value, e.g. lora_r=16 (repeatable)")
    f.add_argument("--tmp", default="/tmp", help="where the checkpoints are written (to measure their size)")
    a = p.parse_args()
    print(f"# torch {torch.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if a.cmd in ("train130", "side130"):
        print("| preset | overrides | parameters | batch | steps | ms/step | training s | held-out loss | wall s |")
        print("|---|---|---|---|---|---|---|---|---|")
        side130(a) if a.cmd == "side130" else train_for(a)
    elif a.cmd == "steptime":
        steptime(a)
    elif a.cmd == "finetune":
        finetune(a)
    elif a.cmd == "decode":
        decode(a)
    else:
        generate(a)


if __name__ == "__main__":
    main()
