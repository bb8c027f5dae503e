"""Repair, upscaling and synthetic data (genai/strategies.py, genai/synthetic.py; issue 28): the known
pixels come back unchanged, a trained model's fill is closer to the truth than the blank, ILVR keeps
the low-resolution image, the CAS learns from generated digits, and the CLI refuses bad input."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from genai import models, strategies as S, synthetic

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"


def shipped(name):
    return models.from_checkpoint(SHIPPED / f"{name}.safetensors")[0]


@pytest.fixture(scope="module")
def held():
    """16 held-out sklearn digits (no files needed) in [0, 1]."""
    from genai import data

    return data.load_digits().heldout_float(16)[0]


@pytest.mark.parametrize("family,preset", [("diffusion", "tiny"), ("gan", "tiny"), ("gan", "mlp"), ("vae", "tiny")])
def test_known_pixels_come_back_unchanged(held, family, preset):
    torch.manual_seed(0)
    model = models.build(family, preset=preset)
    kw = {"steps": 4, "jump": 2} if family == "diffusion" else {"steps": 3}
    held = held[:4]
    for mask in S.MASKS:
        m = S.make_mask(mask, len(held), torch.Generator().manual_seed(0))
        out = S.repair(model, held, m, torch.Generator().manual_seed(1), **kw)
        assert out.shape == held.shape and 0 <= out.min() and out.max() <= 1
        assert torch.equal(out[m.bool()], held[m.bool()]), mask
        assert not torch.equal(out, held * m)  # the gap was filled with something


@pytest.mark.parametrize("name", ["vae_conv-16d_mnist", "gan_mlp_mnist", "diffusion_mnist"])
def test_a_trained_models_fill_is_closer_than_the_blank(shared_data, name):
    from genai import data

    held = data.load_images("mnist").heldout_float(32)[0]  # the shipped models' own kind of digit
    m = S.make_mask("bottom", len(held))
    out = S.repair(shipped(name), held, m, torch.Generator().manual_seed(0))
    gap = 1 - m

    def err(x):
        return float(((x - held) ** 2 * gap).sum() / gap.sum())

    assert err(out) < 0.8 * err(held * m), (err(out), err(held * m))


def test_the_nearest_fill_finds_a_training_digit_on_its_known_pixels():
    train = torch.rand(50, 1, 28, 28)
    x = train[7:8].clone()
    m = S.make_mask("left", 1)
    x[..., :, :14] = 0  # the unknown half differs; the known half is digit 7's
    assert torch.equal(S.nearest_fill(train, x, m), train[7:8])


def test_one_seed_one_fill_and_seeds_differ(held):
    model = models.build("diffusion", preset="tiny")
    m = S.make_mask("centre", 4)
    a, b, c = (S.repair(model, held[:4], m, torch.Generator().manual_seed(s), steps=4, jump=2) for s in (0, 0, 1))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_ilvr_keeps_the_low_resolution_image(held):
    model = shipped("diffusion_mnist")
    for size in S.LOW_SIZES:
        low = S.downscale(held[:8], size)
        up = S.upscale(model, low[:, 0], torch.Generator().manual_seed(0), steps=10)
        assert up.shape == (8, 1, 28, 28)
        # its block means are the input's (up to the last step's noise and the clipping)
        assert (S.downscale(up, size) - low).abs().mean() < 0.05, size


def test_masks_and_images_are_checked():
    x = torch.rand(3, 28, 28)
    with pytest.raises(ValueError, match="all 0"):
        S.check_mask(np.zeros((28, 28)), 3)
    with pytest.raises(ValueError, match="all 1"):
        S.check_mask(np.ones((3, 28, 28)), 3)
    with pytest.raises(ValueError, match="only 0"):
        S.check_mask(np.full((28, 28), 0.5), 3)
    with pytest.raises(ValueError, match=r"one per image"):
        S.check_mask(np.ones((2, 28, 28)), 3)
    with pytest.raises(ValueError, match="from 0 to 1"):
        S.check_images(x * 2)
    with pytest.raises(ValueError, match="from 0 to 1"):
        S.check_images(torch.full((1, 28, 28), float("nan")))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        S.check_images(torch.rand(2, 32, 32))
    with pytest.raises(ValueError, match="Unknown mask"):
        S.make_mask("top")
    with pytest.raises(ValueError, match="gpt checkpoint"):
        S.repair(models.build("gpt", preset="tiny"), x, S.make_mask("left"))
    with pytest.raises(ValueError, match=r"\(N, 7, 7\)"):
        S.upscale(models.build("diffusion", preset="tiny"), torch.rand(2, 9, 9))
    with pytest.raises(ValueError, match="class-conditional"):
        synthetic.generate(models.build("gan", preset="tiny"), 2)


def test_generated_digits_teach_a_classifier(shared_data):
    """The CAS on the shipped conditional GAN, small: well above chance (10%) from its digits alone."""
    from genai import data

    mnist = data.load_images("mnist")
    r = synthetic.cas(shipped("gan_cdcgan_mnist"), mnist, per_class=10, steps=100)
    assert r["generated"] > 0.6 and r["real"] > 0.6, r
    assert set(r) >= {"generated", "few_real", "few_real_plus_generated", "real"}


def cli(capsys, *args):
    """python -m genai ARGS, in this process (a subprocess would import torch again for each call):
    (exit code, what it wrote to stderr)."""
    from genai.__main__ import main

    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_cli_repairs_upscales_and_refuses(tmp_path, held, capsys):
    x = held[:, 0].numpy()
    np.save(tmp_path / "in.npy", x)
    mask = np.ones((28, 28), np.float32)
    mask[14:] = 0
    np.save(tmp_path / "mask.npy", mask)
    code, err = cli(capsys, "repair", SHIPPED / "gan_mlp_mnist.safetensors", "--images", tmp_path / "in.npy",
                    "--mask", tmp_path / "mask.npy", "--out", tmp_path / "out.npy")
    assert code == 0, err
    out = np.load(tmp_path / "out.npy")
    assert out.shape == x.shape and np.array_equal(out[:, :14], x[:, :14])
    np.save(tmp_path / "low.npy", S.downscale(held, 14)[:, 0].numpy())
    code, err = cli(capsys, "upscale", SHIPPED / "diffusion_mnist.safetensors", "--images", tmp_path / "low.npy",
                    "--out", tmp_path / "up.npy")
    assert code == 0, err
    assert np.load(tmp_path / "up.npy").shape == (16, 28, 28)

    np.save(tmp_path / "zeros.npy", np.zeros((28, 28), np.float32))
    np.save(tmp_path / "bright.npy", x * 3)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    repair = ["repair", SHIPPED / "vae_conv-16d_mnist.safetensors", "--out", tmp_path / "o.npy"]
    refusals = [
        (repair + ["--images", tmp_path / "in.npy", "--mask", tmp_path / "zeros.npy"], "all 0"),
        (repair + ["--images", tmp_path / "bright.npy", "--mask", tmp_path / "mask.npy"], "from 0 to 1"),
        (repair + ["--images", tmp_path / "obj.npy", "--mask", tmp_path / "mask.npy"], "not a numeric"),
        (repair + ["--images", tmp_path / "low.npy", "--mask", tmp_path / "mask.npy"], r"\(N, 28, 28\)"),
        (["repair", SHIPPED / "gpt_char_shakespeare.safetensors", "--images", tmp_path / "in.npy", "--mask",
          tmp_path / "mask.npy", "--out", tmp_path / "o.npy"], "gpt checkpoint"),
        (["upscale", SHIPPED / "vae_conv-16d_mnist.safetensors", "--images", tmp_path / "low.npy", "--out",
          tmp_path / "o.npy"], "vae checkpoint"),
        (["upscale", SHIPPED / "diffusion_mnist.safetensors", "--images", tmp_path / "in.npy", "--out",
          tmp_path / "o.npy"], r"\(N, 7, 7\)"),
        (["cas", SHIPPED / "gan_dcgan_mnist.safetensors", "--json", tmp_path / "c.json"], "class-conditional"),
    ]
    for args, expected in refusals:
        code, err = cli(capsys, *args)
        assert code == 2 and re.search(expected, err), (args, err)
    assert not (tmp_path / "o.npy").exists() and not (tmp_path / "c.json").exists()


def test_cli_cas_writes_its_scores(tmp_path, shared_data, capsys):
    code, err = cli(capsys, "cas", SHIPPED / "gan_cdcgan_mnist.safetensors", "--json", tmp_path / "c.json",
                    "--per-class", "5", "--steps", "20")
    assert code == 0, err
    report = json.loads((tmp_path / "c.json").read_text())
    assert 0 < report["generated"] <= 1 and report["fid"] > 0 and report["per_class"] == 5
