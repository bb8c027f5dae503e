import math
import time

import pytest

from genai import checkpoints
from genai.jobs import JobRunner, RunnerBusy
from genai.models import gan
from genai.trainer import TrainSpec, train


def spec(tmp_path, steps=6, **kw):
    return TrainSpec(family="gan", preset="tiny", dataset="digits", steps=steps, batch_size=8,
                     eval_every=kw.pop("eval_every", 3), sample_every=2, log_every=1,
                     out=str(tmp_path / "ck"), **kw)


def test_events_arrive_in_order(tmp_path):
    events = []
    train(spec(tmp_path), events.append)
    kinds = [e.kind for e in events]
    assert kinds[0] == "log" and kinds[-1] == "done" and "error" not in kinds
    assert kinds[-2] == "checkpoint" and "samples" in kinds and "metrics" in kinds
    steps = [e.step for e in events]
    assert steps == sorted(steps) and events[-1].step == 6
    metrics = [e.data for e in events if e.kind == "metrics" and "loss_d" in e.data]
    assert [m for m in metrics if all(math.isfinite(v) for v in m.values())] == metrics
    assert checkpoints.read_meta(events[-1].data["checkpoint"])["step"] == 6


def long_run(runner, tmp_path, owner="a", steps=100000):
    return runner.start(spec(tmp_path, steps=steps, eval_every=10**6), owner=owner)


def wait_for(cond, timeout=30.0):
    t0 = time.time()
    while not cond():
        assert time.time() - t0 < timeout, "timed out"
        time.sleep(0.02)


def test_pause_resume_and_stop_within_a_second(tmp_path):
    runner = JobRunner(max_active=1)
    job = long_run(runner, tmp_path)
    wait_for(lambda: job.step >= 3)
    job.pause()
    time.sleep(0.3)  # let a step in flight finish
    paused_at = job.step
    time.sleep(0.5)
    assert job.status == "paused" and job.step == paused_at
    job.resume()
    wait_for(lambda: job.step > paused_at + 2)
    t0 = time.time()
    job.stop()
    job.thread.join(5)
    assert time.time() - t0 < 1.0
    assert job.status == "stopped" and not job.thread.is_alive()
    meta = checkpoints.read_meta(job.checkpoint)
    assert meta["step"] == job.step  # the final checkpoint holds the last step


def test_stop_while_paused(tmp_path):
    runner = JobRunner(max_active=1)
    job = long_run(runner, tmp_path)
    wait_for(lambda: job.step >= 2)
    job.pause()
    job.stop()
    job.thread.join(5)
    assert job.status == "stopped" and job.checkpoint


def test_nan_guard_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    real_step = gan.Model.train_step
    calls = {"n": 0}

    def diverging(self, batch, opts):
        calls["n"] += 1
        out = real_step(self, batch, opts)
        return {**out, "loss_d": float("nan")} if calls["n"] >= 5 else out

    monkeypatch.setattr(gan.Model, "train_step", diverging)
    events = []
    train(spec(tmp_path, steps=20, ckpt_every=2), events.append)
    err = [e for e in events if e.kind == "error"]
    assert len(err) == 1 and "diverged at step 5" in err[0].data and "loss_d=nan" in err[0].data
    assert "done" not in [e.kind for e in events]
    assert checkpoints.read_meta(tmp_path / "ck")["step"] == 4  # the last good one, not overwritten


def test_busy_cap_refuses_at_once(tmp_path):
    runner = JobRunner(max_active=1)
    job = long_run(runner, tmp_path)
    t0 = time.time()
    with pytest.raises(RunnerBusy, match="try again"):
        long_run(runner, tmp_path / "2")
    assert time.time() - t0 < 0.5
    job.stop(wait=5)
    second = long_run(runner, tmp_path / "3", steps=3)
    second.thread.join(30)
    assert second.status == "done"


def test_runs_belong_to_their_session(tmp_path):
    runner = JobRunner(max_active=2)
    a = runner.start(spec(tmp_path / "a", steps=2), owner="alice")
    b = runner.start(spec(tmp_path / "b", steps=2), owner="bob")
    assert runner.jobs("alice") == [a] and runner.jobs("bob") == [b]
    with pytest.raises(KeyError):
        runner.get(a.id, owner="bob")
    runner.stop_owner("alice")
    for j in (a, b):
        j.thread.join(30)


def test_follow_yields_every_event_then_ends(tmp_path):
    runner = JobRunner(max_active=1)
    job = runner.start(spec(tmp_path, steps=5), owner="a")
    kinds = [e.kind for e in job.follow(timeout=60)]
    assert kinds[0] == "log" and kinds[-1] == "done"


def test_failed_data_becomes_an_error_event(tmp_path, monkeypatch):
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.setattr("genai.data._download_torchvision", lambda name: (_ for _ in ()).throw(OSError("offline")))
    events = []
    train(TrainSpec(family="gan", preset="tiny", dataset="kmnist", steps=2, out=str(tmp_path / "x")), events.append)
    assert events[-1].kind == "error" and "GENAI_DATA_DIR" in events[-1].data


def test_closing_the_tab_stops_runs_unless_asked_to_keep_them(tmp_path):
    runner = JobRunner(max_active=2)
    kept = long_run(runner, tmp_path / "k", owner="alice")
    gone = long_run(runner, tmp_path / "g", owner="bob")
    runner.keep_owners.add("alice")
    runner.stop_owner("alice")
    runner.stop_owner("bob")
    gone.thread.join(5)
    assert gone.status == "stopped" and gone.checkpoint  # stopped and saved
    assert kept.active
    kept.stop(wait=5)
