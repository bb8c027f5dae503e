import json
import struct
import zipfile

import pytest
import torch
from PIL import Image

from genai import checkpoints, models, monitor, runlog
from genai.trainer import Event, TrainSpec, build_model, train


def test_smoothing_is_the_debiased_ema():
    xs, w = [4.0, 2.0, 8.0, 1.0], 0.9
    m, want = 0.0, []
    for t, x in enumerate(xs, 1):
        m = w * m + (1 - w) * x
        want.append(m / (1 - w**t))
    assert monitor.smooth(xs, w) == pytest.approx(want)
    assert monitor.smooth(xs, 0.9)[0] == pytest.approx(4.0)  # debiased: no drag towards 0
    assert monitor.smooth(xs, 0.0) == xs


def test_a_runs_previews_on_disk_read_back_pixel_for_pixel(tmp_path):
    log = runlog.RunLog(tmp_path / "run", TrainSpec(family="gan", preset="tiny", steps=10))
    grid = Image.fromarray(torch.randint(0, 256, (62, 62), dtype=torch.uint8).numpy())
    log(Event("samples", 5, grid))  # saved at zlib's fastest level: smaller work, the same pixels
    back = Image.open(tmp_path / "run" / "media" / "00000005.png")
    assert back.mode == "L" and list(back.getdata()) == list(grid.getdata())


def test_media_slider_picks_each_mediums_step(tmp_path):
    a, b = Image.new("L", (4, 4), 10), Image.new("L", (4, 4), 200)
    view = {"media": [(10, a), (20, b)]}
    assert monitor.media_at(view, 15) == (10, a)
    assert monitor.media_at(view, 20) == (20, b) and monitor.media_at(view, 99) == (20, b)
    assert monitor.media_at(view, 0) == (10, a)
    (tmp_path / "00000005.txt").write_text("to be or not")
    b.save(tmp_path / "00000007.png")
    disk = {"media": [(5, tmp_path / "00000005.txt"), (7, tmp_path / "00000007.png")]}
    assert monitor.media_at(disk, 6) == (5, "to be or not")
    step, img = monitor.media_at(disk, 7)
    assert step == 7 and img.getpixel((0, 0)) == 200


def tiny_spec(tmp_path, **kw):
    return TrainSpec(**{**dict(family="gan", preset="tiny", dataset="digits", steps=6, batch_size=8, eval_every=1000,
                               sample_every=2, log_every=1, name="m1", out=str(tmp_path / "ck")), **kw})


def test_resume_continues_with_the_same_optimizer_state(tmp_path):
    events = []
    ck = train(tiny_spec(tmp_path), events.append)
    tensors, meta = checkpoints.load(ck)
    model, states, step = build_model(tiny_spec(tmp_path, init_from=str(ck), out=str(tmp_path / "ck2")))
    assert step == 6 and states
    saved_g = checkpoints.optimizer_states(tensors, meta)["G"]
    opts = model.configure_optimizers()
    for name, st in states.items():
        opts[name].load_state_dict(st)
    restored = opts["G"].state_dict()
    for idx, st in saved_g["state"].items():
        assert torch.equal(restored["state"][idx]["exp_avg"], st["exp_avg"])
        assert float(restored["state"][idx]["step"]) == 6
    events = []
    train(tiny_spec(tmp_path, init_from=str(ck), steps=2, out=str(tmp_path / "ck2")), events.append)
    assert [e.step for e in events if e.kind == "done"] == [8]


def test_fork_keeps_weights_and_changes_settings(tmp_path):
    ck = train(tiny_spec(tmp_path), lambda e: None)
    original, _ = models.from_checkpoint(ck)
    model, states, step = build_model(tiny_spec(tmp_path, init_from=str(ck), overrides={"lr_d": 0.0123, "loss": "hinge"}))
    assert states is None and step == 6  # a fork starts fresh optimizers
    assert model.config.lr_d == 0.0123 and model.config.loss == "hinge"
    for k, v in original.state_dict().items():
        assert torch.equal(v, model.state_dict()[k]), k
    assert model.configure_optimizers()["D"].param_groups[0]["lr"] == 0.0123
    with pytest.raises(ValueError, match="has no setting"):
        build_model(tiny_spec(tmp_path, init_from=str(ck), overrides={"nonsense": 1}))


def read_tfrecord(data: bytes):
    from tensorboardX.proto import event_pb2

    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        out.append(event_pb2.Event.FromString(data[i + 12:i + 12 + n]))
        i += 12 + n + 4
    return out


def test_export_holds_what_it_claims_and_loads_back(tmp_path):
    log = tmp_path / "runs" / "m1"
    train(tiny_spec(tmp_path, out=str(log / "checkpoint")), lambda e: None, log_dir=log)
    view = monitor.disk_view(runlog.read_run(log))
    assert view["status"] == "done" and view["step"] == 6 and len(view["rows"]) >= 6
    path = monitor.export_zip(view, tmp_path / "m1.zip")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        z.extractall(tmp_path / "x")
    assert "config.json" in names and "metrics.csv" in names
    assert {"samples/00000002.png", "samples/00000004.png", "samples/00000006.png"} <= set(names)
    assert json.loads((tmp_path / "x" / "config.json").read_text())["spec"]["preset"] == "tiny"
    csv_rows = (tmp_path / "x" / "metrics.csv").read_text().splitlines()
    assert csv_rows[0].startswith("step,") and len(csv_rows) == len(view["rows"]) + 1
    model, meta = models.from_checkpoint(tmp_path / "x" / "checkpoint" / "checkpoint.safetensors")
    assert meta["step"] == 6
    tb = [n for n in names if n.startswith("tensorboard/")]
    events = read_tfrecord((tmp_path / "x" / tb[0]).read_bytes())
    tags = {v.tag for e in events for v in e.summary.value}
    assert {"loss_d", "loss_g", "samples"} <= tags


def test_cli_runs_are_listed_for_everyone_and_ui_runs_only_for_their_owner(tmp_path):
    for name, owner in (("cli-run", ""), ("alice-run", "alice")):
        log = tmp_path / name
        train(tiny_spec(tmp_path, name=name, steps=2, out=str(log / "checkpoint")), lambda e: None, log_dir=log, owner=owner)
    assert [r["name"] for r in runlog.list_disk_runs(tmp_path, owner="bob")] == ["cli-run"]
    assert sorted(r["name"] for r in runlog.list_disk_runs(tmp_path, owner="alice")) == ["alice-run", "cli-run"]


def test_a_tabs_curves_send_the_page_a_few_hundred_points_however_long_the_run():
    from types import SimpleNamespace

    from genai.ui.common import MAX_POINTS, curves

    rows = [{"step": s, "loss": 1.0 / s} for s in range(1, 20_001)]
    rows += [{"step": s, "heldout": 2.0} for s in (500, 1000)]  # a rare series keeps every point
    df = curves(SimpleNamespace(rows=rows), ["loss", "heldout", "absent"])
    loss = df[df.series == "loss"]
    assert len(loss) <= MAX_POINTS + 1  # a browser redraws every point on every update
    assert loss.step.iloc[0] == 1 and loss.step.iloc[-1] == 20_000  # the whole run, up to now
    assert loss.step.is_monotonic_increasing
    assert df[df.series == "heldout"].step.tolist() == [500, 1000]
    short = curves(SimpleNamespace(rows=rows[:30]), ["loss"])
    assert short.step.tolist() == list(range(1, 31))


def test_a_series_not_measured_yet_is_named_from_the_first_frame():
    """Gradio's LinePlot fixes its colours from the first frame it draws: a held-out curve that
    starts later must be in that frame already (as a point that draws nothing), or it never shows."""
    from types import SimpleNamespace

    from genai.ui.common import curves

    rows = [{"step": s, "loss": 3.0 - s / 100} for s in range(1, 21)]
    df = curves(SimpleNamespace(rows=rows), ["loss", "heldout_loss"])
    assert set(df.series) == {"loss", "heldout_loss"}
    held = df[df.series == "heldout_loss"]
    assert len(held) == 1 and held.value.isna().all() and held.step.iloc[0] == 1
    rows.append({"step": 20, "heldout_loss": 2.9})
    held = curves(SimpleNamespace(rows=rows), ["loss", "heldout_loss"]).query("series == 'heldout_loss'")
    assert held.value.tolist() == [2.9]  # measured: the placeholder is gone
    assert curves(SimpleNamespace(rows=[]), ["loss", "heldout_loss"]).empty  # nothing yet: no frame


def test_a_stream_sends_a_plot_again_only_when_it_has_a_new_point():
    """A class streams thirty runs: a held-out plot (4 points a run) is sent when it changes, not
    at each of a run's hundred updates; a new page (a fresh ``sent``) gets everything again."""
    from types import SimpleNamespace

    import gradio as gr

    from genai.ui.common import fresh_curves

    job = SimpleNamespace(rows=[{"step": 5, "loss": 2.0}])
    sent: dict = {}
    assert isinstance(fresh_curves(job, ["heldout_fid"], sent), type(gr.skip()))  # nothing yet: no frame
    assert len(fresh_curves(job, ["loss"], sent)) == 1
    assert isinstance(fresh_curves(job, ["loss"], sent), type(gr.skip()))  # unchanged
    job.rows += [{"step": 10, "loss": 1.5}, {"step": 10, "heldout_fid": 300.0}]
    assert fresh_curves(job, ["loss"], sent).step.tolist() == [5, 10]
    assert fresh_curves(job, ["heldout_fid"], sent).value.tolist() == [300.0]
    assert isinstance(fresh_curves(job, ["heldout_fid"], sent), type(gr.skip()))
    assert fresh_curves(job, ["heldout_fid"], {}).value.tolist() == [300.0]  # a page opened again


def test_runs_started_in_the_same_second_get_folders_of_their_own(tmp_path):
    """The CLI names a run by its preset and the second it started; two started together (two
    terminals, a script) must not write one record and one checkpoint."""
    names = [runlog.claim_name("gan-mlp-20261203-021648", tmp_path) for _ in range(3)]
    assert names == ["gan-mlp-20261203-021648", "gan-mlp-20261203-021648-2", "gan-mlp-20261203-021648-3"]
    assert all((tmp_path / n).is_dir() for n in names)


def test_two_writers_of_one_run_folder_do_not_crash_each_other(tmp_path):
    """Two runs given the same --name once crashed the second with FileNotFoundError: both wrote
    status.json.tmp and the first moved it away. Each writer now has a temporary file of its own."""
    import threading

    logs = [runlog.RunLog(tmp_path / "same", tiny_spec(tmp_path, name="same")) for _ in range(2)]
    errors = []

    def write(log):
        try:
            for _ in range(300):
                log._write_status()
        except OSError as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert json.loads((tmp_path / "same" / "status.json").read_text())["status"] == "training"
