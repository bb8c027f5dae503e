"""`torchrun -m genai train ...`: two CPU processes (gloo) train one run. Only rank 0 writes;
both ranks end with the same weights; the result loads like any checkpoint; and two processes
equal one process with the same global batch, where the family draws no noise inside a step."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from genai import checkpoints, distributed, models

ROOT = Path(__file__).resolve().parent.parent
TEXT = "\n".join(["Shall I compare thee to a summer's day?", "Thou art more lovely and more temperate.",
                  "Rough winds do shake the darling buds of May,", "And summer's lease hath all too short a date."] * 60)


def genai_train(args, runs, nproc=0):
    """`python -m genai train ARGS`, under torchrun with ``nproc`` processes when nproc > 0."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"] if nproc else []
    env = {**os.environ, "GENAI_RUNS_DIR": str(runs), "GENAI_THREADS": "1", "GENAI_DEVICE": "cpu"}
    return subprocess.run([sys.executable, *launcher, "-m", "genai", "train", *args, "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("text") / "sonnet.txt"
    p.write_text(TEXT)
    return p


FAMILIES = {  # family -> its arguments (the GAN: two optimisers and the moving average of G); the char
    # GPT trains on two processes in the test below, which checks the same of it
    "gan": ["gan", "--preset", "tiny"],
    "vae": ["vae", "--preset", "tiny"],
    "lm-lora": ["lm", "--preset", "tiny", "--set", "base={hub}", "--text", "{text}"],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_two_processes_train_one_run_that_loads_and_samples(family, tmp_path, text_file, tiny_hub_folder):
    args = [a.format(text=text_file, hub=tiny_hub_folder) for a in FAMILIES[family]]
    runs = tmp_path / "runs"
    r = genai_train([*args, "--steps", "4", "--batch-size", "8", "--eval-every", "2", "--name", "two",
                     "--out", str(tmp_path / "out" / "ck")], runs, nproc=2)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "weights identical on all 2 processes" in r.stderr
    assert "global batch 8 (4 per process)" in r.stderr and "done at step 4" in r.stderr
    assert r.stderr.count("done at step 4") == 1  # one progress report: rank 0's
    # one checkpoint and one run log, both rank 0's
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ck.json", "ck.safetensors"]
    assert [p.name for p in runs.iterdir()] == ["two"]
    model, meta = models.from_checkpoint(tmp_path / "out" / "ck.safetensors")
    assert meta["step"] == 4
    out = model.sample(2, generator=torch.Generator().manual_seed(0))  # 2 images, or 2 tokens of text
    assert len(out) >= 2


def test_two_processes_equal_one_with_the_same_global_batch(tmp_path, text_file):
    """The char GPT draws no noise inside a step (no dropout): each rank's slice of the one global
    batch, gradients averaged, gives the one-process gradient, so the weights agree to rounding."""
    common = ["gpt", "--preset", "tiny", "--text", str(text_file), "--steps", "6", "--batch-size", "8",
              "--eval-every", "1000"]
    one = genai_train([*common, "--out", str(tmp_path / "one")], tmp_path / "runs1")
    two = genai_train([*common, "--out", str(tmp_path / "two")], tmp_path / "runs2", nproc=2)
    assert one.returncode == 0 and two.returncode == 0, (one.stderr[-2000:], two.stderr[-2000:])
    assert "weights identical on all 2 processes" in two.stderr and "global batch 8 (4 per process)" in two.stderr
    assert two.stderr.count("done at step 6") == 1 and len(list((tmp_path / "runs2").iterdir())) == 1  # rank 0's
    model, _ = models.from_checkpoint(tmp_path / "two.safetensors")
    assert len(model.sample(2, generator=torch.Generator().manual_seed(0))) == 2
    a, _ = checkpoints.load(tmp_path / "one")
    b, _ = checkpoints.load(tmp_path / "two")
    weights = [k for k in a if not k.startswith(checkpoints.OPTIM)]
    assert weights and set(weights) <= set(b)
    worst = max((a[k].float() - b[k].float()).abs().max().item() for k in weights)
    assert worst < 1e-4, worst  # float sums in another order, nothing more
    moved = max((a[k].float() - models.build("gpt", preset="tiny", vocab=sorted(set(TEXT))).state_dict().get(
        k, a[k]).float()).abs().max().item() for k in weights if "wpe" in k)
    assert moved > 1e-3  # and the runs did train


def test_a_batch_that_does_not_divide_among_the_processes_is_refused(tmp_path):
    r = genai_train(["vae", "--preset", "tiny", "--steps", "2", "--batch-size", "7", "--out", str(tmp_path / "x")],
                    tmp_path / "runs", nproc=2)
    assert r.returncode != 0 and "must divide evenly among the 2 processes" in r.stderr


def test_without_torchrun_nothing_distributed_starts(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    d, device = distributed.setup()
    assert d == distributed.Dist() and device is None and not d.active and d.main
    assert not (torch.distributed.is_available() and torch.distributed.is_initialized())
