"""The VAE tab: a drawing becomes an MNIST-style digit, and the tab's endpoints through gradio_client
(interpolate drawn digits, the latent map, decoding a point, training live). CPU, tiny models."""
import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageSequence

from genai import checkpoints, models, sketch

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402


# ---------------------------------------------------------------- drawings (no UI)
def drawing(shape: str = "ellipse", box=(90, 50, 190, 230), width: int = 24, mode: str = "L") -> np.ndarray:
    """A 280x280 sketchpad composite: dark ink on a white page, as the browser sends it."""
    im = Image.new(mode, (280, 280), "white")
    d = ImageDraw.Draw(im)
    if shape == "ellipse":
        d.ellipse(box, outline="black", width=width)
    else:
        d.line(box, fill="black", width=width)
    return np.asarray(im)


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    a = a.astype(np.float64)
    return (a.sum(1) * np.arange(28)).sum() / a.sum(), (a.sum(0) * np.arange(28)).sum() / a.sum()


def ink_box(a: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(a)
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


@pytest.mark.parametrize("box", [(90, 50, 190, 230), (10, 10, 70, 90), (150, 200, 270, 270)])
def test_sketch_follows_the_mnist_convention(box):
    out = sketch.sketch_to_mnist(drawing("ellipse", box))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    # white ink on black: the border is black, the stroke is bright
    assert out[0].max() == 0 and out[-1].max() == 0 and out[:, 0].max() == 0 and out[:, -1].max() == 0
    assert out.max() > 200
    h, w = ink_box(out)
    assert max(h, w) == 20 and min(h, w) <= 20  # fitted into a 20x20 box, aspect kept
    cy, cx = centre_of_mass(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1, (cy, cx)


def test_sketch_accepts_rgb_rgba_and_float():
    ref = sketch.sketch_to_mnist(drawing("line", (140, 40, 150, 240)))
    rgb = drawing("line", (140, 40, 150, 240), mode="RGB")
    assert np.array_equal(sketch.sketch_to_mnist(rgb), ref)
    rgba = np.concatenate([rgb, np.full((280, 280, 1), 255, np.uint8)], axis=2)
    assert np.array_equal(sketch.sketch_to_mnist(rgba), ref)
    clear = rgba.copy()
    clear[..., 3] = 0  # a transparent page counts as white: nothing drawn
    with pytest.raises(sketch.EmptySketch):
        sketch.sketch_to_mnist(clear)
    assert np.abs(sketch.sketch_to_mnist(drawing("line", (140, 40, 150, 240)) / 255.0).astype(int) - ref).max() <= 1


def test_empty_or_missing_sketch_is_refused():
    for blank in (None, np.full((280, 280), 255, np.uint8), np.full((280, 280), 250, np.uint8)):
        with pytest.raises(sketch.EmptySketch):
            sketch.sketch_to_mnist(blank)


def test_dataset_digit_round_trips_through_the_pad(digits):
    d = digits.heldout_x[0, 0].numpy()
    back = sketch.sketch_to_mnist(sketch.mnist_to_sketch(d))
    assert np.abs(back.astype(int) - d.astype(int)).mean() < 12  # near the same digit


# ---------------------------------------------------------------- the tab, through gradio_client
def save_vae(path, preset, **overrides):
    torch.manual_seed(0)
    model = models.build("vae", preset=preset, **overrides)
    return checkpoints.save(path, model.state_dict(), family="vae", config=models.config_dict(model),
                            step=0, dataset="digits", metrics={"recon": 500.0, "kl": 0.1})


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app with two tiny 'shipped' VAEs: a 2-D one and a 4-D one."""
    from genai.jobs import JobRunner
    from genai.ui.app import build_app

    ship = tmp_path_factory.mktemp("shipped")
    two = save_vae(ship / "vae_tiny-2d", "conv-2d", width=4)
    four = save_vae(ship / "vae_tiny-4d", "tiny")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoints, "SHIPPED_DIR", ship)
        demo = build_app(JobRunner(max_active=2))
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None)
        yield {"url": url, "2d": two.stem, "4d": four.stem}  # menus name checkpoints; paths are refused
        demo.runner.shutdown()
        demo.close()


@pytest.fixture
def client(app):
    return Client(app["url"], verbose=False)


def pad(tmp_path, name, arr):
    p = tmp_path / f"{name}.png"
    Image.fromarray(arr).save(p)
    return {"background": handle_file(str(p)), "layers": [], "composite": handle_file(str(p))}


def test_endpoints_are_named(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/vae_interpolate", "/vae_map", "/vae_decode_point", "/vae_train", "/vae_pause", "/vae_stop"):
        assert name in api, name
    for name in ("/sample", "/train", "/stop", "/pause", "/latent_walk"):  # the GAN tab's stay its own
        assert name in api, name


def test_interpolate_two_drawn_digits(app, client, tmp_path):
    a = pad(tmp_path, "a", drawing("ellipse"))
    b = pad(tmp_path, "b", drawing("line", (150, 40, 130, 240)))
    rec_a, rec_b, strip, gif = client.predict(app["2d"], a, b, 10, "slerp", api_name="/vae_interpolate")
    assert Image.open(strip).size == ((10 * 30 + 2) * 3, 32 * 3)  # ten 28x28 frames in a row, 3x
    with Image.open(gif) as g:
        assert g.is_animated and g.n_frames == 18  # there and back
        frames = [np.array(f.convert("L"))[::6, ::6] for f in ImageSequence.Iterator(g)]  # 6x -> 28x28
    row = np.array(Image.open(strip).convert("L"))[2 * 3::3, ::3]  # the strip at 1x, below its top border
    walk = [row[:28, 2 + i * 30: 2 + i * 30 + 28] for i in range(10)]
    # the GIF shows the strip's frames in their own greys (no palette loss), then back again
    assert all(np.array_equal(f, w) for f, w in zip(frames, walk + walk[-2:0:-1]))
    assert Image.open(rec_a).size == Image.open(rec_b).size == ((2 * 30 + 2) * 4, 32 * 4)


def test_empty_sketch_and_missing_checkpoint_are_clear_errors(app, client, tmp_path):
    a = pad(tmp_path, "a", drawing("ellipse"))
    blank = pad(tmp_path, "blank", np.full((280, 280), 255, np.uint8))
    with pytest.raises(Exception, match="Digit B is empty: draw a digit first"):
        client.predict(app["2d"], a, blank, 10, "linear", api_name="/vae_interpolate")
    untouched = {"background": None, "layers": [], "composite": None}  # the pad as sent before any drawing
    with pytest.raises(Exception, match="Digit A is empty: draw a digit first — click the brush tool"):
        client.predict(app["2d"], untouched, a, 10, "linear", api_name="/vae_interpolate")
    with pytest.raises(Exception, match="No VAE checkpoint yet"):
        client.predict(None, a, a, 10, "linear", api_name="/vae_interpolate")
    with pytest.raises(Exception, match="No VAE checkpoint yet"):
        client.predict(None, api_name="/vae_map")


def test_map_of_a_2d_model_and_decoding_a_point(app, client):
    map_img, plot_z, plot_pc, info, z1, z2, z3, z4, digit = client.predict(app["2d"], api_name="/vae_map")
    assert plot_z["visible"] and not plot_pc["visible"]  # the plot with axes z1, z2 is shown
    scatter = plot_z["value"]
    assert scatter["columns"] == ["x", "y", "digit"]
    assert len(scatter["data"]) == 360  # the held-out digits of `digits`
    assert {row[2] for row in scatter["data"]} == {str(i) for i in range(10)}
    assert Image.open(map_img).size == (15 * 29 + 1,) * 2
    assert "2-D latent" in info
    image = client.predict(app["2d"], 0.5, -1.0, 0, 0, api_name="/vae_decode_point")
    assert Image.open(image).size == (224, 224)


def test_map_of_a_larger_latent_is_a_pca_view(app, client):
    _, plot_z, plot_pc, info, *_ = client.predict(app["4d"], api_name="/vae_map")
    assert plot_pc["visible"] and not plot_z["visible"]  # the plot with axes PC 1, PC 2 is shown
    scatter = plot_pc["value"]
    assert len(scatter["data"]) == 360
    assert "principal components" in info
    xs = np.array([row[0] for row in scatter["data"]])
    assert abs(xs.mean()) < 1e-3  # projected around the means' centre


def test_train_streams_and_finishes(client):
    job = client.submit("digits", "tiny", 4, 1.0, 1e-3, 20, 8, 0, api_name="/vae_train")
    outs = list(job)
    status, recon, kl, loss, live, menu = outs[-1]
    assert "done, step 20 of 20" in status
    assert {row[2] for row in recon["data"]} == {"train", "held-out"}
    assert {row[2] for row in kl["data"]} == {"train", "held-out"}
    assert live
    own = [value for label, value in menu["choices"] if label.startswith("your run")]
    assert own and menu["value"] == own[-1]
    _, _, plot_pc, info, *_ = client.predict(own[-1], api_name="/vae_map")  # the run is usable at once
    assert "4-D latent" in info and plot_pc["value"]["data"]


def test_map_click_inverts_the_grid():
    from genai.ui.vae_tab import MAP_N, MAP_PAD, click_to_normal

    g = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.5 / MAP_N, 1 - 0.5 / MAP_N, MAP_N))
    cell = 28 + MAP_PAD
    for i, j in ((0, 0), (7, 3), (14, 14)):  # the centre of cell (row i, column j) is that cell's z
        a, b = click_to_normal(MAP_PAD + j * cell + 14, MAP_PAD + i * cell + 14)
        assert a == pytest.approx(float(g[j]), abs=1e-5) and b == pytest.approx(float(g.flip(0)[i]), abs=1e-5)
    a, b = click_to_normal(-50, 10_000)  # off the image: clamped, finite
    assert np.isfinite(a) and np.isfinite(b) and a < -2 and b < -2


def test_bad_training_settings_are_clear_errors(client):
    with pytest.raises(Exception, match="β must be from 0 to 1,000"):
        client.predict("digits", "tiny", 4, -1.0, 1e-3, 20, 8, 0, api_name="/vae_train")
    with pytest.raises(Exception, match="β must be from 0 to 1,000"):  # it once started, and diverged at step 1
        client.predict("digits", "tiny", 4, 1e9, 1e-3, 20, 8, 0, api_name="/vae_train")
    with pytest.raises(Exception, match="learning rate"):
        client.predict("digits", "tiny", 4, 1.0, 5.0, 20, 8, 0, api_name="/vae_train")
    with pytest.raises(Exception, match="No run to pause"):
        client.predict(api_name="/vae_pause")


def test_pause_and_stop_a_run(client):
    run = client.submit("digits", "tiny", 4, 1.0, 1e-3, 20000, 8, 0, api_name="/vae_train")
    deadline = time.time() + 60
    while "training" not in (run.outputs()[-1][0] if run.outputs() else ""):
        assert time.time() < deadline, "the run never started"
        time.sleep(0.05)
    assert "paused" in client.predict(api_name="/vae_pause")
    assert "training" in client.predict(api_name="/vae_pause")  # resume
    status, menu = client.predict(api_name="/vae_stop")
    assert "stopped" in status
    assert menu["value"] and any(label.startswith("your run") for label, _ in menu["choices"])
    run.cancel()


def test_a_checkpoint_deleted_from_under_a_run_is_a_message_without_the_servers_path(tmp_path):
    from genai.ui import vae_tab

    gone = tmp_path / "runs" / "vae-1" / "checkpoint.safetensors"  # listed once, removed since
    with pytest.raises(Exception) as e:
        vae_tab.need_model(str(gone), "cpu")
    assert "checkpoint.safetensors cannot be read" in str(e.value) and str(tmp_path) not in str(e.value)
    assert "Errno" not in str(e.value)


def test_a_filled_pad_or_a_dot_is_not_a_digit_to_encode():
    from genai import sketch

    black = np.zeros((280, 280), np.uint8)  # a pad painted over: it once became a solid white square
    dot = np.full((280, 280), 255, np.uint8)
    dot[140:143, 140:143] = 0  # one dab of the brush: it was blown up to fill the box
    for pad, message in ((black, "covers 100% of the pad"), (dot, "a dot")):
        with pytest.raises(sketch.NotADigit, match=message):
            sketch.sketch_to_mnist(pad)
    one = np.full((280, 280), 255, np.uint8)
    one[40:240, 130:150] = 0  # a plain "1" still encodes
    assert sketch.sketch_to_mnist(one).sum() > 0
