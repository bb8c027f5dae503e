"""Training throughput with torchrun: 1 process against 2 on this machine's CPU (gloo), for the
GAN, the VAE and the char GPT, the same global batch each time.

    python bench/distributed.py [--steps 300]

Each configuration is `python -m genai train ...`, under `torchrun --standalone
--nproc_per_node=2` for two processes; the rate is the median of the run's logged images (or
sequences) per second, after the first tenth of the run. One process is measured with one
thread and with all the cores, so that two one-thread processes are compared with the same cores
used either way.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CASES = {  # name -> (arguments, items per logged item: 1 for images, the context for text)
    "GAN dcgan, mnist, batch 64": (["gan", "--preset", "dcgan", "--dataset", "mnist", "--batch-size", "64"], 1),
    "VAE conv-16d, mnist, batch 64": (["vae", "--preset", "conv-16d", "--dataset", "mnist", "--batch-size", "64"], 1),
    "GPT baby, Tiny Shakespeare, batch 12 x 64": (["gpt", "--preset", "baby", "--dataset", "tinyshakespeare",
                                                   "--batch-size", "12"], 64),
}


def rate(args, steps: int, nproc: int, threads: int) -> float:
    runs = Path(tempfile.mkdtemp(prefix="genai_ddp_"))
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"] if nproc > 1 else []
    env = {**os.environ, "GENAI_RUNS_DIR": str(runs), "GENAI_THREADS": str(threads), "GENAI_DATA_DIR": str(DATA),
           "GENAI_DEVICE": "cpu"}
    r = subprocess.run([sys.executable, *launcher, "-m", "genai", "train", *args, "--steps", str(steps),
                        "--eval-every", str(10 * steps), "--sample-every", str(10 * steps), "--name", "b",
                        "--out", str(runs / "ck"), "--quiet"], cwd=ROOT, capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(r.stderr[-2000:])
    rows = [json.loads(line) for line in (runs / "b" / "metrics.jsonl").read_text().splitlines()]
    rates = [row["items_per_s"] for row in rows if "items_per_s" in row]
    return statistics.median(rates[len(rates) // 10:])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    a = p.parse_args()
    cores = os.cpu_count() or 1
    print(f"| model | 1 process, 1 thread | 1 process, {cores} threads | 2 processes, 1 thread each | "
          f"2 processes / 1 process of {cores} threads |")
    print("|---|---|---|---|---|")
    for name, (args, per) in CASES.items():
        one1 = rate(args, a.steps, 1, 1) * per
        one_all = rate(args, a.steps, 1, cores) * per
        two = rate(args, a.steps, 2, 1) * per
        unit = "tokens/s" if per > 1 else "images/s"
        print(f"| {name} | {one1:,.0f} {unit} | {one_all:,.0f} | {two:,.0f} | {two / one_all:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
