"""One check of a run's settings for every way in (the page, the API, the CLI), and the trainer
stopping a run whose loss explodes (issue 16's first gaps)."""
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genai import checkpoints
from genai.jobs import JobRunner
from genai.models import gan
from genai.trainer import TrainSpec, check_spec, train

ROOT = Path(__file__).resolve().parent.parent


def spec(**kw):
    base = dict(family="gan", preset="tiny", dataset="digits", steps=10, batch_size=8)
    overrides = kw.pop("overrides", {})
    return TrainSpec(**{**base, **kw}, overrides=overrides)


@pytest.mark.parametrize("bad, message", [
    (dict(overrides={"lr_g": math.nan}), "lr_g must be a number, not nan"),
    (dict(overrides={"lr_d": math.inf}), "lr_d must be a number, not inf"),
    (dict(overrides={"lr_g": 0.0}), "must be above 0"),
    (dict(overrides={"lr_d": -1e-3}), "must be above 0"),
    (dict(overrides={"lr_g": 1e9}), "at most 1"),
    (dict(steps=0), "Steps must be a whole number from 1"),
    (dict(steps=10**9), "Steps must be a whole number from 1"),
    (dict(batch_size=-8), "Batch size must be"),
    (dict(seed=2**64), "seed must be a whole number from 0"),
    (dict(seed=-1), "seed must be a whole number from 0"),
    (dict(overrides={"nonsense": 1}), "has no setting"),
])
def test_bad_settings_are_refused_with_a_message(bad, message):
    with pytest.raises(ValueError, match=message):
        check_spec(spec(**bad))


def test_good_settings_pass_for_every_family():
    for family, preset in (("gan", "lesson"), ("vae", "lesson"), ("gpt", "lesson")):
        check_spec(TrainSpec(family=family, preset=preset, steps=100, batch_size=16, seed=2**63 - 1))


def test_the_runner_refuses_bad_settings_before_queueing():
    runner = JobRunner(max_active=1)
    t0 = time.time()
    with pytest.raises(ValueError, match="lr_g must be a number"):
        runner.start(spec(overrides={"lr_g": math.nan}), owner="a")
    assert time.time() - t0 < 1 and runner.jobs() == []


def test_an_exploding_loss_stops_the_run_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    real_step = gan.Model.train_step
    calls = {"n": 0}

    def exploding(self, batch, opts):  # finite, but 6e19: what a learning rate of 1e9 did
        calls["n"] += 1
        out = real_step(self, batch, opts)
        return {**out, "loss_d": 6e19} if calls["n"] >= 5 else out

    monkeypatch.setattr(gan.Model, "train_step", exploding)
    events = []
    train(spec(steps=20, ckpt_every=2, eval_every=1000, out=str(tmp_path / "ck")), events.append)
    err = [e for e in events if e.kind == "error"]
    assert len(err) == 1 and "diverged at step 5" in err[0].data and "loss_d=6e+19" in err[0].data
    assert "lower learning rate" in err[0].data and "done" not in [e.kind for e in events]
    assert checkpoints.read_meta(tmp_path / "ck")["step"] == 4  # the last good one, kept


def test_the_cli_refuses_bad_settings_with_exit_code_2():
    r = subprocess.run([sys.executable, "-m", "genai", "train", "gan", "--preset", "tiny", "--steps", "3",
                        "--set", "lr_g=nan"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ})
    assert r.returncode == 2 and "lr_g must be a number" in r.stderr, r.stderr


def test_a_gan_on_two_uploaded_images_trains_and_says_why_there_is_no_fid(tmp_path):
    from PIL import Image

    from genai import data

    paths = []
    for i, mode in enumerate(("RGBA", "L")):  # an RGBA PNG and a grey one, as in the report
        p = tmp_path / f"{i}.png"
        Image.new(mode, (40, 40), (255, 255, 255, 128) if mode == "RGBA" else 200).save(p)
        paths.append(p)
    ds = data.load_user_images(paths, "your images")
    events = []
    train(spec(dataset="your images", steps=20, eval_every=10, out=str(tmp_path / "ck")), events.append, data=ds)
    assert events[-1].kind == "done" and events[-1].data["status"] == "done"
    logs = [e.data for e in events if e.kind == "log"]
    assert any("FID needs at least 200 held-out images" in m for m in logs), logs


def test_a_family_own_rule_is_part_of_the_same_check():
    for beta in (-1.0, math.nan):  # the VAE's β, refused by its config wherever a run comes from
        with pytest.raises(ValueError, match="β must be from 0 to 1,000"):
            check_spec(TrainSpec(family="vae", preset="lesson", overrides={"beta": beta}))
