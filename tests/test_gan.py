import math

import pytest
import torch

from genai import metrics, models
from genai.models import gan


@pytest.mark.parametrize("arch", gan.ARCHS)
@pytest.mark.parametrize("loss", gan.LOSSES)
@pytest.mark.parametrize("conditional", [False, True])
def test_every_model_and_loss_trains(digits, arch, loss, conditional):
    torch.manual_seed(0)
    model = models.build("gan", preset="tiny", arch=arch, loss=loss, conditional=conditional)
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    before = [p.clone() for p in model.G.parameters()]
    for _ in range(2):
        m = model.train_step(model.make_batch(digits, 8, g), opts)
    assert set(m) == {"loss_d", "loss_g", "D(x)", "D(G(z))"}
    assert all(math.isfinite(v) for v in m.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.G.parameters()))  # G did learn
    x = model.sample(5, generator=torch.Generator().manual_seed(1))
    assert x.shape == (5, 1, 28, 28) and x.min() >= 0 and x.max() <= 1


@pytest.mark.parametrize("preset,kw", [("lesson", {}), ("cpu-fast", {}), ("tiny", dict(loss="wgan-gp")),
                                       ("tiny", dict(arch="mlp", conditional=True, loss="hinge"))])
def test_a_discriminator_without_batch_norm_takes_real_and_fake_in_one_pass_to_the_same_step(digits, preset, kw):
    """D's half of a step looks at real and fake digits in one pass where D has no batch norm and
    no spectral norm (the MLP's, WGAN-GP's DCGAN critic): the same losses and weights as two."""
    runs = []
    for one_pass in (True, False):
        torch.manual_seed(0)
        model = models.build("gan", preset=preset, **kw)
        assert model.D.one_pass
        model.D.one_pass = one_pass  # two passes: as a D with batch norm takes them
        # plain SGD: Adam's first steps are lr * sign(grad), which turns float noise in a gradient
        # near zero into a whole step
        opts = {k: torch.optim.SGD(getattr(model, k).parameters(), lr=0.01) for k in ("G", "D")}
        g = torch.Generator().manual_seed(0)
        calls = []
        model.D.register_forward_hook(lambda *a: calls.append(1))
        rows = [model.train_step(model.make_batch(digits, 16, g), opts) for _ in range(3)]
        runs.append((rows, [p.detach().clone() for p in model.parameters()], len(calls)))
    (rows_a, w_a, calls_a), (rows_b, w_b, calls_b) = runs
    assert calls_a == calls_b - 3  # one pass of D fewer a step
    for a, b in zip(rows_a, rows_b):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    assert all(torch.allclose(x, y, atol=1e-5) for x, y in zip(w_a, w_b))


@pytest.mark.parametrize("kw", [dict(), dict(loss="wgan-gp"), dict(r1=1.0, conditional=True)])
def test_gs_half_of_a_step_gives_d_no_gradient_and_g_the_one_it_had(digits, kw):
    """G's half back-propagates through D to G only: D's weights, which its next half zeroes,
    take no gradient (a post-accumulate hook fires once a step, in D's half), and G's update is the
    one it was when D's weights took one too (the same weights, bit for bit, after 3 steps)."""
    runs = []
    for frozen in (True, False):
        torch.manual_seed(0)
        model = models.build("gan", preset="tiny", **kw)
        if not frozen:  # the step as it was: D's weights cannot be switched off in G's half
            model.D.requires_grad_ = lambda flag=True: model.D
        opts = model.configure_optimizers()
        fired = []
        next(model.D.parameters()).register_post_accumulate_grad_hook(lambda p: fired.append(1))
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            model.train_step(model.make_batch(digits, 8, g), opts)
        assert all(p.requires_grad for p in model.D.parameters())
        runs.append(([p.detach().clone() for p in model.parameters()], len(fired)))
    (w_now, fired_now), (w_was, fired_was) = runs
    assert fired_now == 3 and fired_was == 6
    assert all(torch.equal(a, b) for a, b in zip(w_now, w_was))


def test_a_discriminator_with_batch_or_spectral_norm_takes_real_and_fake_apart():
    for kw in (dict(), dict(spectral_norm=True), dict(arch="mlp", spectral_norm=True)):
        assert not models.build("gan", preset="tiny", **kw).D.one_pass, kw


def test_conditional_label_changes_output():
    model = models.build("gan", preset="tiny", conditional=True)
    z = torch.randn(4, model.config.z_dim)
    a, b = model.generate_from(z, labels=3), model.generate_from(z, labels=7)
    assert not torch.allclose(a, b)
    assert torch.equal(a, model.generate_from(z, labels=3))
    with pytest.raises(ValueError, match="0..9"):
        model.sample(2, labels=10)


def test_the_mlp_discriminator_learns_the_label_at_the_pace_of_label_planes(digits):
    """The same digits are real with label 0 and fake with label 1, so only the label tells them
    apart. The MLP's D reads the label as a bias scaled by 784 (what 784-pixel planes of 1s are
    under Adam): 20 steps must open a clear gap (2.9 measured; 0.003 for the bias unscaled)."""
    torch.manual_seed(0)
    model = models.build("gan", preset="tiny", arch="mlp", conditional=True)
    opt = model.configure_optimizers()["D"]
    x, _ = model.make_batch(digits, 32, torch.Generator().manual_seed(0))
    zeros, ones = torch.zeros(32, dtype=torch.long), torch.ones(32, dtype=torch.long)
    for _ in range(20):
        opt.zero_grad()
        gan.d_loss("bce", model.D(x, zeros), model.D(x, ones)).backward()
        opt.step()
    with torch.no_grad():
        gap = model.D(x, zeros) - model.D(x, ones)
    assert gap.min() > 1


def test_a_conditional_mlp_gan_saved_with_label_planes_converts_exactly_and_resumes(digits, tmp_path):
    """Before the label bias, the MLP's D read its label as 784-pixel planes of 1s: such a
    checkpoint (each plane's weight column e_k) gives the same logits, and resumes with D's Adam
    state, which no longer fits, started afresh."""
    from genai import checkpoints
    from genai.trainer import TrainSpec, train

    torch.manual_seed(0)
    model = models.build("gan", preset="tiny", arch="mlp", conditional=True)
    torch.nn.init.normal_(model.D.label_bias.weight, std=0.01)
    sd = model.state_dict()
    e = sd.pop("D.label_bias.weight")  # (labels, 2w)
    sd["D.features.1.weight"] = torch.cat([sd["D.features.1.weight"], e.t().repeat_interleave(784, 1)], 1)
    old_params = [torch.zeros(sd["D." + n].shape, requires_grad=True)
                  for n, _ in model.D.named_parameters() if n != "label_bias.weight"]
    old_adam = torch.optim.Adam(old_params)
    sum(p.sum() for p in old_params).backward()
    old_adam.step()
    opts = {"G": model.configure_optimizers()["G"], "D": old_adam}
    path = checkpoints.save(tmp_path / "old", sd, family="gan", config=models.config_dict(model),
                            optimizers=opts)
    again, _ = models.from_checkpoint(path)
    x, y = model.make_batch(digits, 16, torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(again.D(x, y), model.D(x, y), atol=1e-4)
    events = []
    spec = TrainSpec(family="gan", dataset="digits", steps=2, batch_size=8, init_from=str(path),
                     out=str(tmp_path / "resumed"))
    train(spec, events.append, data=digits)
    assert any(ev.kind == "log" and "optimizer state for D" in ev.data for ev in events)
    assert not any("optimizer state for G" in str(ev.data) for ev in events)
    assert events[-1].kind == "done" and events[-1].step == 2


def test_losses_match_their_equations():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    # BCE: -log sigmoid(real) - log(1 - sigmoid(fake))
    want = -(torch.sigmoid(real).log().mean() + (1 - torch.sigmoid(fake)).log().mean())
    assert torch.allclose(gan.d_loss("bce", real, fake), want)
    assert torch.allclose(gan.g_loss("bce", fake), -torch.sigmoid(fake).log().mean())
    assert gan.d_loss("hinge", real, fake).item() == pytest.approx(((0 + 2) / 2) + ((1.5 + 0) / 2))
    assert gan.d_loss("wgan-gp", real, fake).item() == pytest.approx(fake.mean() - real.mean())


def test_translation_moves_each_image_by_at_most_four_pixels_and_fills_with_background():
    x = torch.full((64, 1, 28, 28), -1.0)
    x[:, :, 10, 12] = 1.0  # one lit pixel
    torch.manual_seed(0)
    out = gan.translation(x)
    assert out.shape == x.shape and set(out.unique().tolist()) == {-1.0, 1.0}
    where = (out[:, 0] == 1).nonzero()[:, 1:]  # (row, col) of the lit pixel in each image
    assert len(where) == 64  # still exactly one lit pixel in each: moved, not copied or lost
    shift = where - torch.tensor([10, 12])
    assert shift.abs().max() <= 4 and len({tuple(s) for s in shift.tolist()}) > 10


def test_cutout_blanks_one_square_of_at_most_14_pixels_a_side():
    torch.manual_seed(0)
    out = gan.cutout(torch.ones(32, 1, 28, 28))
    for img in out[:, 0]:
        rows, cols = (img == -1).nonzero().unbind(1)
        assert 7 <= rows.max() - rows.min() + 1 <= 14 and 7 <= cols.max() - cols.min() + 1 <= 14
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)  # a filled rectangle


def test_diff_augment_lets_the_gradient_through_to_g_and_refuses_unknown_policies():
    fake = torch.randn(8, 1, 28, 28, requires_grad=True)
    gan.diff_augment(fake, "translation,cutout").sum().backward()
    assert fake.grad.abs().sum() > 0  # G learns through the augmentation (Zhao et al. 2020)
    with pytest.raises(ValueError, match="flip"):
        models.build("gan", preset="tiny", diffaug="translation,flip")


def test_r1_penalty_flattens_d_on_real_digits(digits):
    """R1 (Mescheder et al. 2018) penalises ||grad_x D(x)||^2 on real images: after the same steps
    from the same seed, D's slope at real digits is smaller with it than without."""
    def slope(r1):
        torch.manual_seed(0)
        model = models.build("gan", preset="tiny", r1=r1, diffaug="translation")
        opts = model.configure_optimizers()
        g = torch.Generator().manual_seed(0)
        for _ in range(30):
            model.train_step(model.make_batch(digits, 16, g), opts)
        real = model.make_batch(digits, 64, torch.Generator().manual_seed(1))[0].requires_grad_(True)
        model.D.eval()
        grad, = torch.autograd.grad(model.D(real).sum(), real)
        return grad.flatten(1).norm(dim=1).mean().item()

    assert slope(10.0) < 0.8 * slope(0.0)  # about 0.65 of it over seeds 0-2


def test_top_k_training_lets_g_learn_from_the_fakes_d_finds_most_real(digits):
    torch.manual_seed(0)
    model = models.build("gan", preset="tiny", arch="mlp", topk=0.25)  # the MLP's D has no batch norm:
    assert model.topk_share() == 1.0  # each fake's gradient is its own; the whole batch at first
    model.steps_done.fill_(100_000)
    assert model.topk_share() == 0.25
    grads, forward = [], model.G.forward

    def watched(*args):
        out = forward(*args)
        out.register_hook(lambda g: grads.append(g.flatten(1).abs().sum(1)))  # (B,)
        return out

    model.G.forward = watched
    model.train_step(model.make_batch(digits, 16, torch.Generator().manual_seed(0)), model.configure_optimizers())
    (g,) = grads  # only G's half reaches the fakes (D's half detaches them)
    assert int((g > 0).sum()) == 4  # a quarter of 16
    with pytest.raises(ValueError, match="topk"):
        models.build("gan", preset="tiny", topk=0.0)


def test_self_conditioning_finds_the_clusters_and_draws_them_by_their_share(digits, tmp_path):
    """Liu et al. 2020: k-means on the training images gives G and D labels no one provided; two
    kinds of image (blank, and a bright bar) must fall into two clusters, 30% and 70% of them."""
    from genai import checkpoints
    from genai.data import ImageData

    x = torch.zeros(100, 1, 28, 28, dtype=torch.uint8)
    bar = torch.arange(100) >= 30
    x[bar, :, 10:18, 4:24] = 255
    data = ImageData("bars", x, torch.full((100,), -1), x[:10], torch.full((10,), -1))
    model = models.build("gan", preset="tiny", arch="mlp", clusters=2)
    model.prepare(data)
    assert sorted(model.cluster_share.tolist()) == pytest.approx([0.3, 0.7])
    real, y = model.make_batch(data, 64, torch.Generator().manual_seed(0))
    is_bar = real.flatten(1).max(1).values > 0
    assert len(set(zip(is_bar.tolist(), y.tolist()))) == 2  # one cluster per kind, no mixing
    drawn = model.labels_for(4000, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(drawn, minlength=2).float().div(4000).tolist() == pytest.approx(
        model.cluster_share.tolist(), abs=0.03)
    model.train_step((real, y), model.configure_optimizers())
    # the clusters travel with the weights, and a resumed run keeps them instead of fitting anew
    path = checkpoints.save(tmp_path / "g", model.state_dict(), family="gan", config=models.config_dict(model))
    again, _ = models.from_checkpoint(path)
    again.prepare(digits)
    assert torch.equal(again.centroids, model.centroids)
    z = torch.randn(6, model.config.z_dim)
    assert torch.equal(model.generate_from(z, labels=1), again.generate_from(z, labels=1))
    for bad in (dict(clusters=1), dict(clusters=5, conditional=True)):
        with pytest.raises(ValueError, match="clusters"):
            models.build("gan", preset="tiny", **bad)


def test_fid_is_zero_for_identical_sets_and_grows_with_shift():
    f = torch.randn(500, 16, dtype=torch.float64)
    assert metrics.frechet_distance(f, f) == pytest.approx(0, abs=1e-6)
    assert metrics.frechet_distance(f, f + 1) == pytest.approx(16, rel=1e-6)  # ||mu shift||^2
    counts, entropy, _ = metrics.class_histogram(torch.eye(10).repeat(5, 1) * 20)
    assert counts.tolist() == [5] * 10 and entropy == pytest.approx(1.0)
    _, collapsed, confident = metrics.class_histogram(torch.eye(10)[[3] * 50] * 20)
    assert collapsed == 0 and confident == 1


def test_inception_score_is_the_number_of_clear_and_equally_drawn_classes():
    # exp(E KL(p(y|x) || p(y))): ten confident, equally drawn classes give 10; one class, or
    # images the classifier cannot tell apart, give 1; two clear classes give 2
    sure = torch.eye(10) * 50
    assert metrics.inception_score(sure.repeat(5, 1)) == pytest.approx(10, rel=1e-6)
    assert metrics.inception_score(sure[[3] * 50]) == pytest.approx(1, rel=1e-6)
    assert metrics.inception_score(torch.zeros(50, 10)) == pytest.approx(1, rel=1e-6)
    assert metrics.inception_score(sure[[1, 7] * 25]) == pytest.approx(2, rel=1e-6)
    # checked against the definition written out, for random logits
    logits = torch.randn(64, 10, generator=torch.Generator().manual_seed(0)).double()
    p = logits.softmax(1)
    py = p.mean(0)
    want = math.exp(sum(float((p[i] * (p[i] / py).log()).sum()) for i in range(64)) / 64)
    assert metrics.inception_score(logits) == pytest.approx(want, rel=1e-9)


@pytest.mark.skipif(not metrics.CLASSIFIER.exists(), reason="needs the shipped classifier")
def test_short_training_on_digits_lowers_fid(digits):
    torch.manual_seed(0)
    model = models.build("gan", preset="dcgan-small")
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    before = model.evaluate(digits, n=500)["fid"]
    for _ in range(150):
        model.train_step(model.make_batch(digits, 32, g), opts)
    after = model.evaluate(digits, n=500)
    assert after["fid"] < 0.5 * before, (before, after["fid"])
    assert 0 <= after["class_entropy"] <= 1 and sum(after[f"class_{i}"] for i in range(10)) == pytest.approx(1)


@pytest.mark.skipif(not metrics.CLASSIFIER.exists(), reason="needs the shipped classifier")
def test_truncation_scales_z_and_makes_the_shipped_conditional_gan_surer():
    """sample() draws z * psi (Brock et al. 2019); on the shipped conditional GAN (psi 0.7 in its
    card) that draws the asked-for digit more often than full z (measured: 99.7% against 97.3%)."""
    from genai import checkpoints

    model, meta = models.from_checkpoint(checkpoints.SHIPPED_DIR / "gan_cdcgan_mnist.safetensors")
    assert meta["config"]["truncation"] == 0.7
    z = torch.randn(300, model.config.z_dim, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(300) % 10
    assert torch.equal(model.sample(300, torch.Generator().manual_seed(0), labels),
                       model.generate_from(z * 0.7, labels))
    clf = metrics.load_classifier()

    def wrong(x):
        return int((clf.embed(x)[0].argmax(1) != labels).sum())

    assert wrong(model.generate_from(z * 0.7, labels)) < wrong(model.generate_from(z, labels))
    with pytest.raises(ValueError, match="truncation"):
        models.build("gan", preset="tiny", truncation=0.0)


@pytest.mark.parametrize("name", ["gan_dcgan_mnist", "gan_mlp_mnist"])
def test_the_shipped_unconditional_gans_draw_clear_digits_of_every_kind(name):
    """Issue 10's goals for the self-conditioned GANs as shipped, loaded as the tab loads them:
    confident share >= 0.90 and class entropy >= 0.99 (2,000 samples: 0.951 / 0.942 and 0.997;
    500 here, seed 0: 0.936 / 0.940 and 0.994 / 0.993)."""
    from genai import checkpoints

    model, meta = models.from_checkpoint(checkpoints.SHIPPED_DIR / f"{name}.safetensors")
    assert meta["config"]["clusters"] >= 50 and meta["config"]["truncation"] < 1
    logits, _ = metrics.load_classifier().embed(model.sample(500, torch.Generator().manual_seed(0)))
    _, entropy, confident = metrics.class_histogram(logits)
    assert confident >= 0.9 and entropy >= 0.99


def test_spectral_norm_and_ema_round_trip(digits, tmp_path):
    from genai import checkpoints

    model = models.build("gan", preset="tiny", loss="hinge", spectral_norm=True, conditional=True)
    opts = model.configure_optimizers()
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        model.train_step(model.make_batch(digits, 8, g), opts)
    assert model.steps_done.item() == 3
    # the EMA generator moved, but not as far as G
    assert not torch.equal(model.G_ema.net[0].weight, model.G.net[0].weight)
    path = checkpoints.save(tmp_path / "g", model.state_dict(), family="gan", config=models.config_dict(model))
    again, _ = models.from_checkpoint(path)
    z = torch.randn(6, model.config.z_dim)
    assert torch.equal(model.generate_from(z, labels=2), again.generate_from(z, labels=2))


def test_the_tab_opens_with_the_unconditional_gan_closest_to_real_digits_and_says_how_close():
    from genai import checkpoints
    from genai.ui import gan_tab

    found = gan_tab.shipped()
    metas = [checkpoints.read_meta(c.path) for c in found]
    unconditional = [m["metrics"]["fid"] for m in metas if not m["config"].get("conditional")]
    first = metas[0]
    assert not first["config"].get("conditional") and first["metrics"]["fid"] == min(unconditional)
    # how close, measured as real digits are (checkpoints/image_models.json): never "better than real"
    mine, real = metrics.measured_alike(first)
    assert mine["checkpoint"] == "gan_dcgan_mnist" and mine["fid"] > real["fid"]
    assert (f"against 1,000 held-out digits: FID {mine['fid']}, {mine['fid_floor']:.2f} times real digits' own "
            f"({real['fid']})") in gan_tab.describe_checkpoint(first)
    assert f"是真实数字自身（{real['fid']}）的 {mine['fid_floor']:.2f} 倍" in gan_tab.describe_checkpoint(first, "zh-CN")
    # a file the bench did not measure (a student's run) gets no such comparison
    assert "held-out digits" not in gan_tab.describe_checkpoint({**first, "save_id": "another"})
    # the model card's time, in the page's language (the shipped DCGAN trained 3,237 s in two runs)
    assert first["train_seconds"] == 3237.2
    assert "trained 7500 steps on mnist (54 min)" in gan_tab.describe_checkpoint(first)
    assert "在 mnist 上训练了 7500 步（54 分钟）" in gan_tab.describe_checkpoint(first, "zh-CN")


def test_a_sample_grid_goes_to_the_page_as_a_quick_png_of_the_same_pixels():
    """images.grid_image asks for zlib level 1 (the server's CPU, BENCHMARKS.md issue 31): Gradio's
    own encoder then writes the same pixels, quicker and a little larger than at its level 6."""
    import io

    import numpy as np
    from gradio.processing_utils import encode_pil_to_bytes
    from PIL import Image

    from genai.images import grid_image

    x = gan.Model(gan.Config(**gan.PRESETS["tiny"])).sample(64, torch.Generator().manual_seed(0))
    img = grid_image(x, nrow=8, scale=3)
    quick = encode_pil_to_bytes(img, "png")
    img.encoderinfo = {}
    default = encode_pil_to_bytes(img, "png")
    assert len(quick) > len(default)  # level 1 compresses less than Pillow's default
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(quick))), np.asarray(img))
