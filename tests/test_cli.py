import os
import re
import subprocess

import numpy as np
import pytest
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, **env):
    """``python -m genai ARGS`` as a new process: the real command, exit code and all."""
    return subprocess.run([sys.executable, "-m", "genai", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


@pytest.fixture
def cli(capsys, monkeypatch):
    """``python -m genai ARGS`` in this process, answered as ``run`` answers: a new process imports
    torch again for each command (3-7 s of the suite each here). test_list and
    test_bad_input_is_a_message_not_a_traceback run the real command; ``main(argv)`` is what it calls."""
    from genai.__main__ import main

    monkeypatch.chdir(ROOT)

    def call(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse's own refusals
            code = e.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return call


def test_list():
    r = run("list")
    assert r.returncode == 0, r.stderr
    assert "digits" in r.stdout and "tinyshakespeare" in r.stdout


def test_train_then_sample(tmp_path, cli):
    ck = tmp_path / "g"
    r = cli("train", "gan", "--preset", "tiny", "--dataset", "digits", "--steps", "4", "--batch-size", "8",
            "--eval-every", "1000", "--out", str(ck), "--metrics-json", str(tmp_path / "m.json"))
    assert r.returncode == 0, r.stderr
    assert "done at step 4" in r.stderr and (tmp_path / "g.json").exists()
    out = tmp_path / "grid.png"
    r = cli("sample", str(ck) + ".safetensors", "--n", "16", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 100
    for name in ("gan_dcgan_mnist", "vae_conv-16d_mnist"):  # every image family: the raw samples too
        npy = tmp_path / f"{name}.npy"
        r = cli("sample", f"checkpoints/{name}.safetensors", "--n", "5", "--seed", "3", "--out", str(npy))
        assert r.returncode == 0, r.stderr
        x = np.load(npy)
        assert x.shape == (5, 28, 28) and x.dtype == np.float32 and 0 <= x.min() < x.max() <= 1
        assert x.std(axis=0).mean() > 0.01  # five different images


def test_bad_input_is_a_message_not_a_traceback(tmp_path):
    r = run("train", "gan", "--preset", "nope", "--steps", "1", "--out", str(tmp_path / "x"))
    # refused before anything starts, as every bad setting is (exit 2, like a bad argument)
    assert r.returncode == 2 and "Unknown gan preset 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = run("sample", str(tmp_path / "missing.safetensors"))
    assert r.returncode == 2 and "no such checkpoint" in r.stderr and "Traceback" not in r.stderr


def test_strip_drops_the_optimizer_state(tmp_path, cli):
    ck = tmp_path / "g"
    assert cli("train", "gan", "--preset", "tiny", "--steps", "2", "--batch-size", "8", "--eval-every", "1000",
               "--out", str(ck)).returncode == 0
    from genai import checkpoints, models

    before = (tmp_path / "g.safetensors").stat().st_size
    assert "optim" in checkpoints.read_meta(ck)
    r = cli("strip", str(ck) + ".safetensors")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "g.safetensors").stat().st_size < before and "optim" not in checkpoints.read_meta(ck)
    model, meta = models.from_checkpoint(ck)
    assert meta["step"] == 2 and meta["preset"] == "tiny"
    # the model card's facts survive the strip: how long it trained, and on what
    assert 0 < meta["train_seconds"] < 600 and meta["trained_on"].startswith(("CPU", "CUDA GPU"))


def test_lora_fine_tune_on_a_text_file_then_sample(tmp_path, tiny_hub_folder, cli):
    from conftest import NEW

    (tmp_path / "sonnet.txt").write_text(NEW, "utf-8")
    ck = tmp_path / "ft"
    r = cli("train", "lm", "--preset", "tiny", "--set", f"base={tiny_hub_folder}", "--text", str(tmp_path / "sonnet.txt"),
            "--steps", "3", "--batch-size", "4", "--eval-every", "3", "--out", str(ck))
    assert r.returncode == 0, r.stderr
    assert "M trained) on sonnet.txt" in r.stderr and "heldout_loss_per_char" in r.stderr
    r = cli("sample", str(ck) + ".safetensors", "--n", "5", "--prompt", "Thou")
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
    r = cli("train", "lm", "--text", str(tmp_path / "missing.txt"))
    assert r.returncode == 2 and "missing.txt" in r.stderr and "Traceback" not in r.stderr


CLI_ROWS = [  # (arguments, what stderr must say); each exits with code 2 and no traceback
    (["train", "gan", "--preset", "tiny", "--steps", "0"], "Steps must be a whole number from 1"),
    (["train", "gan", "--preset", "tiny", "--steps", "-5"], "Steps must be a whole number from 1"),
    (["train", "gan", "--preset", "tiny", "--batch-size", "100000"], "Batch size must be a whole number"),
    (["train", "gan", "--preset", "tiny", "--seed", "-1"], "seed must be a whole number from 0"),
    (["train", "gan", "--preset", "tiny", "--set", "lr_g=inf"], "lr_g must be a number"),
    (["train", "gan", "--preset", "tiny", "--set", "lr_g=0"], "learning rate lr_g must be above 0"),
    (["train", "gan", "--preset", "tiny", "--set", "no_such_field=1"], "no_such_field"),
    (["train", "gan", "--preset", "tiny", "--set", "lr_g"], "FIELD=VALUE|="),
    (["train", "vae", "--preset", "tiny", "--set", "beta=-1"], "β must be from 0 to 1,000"),
    (["train", "vae", "--preset", "tiny", "--set", "beta=1e9"], "β must be from 0 to 1,000"),
    (["train", "gan", "--preset", "tiny", "--dataset", "imagenet"], "imagenet"),
    (["train", "gpt", "--preset", "tiny", "--text", "/no/such/file.txt"], "No such file|no such"),
    (["sample", "checkpoints/gan_mlp_mnist.safetensors", "--n", "0"], "--n must be from 1 to 1000"),
    (["sample", "checkpoints/gan_mlp_mnist.safetensors", "--n", "1000000000"], "--n must be from 1 to 1000"),
    (["sample", "checkpoints/gan_mlp_mnist.safetensors", "--seed", "-3"], "--seed must be from 0"),
    (["sample", "checkpoints/gan_cdcgan_mnist.safetensors", "--digit", "11"], "--digit must be from 0 to 9"),
    (["sample", "checkpoints/gan_mlp_mnist.safetensors", "--digit", "3"], "--digit is for a conditional model"),
    (["sample", "checkpoints/gan_mlp_mnist.safetensors", "--out", "/no/such/folder/x.png"], "No such file"),
    (["sample", "README.md"], "no such checkpoint|sidecar"),
]


@pytest.mark.parametrize("args,message", CLI_ROWS, ids=[" ".join(a[:1] + a[2:])[:60] for a, _ in CLI_ROWS])
def test_bad_command_lines_get_a_message_and_exit_code_2(args, message, capsys):
    from genai.__main__ import main

    try:
        code = main(args)
    except SystemExit as e:  # argparse's own refusals
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert re.search(message, err), err


def test_two_runs_named_in_the_same_second_keep_their_own_folders_and_checkpoints(tmp_path, cli, monkeypatch):
    """Without --name or --out a run's folder and checkpoint are named by the second it started;
    the clock is pinned here so that the second run is named in the same second as the first."""
    import time

    from genai import checkpoints

    monkeypatch.setattr(time, "strftime", lambda *a: "20261203-021648")
    monkeypatch.setattr(checkpoints, "RUNS_DIR", tmp_path)
    args = ["train", "gan", "--preset", "tiny", "--dataset", "digits", "--steps", "2", "--batch-size", "8",
            "--eval-every", "1000"]
    for _ in range(2):
        r = cli(*args)
        assert r.returncode == 0, r.stderr
    runs = sorted(p.name for p in tmp_path.iterdir())
    assert runs == ["gan-tiny-20261203-021648", "gan-tiny-20261203-021648-2"]
    assert all((tmp_path / n / "checkpoint.safetensors").exists() for n in runs)
