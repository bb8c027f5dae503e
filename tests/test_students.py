"""A run belongs to a student, not to a browser tab (genai/classroom.py): identity across pages,
the cap per student, the grace period, a restart's runs listed again and resumed, the import of
an exported run and its refusals."""
import io
import json
import zipfile
from pathlib import Path

import pytest

from genai import checkpoints, classroom, monitor, runlog
from genai.jobs import INTERRUPTED, JobRunner, RunnerBusy
from genai.trainer import TrainSpec


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """A runs folder of this test's own (a restart reads every run in it)."""
    folder = tmp_path / "runs"
    monkeypatch.setattr(checkpoints, "RUNS_DIR", folder)
    return folder


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def spec(steps=6, **kw):
    return TrainSpec(family="gan", preset="tiny", dataset="digits", steps=steps, batch_size=8,
                     eval_every=kw.pop("eval_every", 10**6), sample_every=2, log_every=1, ckpt_every=3, **kw)


def wait_for(cond, timeout=60.0):
    import time

    t0 = time.time()
    while not cond():
        assert time.time() - t0 < timeout, "timed out"
        time.sleep(0.02)


def test_one_student_across_pages_and_devices(runs):
    roster = classroom.Roster(runs)
    secret = classroom.new_secret()
    a = roster.attach("page-1", secret)
    b = roster.attach("page-2-after-reload", secret)
    other = roster.attach("page-3", classroom.new_secret())
    assert a == b == classroom.owner_of("page-1") == classroom.owner_of("page-2-after-reload")
    assert other != a and secret not in a  # the server keeps a hash, never the secret itself
    code = roster.device_code(secret)
    phone = roster.attach("phone", roster.redeem(code.lower()))  # typed in lower case, with its dash
    assert phone == a
    with pytest.raises(ValueError, match="wrong or expired"):
        roster.redeem("AAAA-AAAA")
    # a page that never said who it is (an API client) is its own owner; a bad secret changes nothing
    assert roster.attach("api-client", "short") == "api-client"
    assert classroom.owner_of("api-client") == "api-client"


def test_names_and_flags_survive_a_restart(runs):
    roster = classroom.Roster(runs)
    me = roster.attach("p", classroom.new_secret())
    assert roster.needs_name(me)
    roster.set_name(me, "  Ana\n L.\x00 ")
    roster.set_keep(me, True)
    again = classroom.Roster(runs)  # a new server process reads the class back
    assert again.name(me) == "Ana L." and me in again.keep
    with pytest.raises(ValueError, match="at most 40"):
        roster.set_name(me, "x" * 41)
    with pytest.raises(ValueError, match="Type a name"):
        roster.set_name(me, "   ")


def test_the_cap_counts_runs_per_student_not_per_page(runs):
    runner = JobRunner(max_active=1, per_session=1)
    secret = classroom.new_secret()
    me = runner.roster.attach("laptop", secret)
    job = runner.start(spec(steps=100000), owner=me)
    also_me = runner.roster.attach("phone", secret)
    with pytest.raises(RunnerBusy, match="at most 1"):
        runner.start(spec(steps=5), owner=also_me)
    someone_else = runner.roster.attach("other", classroom.new_secret())
    assert runner.start(spec(steps=5), owner=someone_else).status == "queued"
    runner.shutdown()
    assert job.status in ("stopped", "cancelled")


def test_a_closed_page_stops_nothing_until_the_grace_period_ends(runs):
    clock = Clock()
    runner = JobRunner(max_active=3, roster=classroom.Roster(runs, abandon_s=600, clock=clock))
    roster = runner.roster
    gone, back, kept = (roster.attach(f"page-{i}", classroom.new_secret()) for i in range(3))
    jobs = {who: runner.start(spec(steps=100000), owner=who) for who in (gone, back, kept)}
    wait_for(lambda: all(j.step >= 2 for j in jobs.values()))
    roster.set_keep(kept, True)
    for i in range(3):
        roster.closed(f"page-{i}")  # every page closes (a reload, a sleeping laptop)
    clock.now += 599
    assert classroom.stop_abandoned(runner) == [] and all(j.active for j in jobs.values())
    roster.seen("page-1")  # ... and student "back"'s page comes back (a woken laptop)
    clock.now += 2
    stopped = classroom.stop_abandoned(runner)
    assert stopped == [jobs[gone].name]
    jobs[gone].thread.join(30)
    assert jobs[gone].status == "stopped" and jobs[gone].checkpoint  # stopped and saved, not lost
    assert jobs[back].active and jobs[kept].active
    runner.shutdown()


def test_a_restart_lists_every_run_again_and_resumes_the_interrupted_one(runs):
    first = JobRunner(max_active=2)
    me = first.roster.attach("p", classroom.new_secret())
    done = first.start(spec(steps=6), owner=me)
    cut = first.start(spec(steps=100000), owner=me)
    wait_for(lambda: cut.checkpoint is not None and not done.active)
    cut.control.stop()  # ... as the server dies: the run saves, but its record says "training"
    cut.thread.join(30)
    status = json.loads((runs / cut.name / "status.json").read_text())
    (runs / cut.name / "status.json").write_text(json.dumps({**status, "status": "training"}))

    second = JobRunner(max_active=1)  # the restarted server
    found = {j.name: j for j in second.adopt_disk_runs()}
    assert set(found) == {done.name, cut.name}
    assert found[done.name].status == "done" and found[done.name].owner == me
    back = found[cut.name]
    assert back.status == INTERRUPTED and back.step == cut.step
    assert Path(back.checkpoint).resolve().is_relative_to(runs.resolve())
    assert second.jobs(me) and not second.jobs("someone else")
    resumed = second.start(TrainSpec(**{**back.spec.__dict__, "init_from": back.checkpoint, "steps": 3,
                                        "name": "", "out": ""}), owner=me)
    resumed.thread.join(60)
    assert resumed.status == "done" and resumed.step == back.step + 3
    assert checkpoints.read_meta(resumed.checkpoint)["step"] == back.step + 3


def test_a_queued_run_survives_a_restart(runs):
    first = JobRunner(max_active=1)
    first.start(spec(steps=100000), owner="alice")
    waiting = first.start(spec(steps=50), owner="alice")
    assert waiting.status == "queued"
    # its folder was written when it was queued, so a server that dies now (no shutdown) leaves
    # it on disk: the restarted one shows it as interrupted, to start again with one click
    again = {j.name: j for j in JobRunner(max_active=1).adopt_disk_runs()}
    assert again[waiting.name].status == INTERRUPTED and again[waiting.name].step == 0
    assert again[waiting.name].spec.steps == 50
    first.shutdown()
    first.start(spec(steps=100000), owner="carol")
    cancelled = first.start(spec(steps=50), owner="bob")  # a run its student takes out of the queue
    cancelled.stop()
    assert json.loads((runs / cancelled.name / "status.json").read_text())["status"] == "cancelled"
    first.shutdown()


def test_a_status_naming_a_file_outside_the_run_is_not_followed(runs, tmp_path):
    folder = runs / "run-x"
    folder.mkdir(parents=True)
    outside = tmp_path / "secret.safetensors"
    outside.write_bytes(b"x")
    assert runlog.checkpoint_in(folder, str(outside)) is None
    assert runlog.checkpoint_in(folder, "../../etc/passwd") is None
    (folder / "checkpoint.safetensors").write_bytes(b"x")
    moved = "/somewhere/else/run-x/checkpoint.safetensors"  # a folder moved since: found by name
    assert runlog.checkpoint_in(folder, moved) == str((folder / "checkpoint.safetensors").resolve())


# ---------------------------------------------------------------- import
@pytest.fixture
def exported(runs, tmp_path):
    runner = JobRunner(max_active=1)
    job = runner.start(spec(steps=6), owner="alice")
    job.thread.join(60)
    view = monitor.job_view(job)
    return monitor.export_zip(view, tmp_path / "run.zip"), job


def test_an_exported_run_comes_back_resumable(exported, runs):
    path, job = exported
    runner = JobRunner(max_active=1)
    folder = monitor.import_zip(path, owner="bob")
    back = runner.adopt(folder)
    assert back.owner == "bob" and back.step == job.step == 6 and back.status == "stopped"
    assert len(back.rows) == len(job.rows) and len(back.media) == len(job.media)
    more = runner.start(TrainSpec(**{**back.spec.__dict__, "init_from": back.checkpoint, "steps": 2, "name": "",
                                     "out": ""}), owner="bob")
    more.thread.join(60)
    assert more.status == "done" and more.step == 8


def rewrite(src: Path, dest: Path, change) -> Path:
    """A copy of an exported zip with ``change(name, data) -> [(name, data), ...]`` applied."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            for name, data in change(info.filename, z.read(info)):
                out.writestr(name, data)
    return dest


def folders(runs):
    return sorted(p.name for p in runs.iterdir() if p.is_dir())


@pytest.mark.parametrize("what, change, message", [
    ("a path outside the run", lambda n, d: [(n, d)] + [("../../evil.txt", b"x")] * (n == "config.json"), "an exported run does not"),
    ("an absolute path", lambda n, d: [(n, d)] + [("/etc/cron.d/x", b"x")] * (n == "config.json"), "an exported run does not"),
    ("a pickle", lambda n, d: [(n.replace(".safetensors", ".pt"), d)], "an exported run does not"),
    ("no config", lambda n, d: [] if n == "config.json" else [(n, d)], "no config.json"),
    ("no checkpoint", lambda n, d: [] if n.startswith("checkpoint/") else [(n, d)], "no checkpoint"),
    ("bad settings", lambda n, d: [(n, d.replace(b'"steps": 6', b'"steps": -5') if n == "config.json" else d)],
     "settings are not valid"),
    ("another family's settings", lambda n, d: [(n, d.replace(b'"family": "gan"', b'"family": "vae"')
                                                 if n == "config.json" else d)], "does not load"),
    ("weights that are not safetensors", lambda n, d: [(n, b"not weights" if n.endswith(".safetensors") else d)],
     "does not load"),
])
def test_a_bad_zip_is_refused_and_changes_nothing(exported, runs, tmp_path, what, change, message):
    path, _ = exported
    bad = rewrite(path, tmp_path / "bad.zip", change)
    before = folders(runs)
    with pytest.raises(monitor.ImportRefused, match=message):
        monitor.import_zip(bad, owner="bob")
    assert folders(runs) == before, what


def test_a_damaged_or_oversized_zip_is_refused(exported, runs, tmp_path, monkeypatch):
    path, _ = exported
    before = folders(runs)
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(monitor.ImportRefused, match="damaged"):
        monitor.import_zip(not_zip)
    data = bytearray(path.read_bytes())
    i = data.find(b"checkpoint/")  # flip bytes inside a member's compressed data: its CRC fails
    data[i + 200: i + 240] = bytes(40)
    broken = tmp_path / "crc.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(monitor.ImportRefused):
        monitor.import_zip(broken)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(monitor.MAX_IMPORT_MEMBERS + 1):
            z.writestr(f"samples/{i:08d}.txt", "x")
    many = tmp_path / "many.zip"
    many.write_bytes(buf.getvalue())
    with pytest.raises(monitor.ImportRefused, match="at most 1000"):
        monitor.import_zip(many)
    monkeypatch.setattr(monitor, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(monitor.ImportRefused, match="an exported run is at most"):
        monitor.import_zip(path)
    assert folders(runs) == before


def test_the_browsers_key_is_kept_across_restarts_and_the_teachers_key_is_checked(runs, monkeypatch):
    monkeypatch.delenv("GENAI_BROWSER_SECRET", raising=False)
    first = classroom.browser_secret(runs)
    assert first == classroom.browser_secret(runs) and len(first) >= 32  # a restart reads the same key
    assert (runs / ".browser-secret").stat().st_mode & 0o077 == 0  # readable by the server alone
    monkeypatch.setenv("GENAI_BROWSER_SECRET", "set-by-the-operator")
    assert classroom.browser_secret(runs) == "set-by-the-operator"
    roster = classroom.Roster(runs)
    monkeypatch.delenv("GENAI_TEACHER_KEY", raising=False)
    assert not roster.teacher_login("p", "")  # no key set: no board for anyone
    monkeypatch.setenv("GENAI_TEACHER_KEY", "lesson-42")
    assert not roster.teacher_login("p", "lesson-4") and not roster.is_teacher("p")
    assert not roster.teacher_login("p", None)
    assert roster.teacher_login("p", "lesson-42") and roster.is_teacher("p") and not roster.is_teacher("q")


def test_the_board_says_how_many_students_have_a_model_and_when_the_last_is_done(runs):
    runner = JobRunner(max_active=1)
    ana = runner.roster.attach("a", classroom.new_secret())
    bo = runner.roster.attach("b", classroom.new_secret())
    first = runner.start(spec(steps=200), owner=ana)
    second = runner.start(spec(steps=6), owner=bo)  # waits for the one slot
    now = monitor.class_progress(monitor.board(runner))
    assert (now["students"], now["trained"], now["training"], now["waiting"]) == (2, 0, 1, 1)
    assert now["last_end"] is None  # nothing has gone far enough to tell how long the runs take
    # the waiting run's card and monitor row say "queued", not the queue's whole status line
    from genai.ui.class_tab import card_html
    from genai.ui.monitor_tab import table

    card = card_html(next(c for c in monitor.board(runner) if c["run"] == second.name), "zh-CN")
    rows = table([monitor.job_view(second)], "en")
    assert "排队中" in card and "{" not in card and "place" not in card
    assert rows.iloc[0, 3] == "queued"
    wait_for(lambda: second.status == "done", 120)
    assert first.status == "done"
    done = monitor.class_progress(monitor.board(runner))
    assert (done["students"], done["trained"], done["training"], done["waiting"]) == (2, 2, 0, 0)
    assert done["last_end"] == 0.0
    from genai.ui.class_tab import progress_html

    html = progress_html(done, "en")
    assert "2 of 2 students have a trained model" in html and "the last" not in html  # nothing to wait for
    zh = progress_html(now, "zh-CN")
    assert "最后一个何时完成" in zh and "名学生中" in zh


def test_the_board_shows_every_students_runs_with_what_they_changed(runs):
    runner = JobRunner(max_active=2)
    ana = runner.roster.attach("a", classroom.new_secret())
    runner.roster.set_name(ana, "Ana")
    bo = runner.roster.attach("b", classroom.new_secret())
    first = runner.start(spec(steps=6, eval_every=3, overrides={"lr_g": 5e-4}), owner=ana)
    second = runner.start(spec(steps=6, eval_every=3), owner=bo)
    for j in (first, second):
        j.thread.join(60)
    cards = {c["run"]: c for c in monitor.board(runner)}
    assert cards[first.name]["student"] == "Ana" and cards[second.name]["student"] == ""
    assert cards[first.name]["changed"]["lr_g"] == 5e-4 and "lr_g" not in cards[second.name]["changed"]
    assert cards[first.name]["quality_key"] == "heldout_fid" and cards[first.name]["quality"] > 0
    assert cards[first.name]["media"] is not None
    runner.roster.set_hidden(first.name, True)
    assert [c["run"] for c in monitor.board(runner)] == [second.name]
    assert len(monitor.board(runner, hidden_too=True)) == 2
