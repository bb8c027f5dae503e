import json
import math
import os
import struct
import threading
import time

import pytest
import torch

from genai import checkpoints, jobs
from genai.jobs import JobRunner, RunnerBusy
from genai.locales import Words
from genai.models import gan
from genai.trainer import TrainSpec, train


def spec(tmp_path, steps=6, **kw):
    return TrainSpec(family="gan", preset="tiny", dataset="digits", steps=steps,
                     batch_size=kw.pop("batch_size", 8),
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


def test_a_run_beyond_the_limit_waits_in_the_queue_then_starts(tmp_path):
    runner = JobRunner(max_active=1, per_session=5)
    first = long_run(runner, tmp_path / "1")
    t0 = time.time()
    second = long_run(runner, tmp_path / "2", steps=3)
    assert time.time() - t0 < 0.5 and second.status == "queued" and second.thread is None
    assert runner.queue_place(second)[0] == 1
    first.stop(wait=5)
    kinds = [e.kind for e in second.follow(timeout=60)]
    assert kinds[-1] == "done" and second.status == "done" and second.started >= first.ended


def test_the_queue_is_fair_across_sessions(tmp_path):
    runner = JobRunner(max_active=1, per_session=3)
    a1 = long_run(runner, tmp_path / "a1", owner="alice")  # trains
    a2 = long_run(runner, tmp_path / "a2", owner="alice")
    a3 = long_run(runner, tmp_path / "a3", owner="alice")
    b1 = long_run(runner, tmp_path / "b1", owner="bob")
    c1 = long_run(runner, tmp_path / "c1", owner="carol")
    # alice asked first, but she already has a run training: bob and carol go before her next ones
    assert runner.queued() == [b1, c1, a2, a3]
    assert [runner.queue_place(j)[0] for j in (b1, c1, a2, a3)] == [1, 2, 3, 4]
    a1.stop(wait=5)
    wait_for(lambda: b1.status == "training")
    assert runner.queued() == [c1, a2, a3]
    runner.shutdown()


def test_queued_start_times_follow_the_measured_speed(tmp_path):
    runner = JobRunner(max_active=1, per_session=5)
    done = runner.start(spec(tmp_path / "m", steps=20, eval_every=10**6), owner="a")
    done.thread.join(60)
    per_step = (done.ended - done.started) / 20
    blocker = long_run(runner, tmp_path / "b", owner="a", steps=10**6)
    one = runner.start(spec(tmp_path / "1", steps=40), owner="b")
    two = runner.start(spec(tmp_path / "2", steps=40), owner="c")
    _, wait_one = runner.queue_place(one)
    _, wait_two = runner.queue_place(two)
    # the second waits for the first's whole run: 40 steps at the rate measured on the first run
    assert wait_two - wait_one == pytest.approx(40 * per_step, rel=1e-6)
    assert one.eta() > wait_one > 0
    runner.shutdown()
    assert blocker.status == "stopped"


def test_cancel_while_queued(tmp_path):
    runner = JobRunner(max_active=1, per_session=5)
    first = long_run(runner, tmp_path / "1")
    queued = long_run(runner, tmp_path / "2", owner="b")
    queued.stop()
    assert queued.status == "cancelled" and queued not in runner.queued() and queued.thread is None
    assert [e.data["status"] for e in queued.follow(timeout=5)] == ["cancelled"]  # its stream ends
    first.stop(wait=5)
    time.sleep(0.2)
    assert queued.status == "cancelled"  # the freed slot did not start it


def test_one_session_cannot_fill_the_queue(tmp_path):
    runner = JobRunner(max_active=1, per_session=2)
    long_run(runner, tmp_path / "1", owner="alice")
    long_run(runner, tmp_path / "2", owner="alice")
    with pytest.raises(RunnerBusy, match="at most 2"):
        long_run(runner, tmp_path / "3", owner="alice")
    other = long_run(runner, tmp_path / "4", owner="bob")  # others still get in
    assert other.status == "queued"
    runner.shutdown()


def test_a_closed_tab_leaves_the_queue(tmp_path):
    runner = JobRunner(max_active=1, per_session=5)
    running = long_run(runner, tmp_path / "1", owner="alice")
    left = long_run(runner, tmp_path / "2", owner="bob")
    stays = long_run(runner, tmp_path / "3", owner="carol")
    runner.stop_owner("bob")
    assert left.status == "cancelled" and runner.queued() == [stays]
    assert running.status == "training"  # the runner and the others go on
    runner.shutdown()


def test_training_in_a_process_streams_pauses_and_saves(tmp_path):
    runner = JobRunner(max_active=1, isolate="process")
    job = runner.start(spec(tmp_path, steps=100000, eval_every=10**6), owner="a")
    wait_for(lambda: job.step >= 3, timeout=120)
    assert job.media and job.rows  # images and metrics crossed the pipe
    job.pause()
    time.sleep(0.5)
    paused_at = job.step
    time.sleep(0.5)
    assert job.step == paused_at
    job.resume()
    wait_for(lambda: job.step > paused_at)
    job.stop(wait=30)
    assert job.status == "stopped" and checkpoints.read_meta(job.checkpoint)["step"] == job.step


def test_a_killed_training_process_fails_its_run_not_the_server(tmp_path):
    import multiprocessing

    runner = JobRunner(max_active=2, isolate="process")
    job = runner.start(spec(tmp_path / "k", steps=100000, eval_every=10**6), owner="a")
    wait_for(lambda: job.step >= 2, timeout=120)
    for child in multiprocessing.active_children():
        if child.name == job.id:
            child.kill()
    job.thread.join(30)
    assert job.status == "failed" and "ended unexpectedly (killed by SIGKILL" in job.message
    assert ("checkpoint is kept" in job.message) == bool(job.checkpoint)
    # its folder says so too (its process wrote "training" there): a restart must not offer to resume it
    assert json.loads((checkpoints.RUNS_DIR / job.name / "status.json").read_text())["status"] == "failed"
    after = runner.start(spec(tmp_path / "n", steps=3), owner="a")  # the runner goes on
    after.thread.join(120)
    assert after.status == "done"


def test_how_a_process_ended_is_said_in_the_pages_language():
    from genai.locales import in_language

    killed = jobs.how_it_ended(-9)
    assert "SIGKILL" in killed and "memory" in killed and "内存" in in_language(killed, "zh-CN")
    assert jobs.how_it_ended(-15) == "stopped by SIGTERM" and jobs.how_it_ended(1) == "exit code 1"
    said = Words("err.process_ended_unsaved", why=jobs.how_it_ended(1))
    assert in_language(said, "zh-CN") == "训练进程意外结束（退出码 1），这次运行还没有保存检查点。"


def sending(target):
    """A training process's pipe, as genai/jobs.py opens one, with ``target`` at the other end."""
    ctx = jobs._mp_context()
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(writer,), daemon=True)
    proc.start()
    writer.close()
    return proc, reader


def _half_a_message(conn):
    os.write(conn.fileno(), struct.pack("!i", 1 << 20) + b"x" * 10)  # a 1 MB message's header, 10 bytes of it
    os.kill(os.getpid(), 9)


def test_a_process_killed_half_way_through_a_message_ends_its_relay():
    # the hang the test above once caught: the server waited forever for the rest of a sample
    proc, reader = sending(_half_a_message)
    got = []
    relay = threading.Thread(target=jobs._relay, args=(proc, reader, got.append), daemon=True)
    relay.start()
    relay.join(30)
    proc.join(10)
    assert not relay.is_alive() and got == [] and proc.exitcode == -9


def _explode():
    raise RuntimeError("cannot be read")


class _Unreadable:
    def __reduce__(self):  # read back as a call that fails (a tensor whose shared memory has gone)
        return _explode, ()


def _three_messages(conn):
    for msg in ("first", _Unreadable(), "last", None):
        conn.send(msg)


def test_a_message_that_cannot_be_read_is_skipped_not_the_run():
    proc, reader = sending(_three_messages)
    got = []
    jobs._relay(proc, reader, got.append)
    assert got == ["first", "last"]


def test_a_message_that_cannot_be_sent_is_lost_not_the_rest():
    reader, writer = jobs._mp_context().Pipe(duplex=False)
    outbox = jobs._Outbox(writer)
    for msg in ("first", lambda: "a function does not pickle", "last", None):
        outbox.put(msg)
    outbox.flush(10)
    assert [reader.recv() for _ in range(3) if reader.poll(5)] == ["first", "last", None]


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


def test_stop_owner_stops_and_saves_only_that_students_runs(tmp_path):
    runner = JobRunner(max_active=2)
    mine = long_run(runner, tmp_path / "k", owner="alice")
    other = long_run(runner, tmp_path / "g", owner="bob")
    runner.stop_owner("bob")
    other.thread.join(5)
    assert other.status == "stopped" and other.checkpoint  # stopped and saved
    assert mine.active
    mine.stop(wait=5)

def test_guessed_estimates_follow_how_slowly_the_running_runs_go(tmp_path, monkeypatch):
    from genai import jobs

    monkeypatch.setitem(gan.SECONDS_PER_STEP, "tiny", 1e-5)  # far faster than the truth
    runner = JobRunner(max_active=1, per_session=5)
    # 100,000 steps: its pace tells only 25,000 steps in (another batch size: another kind, whose
    # measured pace, once stopped, is not the blocker's below)
    far = runner.start(spec(tmp_path / "far", steps=100000, eval_every=10**6, batch_size=16), owner="a")
    early = runner.start(spec(tmp_path / "e", steps=100, batch_size=16), owner="b")
    wait_for(lambda: far.step >= 50)
    # too early to tell: no number rather than the guess, which is far off here
    assert runner.slowdown() is None and runner.queue_place(early) == (1, None) and early.eta() is None
    far.stop(wait=10)
    early.stop(wait=10)
    blocker = long_run(runner, tmp_path / "b", steps=600)  # trusted a quarter of the way in: 150 steps
    queued = runner.start(spec(tmp_path / "q", steps=100), owner="b")
    wait_for(lambda: blocker.step > 150)
    slow = runner.slowdown()
    assert slow > 10  # the blocker takes far longer a step than guessed
    assert runner.estimate(queued, slow) == pytest.approx((jobs.GUESS_OVERHEAD_S + 100 * 1e-5) * slow)
    runner.shutdown()


def test_a_resumed_runs_pace_counts_only_the_steps_it_did(tmp_path):
    first = train(spec(tmp_path, steps=40, eval_every=10**6), lambda e: None)
    runner = JobRunner(max_active=1, per_session=5)
    resumed = runner.start(spec(tmp_path / "r", steps=10, eval_every=10**6, init_from=str(first)), owner="a")
    resumed.thread.join(60)
    assert resumed.status == "done" and resumed.step == 50
    per_step = runner._measured[("gan", "tiny", 8)]
    assert per_step == pytest.approx((resumed.ended - resumed.started) / 10)  # 10 steps done, not 50


def test_a_run_never_writes_into_an_earlier_runs_folder(tmp_path, monkeypatch):
    """Run names are the time of day and a counter from 1, so a server restarted at the same
    second the next day names its first run as an earlier one: it gets a folder of its own
    instead of overwriting that run's checkpoint and record."""
    import genai.jobs

    monkeypatch.setattr(checkpoints, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(genai.jobs.time, "strftime", lambda fmt, *a: "101500")
    old = tmp_path / "runs" / "gan-101500-1" / "checkpoint.safetensors"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"yesterday's run")
    runner = JobRunner(max_active=1, isolate="thread")  # in this process, which sees the patches
    # no out: the checkpoint goes into the run's folder, as from the page
    run = TrainSpec(family="gan", preset="tiny", dataset="digits", steps=4, batch_size=8)
    job = runner.start(run, owner="a")
    wait_for(lambda: job.status == "done")
    assert job.id == job.name == "gan-101500-1-2"
    assert old.read_bytes() == b"yesterday's run" and len(list(old.parent.iterdir())) == 1
    assert checkpoints.read_meta(job.checkpoint)["step"] == 4
    assert job.checkpoint.startswith(str(tmp_path / "runs" / "gan-101500-1-2"))


def test_the_pace_the_queue_counts_leaves_out_a_slow_start(tmp_path):
    """From the first held-out evaluation on, once a second is made: thirty students joining at
    once slowed the first runs' first quarter, and a pace from their first metrics made the first
    estimates twice too long."""
    from genai.jobs import Job
    from genai.trainer import Event

    job = Job("j", spec(tmp_path, steps=1000, eval_every=250), "a", torch.device("cpu"))
    job.status, now = "training", time.time()
    job.emit(Event("log", 0, "start", time=now - 131))
    job.emit(Event("metrics", 5, {"loss_d": 1.0}, time=now - 130))
    job.emit(Event("metrics", 250, {"heldout_fid": 300.0}, time=now - 30))  # 245 steps in 100 s
    job.emit(Event("metrics", 400, {"loss_d": 1.0}, time=now - 12))
    assert job.pace() is None  # one evaluation: not yet
    job.emit(Event("metrics", 500, {"heldout_fid": 250.0}, time=now - 5))
    assert job.pace() == pytest.approx(30 / 250, rel=0.05)  # 250 steps in 30 s, one evaluation in them
    assert job.s_per_step() == pytest.approx(130 / 495, rel=0.05)  # the slow start counted


def test_a_queued_page_is_sent_its_line_only_when_it_changes_yet_looks_every_tick(tmp_path):
    """A queued page's stream looks at its run every ``tick`` (so that a reload or a Stop can
    cancel it there, genai/ui/i18n.py) but sends its line only when the line changed: the other
    steps are QUIET. Its estimate is said rounded (to 5, 15 or 30 s)."""
    from genai.ui.common import QUIET, coarse, status_line, updates, waiting

    runner = JobRunner(max_active=1, per_session=5)
    first = long_run(runner, tmp_path / "1")
    second = long_run(runner, tmp_path / "2", steps=3)
    ticks: list = []
    reader = threading.Thread(target=lambda: ticks.extend(updates(second, tick=0.05)), daemon=True)
    reader.start()
    time.sleep(1.0)
    line = status_line(second)
    assert len(ticks) >= 3 and set(ticks) == {None} and "place 1 of 1" in line  # follow() polls every 0.25 s
    sent: dict = {}
    assert waiting(second, 2, sent)[0] == line
    assert waiting(second, 2, sent) is QUIET  # the same line: nothing to send
    sent["queued line"] = "place 2 of 2"  # what this page was sent before the run ahead of it ended
    assert waiting(second, 2, sent)[0] == line
    first.stop(wait=5)
    second.stop(wait=5)
    reader.join(10)
    assert not reader.is_alive()
    assert [coarse(w) for w in (42, 44, 100, 107, 400, 416)] == [40, 45, 105, 105, 390, 420]


def _what_the_forkserver_did(out):
    import sys

    from genai import metrics

    out.put(("torch._dynamo" in sys.modules, len(metrics._FEATURES)))


def test_training_processes_fork_from_a_server_that_did_each_runs_set_up_once():
    # an optimizer's first construction imports torch._dynamo (1.6 CPU s a process) and the FID
    # needs the held-out digits' features (0.8 s): genai/preload.py does both before the forks
    from genai import jobs, metrics

    if metrics.load_classifier() is None:
        pytest.skip("no shipped classifier")
    ctx = jobs._mp_context()
    if ctx.get_start_method() != "forkserver":
        pytest.skip("no forkserver on this platform")
    jobs.start_forkserver()
    out = ctx.Queue()
    child = ctx.Process(target=_what_the_forkserver_did, args=(out,))
    child.start()
    dynamo, features = out.get(timeout=120)
    child.join(30)
    assert dynamo and features >= 1
