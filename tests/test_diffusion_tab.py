"""The Diffusion tab's endpoints through gradio_client: sampling (guided, a chosen digit, step
counts), the reverse process streamed step by step, the forward process, steps against time,
training live, and bad input refused with a message. CPU, a tiny model."""
import pytest
import torch

from genai import checkpoints, models

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app with one tiny 'shipped' diffusion model."""
    from genai.jobs import JobRunner
    from genai.ui.app import build_app

    ship = tmp_path_factory.mktemp("shipped")
    torch.manual_seed(0)
    model = models.build("diffusion", preset="tiny")
    path = checkpoints.save(ship / "diffusion_tiny", model.state_dict(), family="diffusion",
                            config=models.config_dict(model), step=0, dataset="digits", metrics={"loss": 1.0})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoints, "SHIPPED_DIR", ship)
        demo = build_app(JobRunner(max_active=2))
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None)
        yield {"url": url, "name": path.stem}
        demo.runner.shutdown()
        demo.close()


@pytest.fixture
def client(app):
    return Client(app["url"], verbose=False)


def test_endpoints_are_named(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/diffusion_sample", "/diffusion_reverse", "/diffusion_forward", "/diffusion_steps",
                 "/diffusion_train", "/diffusion_pause", "/diffusion_stop"):
        assert name in api, name


def test_sample_a_digit_with_guidance_and_steps(app, client):
    grid, info = client.predict(app["name"], 12, 0, "7", 3.0, 4, "ddim", api_name="/diffusion_sample")
    assert grid and "12 digits in" in info and "(4 DDIM steps)" in info and "guidance 3" in info
    grid, info = client.predict(app["name"], 4, 0, "3", 3.0, 5, "unipc", api_name="/diffusion_sample")
    assert grid and "(5 UniPC steps)" in info


def test_reverse_process_streams_every_step(app, client):
    job = client.submit(app["name"], "any", 2.0, 5, "ddim", 0, api_name="/diffusion_reverse")
    outs = list(job)
    assert len(outs) == 5  # one update a step
    x_t, x0_hat, chain = outs[-1]
    assert x_t and x0_hat and chain


def test_forward_process_says_how_much_is_left(app, client):
    noisy, strip, text = client.predict(app["name"], 3, 0, api_name="/diffusion_forward")
    assert noisy and strip and "At t = 0: √ᾱ = 1.000" in text
    _, _, late = client.predict(app["name"], 3, 999, api_name="/diffusion_forward")
    assert "√ᾱ = 0.00" in late


def test_steps_against_time(app, client):
    grid, table = client.predict(app["name"], 2.0, 0, api_name="/diffusion_steps")
    assert grid and [row[0] for row in table["data"]] == [1, 2, 5, 10, 25, 50]
    assert all(row[1] > 0 for row in table["data"])


def test_train_streams_finishes_and_the_run_samples(client):
    job = client.submit("digits", "tiny", 1e-3, 20, 8, 0, api_name="/diffusion_train")
    status, loss, fid, live, menu = list(job)[-1]
    assert "done, step 20 of 20" in status
    assert {row[2] for row in loss["data"]} == {"train", "held-out"}
    own = [value for label, value in menu["choices"] if label.startswith("your run")]
    assert own and menu["value"] == own[-1]
    grid, info = client.predict(own[-1], 4, 0, "any", 2.0, 2, "ddim", api_name="/diffusion_sample")
    assert grid and "trained 20 steps on digits" in info


@pytest.mark.parametrize("args, message", [
    # the sliders' own bounds (Gradio says so before the handler runs)
    (("NAME", 8, 0, "any", 99.0, 4, "ddim"), "greater than maximum value 8"),
    (("NAME", 8, 0, "any", 2.0, 0, "ddim"), "less than minimum value 1"),
    # and its menus' own choices: no path from a request reaches the file system
    (("NAME", 8, 0, "any", 2.0, 4, "euler"), "euler.* is not in the list of choices"),
    (("NAME", 8, 0, "eleven", 2.0, 4, "ddim"), "eleven is not in the list of choices"),
    (("/etc/passwd", 8, 0, "any", 2.0, 4, "ddim"), "No checkpoint called ./etc/passwd."),
    ((None, 8, 0, "any", 2.0, 4, "ddim"), "checkpoint"),
])
def test_bad_input_is_a_message(app, client, args, message):
    args = tuple(app["name"] if a == "NAME" else a for a in args)
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/diffusion_sample")


def test_bad_training_settings_are_messages(client):
    with pytest.raises(Exception, match="learning rate"):
        client.predict("digits", "tiny", 5.0, 20, 8, 0, api_name="/diffusion_train")
    with pytest.raises(Exception, match="No run to pause"):
        client.predict(api_name="/diffusion_pause")
