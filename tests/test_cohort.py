"""Lesson runs stacked into one batched model (genai/cohort.py, gan.Cohort): each member trains as
it would alone, its checkpoints resume alone or in a cohort, and the runner puts a class's runs
into one cohort a slot, which runs join and leave while it trains."""
import copy
import json
import multiprocessing
import time

import torch

from genai import checkpoints, models
from genai.jobs import JobRunner
from genai.models import gan
from genai.trainer import TrainSpec, build_model, save_checkpoint

LESSON = models.make_config("gan", "lesson")


def lesson(steps=30, seed=0, **kw):
    return TrainSpec(family="gan", preset="lesson", dataset="digits", steps=steps, batch_size=8, seed=seed,
                     eval_every=10**6, sample_every=10, log_every=5, **kw)


def two_alone_and_stacked():
    alone = []
    for i in range(2):
        torch.manual_seed(10 + i)
        m = gan.Model(LESSON)
        alone.append((m, m.configure_optimizers()))
    cohort = gan.Cohort(LESSON)
    for m, o in alone:
        cohort.add(copy.deepcopy(m), o)
    return alone, cohort


def step_alone(m, opts, real, seed):
    torch.manual_seed(seed)  # Model.train_step draws its noise first: the same z as below
    return m.train_step((real, torch.zeros(len(real), dtype=torch.long)), opts)


def test_each_member_trains_as_it_would_alone_and_a_paused_one_keeps_its_state():
    alone, cohort = two_alone_and_stacked()
    real = torch.rand(4, 2, 8, 1, 28, 28) * 2 - 1
    for s in range(3):
        z, want = [], []
        for i, (m, o) in enumerate(alone):
            torch.manual_seed(100 * s + i)
            z.append(torch.randn(8, LESSON.z_dim))
            want.append(list(step_alone(m, o, real[s, i], 100 * s + i).values()))
        got = cohort.train_step((real[s], torch.stack(z)), torch.ones(2, dtype=torch.bool))
        assert torch.allclose(got, torch.tensor(want), atol=1e-4)  # loss_d, loss_g, D(x), D(G(z)) each
    for i, (m, _) in enumerate(alone):
        mine, opts = cohort.member(i)
        for (name, a), b in zip(m.state_dict().items(), mine.state_dict().values()):
            # Adam turns float rounding in near-zero gradients into steps of up to lr: 2e-3 here
            assert torch.allclose(a.float(), b.float(), atol=2e-3), name
        assert opts["G"].state_dict()["state"][0]["step"] == 3
    before, _ = cohort.member(0)
    cohort.train_step((real[3], torch.randn(2, 8, LESSON.z_dim)), torch.tensor([False, True]))
    after, _ = cohort.member(0)
    assert all(torch.equal(a, b) for a, b in zip(before.state_dict().values(), after.state_dict().values()))
    assert int(cohort.t[0]) == 3 and int(cohort.t[1]) == 4


def test_a_members_checkpoint_resumes_alone_and_joins_a_cohort_with_its_adam_state(tmp_path):
    _, cohort = two_alone_and_stacked()
    for _ in range(2):
        cohort.train_step((torch.rand(2, 8, 1, 28, 28), torch.randn(2, 8, LESSON.z_dim)), torch.ones(2, dtype=torch.bool))
    model, opts = cohort.member(1)
    spec = lesson(steps=5)
    path = save_checkpoint(model, tmp_path / "ck", spec, 2, {}, opts)
    again, states, step = build_model(TrainSpec(**{**vars(spec), "init_from": str(path)}))  # strict load
    assert step == 2 and int(again.steps_done) == 2
    opts2 = again.configure_optimizers()
    for name, state in states.items():
        opts2[name].load_state_dict(state)
    other = gan.Cohort(LESSON)
    other.add(again, opts2)
    assert int(other.t[0]) == 2
    for net in ("G", "D"):
        for n in cohort.p[net]:
            assert torch.equal(other.p[net][n][0], cohort.p[net][n][1])
            assert torch.equal(other.v[net][n][0], cohort.v[net][n][1])


def wait_for(cond, timeout=60.0):
    t0 = time.time()
    while not cond():
        assert time.time() - t0 < timeout
        time.sleep(0.05)


def test_the_runner_trains_a_class_in_one_cohort_a_slot_which_runs_join_and_leave(tmp_path):
    runner = JobRunner(max_active=2, per_session=2, isolate="thread")
    runner.cohort_size = 2
    jobs = [runner.start(lesson(steps=400 if i < 4 else 20, seed=i), owner=f"s{i}") for i in range(5)]
    # two cohorts of two, one in each slot; the fifth run waits for a place in one of them
    assert runner.slots_used() == 2 and {len(g.jobs) for g in runner._groups} == {2}
    assert jobs[4].status == "queued" and runner.queue_place(jobs[4])[0] == 1
    wait_for(lambda: jobs[0].step >= 5)
    jobs[0].stop()  # leaves its cohort, saved; the waiting run takes its place at once
    wait_for(lambda: jobs[0].status == "stopped" and jobs[4].status != "queued")
    assert jobs[4].group is jobs[0].group
    wait_for(lambda: jobs[4].status == "done")
    for j in jobs[1:4]:
        j.stop()
    wait_for(lambda: not any(j.active for j in jobs) and not runner._groups)
    assert [j.status for j in jobs] == ["stopped"] * 4 + ["done"]
    for j in jobs:
        tensors, meta = checkpoints.load(j.checkpoint, "gan")
        assert meta["step"] == j.step and meta["run"] == j.name
    rows = [r for r in jobs[4].rows if "loss_d" in r]  # (the held-out rows: none on digits)
    assert jobs[4].step == 20 and [r["step"] for r in rows] == [5, 10, 15, 20]
    assert all(r["items_per_s"] > 0 and r["loss_d"] > 0 for r in rows)
    assert len(jobs[4].media) == 2  # previews at steps 10 and 20


def test_a_cohort_in_a_training_process_streams_stops_and_saves(tmp_path):
    runner = JobRunner(max_active=1, per_session=2, isolate="process")
    runner.cohort_size = 2
    a = runner.start(lesson(steps=40, seed=1), owner="a")
    b = runner.start(lesson(steps=10**5, seed=2), owner="b")
    assert a.group is b.group is not None
    kinds = [e.kind for e in a.follow(timeout=120)]
    assert kinds[0] == "log" and "metrics" in kinds and kinds[-1] == "done" and a.status == "done"
    wait_for(lambda: b.step > 40)
    b.stop()
    wait_for(lambda: b.status == "stopped" and not runner._groups, timeout=60)
    assert checkpoints.read_meta(b.checkpoint)["step"] == b.step


def test_a_killed_cohort_process_fails_each_of_its_runs_and_says_so_in_their_folders():
    runner = JobRunner(max_active=1, per_session=2, isolate="process")
    runner.cohort_size = 2
    runs = [runner.start(lesson(steps=10**5, seed=i), owner=who) for i, who in enumerate("ab")]
    wait_for(lambda: all(r.step >= 5 for r in runs))
    for child in multiprocessing.active_children():
        if child.name == "cohort":
            child.kill()
    wait_for(lambda: not runner._groups, timeout=30)
    for r in runs:
        assert r.status == "failed" and "ended unexpectedly (killed by SIGKILL" in r.message
        assert json.loads((checkpoints.RUNS_DIR / r.name / "status.json").read_text())["status"] == "failed"
    after = runner.start(lesson(steps=5), owner="a")  # the slot is free again
    wait_for(lambda: after.status == "done", timeout=60)
