"""The VAE family: its loss bookkeeping, that it learns, its latent walks, sampling, checkpoints,
and a run through the shared trainer. CPU only, tiny configs."""
import pytest
import torch

from genai import checkpoints, data, models


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def tiny(**overrides):
    torch.manual_seed(0)
    return models.build("vae", preset="tiny", **overrides)


def test_loss_is_recon_plus_beta_kl(digits):
    model = tiny(beta=4.0)
    opts = model.configure_optimizers()
    batch = model.make_batch(digits, 16, torch.Generator().manual_seed(0))
    assert batch.shape == (16, 1, 28, 28)
    for _ in range(20):  # at first q(z|x) ~ N(0, I), KL ~ 0; a few steps make beta matter
        m = model.train_step(batch, opts)
    assert set(m) == {"loss", "recon", "kl"}
    assert m["kl"] > 0.1
    assert m["loss"] == pytest.approx(m["recon"] + 4.0 * m["kl"], abs=1e-3)
    assert abs(m["loss"] - (m["recon"] + m["kl"])) > 0.2  # beta is really applied
    held = model.evaluate(digits)
    assert held["loss"] == pytest.approx(held["recon"] + 4.0 * held["kl"], abs=1e-3)


def test_training_lowers_heldout_loss(digits):
    torch.manual_seed(0)
    model = models.build("vae", preset="cpu-fast")
    model.prepare(digits)
    opts = model.configure_optimizers()
    gen = torch.Generator().manual_seed(0)
    before = model.evaluate(digits)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is as fast, and shares a busy machine
    try:
        for _ in range(300):
            model.train_step(model.make_batch(digits, 64, gen), opts)
    finally:
        torch.set_num_threads(threads)
    after = model.evaluate(digits)
    assert model.evaluate(digits) == after  # fixed noise: evaluation is reproducible
    assert after["loss"] < 0.5 * before["loss"], (before, after)


@pytest.mark.parametrize("mode", ["linear", "slerp"])
def test_interpolation_ends_exactly_at_the_encodings(digits, mode):
    model = tiny()
    mu, _ = model.encode(digits.heldout_float(2)[0])
    path = model.interpolate(mu[0], mu[1], 7, mode=mode)
    assert path.shape == (7, model.config.z_dim)
    assert torch.equal(path[0], mu[0]) and torch.equal(path[-1], mu[1])
    assert model.decode(path).shape == (7, 1, 28, 28)


def test_slerp_keeps_the_norm_of_equal_norm_ends():
    z1, z2 = torch.tensor([3.0, 0.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 3.0, 0.0])
    path = models.family_module("vae").Model.interpolate(z1, z2, 9, mode="slerp")
    norms = path.norm(dim=1)
    assert torch.all(norms >= 3.0 - 1e-5) and torch.all(norms <= 3.0 + 1e-5)
    lin = models.family_module("vae").Model.interpolate(z1, z2, 9, mode="linear")
    assert lin[4].norm() < 2.5  # the straight line cuts towards the origin; the arc does not


def test_slerp_of_parallel_vectors_is_finite():
    z = torch.tensor([1.0, 2.0, 3.0])
    Model = models.family_module("vae").Model
    for other in (z, 2 * z, -z):
        path = Model.interpolate(z, other, 5, mode="slerp")
        assert torch.isfinite(path).all()
        assert torch.equal(path[0], z) and torch.equal(path[-1], other)


def test_sample_is_reproducible_and_in_range():
    model = tiny()
    a = model.sample(6, torch.Generator().manual_seed(3))
    b = model.sample(6, torch.Generator().manual_seed(3))
    assert a.shape == (6, 1, 28, 28)
    assert torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1


def test_preview_shows_originals_then_reconstructions(digits):
    model = tiny()
    before = model.preview()  # before prepare(): samples from fixed noise
    model.prepare(digits)
    after = model.preview()
    assert before.mode == after.mode == "L"
    assert after.size[0] == before.size[0] and after.size[1] < before.size[1]  # 4 rows of 8, not 8


@pytest.mark.parametrize("preset", ["conv-2d", "mlp-2d"])
def test_latent_map_for_a_2d_latent(preset):
    torch.manual_seed(0)
    model = models.build("vae", preset=preset)
    assert model.latent_map(5).shape == (25, 1, 28, 28)


@pytest.mark.parametrize("deep", [False, True])
def test_checkpoint_round_trip(tmp_path, deep):
    model = tiny(deep=deep)
    path = checkpoints.save(tmp_path / "v", model.state_dict(), family="vae", config=models.config_dict(model))
    loaded, meta = models.from_checkpoint(path)
    assert meta["family"] == "vae" and loaded.config == model.config
    z = torch.randn(5, model.config.z_dim, generator=torch.Generator().manual_seed(1))
    assert torch.equal(loaded.decode(z), model.decode(z)) and loaded.decode(z).shape == (5, 1, 28, 28)
    assert len(model.decoder.net) == (10 if deep else 6)  # the deep decoder has its extra layers


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="architecture"):
        models.build("vae", arch="transformer")


def test_trains_through_the_shared_trainer(tmp_path):
    from genai.trainer import TrainSpec, train

    events = []
    ckpt = train(TrainSpec(family="vae", preset="tiny", dataset="digits", steps=4, eval_every=2,
                           sample_every=2, out=str(tmp_path / "ck")), events.append)
    kinds = {e.kind for e in events}
    assert {"metrics", "samples", "checkpoint", "done"} <= kinds, [(e.kind, e.data) for e in events]
    assert "error" not in kinds, [e.data for e in events if e.kind == "error"]
    held = [e.data for e in events if e.kind == "metrics" and "heldout_loss" in e.data]
    assert held and {"heldout_loss", "heldout_recon", "heldout_kl"} <= set(held[-1])
    loaded, meta = models.from_checkpoint(ckpt, "vae")
    assert meta["step"] == 4 and loaded.config.z_dim == 4


def test_shift_augmentation_moves_each_image_within_its_range():
    from genai.models.vae import random_shift

    x = torch.zeros(64, 1, 28, 28)
    x[:, 0, 10:14, 12:15] = torch.rand(64, 4, 3) + 0.1  # a blob well inside the frame
    moved = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert moved.shape == x.shape and torch.allclose(moved.sum((1, 2, 3)), x.sum((1, 2, 3)))  # nothing lost
    offsets = set()
    for a, b in zip(x, moved):
        (y0, x0), (y1, x1) = a[0].nonzero()[0].tolist(), b[0].nonzero()[0].tolist()
        assert abs(y1 - y0) <= 2 and abs(x1 - x0) <= 2
        assert torch.equal(b[0, y1:y1 + 4, x1:x1 + 3], a[0, 10:14, 12:15])  # moved, not changed
        offsets.add((y1 - y0, x1 - x0))
    assert len(offsets) > 10  # each image its own offset
    model = models.build("vae", preset="tiny", shift=0)
    ds = data.load_digits()
    a = model.make_batch(ds, 8, torch.Generator().manual_seed(1))
    b, _ = ds.batch(8, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)  # shift 0: the batch as it was


def test_the_learning_rate_decays_by_adams_own_step_count(digits):
    # the count lives in the optimizer's state, which a checkpoint keeps: a resumed run goes on
    # down the same curve instead of starting it again
    model = models.build("vae", preset="tiny", arch="mlp", width=16, lr=1e-2, decay_steps=4, min_lr=1e-3)
    assert [round(model.lr_at(s), 6) for s in (0, 2, 4, 9)] == [0.01, 0.0055, 0.001, 0.001]
    opts = model.configure_optimizers()
    gen = torch.Generator().manual_seed(0)
    lrs = []
    for _ in range(6):
        model.train_step(model.make_batch(digits, 8, gen), opts)
        lrs.append(opts["opt"].param_groups[0]["lr"])
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(1e-3) and lrs == sorted(lrs, reverse=True)
    resumed = models.build("vae", preset="tiny", arch="mlp", width=16, lr=1e-2, decay_steps=4, min_lr=1e-3)
    opts2 = resumed.configure_optimizers()
    opts2["opt"].load_state_dict(opts["opt"].state_dict())
    resumed.load_state_dict(model.state_dict(), strict=True)
    resumed.train_step(resumed.make_batch(digits, 8, gen), opts2)
    assert opts2["opt"].param_groups[0]["lr"] == pytest.approx(1e-3)  # not back at 1e-2
