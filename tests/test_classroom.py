"""A class on one server, through gradio_client sessions against a served app: queued runs show
their place, a shared run can be watched and forked but not controlled by others."""
import time
from pathlib import Path

import pytest

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

from genai.jobs import JobRunner  # noqa: E402
from genai.ui.app import build_app  # noqa: E402

LONG = ("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20000, 0, None)


@pytest.fixture(scope="module")
def one_slot():
    """A server that trains one run at a time, so the second waits."""
    demo = build_app(JobRunner(max_active=1, per_session=2))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None)
    yield url, demo.runner
    demo.runner.shutdown()
    demo.close()


def status_of(outputs) -> str:
    return next((x for x in outputs if isinstance(x, str) and x.startswith("**")), "")


def wait_status(job, word, timeout=60):
    deadline = time.time() + timeout
    while word not in (status_of(job.outputs()[-1]) if job.outputs() else ""):
        assert time.time() < deadline, f"no {word!r} in {job.outputs()[-1:]}"
        time.sleep(0.05)
    return status_of(job.outputs()[-1])


def test_a_second_run_is_queued_with_its_place_then_trains(one_slot):
    url, runner = one_slot
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    first = a.submit(*LONG, api_name="/train")
    wait_status(first, "training")
    second = b.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 30, 0, None, api_name="/train")
    shown = wait_status(second, "queued")
    # the first run is 20,000 steps: its pace tells only past its first evaluation (5,000 steps)
    assert "place 1 of 1 in the queue, start time not known yet" in shown
    assert "Stop* takes it out of the queue" in shown
    a.predict(api_name="/stop")
    assert "done, step 30 of 30" in status_of(second.result(timeout=60))


def test_stop_takes_a_queued_run_out_of_the_queue(one_slot):
    url, runner = one_slot
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    first = a.submit(*LONG, api_name="/train")
    wait_status(first, "training")
    waiting = b.submit(*LONG, api_name="/train")
    wait_status(waiting, "queued")
    status, _ = b.predict(api_name="/stop")
    assert "cancelled" in status and runner.queued() == []
    a.predict(api_name="/stop")


def test_one_session_has_at_most_two_runs(one_slot):
    url, runner = one_slot
    a = Client(url, verbose=False)
    first = a.submit(*LONG, api_name="/train")
    wait_status(first, "training")
    second = a.submit(*LONG, api_name="/train")
    wait_status(second, "queued")
    third = a.submit(*LONG, api_name="/train")
    with pytest.raises(Exception, match="at most 2 each"):
        third.result(timeout=30)
    runner.shutdown()


def test_a_watcher_cannot_stop_a_shared_run_but_can_fork_it(one_slot):
    url, runner = one_slot
    teacher, student = Client(url, verbose=False), Client(url, verbose=False)
    run = teacher.submit(*LONG, api_name="/train")
    name = wait_status(run, "training").split("**")[1]
    note = teacher.predict(name, api_name="/monitor_share")
    assert "?watch=" in note and name in note
    table = student.predict([], None, 0.6, False, None, api_name="/monitor_poll")[0]
    assert f"{name} (watching)" in [row[0] for row in table["data"]]
    for action in ("/monitor_stop", "/monitor_pause"):
        with pytest.raises(Exception, match="only the person who started it"):
            student.predict(name, api_name=action)
    forked = student.predict(name, '{"lr_g": 0.002}', 10, api_name="/monitor_fork")
    assert f"{name} forked" in forked
    # the fork starts from a copy of the run's checkpoint named after it (other tests' runs on disk,
    # adopted by this server, may be resumes of their own)
    mine = [j for j in runner.jobs() if j.spec.init_from and Path(j.spec.init_from).name.startswith(name)
            and j.owner != runner.get(run_id(runner, name)).owner]
    assert mine and mine[0].spec.overrides == {"lr_g": 0.002}
    assert runner.get(run_id(runner, name)).status == "training"  # the teacher's run goes on
    teacher.predict(api_name="/stop")
    runner.shutdown()


def run_id(runner, name):
    return next(j.id for j in runner.jobs() if j.name == name)


def test_the_checkpoint_lookup_takes_names_and_run_keys_never_paths(one_slot):
    import gradio as gr

    from genai.ui.common import checkpoint_file

    url, runner = one_slot
    assert checkpoint_file(runner, "gan_dcgan_mnist", ("gan",)).endswith("gan_dcgan_mnist.safetensors")
    assert checkpoint_file(runner, None, ("gan",)) is None
    for bad in ("/etc/passwd", checkpoint_file(runner, "gan_dcgan_mnist", ("gan",)), "gan_dcgan_mnist/../x"):
        with pytest.raises(gr.Error, match="No checkpoint called"):
            checkpoint_file(runner, bad, ("gan",))
    with pytest.raises(gr.Error, match="No checkpoint called"):
        checkpoint_file(runner, "gan_dcgan_mnist", ("vae",))  # another family's
    with pytest.raises(gr.Error, match="not one of yours"):
        checkpoint_file(runner, "run:guess", ("gan",))
