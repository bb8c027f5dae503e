"""How good is this text, measured (issue 29): the shipped char GPT, the shipped char LSTM and a
character bigram continue the same held-out passages of Tiny Shakespeare at five temperatures;
BLEU, chrF, ROUGE-L, distinct-n, repetition, and each model's held-out loss and perplexity, as a
Markdown table for BENCHMARKS.md, with the seconds each sweep took on one thread.

    python bench/text_measures.py --passages 20 --json /tmp/text_measures.json
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
MODELS = ["checkpoints/gpt_char_shakespeare.safetensors", "checkpoints/gpt_lstm_shakespeare.safetensors", "bigram"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--passages", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models", nargs="*", default=MODELS)
    p.add_argument("--json", default="")
    args = p.parse_args()

    import torch

    torch.set_num_threads(1)  # "on one core"
    from genai import data, textmeasures as tm
    from genai.__main__ import load_text_model

    corpus = data.load_text("tinyshakespeare")
    print(f"load average before: {os.getloadavg()}, torch {torch.__version__}, 1 thread")
    reports = []
    for name in args.models:
        model = load_text_model(str(ROOT / name) if name != "bigram" else name, corpus)
        t0 = time.perf_counter()
        report = tm.evaluate(model, corpus, args.passages, args.seed, name=Path(name).stem)
        report["wall_seconds"] = time.perf_counter() - t0
        reports.append(report)
        print(f"{report['model']}: sweep {report['wall_seconds']:.1f} s, {report['seconds_per_passage']:.3f} s "
              f"a passage (generation), held-out loss {report['heldout_loss']:.3f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    print("\n| model | temperature | BLEU | chrF | ROUGE-L | distinct-1 | distinct-2 | repetition | held-out loss "
          "| perplexity | bits/char |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, report in enumerate(reports):
        for row in tm.table_rows(report):
            if row["model"] == tm.REAL and i:
                continue
            loss = "" if row["model"] == tm.REAL else \
                f"{row['heldout_loss']:.3f} | {row['perplexity']:.2f} | {row['bits_per_char']:.3f}"
            print(f"| {row['model']} | {row['temperature']} | {row['bleu']:.2f} | {row['chrf']:.1f} | "
                  f"{row['rouge_l']:.3f} | {row['distinct_1']:.3f} | {row['distinct_2']:.3f} | "
                  f"{row['repetition']:.3f} | {loss or ' | | '} |")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
