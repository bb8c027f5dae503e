"""The Image GAN tab: sample from a checkpoint at once, walk the latent space, train live."""
from __future__ import annotations

import os

import gradio as gr
import pandas as pd
import torch

from genai import checkpoints, data as datamod, images, metrics, models
from genai.models import gan
from genai.trainer import MAX_BATCH, MAX_STEPS, TrainSpec, check_spec
from genai.ui.common import (AXES, HEAVY, INF, at_load, checkpoint_file, find_job, fresh_curves,
                             fresh_media, is_new, number, run_choices, scratch_file, snapshot_at, on_return,
                             seed_of, start_or_error, status_line, stop_job, toggle_pause, trained, updates,
                             waiting, when_loaded, Number, Slider)
from genai.ui.i18n import QUIET, L, error, page_error, t as tr



UPLOAD = "your images (upload)"
DIGITS = [str(i) for i in range(10)]
_MODELS: dict[tuple, torch.nn.Module] = {}


def load_model(path: str, device) -> tuple[torch.nn.Module, dict]:
    """A checkpoint's model, cached while the file is unchanged."""
    key = (path, os.path.getmtime(path), str(device))
    if key not in _MODELS:
        _MODELS.clear() if len(_MODELS) > 8 else None
        _MODELS[key] = models.from_checkpoint(path, "gan", device)
    return _MODELS[key]


def shipped() -> list[checkpoints.CheckpointInfo]:
    """Shipped GAN checkpoints, the unconditional one closest to real digits (by FID) first: the
    tab opens with it."""
    found = checkpoints.list_checkpoints("gan", runs_dir=os.devnull)

    def rank(c):  # a damaged file must not be what the tab opens with (it stays listed, and says why)
        if not loads(c):
            return (True, True, 0.0)
        meta = checkpoints.read_meta(c.path)
        return (False, bool(meta["config"].get("conditional")), meta.get("metrics", {}).get("fid", float("inf")))
    return sorted(found, key=rank)


def loads(info: checkpoints.CheckpointInfo) -> bool:
    try:
        load_model(str(info.path), "cpu")
        return True
    except (checkpoints.CheckpointError, OSError):
        return False


def warm_up(runner) -> None:
    """Load the shipped checkpoints before the first student asks (genai/ui/app.py)."""
    for c in shipped():
        load_model(str(c.path), runner.device)


def checkpoint_choices(runner, request) -> list[tuple[str, str]]:
    """Shipped GAN checkpoints, then this session's runs."""
    out = [(c.name, c.name) for c in shipped()]
    out += run_choices(runner, request, "gan")
    return out


def describe_checkpoint(meta: dict, request=None) -> str:
    """The info line under the samples, in the page's language."""
    c, m = meta["config"], meta.get("metrics", {})
    kind = {"mlp": "MLP GAN", "dcgan": "DCGAN"}[c["arch"]]
    kind = tr("gan.info_conditional", request, kind=kind) if c.get("conditional") else kind
    parts = [tr("gan.info_model", request, kind=kind, loss=c["loss"], z=c["z_dim"]),
             trained(meta, request)]
    if c.get("clusters"):
        parts.append(tr("gan.info_clusters", request, k=c["clusters"]))
    if c.get("truncation", 1.0) < 1:
        parts.append(tr("gan.info_truncation", request, psi=f"{c['truncation']:g}"))
    if "fid" in m:
        alike = metrics.measured_alike(meta)  # a shipped file, measured as real digits are: how close
        if alike:
            mine, real = alike
            parts.append(tr("gan.info_close", request, fid=mine["fid"], times=f"{mine['fid_floor']:.2f}",
                            real=real["fid"], kid=mine["kid"], real_kid=real["kid"]))
            parts.append(tr("gan.info_classes", request, entropy=f"{m['class_entropy']:.3f}",
                            confident=f"{m['confident']:.0%}"))
        else:  # a run: its own figure from training, not comparable with real digits' (fewer samples)
            parts.append(tr("gan.info_quality", request, fid=f"{m['fid']:.2f}", entropy=f"{m['class_entropy']:.3f}",
                            confident=f"{m['confident']:.0%}"))
        if "inception_score" in m:  # checkpoints scored since the score was added
            parts.append(tr("gan.info_is", request, score=f"{m['inception_score']:.2f}"))
        if "label_match" in m:
            parts.append(tr("gan.info_asked", request, share=f"{m['label_match']:.1%}"))
    return tr("common.info_sep", request).join(parts)


def first_grid(runner):
    found = shipped()
    if not found:
        return None
    model, _ = load_model(str(found[0].path), runner.device)
    return images.grid_image(model.sample(64, generator=torch.Generator().manual_seed(0)), nrow=8, scale=3)


def build(runner) -> None:
    gr.Markdown(L("gan.explain"), latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                            {"left": "$", "right": "$", "display": False}])
    with gr.Row():
        with gr.Column(scale=1):
            choices = checkpoint_choices(runner, None)
            ckpt = gr.Dropdown(choices, value=choices[0][1] if choices else None, label=L("common.checkpoint"),
                               info=L("common.checkpoint_info"), allow_custom_value=True)
            n = Slider(1, 100, 64, step=1, label=L("gan.n_samples"))
            seed = Number(0, label=L("common.seed"), info=L("gan.seed_info"))
            digit = gr.Dropdown([(L("gan.digit_any"), "any")] + DIGITS, value="any", label=L("gan.digit"))
            sample_btn = gr.Button(L("gan.sample"), variant="primary")
            info = gr.Markdown()
        with gr.Column(scale=2):
            # a callable value runs at every page load: a student sees digits at once
            grid = gr.Image(at_load(lambda: first_grid(runner)), type="pil", label=L("gan.samples"), height=420, format="png")
    with gr.Accordion(L("gan.walk_title"), open=False):
        with gr.Row():
            seed_a = Number(1, label=L("gan.from_seed"))
            seed_b = Number(2, label=L("gan.to_seed"))
            frames = Slider(3, 32, 10, step=1, label=L("common.frames"))
            walk_btn = gr.Button(L("gan.walk"))
        strip = gr.Image(type="pil", label=L("gan.strip"), format="png")
        walk_gif = gr.Image(type="filepath", label=L("common.animated"), height=160)

    gr.Markdown(L("gan.train_title"))
    job_id = gr.State(None)
    with gr.Row():
        dataset = gr.Dropdown(datamod.image_datasets() + [(L("gan.upload_choice"), UPLOAD)], label=L("common.data_set"),
                              value=datamod.default_images())
        preset = gr.Dropdown(list(gan.PRESETS), value="lesson", label=L("common.model_preset"),
                             info=L("gan.preset_info"))
        loss = gr.Dropdown(list(gan.LOSSES), value="bce", label=L("gan.loss"))
        steps = Slider(20, 20000, gan.LESSON["steps"], step=10, label=L("common.steps"))
    with gr.Row():
        lr_g = Number(gan.PRESETS["lesson"]["lr_g"], label=L("gan.lr_g"))
        lr_d = Number(gan.PRESETS["lesson"]["lr_d"], label=L("gan.lr_d"))
        batch = Slider(8, 512, gan.LESSON["batch_size"], step=8, label=L("common.batch_size"))
        z_dim = Slider(2, 256, gan.PRESETS["lesson"]["z_dim"], step=1, label=L("common.latent_size"))
        train_seed = Number(0, label=L("common.seed"))
    upload = gr.File(file_count="multiple", file_types=["image", ".zip"], label=L("gan.upload"),
                     visible=False)
    with gr.Row():
        start = gr.Button(L("common.start"), variant="primary")
        pause = gr.Button(L("common.pause_resume"))
        stop = gr.Button(L("common.stop"), variant="stop")
    status = gr.Markdown(L("common.no_run"))
    with gr.Row():
        live = gr.Image(type="pil", label=L("gan.live"), format="png", height=380)
        with gr.Column():
            loss_plot = gr.LinePlot(x="step", y="value", color="series", title=L("gan.losses_plot"), height=190, **AXES)
            d_plot = gr.LinePlot(x="step", y="value", color="series", title=L("gan.d_plot"), height=190, **AXES)
    with gr.Row():
        fid_plot = gr.LinePlot(x="step", y="value", color="series", title=L("gan.fid_plot"), height=220, **AXES)
        is_plot = gr.LinePlot(x="step", y="value", color="series", title=L("gan.is_plot"), height=220, **AXES)
        hist = gr.BarPlot(x="class", y="share", title=L("gan.hist_plot"), height=220, y_lim=[0, 1],
                          x_title=L("plot.digit"), y_title=L("plot.share"))
    with gr.Row():
        replay = Slider(0, 100, 100, step=1, label=L("gan.replay"))
        gif_btn = gr.Button(L("gan.export_gif"))
        gif_file = gr.File(label=L("gan.gif"))
    gr.Markdown(L("gan.experiment"))

    # -------------------------------------------------------------- handlers
    def on_sample(checkpoint, n_samples, seed, digit, request: gr.Request):
        path = checkpoint_file(runner, checkpoint, ("gan",))
        if not path:
            raise error("err.choose_checkpoint_or_train")
        try:
            model, meta = load_model(path, runner.device)
        except (checkpoints.CheckpointError, OSError) as e:
            raise page_error(e) from None
        n_samples = number(n_samples, "n_samples", 1, 100, whole=True)
        g = torch.Generator().manual_seed(seed_of(seed))
        labels = int(digit) if (digit not in (None, "any") and model.config.conditional) else None
        x = model.sample(n_samples, generator=g, labels=labels)
        return images.grid_image(x, nrow=10 if n_samples > 64 else 8, scale=3), describe_checkpoint(meta, request)

    def on_walk(checkpoint, from_seed, to_seed, n_frames, request: gr.Request):
        path = checkpoint_file(runner, checkpoint, ("gan",))
        if not path:
            raise error("err.choose_checkpoint")
        n_frames = number(n_frames, "n_frames", 3, 32, whole=True)
        try:
            model, _ = load_model(path, runner.device)
        except (checkpoints.CheckpointError, OSError) as e:
            raise page_error(e) from None
        ga = torch.Generator().manual_seed(seed_of(from_seed, "from_seed"))
        gb = torch.Generator().manual_seed(seed_of(to_seed, "to_seed"))
        za = torch.randn(1, model.config.z_dim, generator=ga)
        zb = torch.randn(1, model.config.z_dim, generator=gb)
        y = model.labels_for(1, generator=ga)  # a labelled G keeps one digit (or cluster) all the way
        t = torch.linspace(0, 1, n_frames).unsqueeze(1)
        x = model.generate_from((1 - t) * za + t * zb, y)  # straight line in z: (n_frames, 1, 28, 28)
        frames_ = [images.grid_image(x[i: i + 1], scale=6, pad=0) for i in range(len(x))]
        gif_path = scratch_file("walk.gif")
        return images.grid_image(x, nrow=len(x), scale=3), images.to_gif(frames_, gif_path, bounce=True)

    def on_dataset(name):
        return gr.File(visible=name == UPLOAD)

    def on_preset(name):
        p = {**gan.Config().__dict__, **gan.PRESETS[name]}
        length = {"lesson": gan.LESSON, "cpu-fast": gan.CPU_FAST}.get(name)
        steps, batch_size = (length["steps"], length["batch_size"]) if length else (gr.skip(), gr.skip())
        return p["loss"], p["lr_g"], p["lr_d"], p["z_dim"], steps, batch_size

    def histogram(job) -> pd.DataFrame:
        shares = [(str(i), job.latest.get(f"heldout_class_{i}", 0.0)) for i in range(10)] if job else []
        return pd.DataFrame(shares, columns=["class", "share"]).astype({"class": "str", "share": "float64"})

    def snapshot(job, sent: dict):
        """One update of the run's outputs, leaving out what the page already has (``sent``
        remembers, per stream): a plot or the histogram is sent when its series has a new point,
        the grid when there is a new one. In a class each unchanged frame cost the server: the
        held-out plots change 4 times a run, not at each of its updates (BENCHMARKS.md, issue 31)."""
        img = fresh_media(job, sent)
        plots = [fresh_curves(job, keys, sent) for keys in
                 (["loss_d", "loss_g"], ["D(x)", "D(G(z))"], ["heldout_fid"], ["heldout_inception_score"])]
        hist = histogram(job) if is_new(job, ["heldout_class_0"], sent) else gr.skip()
        # the replay slider's range is fixed (0-100% of the run), so no update rebuilds it
        return (status_line(job), *plots, hist, img, gr.skip())

    def on_train(dataset, preset, loss, lr_g, lr_d, batch_size, z_dim, steps, seed, files, request: gr.Request):
        data = None
        try:
            if dataset == UPLOAD:
                data = datamod.load_user_images([f for f in (files or [])], "your images")
            steps = number(steps, "steps", 1, MAX_STEPS, whole=True)
            spec = TrainSpec(family="gan", preset=preset,
                             dataset=dataset if dataset != UPLOAD else "your images",
                             overrides=dict(loss=loss, lr_g=number(lr_g, "lr_g", -INF, INF),
                                            lr_d=number(lr_d, "lr_d", -INF, INF),
                                            z_dim=number(z_dim, "z_dim", 2, 256, whole=True)),
                             steps=steps, batch_size=number(batch_size, "batch_size", 1, MAX_BATCH, whole=True),
                             seed=seed_of(seed), sample_every=max(10, steps // 100),
                             eval_every=max(50, -(-steps // gan.EVALS)),
                             ckpt_every=max(500, steps // 4))
            check_spec(spec)  # refuse bad settings before loading anything
            if data is None:
                data = datamod.load_images(dataset)
            if gan.PRESETS[preset].get("conditional") and int(data.train_y.min()) < 0:
                raise error("err.conditional_needs_labels")
        except gr.Error:  # already a message for the page (gr.Error is a ValueError)
            raise
        except (datamod.DataError, ValueError, TypeError) as e:
            raise page_error(e) from None
        job = start_or_error(runner, spec, request, data=data)
        yield from stream(job, request)

    def stream(job, request):
        """The run, live, until it ends. A page that closes ends only its stream: the run goes on
        (genai/classroom.py: the grace period), and a page opened again streams it anew."""
        sent: dict = {}
        yield (job.id, *snapshot(job, sent), gr.skip())
        for _ in updates(job):
            out = snapshot(job, sent) if job.started else waiting(job, 7, sent)
            yield QUIET if out is QUIET else (job.id, *out, gr.skip())
        # the last frame whole: what an API caller keeps of the stream (and a page's full redraw)
        yield (job.id, *snapshot(job, {}), gr.Dropdown(choices=checkpoint_choices(runner, request)))

    def idle(request):  # a page opened again with no run of this tab going: the student's menu
        return (*[gr.skip()] * 9, gr.Dropdown(choices=checkpoint_choices(runner, request)))

    def on_pause(jid, request: gr.Request):
        return toggle_pause(runner, jid, request)

    def on_stop(jid, request: gr.Request):
        job = stop_job(runner, jid, request)
        if job is None:
            return tr("common.no_run_to_stop", request), gr.skip()
        return status_line(job), gr.Dropdown(choices=checkpoint_choices(runner, request))

    def on_replay(jid, i, request: gr.Request):
        job = find_job(runner, jid, request)
        if job is None or not job.media:
            return gr.skip()
        step, img = snapshot_at(job, number(i, "i", 0, 100))
        return gr.Image(value=img, label=tr("gan.live_at", request, step=step))

    def on_gif(jid, request: gr.Request):
        job = find_job(runner, jid, request)
        if job is None or not job.media:
            raise error("err.gif_needs_run")
        path = scratch_file(f"{job.name}.gif")
        return images.to_gif([img for _, img in job.media], path, duration_ms=150)

    sample_btn.click(on_sample, [ckpt, n, seed, digit], [grid, info], api_name="sample",
                     **HEAVY)
    ckpt.change(on_sample, [ckpt, n, seed, digit], [grid, info], **HEAVY, api_visibility="private")
    walk_btn.click(on_walk, [ckpt, seed_a, seed_b, frames], [strip, walk_gif], api_name="latent_walk",
                   **HEAVY)
    dataset.change(on_dataset, dataset, upload, api_visibility="private")
    preset.change(on_preset, preset, [loss, lr_g, lr_d, z_dim, steps, batch], api_visibility="private")
    # the stream only watches the run (training is in the runner's process), so it takes no compute slot
    live_out = [job_id, status, loss_plot, d_plot, fid_plot, is_plot, hist, live, replay, ckpt]
    train_ev = start.click(on_train, [dataset, preset, loss, lr_g, lr_d, batch, z_dim, steps, train_seed, upload],
                           live_out, api_name="train", concurrency_limit=None, show_progress="hidden")
    back_ev = when_loaded(on_return(runner, "gan", stream, idle), live_out)
    pause.click(on_pause, job_id, status, api_name="pause")
    stop.click(on_stop, job_id, [status, ckpt], api_name="stop", cancels=[train_ev, back_ev])
    replay.release(on_replay, [job_id, replay], live, api_name="replay")
    gif_btn.click(on_gif, job_id, gif_file, api_name="export_gif")
