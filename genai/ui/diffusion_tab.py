"""The Diffusion tab: sample from a checkpoint at once, watch the reverse process step by step,
noise a real digit by hand (the forward process), trade steps for time, compare the three image
families, and train live."""
from __future__ import annotations

import json
import os
import time

import gradio as gr
from gradio.context import get_blocks_context
import pandas as pd
import torch

from genai import checkpoints, data as datamod, images, metrics, models
from genai.models import diffusion
from genai.trainer import MAX_BATCH, MAX_STEPS, TrainSpec, check_spec
from genai.ui.common import (AXES, HEAVY, INF, at_load, checkpoint_file, fresh_curves, fresh_media,
                             menu_with_run, number, run_choices, on_return, seed_of, start_or_error,
                             status_line, stop_job, Throttle, toggle_pause, trained, updates, waiting,
                             when_loaded, Number, Slider)
from genai.ui.i18n import QUIET, L, error, page_error, t as tr

DIGITS = [str(i) for i in range(10)]
COMPARE_STEPS = (1, 2, 5, 10, 25, 50)  # step counts (the default sampler) the steps-against-time grid shows
CHAIN_FRAMES = 10  # columns of the reverse-process strip
FORWARD_TS = (0, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999)  # the forward-process strip
# a few sampler steps take well under a second: each is shown for at least this long (and all of them
# for at most REVERSE_SHOW_S), so that the reverse process can be watched
REVERSE_PACE_S, REVERSE_SHOW_S = 0.2, 2.0
# the three image families measured on the same digits and classifier (python bench/diffusion.py compare)
COMPARISON = "image_models.json"  # in checkpoints/
_MODELS: dict[tuple, torch.nn.Module] = {}
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def load_model(path: str, device) -> tuple[torch.nn.Module, dict]:
    """A checkpoint's model, cached while the file is unchanged."""
    key = (path, os.path.getmtime(path), str(device))
    if key not in _MODELS:
        _MODELS.clear() if len(_MODELS) > 8 else None
        _MODELS[key] = models.from_checkpoint(path, "diffusion", device)
    return _MODELS[key]


def shipped() -> list[checkpoints.CheckpointInfo]:
    return checkpoints.list_checkpoints("diffusion", runs_dir=os.devnull)


def warm_up(runner) -> None:
    """Load the shipped checkpoints before the first student asks (genai/ui/app.py)."""
    for c in shipped():
        load_model(str(c.path), runner.device)
    first_grid(runner)


def checkpoint_choices(runner, request) -> list[tuple[str, str]]:
    return [(c.name, c.name) for c in shipped()] + run_choices(runner, request, "diffusion")


def model_for(runner, value):
    path = checkpoint_file(runner, value, ("diffusion",))
    if not path:
        raise error("err.choose_checkpoint_or_train")
    try:
        return load_model(path, runner.device)
    except (checkpoints.CheckpointError, OSError) as e:
        raise page_error(e) from None


def describe_checkpoint(meta: dict, request=None) -> str:
    """The info line under the samples, in the page's language."""
    c, m = meta["config"], meta.get("metrics", {})
    parts = [tr("diffusion.info_model", request, width=c["width"], T=c["timesteps"], schedule=c["beta_schedule"],
                guidance=c["guidance"]),
             trained(meta, request)]
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
        if "label_match" in m:
            parts.append(tr("diffusion.info_match", request, share=f"{m['label_match']:.1%}"))
    return tr("common.info_sep", request).join(parts)


def labels_of(digit, model, n):
    if not model.config.conditional:
        return None
    if digit in (None, "any"):
        return torch.arange(n) % model.config.n_classes  # each digit in turn: the grid reads 0-9 by columns
    if str(digit) not in DIGITS:
        raise error("err.digit_choice", value=repr(str(digit)[:20]))
    return int(digit)


_FIRST: dict[tuple, object] = {}


def first_grid(runner):
    """What the tab opens with: 40 digits, 0-9 by columns, seed 0. Made once per checkpoint file
    and kept: forty digits take ten guided steps, 800 network passes, and every page load of a
    class would pay them again."""
    found = shipped()
    if not found:
        return None
    path = str(found[0].path)
    key = (path, os.path.getmtime(path))
    if key not in _FIRST:
        model, _ = load_model(path, runner.device)
        x = model.sample(40, generator=torch.Generator().manual_seed(0), labels=torch.arange(40) % 10)
        _FIRST.clear()
        _FIRST[key] = images.grid_image(x, nrow=10, scale=3)
    return _FIRST[key]


def held_out_digits():
    """Ten held-out digits, one of each class: MNIST when GENAI_DATA_DIR has it, else `digits`."""
    name = datamod.default_images()
    try:
        data = datamod.load_images(name)
    except datamod.DataError:
        data = datamod.load_images("digits")
    y = data.heldout_y
    idx = [int((y == c).nonzero()[0]) for c in range(10) if (y == c).any()]
    return data.heldout_x[idx].float() / 255


def schedule_of(runner, value) -> diffusion.Config:
    """The checkpoint's config (its noise schedule), or the default one when none is chosen."""
    if not value:
        return diffusion.Config()
    return model_for(runner, value)[0].config


def comparison_table(request=None) -> str:
    """GAN vs VAE vs diffusion as a Markdown table in the page's language, as measured by the bench
    (checkpoints/image_models.json); empty if it has not been run."""
    path = checkpoints.SHIPPED_DIR / COMPARISON
    if not path.exists():
        return ""
    rows = json.loads(path.read_text())["rows"]
    cols = ["model", "fid", "fid_floor", "kid", "class_entropy", "confident", "stray", "memorised", "params_m",
            "train_min", "draw64_s"]
    lines = ["| " + " | ".join(tr(f"diffusion.col_{k}", request) for k in cols) + " |", "|---" * len(cols) + "|"]
    shown = {"stray": "{:.2%}".format, "kid": "{:.0f}".format}  # a share as a percentage; KID's decimals are noise
    lines += ["| " + " | ".join("-" if r.get(k) is None else shown.get(k, str)(r[k]) for k in cols) + " |" for r in rows]
    return "\n".join(lines)


def forward_images(config: diffusion.Config, which: int, t: int, request=None):
    """Held-out digit ``which`` noised to step t, the same digit along the whole chain, and what
    is left of it, in words. One noise draw for all, so that only t changes between them."""
    x0 = held_out_digits()[which: which + 1]
    alphas = diffusion.make_scheduler(config).alphas_cumprod
    noisy_x, signal = diffusion.noise_to(x0, t, alphas, torch.Generator().manual_seed(0))
    ts = [min(s, config.timesteps - 1) for s in FORWARD_TS]
    strip = torch.cat([diffusion.noise_to(x0, s, alphas, torch.Generator().manual_seed(0))[0] for s in ts])
    text = tr("diffusion.forward_info", request, t=t, signal=f"{signal:.3f}", noise=f"{(1 - signal ** 2) ** 0.5:.3f}",
              share=f"{signal ** 2:.1%}", ts=", ".join(str(s) for s in ts))
    return images.grid_image(noisy_x, scale=6, pad=0), images.grid_image(strip, nrow=len(ts), scale=3), text


def build(runner) -> None:
    gr.Markdown(L("diffusion.explain"), latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(scale=1):
            choices = checkpoint_choices(runner, None)
            ckpt = gr.Dropdown(choices, value=choices[0][1] if choices else None, label=L("common.checkpoint"),
                               info=L("common.checkpoint_info"), allow_custom_value=True)
            digit = gr.Dropdown([(L("diffusion.digit_each"), "any")] + DIGITS, value="any",
                                label=L("diffusion.digit"))
            guidance = Slider(0, 8, diffusion.Config.guidance, step=0.5, label=L("diffusion.guidance"),
                                 info=L("diffusion.guidance_info"))
            steps_n = Slider(1, 100, diffusion.Config.sample_steps, step=1, label=L("diffusion.steps"),
                                info=L("diffusion.steps_info"))
            sampler = gr.Radio([(L(f"diffusion.{k}"), k) for k in diffusion.SAMPLERS], value="unipc",
                               label=L("diffusion.sampler"), info=L("diffusion.sampler_info"))
            n = Slider(1, 100, 40, step=1, label=L("gan.n_samples"))
            seed = Number(0, label=L("common.seed"))
            sample_btn = gr.Button(L("gan.sample"), variant="primary")
            info = gr.Markdown()
        with gr.Column(scale=2):
            grid = gr.Image(at_load(lambda: first_grid(runner)), type="pil", label=L("diffusion.samples"), height=420,
                            format="png")
    with gr.Accordion(L("diffusion.reverse_title"), open=True):
        gr.Markdown(L("diffusion.reverse_help"), latex_delimiters=LATEX)
        reverse_btn = gr.Button(L("diffusion.reverse"))
        with gr.Row():
            x_t = gr.Image(type="pil", label=L("diffusion.x_t"), format="png", height=200)
            x0_hat = gr.Image(type="pil", label=L("diffusion.x0_hat"), format="png", height=200)
        chain = gr.Image(type="pil", label=L("diffusion.chain"), format="png", elem_id="diffusion-chain")
    with gr.Accordion(L("diffusion.forward_title"), open=False):
        gr.Markdown(L("diffusion.forward_help"), latex_delimiters=LATEX)
        with gr.Row():
            which = Slider(0, 9, 3, step=1, label=L("diffusion.which_digit"))
            t_slider = Slider(0, diffusion.Config.timesteps - 1, 300, step=1, label=L("diffusion.t"))
        # shown before any slider moves; made at page load, not here: the schedule comes from
        # diffusers, whose import takes seconds that the server's start should not wait for
        with gr.Row():
            noisy = gr.Image(at_load(lambda: forward_images(diffusion.Config(), 3, 300)[0]), type="pil",
                             label=L("diffusion.noisy"), format="png", height=200)
            forward_strip = gr.Image(at_load(lambda: forward_images(diffusion.Config(), 3, 300)[1]), type="pil",
                                     label=L("diffusion.forward_strip"), format="png")
        forward_info = gr.Markdown()
    with gr.Accordion(L("diffusion.compare_steps_title"), open=False):
        gr.Markdown(L("diffusion.compare_steps_help"))
        compare_btn = gr.Button(L("diffusion.compare_steps"))
        with gr.Row():
            steps_grid = gr.Image(type="pil", label=L("diffusion.steps_grid"), format="png")
            steps_table = gr.Dataframe(label=L("diffusion.steps_table"), interactive=False)
    with gr.Accordion(L("diffusion.families_title"), open=False):
        gr.Markdown(L("diffusion.families_table"))
        families = gr.Markdown()  # filled when the page loads, in its language
        gr.Markdown(L("diffusion.families_takeaway"))

    gr.Markdown(L("diffusion.train_title"))
    job_id = gr.State(None)
    with gr.Row():
        dataset = gr.Dropdown(datamod.image_datasets(), label=L("common.data_set"),
                              value=datamod.default_images())
        preset = gr.Dropdown(list(diffusion.PRESETS), value="lesson", label=L("common.model_preset"),
                             info=L("diffusion.preset_info"))
        steps = Slider(20, 20000, diffusion.LESSON["steps"], step=10, label=L("common.steps"))
    with gr.Row():
        lr = Number(diffusion.PRESETS["lesson"]["lr"], label=L("common.learning_rate"))
        batch = Slider(8, 512, diffusion.LESSON["batch_size"], step=8, label=L("common.batch_size"))
        train_seed = Number(0, label=L("common.seed"))
    with gr.Row():
        start = gr.Button(L("common.start"), variant="primary")
        pause = gr.Button(L("common.pause_resume"))
        stop = gr.Button(L("common.stop"), variant="stop")
    status = gr.Markdown(L("common.no_run"))
    with gr.Row():
        live = gr.Image(type="pil", label=L("diffusion.live"), format="png", height=320)
        with gr.Column():
            loss_plot = gr.LinePlot(x="step", y="value", color="series", title=L("diffusion.loss_plot"), height=190,
                                    **AXES)
            fid_plot = gr.LinePlot(x="step", y="value", color="series", title=L("gan.fid_plot"), height=190, **AXES)
    gr.Markdown(L("diffusion.experiment"), latex_delimiters=LATEX)

    # -------------------------------------------------------------- handlers
    def on_sample(checkpoint, n_samples, seed, digit, guidance, steps, sampler, request: gr.Request):
        model, meta = model_for(runner, checkpoint)
        n_samples = number(n_samples, "n_samples", 1, 100, whole=True)
        guidance = number(guidance, "guidance", 0, 8)
        steps = number(steps, "steps", 1, 100, whole=True)
        if sampler not in diffusion.SAMPLERS:
            raise error("err.sampler_choice", value=repr(str(sampler)[:20]))
        g = torch.Generator().manual_seed(seed_of(seed))
        t0 = time.perf_counter()
        x = model.sample(n_samples, generator=g, labels=labels_of(digit, model, n_samples), steps=steps,
                         guidance=guidance, sampler=sampler)
        took = tr("diffusion.took", request, n=n_samples, seconds=f"{time.perf_counter() - t0:.1f}",
                  steps=model.config.timesteps if sampler == "ddpm" else steps,
                  sampler=diffusion.SAMPLER_NAMES[sampler])
        info_line = describe_checkpoint(meta, request) + tr("common.info_sep", request) + took
        return images.grid_image(x, nrow=10, scale=3), info_line

    def on_reverse(checkpoint, digit, guidance, steps, sampler, seed, request: gr.Request):
        model, _ = model_for(runner, checkpoint)
        guidance = number(guidance, "guidance", 0, 8)
        steps = number(steps, "steps", 1, 100, whole=True)
        if sampler not in diffusion.SAMPLERS:
            raise error("err.sampler_choice", value=repr(str(sampler)[:20]))
        g = torch.Generator().manual_seed(seed_of(seed))
        total = model.config.timesteps if sampler == "ddpm" else steps
        keep = {round(i * (total - 1) / (CHAIN_FRAMES - 1)) for i in range(CHAIN_FRAMES)}  # columns of the strip
        frames, throttle = [], Throttle(0.25)
        pace, last = min(REVERSE_PACE_S, REVERSE_SHOW_S / total), time.monotonic()
        ts = [*diffusion.timesteps_of(model.config, steps, sampler), 0]  # where x is after each step
        for i, t, x, x0 in model.reverse(8, g, labels_of(digit, model, 8), steps, guidance, sampler):
            if i in keep:
                frames.append(x)
            if sampler == "ddpm" and not throttle.ready(i == total - 1):
                continue  # a thousand steps: the page gets four a second
            time.sleep(max(0.0, pace - (time.monotonic() - last)))
            last = time.monotonic()
            label = tr("diffusion.x_t_at", request, i=i + 1, total=total, t=ts[i + 1])
            yield (gr.Image(images.grid_image(x, nrow=8, scale=3), label=label),
                   images.grid_image(x0, nrow=8, scale=3), chain_image(frames))

    def chain_image(frames):
        """Digits down, steps across: column k is every digit at the k-th kept step."""
        x = torch.stack(frames, 1).flatten(0, 1)  # (8 * k, 1, 28, 28), digit-major
        return images.grid_image(x, nrow=len(frames), scale=2)

    def on_forward(checkpoint, which, t, request: gr.Request):
        config = schedule_of(runner, checkpoint)
        which = number(which, "which", 0, 9, whole=True)
        t = number(t, "t", 0, config.timesteps - 1, whole=True)
        return forward_images(config, which, t, request)

    def on_compare(checkpoint, guidance, seed, request: gr.Request):
        model, _ = model_for(runner, checkpoint)
        guidance = number(guidance, "guidance", 0, 8)
        labels = torch.arange(10) % model.config.n_classes if model.config.conditional else None
        noise = torch.randn(10, 1, 28, 28, generator=torch.Generator().manual_seed(seed_of(seed)))
        clf = metrics.load_classifier()
        rows, grids = [], []
        for k in COMPARE_STEPS:
            t0 = time.perf_counter()
            x = None
            for _, _, x, _ in model.reverse(10, torch.Generator().manual_seed(0), labels, k, guidance, noise=noise):
                pass
            seconds = time.perf_counter() - t0
            grids.append(x)
            row = {tr("diffusion.col_steps", request): k, tr("diffusion.col_seconds", request): round(seconds, 2)}
            if clf is not None and labels is not None:
                read = clf.embed(x)[0].argmax(1)
                row[tr("diffusion.col_read", request)] = f"{int((read == labels).sum())}/10"
            rows.append(row)
        return images.grid_image(torch.cat(grids), nrow=10, scale=2), pd.DataFrame(rows)

    def on_preset(name):
        p = {**diffusion.Config().__dict__, **diffusion.PRESETS[name]}
        return p["lr"], diffusion.LESSON["steps"] if name == "lesson" else gr.skip()

    def snapshot(job, sent: dict):
        """The run's update, without what this page already has (common.fresh_curves)."""
        img = fresh_media(job, sent)
        plots = [fresh_curves(job, ["loss", "heldout_loss"], sent, {"loss": "plot.train", "heldout_loss": "plot.heldout"}),
                 fresh_curves(job, ["heldout_fid"], sent)]
        return (status_line(job), *plots, img)

    def on_train(dataset, preset, lr, steps, batch_size, seed, request: gr.Request):
        try:
            steps = number(steps, "steps", 1, MAX_STEPS, whole=True)
            spec = TrainSpec(family="diffusion", preset=preset, dataset=dataset,
                             overrides=dict(lr=number(lr, "lr", -INF, INF)),
                             steps=steps, batch_size=number(batch_size, "batch_size", 1, MAX_BATCH, whole=True),
                             # a preview draws 40 digits (10 guided steps), the FID 500: a few of each
                             seed=seed_of(seed), sample_every=max(10, steps // 20), eval_every=max(100, steps // 2),
                             ckpt_every=max(500, steps // 4))
            check_spec(spec)  # refuse bad settings before loading anything
            data = datamod.load_images(dataset)
            if diffusion.Config(**diffusion.PRESETS[preset]).conditional and int(data.train_y.min()) < 0:
                raise error("err.diffusion_needs_labels")
        except gr.Error:  # already a message for the page (gr.Error is a ValueError)
            raise
        except (datamod.DataError, ValueError, TypeError) as e:
            raise page_error(e) from None
        job = start_or_error(runner, spec, request, data=data)
        yield from stream(job, request)

    def stream(job, request):
        """The run, live, until it ends; a page that closes ends only its stream, not the run."""
        sent: dict = {}  # what this page has (common.fresh_curves)
        yield (job.id, *snapshot(job, sent), gr.skip())
        for _ in updates(job):
            out = snapshot(job, sent) if job.started else waiting(job, 3, sent)
            yield QUIET if out is QUIET else (job.id, *out, gr.skip())
        # the last frame whole: what an API caller keeps of the stream
        yield (job.id, *snapshot(job, {}), menu_with_run(checkpoint_choices(runner, request), job))

    def idle(request):  # a page opened again with no run of this tab going: the student's menu
        return (*[gr.skip()] * 5, gr.Dropdown(choices=checkpoint_choices(runner, request)))

    def on_pause(jid, request: gr.Request):
        return toggle_pause(runner, jid, request)

    def on_stop(jid, request: gr.Request):
        job = stop_job(runner, jid, request)
        if job is None:
            return tr("common.no_run_to_stop", request), gr.skip()
        return status_line(job), menu_with_run(checkpoint_choices(runner, request), job)

    def on_page_load(request: gr.Request):  # the info line and the table, in the language of the page
        found = shipped()
        line = describe_checkpoint(checkpoints.read_meta(found[0].path), request) if found else ""
        return line, comparison_table(request)

    get_blocks_context().root_block.load(on_page_load, None, [info, families], api_visibility="private")
    sample_in = [ckpt, n, seed, digit, guidance, steps_n, sampler]
    sample_btn.click(on_sample, sample_in, [grid, info], api_name="diffusion_sample", **HEAVY)
    ckpt.change(on_sample, sample_in, [grid, info], **HEAVY, api_visibility="private")
    reverse_btn.click(on_reverse, [ckpt, digit, guidance, steps_n, sampler, seed], [x_t, x0_hat, chain],
                      api_name="diffusion_reverse", **HEAVY)
    forward_io = ([ckpt, which, t_slider], [noisy, forward_strip, forward_info])
    t_slider.release(on_forward, *forward_io, api_name="diffusion_forward", **HEAVY)
    which.release(on_forward, *forward_io, api_visibility="private", **HEAVY)
    compare_btn.click(on_compare, [ckpt, guidance, seed], [steps_grid, steps_table], api_name="diffusion_steps",
                      **HEAVY)
    preset.change(on_preset, preset, [lr, steps], api_visibility="private")
    live_out = [job_id, status, loss_plot, fid_plot, live, ckpt]
    train_ev = start.click(on_train, [dataset, preset, lr, steps, batch, train_seed], live_out,
                           api_name="diffusion_train", concurrency_limit=None, show_progress="hidden")
    back_ev = when_loaded(on_return(runner, "diffusion", stream, idle), live_out)
    pause.click(on_pause, job_id, status, api_name="diffusion_pause")
    stop.click(on_stop, job_id, [status, ckpt], api_name="diffusion_stop", cancels=[train_ev, back_ev])
