"""Faults a class will meet: the server killed while it writes a checkpoint, a run whose loss
leaves the numbers, a browser closed mid-training and mid-generation, a GPU out of memory
(simulated). Each ends with a message, nothing lost, and the server serving."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from genai import checkpoints
from genai.models import gan

ROOT = Path(__file__).resolve().parent.parent
gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

TRAIN = ["digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 2000, 0, None]


def wait_for(cond, timeout=60.0, what="condition"):
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ------------------------------------------------------------------ killed mid-write
WRITER = textwrap.dedent("""
    import sys, torch
    from genai import checkpoints
    path, i = sys.argv[1], 0
    while True:  # ~40 MB a save, so that a kill lands inside one
        i += 1
        checkpoints.save(path, {"w": torch.full((10_000_000,), float(i))}, family="gan", config={"i": i}, step=i)
        print(i, flush=True)
""")


def test_a_kill_during_a_checkpoint_write_leaves_the_previous_one_whole(tmp_path):
    path = tmp_path / "ck.safetensors"
    for attempt in range(5):  # kill at a few different moments of a write
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip()  # one save is complete
        time.sleep(0.05 + 0.07 * attempt)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        tensors, meta = checkpoints.load(path)  # whole: weights and sidecar of one and the same save
        assert meta["step"] == meta["config"]["i"] and float(tensors["w"][-1]) == meta["step"]
    leftovers = [f for f in tmp_path.iterdir() if f.name not in ("ck.safetensors", "ck.json")]
    assert all(checkpoints.is_temp(f) for f in leftovers), leftovers  # a killed write leaves its temp file
    assert [c.name for c in checkpoints.list_checkpoints(runs_dir=tmp_path) if not c.shipped] == ["runs/ck"]
    assert checkpoints.remove_stale_temp(tmp_path, older_than=3600) == 0  # recent: could be a write going on
    checkpoints.remove_stale_temp(tmp_path, older_than=0)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["ck.json", "ck.safetensors"]


# ------------------------------------------------------------------ the served app
@pytest.fixture(scope="module")
def served():
    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    demo = build_app(JobRunner(max_active=2))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None, **LAUNCH)
    yield {"url": url, "runner": demo.runner}
    demo.runner.shutdown()
    demo.close()


def alive(url):
    grid, _ = Client(url, verbose=False).predict("gan_mlp_mnist", 1, 0, "any", api_name="/sample")
    assert grid


def failing_at(n, error):
    """gan.Model.train_step that works n - 1 times, then gives NaN losses or raises ``error``."""
    real, calls = gan.Model.train_step, {"n": 0}

    def step(self, batch, opts):
        calls["n"] += 1
        out = real(self, batch, opts)
        if calls["n"] >= n:
            if error is None:
                return {**out, "loss_d": float("nan"), "loss_g": float("nan")}
            raise error
        return out
    return step


def test_a_run_that_diverges_says_why_and_offers_its_last_good_checkpoint(served, monkeypatch):
    monkeypatch.setattr(gan.Model, "train_step", failing_at(700, None))  # a checkpoint is saved at 500
    client = Client(served["url"], verbose=False)
    outs = list(client.submit(*TRAIN, api_name="/train"))
    status, menu = outs[-1][0], outs[-1][-1]
    assert "failed" in status and "diverged at step 700" in status and "loss_d=nan" in status
    assert "learning rate" in status and "checkpoint from step 500 is kept" in status
    assert str(ROOT) not in status and "/tmp" not in status  # no server path in the page
    own = [value for label, value in menu["choices"] if label.startswith("your run")]
    assert own, menu  # offered in the menu ...
    monkeypatch.undo()
    grid, info = client.predict(own[-1], 4, 0, "any", api_name="/sample")
    assert grid and "trained 500 steps" in info  # ... and it samples: the NaN weights were not saved


def test_out_of_memory_says_which_batch_to_try_and_the_server_goes_on(served, monkeypatch):
    oom = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    monkeypatch.setattr(gan.Model, "train_step", failing_at(3, oom))
    client = Client(served["url"], verbose=False)
    args = list(TRAIN)
    args[5] = 64
    status = list(client.submit(*args, api_name="/train"))[-1][0]
    assert "failed" in status and "ran out of memory with a batch of 64" in status
    assert "batch size of 32" in status
    monkeypatch.undo()
    alive(served["url"])


def job_of(runner, before):
    new = [j for j in runner.jobs() if j not in before]
    assert len(new) == 1
    return new[0]


@pytest.mark.parametrize("keep", [False, True], ids=["gone past the grace period: run stops",
                                                   "kept going: run goes on"])
def test_a_closed_browser_stops_its_run_only_after_the_grace_period(served, keep, monkeypatch):
    from genai import classroom

    runner = served["runner"]
    monkeypatch.setattr(runner.roster, "abandon_s", 2.0)
    # the test applies the grace period itself: the app's watch (every 15 s) firing in the 0.5 s
    # between the grace period's end and the step count read below stopped the run (a flake)
    stop_abandoned = classroom.stop_abandoned
    monkeypatch.setattr(classroom, "stop_abandoned", lambda runner: [])
    client = Client(served["url"], verbose=False)
    if keep:
        client.predict(True, api_name="/monitor_keep_alive")
    before = runner.jobs()
    args = list(TRAIN)
    args[7] = 20000
    stream = client.submit(*args, api_name="/train")
    wait_for(lambda: runner.jobs() != before and job_of(runner, before).step > 5, what="the run to train")
    job = job_of(runner, before)
    stream.cancel()  # what the page does when its tab closes: the stream goes
    client.close()
    wait_for(lambda: not runner.roster.online(job.owner), timeout=30, what="the page to be seen closing")
    assert stop_abandoned(runner) == [] and job.status == "training"  # within the grace period
    time.sleep(2.5)
    step = job.step
    wait_for(lambda: job.step > step + 10, what="the run to go on without its page")
    if keep:
        assert stop_abandoned(runner) == [] and job.status == "training"
        job.stop(wait=30)
    else:
        assert stop_abandoned(runner) == [job.name]
        wait_for(lambda: not job.active, timeout=30, what="the run to stop")
        assert job.status == "stopped" and job.checkpoint  # stopped and saved: nothing lost
    if job.thread:
        job.thread.join(10)
        assert not job.thread.is_alive()  # its memory goes with it
    alive(served["url"])


def test_a_closed_browser_ends_its_generation(served, monkeypatch):
    """A continuation drawn in the page's own handler (as on a GPU), a piece each time the page
    is sent one: once the page goes, no more characters are drawn and the drawing is closed. (Drawn
    in a decoding process, the default on a CPU, the same close stops it: tests/test_decoding.py.)"""
    from genai.models import gpt

    monkeypatch.setenv("GENAI_DECODE_IN", "thread")

    real, drawn = gpt.decode_steps, {"n": 0, "closed": 0}

    def counted(*args, **kw):  # the server's decoding, slowed to 2 ms a character and counted
        try:
            for i in real(*args, **kw):
                drawn["n"] += 1
                time.sleep(0.002)
                yield i
        finally:
            drawn["closed"] += 1

    monkeypatch.setattr(gpt, "decode_steps", counted)
    client = Client(served["url"], verbose=False)
    stream = client.submit("gpt_char_shakespeare", "", "ROMEO:", 1000, 0.8, 0, 1.0, 0, api_name="/continue")
    wait_for(lambda: len(stream.outputs()) >= 2, what="the first tokens")
    assert drawn["n"] and not drawn["closed"]
    stream.cancel()
    client.close()
    wait_for(lambda: drawn["closed"], timeout=30, what="the drawing to be closed")
    n = drawn["n"]
    time.sleep(0.5)
    assert drawn["n"] == n < 1000  # it stopped where the page went, not at the end
    alive(served["url"])


def test_downloads_made_for_the_page_are_removed_after_an_hour(monkeypatch, tmp_path):
    from genai.ui import common

    monkeypatch.setattr(common, "SCRATCH", tmp_path / "scratch")
    monkeypatch.setattr(common, "_swept", 0.0)
    old = Path(common.scratch_file("walk.gif"))
    old.write_bytes(b"GIF89a")
    an_hour_ago = time.time() - common.SCRATCH_MAX_AGE - 5
    os.utime(old.parent, (an_hour_ago, an_hour_ago))
    common.scratch_file("run.zip")
    assert old.parent.exists()  # swept a moment ago: the next sweep comes a minute later
    monkeypatch.setattr(common, "_swept", time.time() - common.SCRATCH_SWEEP_S - 1)
    new = Path(common.scratch_file("run.zip"))
    assert not old.parent.exists() and new.parent.is_dir()  # the old one went, the new one stays
