"""The app through gradio_client, as a browser would use it."""
import time
from pathlib import Path

import pytest

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

from genai.jobs import JobRunner  # noqa: E402
from genai.ui.app import LAUNCH, build_app  # noqa: E402


@pytest.fixture(scope="module")
def app_url():
    demo = build_app(JobRunner(max_active=2))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                            **LAUNCH)
    yield url
    demo.runner.shutdown()
    demo.close()


def test_page_and_api(app_url):
    import urllib.request

    html = urllib.request.urlopen(app_url, timeout=30).read().decode()
    assert "Generative AI Lab" in html
    api = Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")
    for name in ("/sample", "/train", "/stop", "/pause", "/latent_walk", "/export_gif"):
        assert name in api["named_endpoints"], name


def test_train_stream_then_sample_own_run(app_url):
    client = Client(app_url, verbose=False)
    job = client.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 40, 0, None, api_name="/train")
    outs = list(job)
    final = outs[-1]
    status, ckpt = final[0], final[-1]  # (the run's id stays in server-side session state)
    assert "done, step 40 of 40" in status
    losses = final[1]["data"]
    assert losses and {row[2] for row in losses} == {"loss_d", "loss_g"}
    own = [value for label, value in ckpt["choices"] if label.startswith("your run")]
    assert own, ckpt
    # the replay slider is a share of the run: 0% its first grid (step 10), 100% its last (step 40)
    first, last, middle = (client.predict(i, api_name="/replay")["label"] for i in (0, 100, 50))
    assert (first, last, middle) == ("Fixed-noise samples at step 10", "Fixed-noise samples at step 40",
                                     "Fixed-noise samples at step 30")
    grid, info = client.predict(own[-1], 16, 0, "any", api_name="/sample")
    assert grid and "trained 40 steps on digits" in info


def test_bad_input_is_a_clear_error(app_url):
    client = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="Choose a checkpoint"):
        client.predict(None, 16, 0, "any", api_name="/sample")
    with pytest.raises(Exception, match="at least two images"):
        client.predict("your images (upload)", "tiny", "bce", 1e-3, 1e-3, 8, 8, 40, 0, None, api_name="/train")


def test_sessions_do_not_share_runs(app_url):
    a, b = Client(app_url, verbose=False), Client(app_url, verbose=False)
    run = a.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20000, 0, None, api_name="/train")
    deadline = time.time() + 60
    while "training" not in (run.outputs()[-1][0] if run.outputs() else ""):
        assert time.time() < deadline, "the run never started"
        time.sleep(0.05)
    with pytest.raises(Exception, match="No run to pause"):
        b.predict(api_name="/pause")  # b's session has no run; a's is not b's to control
    assert "paused" in a.predict(api_name="/pause")
    status, _ = a.predict(api_name="/stop")
    assert "stopped" in status


def test_monitor_shows_only_this_sessions_runs(app_url):
    a, b = Client(app_url, verbose=False), Client(app_url, verbose=False)
    list(a.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0, None, api_name="/train"))

    def run_names(client):
        table = client.predict([], None, 0.6, False, None, api_name="/monitor_poll")[0]
        return [row[0] for row in table["data"]]

    mine = run_names(a)
    assert mine and all(n.startswith("gan-") for n in mine)
    assert not set(mine) & set(run_names(b))


def test_the_monitor_polls_while_a_run_can_move_and_then_stops(app_url):
    # each poll costs the student's page (measured: 10 frames a second on an idle monitor that
    # went on polling), so the poll switches its timer off once nothing of the session can move
    client = Client(app_url, verbose=False)

    def poll():
        out = client.predict([], None, 0.6, False, None, api_name="/monitor_poll")
        return out[0], out[-1].get("active")  # the runs table (or no change), the timer's switch

    client.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 5000, 0, None, api_name="/train")
    deadline = time.time() + 60
    while "training" not in str(poll()[0]):
        assert time.time() < deadline, "the run never started"
        time.sleep(0.2)
    assert [poll()[1] for _ in range(3)] == [None] * 3  # training: the timer stays on
    client.predict(api_name="/stop")
    switches = [poll()[1] for _ in range(4)]
    assert False in switches, switches


def test_bad_numbers_through_the_api_get_a_message(app_url):
    client = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="learning rate lr_g must be above 0 and at most 1"):
        client.predict("digits", "tiny", "bce", 1e9, 1e9, 8, 8, 40, 0, None, api_name="/train")
    with pytest.raises(Exception, match="learning rate lr_g must be above 0"):
        client.predict("digits", "tiny", "bce", 0, 0, 8, 8, 40, 0, None, api_name="/train")
    shipped = "gan_dcgan_mnist"
    with pytest.raises(Exception, match="seed must be from 0 to"):
        client.predict(shipped, 16, 2**64, "any", api_name="/sample")
    grid, _ = client.predict(shipped, 4, 0, "any", api_name="/sample")  # the server goes on serving
    assert grid


def test_the_api_page_lists_plain_names_and_no_internal_events(app_url):
    api = Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert not [name for name in api if "lambda" in name or name == "/gallery_items"]
    names = {ep: [p["parameter_name"] for p in api[ep]["parameters"]] for ep in ("/sample", "/train", "/continue")}
    assert names["/sample"] == ["checkpoint", "n_samples", "seed", "digit"]
    assert names["/train"][:4] == ["dataset", "preset", "loss", "lr_g"] and "seed" in names["/train"]
    assert names["/continue"][2:4] == ["prompt", "max_new_tokens"]


def test_checkpoints_are_chosen_by_name_never_by_path(app_url):
    client = Client(app_url, verbose=False)
    real_file = str(Path(__file__).resolve().parent.parent / "checkpoints" / "gan_dcgan_mnist.safetensors")
    # refused by the tab's own lookup (the menu takes any value, so that a run key works from every
    # page of its student)
    for path in (real_file, "/etc/passwd", "../checkpoints/gan_dcgan_mnist", "run:not-a-key"):
        with pytest.raises(Exception, match="No checkpoint called|not one of yours"):
            client.predict(path, 4, 0, "any", api_name="/sample")
    grid, info = client.predict("gan_dcgan_mnist", 4, 0, "any", api_name="/sample")
    assert grid and "DCGAN" in info


def test_served_as_a_public_lab_should_be(app_url):
    import json
    import urllib.error
    import urllib.request

    config = json.load(urllib.request.urlopen(app_url + "config", timeout=30))
    assert config["run_history"] is False  # users' inputs are not kept in a shared computer's browser
    assert config["max_file_size"] == 50 * 2**20
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(app_url + "monitoring/summary", timeout=30)
    assert e.value.code in (403, 404)
    big = urllib.request.Request(app_url + "gradio_api/upload", method="POST", data=b"x" * (51 * 2**20),
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    # refused: a 413, or the connection closed before the whole body was read
    with pytest.raises((urllib.error.HTTPError, ConnectionError, urllib.error.URLError)) as e:
        urllib.request.urlopen(big, timeout=60)
    assert not isinstance(e.value, urllib.error.HTTPError) or e.value.code == 413


def test_a_student_keeps_a_run_across_sessions_and_no_one_else_sees_it(app_url):
    from genai import classroom

    secret = classroom.new_secret()
    laptop, phone, other = (Client(app_url, verbose=False) for _ in range(3))
    assert laptop.predict(secret, "Ana", api_name="/join") == "Ana"
    run = laptop.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20000, 0, None, api_name="/train")
    deadline = time.time() + 60
    while not any("training, step" in str(o[0]) for o in run.outputs()):
        assert time.time() < deadline, run.outputs()
        time.sleep(0.2)
    run.cancel()  # the laptop's page goes away mid-run (a reload, a closed lid)
    time.sleep(1.5)
    assert phone.predict(secret, "", api_name="/join") == "Ana"  # the same student, on another device
    mine = phone.predict(api_name="/my_runs")
    assert [r["status"] for r in mine] == ["training"], mine  # the run went on without its page
    step = mine[0]["step"]
    time.sleep(1.0)
    assert phone.predict(api_name="/my_runs")[0]["step"] > step
    assert other.predict(api_name="/my_runs") == []  # another student sees none of it
    with pytest.raises(Exception, match="student must be"):
        other.predict("not-a-secret", "", api_name="/join")
    phone.predict(mine[0]["name"], api_name="/monitor_stop")


def test_only_the_teacher_controls_the_class_board(app_url):
    client = Client(app_url, verbose=False)
    for action in ("/class_stop", "/class_projector", "/class_hide"):
        with pytest.raises(Exception, match="Only the teacher"):
            client.predict("any-run", api_name=action)


def test_a_held_out_digit_is_repaired_and_upscaled_by_each_model(app_url):
    """The "What they are for" tab (issue 28): three fills of one mask by each family, the known
    pixels shown, and the times; an upscaling from 7x7 beside bicubic."""
    from PIL import Image

    client = Client(app_url, verbose=False)
    *shown, line = client.predict(5, "bottom", 3, 0, "any", "diffusion_mnist", "gan_mlp_mnist",
                                  "vae_conv-16d_mnist", None, api_name="/repair")
    known, *fills, original = (Image.open(p) for p in shown)
    assert len(fills) == 4 and all(f.height > 2.5 * f.width for f in fills[:3])  # three fills a column
    assert "diffusion" in line and "nearest" in line
    *shown, line = client.predict(5, 14, 2, 0, "diffusion_mnist", api_name="/upscale")
    assert len(shown) == 5 and "upscalings" in line


def test_a_skipped_output_sends_what_gradio_sends_without_rebuilding_it():
    """cheap_skips (genai/ui/app.py): the page gets the same messages for a mix of skipped and sent
    outputs as from Gradio's own postprocess, and no skipped component is built again."""
    import asyncio

    import gradio as gr
    import pandas as pd
    from gradio.blocks import Blocks
    from gradio.state_holder import SessionState

    from genai.ui.app import cheap_skips

    cheap_skips()
    with gr.Blocks() as demo:
        outs = [gr.Image(format="png"), gr.LinePlot(x="step", y="value"), gr.Slider(0, 100), gr.Dropdown(["a", "b"]),
                gr.HighlightedText(), gr.Textbox(), gr.State()]
        gr.Button().click(lambda: None, None, outs)
        gr.Button().click(lambda: None, None, outs[:2])
    fn, two = demo.fns[0], demo.fns[1]
    plot = pd.DataFrame({"step": [1, 2], "value": [0.5, 0.25]})
    cases = [(fn, [gr.skip(), plot, gr.skip(), gr.skip(), [("a", 0.5)], "text", gr.skip()]),
             (fn, [gr.skip()] * 7), (fn, [None, gr.skip(), 3, "b", gr.skip(), gr.skip(), 1]),
             (two, [gr.skip(), plot]), (two, [gr.skip(), gr.skip()])]
    built = []
    real_init = gr.LinePlot.__init__
    for block_fn, preds in cases:
        theirs = asyncio.run(Blocks.postprocess_data.original(demo, block_fn, list(preds), SessionState(demo)))
        gr.LinePlot.__init__ = lambda self, *a, **k: (built.append(1), real_init(self, *a, **k))[1]
        try:
            ours = asyncio.run(demo.postprocess_data(block_fn, list(preds), SessionState(demo)))
        finally:
            gr.LinePlot.__init__ = real_init
        assert ours == theirs, (preds, ours, theirs)
    assert not built  # the skipped plots were not built again
