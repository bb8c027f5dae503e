"""The VAE tab: interpolate between two digits (picked or drawn), explore the latent map, train live."""
from __future__ import annotations

import os

import gradio as gr
from gradio.context import get_blocks_context
import numpy as np
import pandas as pd
import torch

from genai import checkpoints, data as datamod, images, models, sketch
from genai.models import vae
from genai.trainer import MAX_BATCH, MAX_STEPS, TrainSpec, check_spec
from genai.ui.common import (HEAVY, INF, Sketchpad, at_load, checkpoint_file, fresh_curves, fresh_media,
                             menu_with_run, number, run_choices, on_return, scratch_file, seed_of,
                             start_or_error, status_line, stop_job, toggle_pause, updates, waiting,
                             when_loaded, Number, Slider)
from genai.locales import Words
from genai.ui.i18n import QUIET, L, error, lang_of, page_error, t as tr

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]



MAP_N, MAP_PAD = 15, 1  # the map's grid: n x n decoded cells, 1 px apart
MAP_POINTS = 1000  # held-out digits in the scatter
SLIDERS = 4  # latent dimensions with a slider
_MODELS: dict[tuple, torch.nn.Module] = {}
_LATENTS: dict[tuple, dict] = {}
_GALLERY: dict[str, tuple] = {}


def load_model(path: str, device) -> tuple[torch.nn.Module, dict]:
    """A checkpoint's model, cached while the file is unchanged."""
    key = (path, os.path.getmtime(path), str(device))
    if key not in _MODELS:
        _MODELS.clear() if len(_MODELS) > 8 else None
        _MODELS[key] = models.from_checkpoint(path, "vae", device)
    return _MODELS[key]


def need_model(path, device) -> tuple[torch.nn.Module, dict]:
    """load_model, with every way it can fail said in the page."""
    if not path:
        raise error("vae.no_ckpt")
    try:
        return load_model(path, device)
    except (checkpoints.CheckpointError, OSError) as e:
        raise page_error(e) from None


def shipped() -> list[checkpoints.CheckpointInfo]:
    """Shipped VAE checkpoints, a 2-D one first (its latent map is the one to see first)."""
    found = checkpoints.list_checkpoints("vae", runs_dir=os.devnull)
    # a damaged file in the folder must not be what the tab opens with (it stays listed, and says why)
    return sorted(found, key=lambda c: (not loads(c), c.meta.get("config", {}).get("z_dim") != 2))


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
    """Shipped VAE checkpoints, then this session's runs."""
    out = [(c.name, c.name) for c in shipped()]
    out += run_choices(runner, request, "vae")
    return out


def describe_checkpoint(meta: dict, lang: str = "en") -> str:
    c, m = meta["config"], meta.get("metrics", {})
    text = tr("vae.describe", lang, arch=c["arch"], z_dim=c["z_dim"], beta=c["beta"], steps=meta.get("step", 0),
              dataset=meta.get("dataset", "?"))
    if "recon" in m and "kl" in m:
        text += tr("vae.describe_metrics", lang, recon=m["recon"], kl=m["kl"])
    return text


def prior_samples(model):
    return images.grid_image(model.sample(32, generator=torch.Generator().manual_seed(0)), nrow=8, scale=2)


def first_checkpoint(runner):
    found = shipped()
    return load_model(str(found[0].path), runner.device) if found else (None, None)


# ------------------------------------------------------------------ data-set digits to pick
def gallery_set() -> tuple[datamod.ImageData, list[int]]:
    """Two held-out digits of each class: from MNIST when GENAI_DATA_DIR has it, else `digits`."""
    name = datamod.default_images()
    if name not in _GALLERY:
        try:
            data = datamod.load_images(name)
        except datamod.DataError:
            data = datamod.load_images("digits")
        y = data.heldout_y
        idx = [int(i) for c in range(10) for i in (y == c).nonzero().flatten()[:2]]
        _GALLERY[name] = (data, idx or list(range(min(20, len(y)))))
    return _GALLERY[name]


def gallery_items() -> list[tuple[np.ndarray, str]]:
    data, idx = gallery_set()
    return [(data.heldout_x[i, 0].numpy(), data.classes[int(data.heldout_y[i])]) for i in idx]


def one_per_class() -> list[int]:
    """Positions in the gallery of its first digit of each class (the map's smaller gallery)."""
    data, idx = gallery_set()
    first: dict[int, int] = {}
    for k, i in enumerate(idx):
        first.setdefault(int(data.heldout_y[i]), k)
    return list(first.values())


def gallery_digit(i: int) -> np.ndarray:
    data, idx = gallery_set()
    return data.heldout_x[idx[int(i)], 0].numpy()


# ------------------------------------------------------------------ the latent map
def map_data(model, meta) -> datamod.ImageData:
    """The held-out digits of the set the model was trained on, or `digits` when that is absent."""
    try:
        return datamod.load_images(meta.get("dataset") or "digits")
    except datamod.DataError:
        return datamod.load_images("digits")


def latents(path: str, model, meta) -> dict:
    """Held-out means, their 2-D view (z itself, or its first two principal components), and the
    map image; cached per checkpoint file."""
    key = (path, os.path.getmtime(path))
    if key in _LATENTS:
        return _LATENTS[key]
    data = map_data(model, meta)
    x, y = data.heldout_float(MAP_POINTS)
    mu = model.encode(x)[0].double()
    zd = mu.shape[1]
    if zd < 2:
        raise error("err.map_needs_2d", z_dim=zd)
    if zd == 2:
        center, axes, explained = torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64), 1.0
    else:  # PCA of the means: the plane in which they spread most
        center = mu.mean(0)
        _, s, vt = torch.linalg.svd(mu - center, full_matrices=False)
        axes = vt[:2].T  # (z, 2)
        axes = axes * torch.sign(axes[axes.abs().argmax(0), torch.arange(2)])  # a fixed sign per axis
        explained = float((s[:2] ** 2).sum() / (s ** 2).sum().clamp_min(1e-12))
    xy = (mu - center) @ axes
    scale = torch.ones(2, dtype=torch.float64) if zd == 2 else xy.std(0).clamp_min(1e-6)
    labels = [data.classes[int(c)] if 0 <= int(c) < len(data.classes) else "?" for c in y]
    df = pd.DataFrame({"x": xy[:, 0].float().numpy(), "y": xy[:, 1].float().numpy(), "digit": labels})
    df = df.astype({"x": "float64", "y": "float64", "digit": "str"}).sort_values("digit", kind="stable")
    entry = dict(mu=mu.float(), center=center, axes=axes, scale=scale, explained=explained,
                 df=df, dataset=data.name)
    q = torch.linspace(0.5 / MAP_N, 1 - 0.5 / MAP_N, MAP_N, dtype=torch.float64)
    g = torch.distributions.Normal(0.0, 1.0).icdf(q)
    gy, gx = torch.meshgrid(g.flip(0), g, indexing="ij")
    cells = model.latent_map(MAP_N) if zd == 2 else model.decode(map_z(entry, gx.reshape(-1), gy.reshape(-1)))
    entry["map"] = images.grid_image(cells, nrow=MAP_N, scale=1, pad=MAP_PAD)
    _LATENTS.clear() if len(_LATENTS) > 8 else None
    _LATENTS[key] = entry
    return entry


def map_z(entry: dict, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Map coordinates (standard-normal units along the two axes) -> latent codes (n, z_dim)."""
    ab = torch.stack([a, b], 1).double() * entry["scale"]
    return (entry["center"] + ab @ entry["axes"].T).float()


def click_to_normal(px: float, py: float, n: int = MAP_N, pad: int = MAP_PAD) -> tuple[float, float]:
    """A click on the map image (pixels) -> (a, b) in standard-normal units: the inverse of the grid
    latent_map draws, continuous between cell centres. Row 0 is the top (largest b)."""
    cell = 28 + pad
    cx, cy = (px - pad - 14) / cell, (py - pad - 14) / cell  # 0 at the first cell's centre
    lo, hi = 0.25 / n, 1 - 0.25 / n
    qx = min(max((cx + 0.5) / n, lo), hi)
    qy = min(max(1 - (cy + 0.5) / n, lo), hi)
    icdf = torch.distributions.Normal(0.0, 1.0).icdf
    return float(icdf(torch.tensor(qx, dtype=torch.float64))), float(icdf(torch.tensor(qy, dtype=torch.float64)))


def digit_image(model, z: torch.Tensor):
    return images.grid_image(model.decode(z.reshape(1, -1)), scale=8, pad=0)


def slider_updates(model, z: torch.Tensor, request=None) -> list:
    """The sliders show the first dims of z (both of a 2-D z); the rest are hidden."""
    zd = model.config.z_dim
    out = []
    for i in range(SLIDERS):
        if i < zd:
            label = f"z{i + 1}" if zd == 2 else tr("vae.slider_of", request, i=i + 1, z_dim=zd)
            out.append(Slider(value=round(float(z[i]), 2), label=label, visible=True))
        else:
            out.append(Slider(value=0, visible=False))
    return out


def first_prior(runner):
    model, _ = first_checkpoint(runner)
    return prior_samples(model) if model is not None else None


def first_map(runner, what: str):
    """The map image, or the scatter's data for a 2-D ("z") or larger ("pc") latent, of the menu's
    first checkpoint (None where it has none)."""
    model, meta = first_checkpoint(runner)
    if model is None:
        return None
    e = latents(str(shipped()[0].path), model, meta)
    if what == "map":
        return e["map"]
    return e["df"] if (what == "z") == (model.config.z_dim == 2) else None


def build(runner) -> None:
    gr.Markdown(L("vae.explain"), latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(scale=1):
            choices = checkpoint_choices(runner, None)
            ckpt = gr.Dropdown(choices, value=choices[0][1] if choices else None, label=L("common.checkpoint"),
                               info=L("common.checkpoint_info"), allow_custom_value=True)
            info = gr.Markdown()  # filled at page load, in the page's language
        with gr.Column(scale=1):
            prior = gr.Image(at_load(lambda: first_prior(runner)), type="pil", label=L("vae.prior"),
                             height=260, format="png")

    gr.Markdown(L("vae.interp_title"))
    gr.Markdown(L("vae.interp_help"))
    gallery = gr.Gallery(gallery_items, label=L("vae.gallery"),
                         columns=10, height=250, allow_preview=False, object_fit="contain")
    pad_kw = dict(type="numpy", image_mode="L", canvas_size=(280, 280), fixed_canvas=True, transforms=(),
                  layers=False, format="png", height=340,
                  brush=gr.Brush(default_size=15, colors=["#000000"], color_mode="fixed"))
    with gr.Row():
        pad_a = Sketchpad(label=L("vae.pad_a"), elem_id="vae-pad-a", **pad_kw)
        pad_b = Sketchpad(label=L("vae.pad_b"), elem_id="vae-pad-b", **pad_kw)
        with gr.Column():
            target = gr.Radio(["A", "B"], value="A", label=L("vae.target"),
                              info=L("vae.target_info"))
            frames = Slider(3, 32, 10, step=1, label=L("common.frames"))
            mode = gr.Radio([(L("vae.linear"), "linear"), (L("vae.slerp"), "slerp")], value="linear",
                            label=L("vae.path"), info=L("vae.path_info"))
            interp_btn = gr.Button(L("vae.interpolate"), variant="primary")
    with gr.Row():
        recon_a = gr.Image(type="pil", label=L("vae.recon_a"), format="png",
                           height=150)
        recon_b = gr.Image(type="pil", label=L("vae.recon_b"), format="png",
                           height=150)
        gif = gr.Image(type="filepath", label=L("common.animated"), height=150)
    strip = gr.Image(type="pil", label=L("vae.strip"), format="png", elem_id="vae-strip")

    gr.Markdown(L("vae.map_title"))
    base = gr.State(None)  # the full code of the chosen point (the sliders show its first dims)
    first_zd = first_checkpoint(runner)[0].config.z_dim if shipped() else 2
    with gr.Row():
        map_img = gr.Image(at_load(lambda: first_map(runner, "map")), type="pil", format="png", height=440, interactive=False,
                           label=L("vae.map"), elem_id="vae-map")
        # two plots, shown one at a time: a plot sent new axis titles and new data at once keeps its old data
        # (Gradio 6.31), so each keeps its titles and only its data and visibility change
        plot_kw = dict(x="x", y="y", color="digit", title=L("vae.scatter"), height=440, tooltip="all")
        scatter_z = gr.ScatterPlot(at_load(lambda: first_map(runner, "z")), x_title="z1", y_title="z2",
                                   visible=first_zd == 2, **plot_kw)
        scatter_pc = gr.ScatterPlot(at_load(lambda: first_map(runner, "pc")), x_title="PC 1", y_title="PC 2",
                                    visible=first_zd != 2, **plot_kw)
    with gr.Row():
        with gr.Column(scale=2):
            map_info = gr.Markdown(L("vae.map_help"), latex_delimiters=LATEX)
            map_btn = gr.Button(L("vae.draw_map"))
        with gr.Column(scale=2):
            zs = [Slider(-4, 4, 0, step=0.01, label=f"z{i + 1}", visible=i < min(first_zd, SLIDERS))
                  for i in range(SLIDERS)]
            decode_btn = gr.Button(L("vae.decode"))
        point = gr.Image(type="pil", label=L("vae.decoded"), format="png", height=230, scale=1)
    start_gallery = gr.Gallery(at_load(lambda: [gallery_items()[k] for k in one_per_class()]), columns=10, height=140,
                               allow_preview=False, object_fit="contain",
                               label=L("vae.start_gallery"))

    gr.Markdown(L("vae.train_title"))
    job_id = gr.State(None)
    with gr.Row():
        dataset = gr.Dropdown(datamod.image_datasets(), label=L("common.data_set"),
                              value=datamod.default_images())
        preset = gr.Dropdown(list(vae.PRESETS), value="lesson", label=L("common.model_preset"),
                             info=L("vae.preset_info"))
        z_dim = Slider(2, 64, 2, step=1, label=L("common.latent_size"))
        beta = Number(1.0, label=L("vae.beta"), info=L("vae.beta_info"))
    with gr.Row():
        lr = Number(vae.PRESETS["lesson"]["lr"], label=L("common.learning_rate"))
        steps = Slider(20, 20000, vae.LESSON["steps"], step=10, label=L("common.steps"))
        batch = Slider(8, 512, 64, step=8, label=L("common.batch_size"))
        train_seed = Number(0, label=L("common.seed"))
    with gr.Row():
        start = gr.Button(L("common.start"), variant="primary")
        pause = gr.Button(L("common.pause_resume"))
        stop = gr.Button(L("common.stop"), variant="stop")
    status = gr.Markdown(L("common.no_run"))
    with gr.Row():
        live = gr.Image(type="pil", label=L("vae.live"), format="png",
                        height=380)
        with gr.Column():
            recon_plot = gr.LinePlot(x="step", y="value", color="series", height=190,
                                     title=L("vae.recon_plot"), y_title=L("vae.nats"), x_title=L("plot.step"), color_title=L("plot.series"))
            kl_plot = gr.LinePlot(x="step", y="value", color="series", height=190,
                                  title=L("vae.kl_plot"), y_title=L("vae.nats"), x_title=L("plot.step"), color_title=L("plot.series"))
    loss_plot = gr.LinePlot(x="step", y="value", color="series", height=220,
                            title=L("vae.loss_plot"), y_title=L("vae.nats"), x_title=L("plot.step"), color_title=L("plot.series"))
    gr.Markdown(L("vae.experiment"), latex_delimiters=LATEX)

    # -------------------------------------------------------------- handlers
    def file_of(value):  # a menu value (a name, or a run's key) -> its file; None if none chosen
        return checkpoint_file(runner, value, ("vae",))

    def on_checkpoint(path, request: gr.Request):
        path = file_of(path)
        if not path:
            return tr("vae.no_ckpt", request), None
        model, meta = need_model(path, runner.device)
        return describe_checkpoint(meta, lang_of(request)), prior_samples(model)

    def on_page_load(request: gr.Request):  # the info line, in the language of the page
        found = first_checkpoint(runner)[1] if shipped() else None
        return describe_checkpoint(found, lang_of(request)) if found else tr("vae.no_ckpt", request)

    def pad_digit(v, name) -> np.ndarray:
        comp = v.get("composite") if isinstance(v, dict) else v
        try:
            return sketch.sketch_to_mnist(comp)
        except sketch.EmptySketch:
            raise error("err.digit_empty", name=name, tip=Words("vae.digit_tip")) from None
        except sketch.NotADigit as e:
            raise error("err.not_a_digit", name=name, why=e.args[0], tip=Words("vae.digit_tip")) from None
        except ValueError as e:
            raise error("err.digit_bad", name=name, why=str(e)) from None

    def on_pick(to, evt: gr.SelectData):
        d = sketch.mnist_to_sketch(gallery_digit(evt.index))
        value = {"background": d, "layers": [], "composite": d}
        return (value, gr.skip(), "B") if to == "A" else (gr.skip(), value, "A")

    def on_interpolate(checkpoint, digit_a, digit_b, n_frames, mode, request: gr.Request):
        model, _ = need_model(file_of(checkpoint), runner.device)
        n_frames = number(n_frames, "n_frames", 3, 32, whole=True)
        if mode not in ("linear", "slerp"):
            raise error("err.linear_or_slerp")
        pair = np.stack([pad_digit(digit_a, "A"), pad_digit(digit_b, "B")])
        x = torch.from_numpy(pair).float().div_(255).unsqueeze(1)
        mu, _ = model.encode(x)  # the code of a digit: the encoder's mean
        z = model.interpolate(mu[0], mu[1], n_frames, mode)
        out = model.decode(torch.cat([mu, z]))  # reconstructions and frames in one pass
        rec, walk = out[:2], out[2:]
        frames_ = [images.grid_image(walk[i: i + 1], scale=6, pad=0) for i in range(n_frames)]
        gif_path = scratch_file("interpolation.gif")
        return (images.grid_image(torch.stack([x[0], rec[0]]), nrow=2, scale=4),
                images.grid_image(torch.stack([x[1], rec[1]]), nrow=2, scale=4),
                images.grid_image(walk, nrow=n_frames, scale=3), images.to_gif(frames_, gif_path, bounce=True))

    def map_outputs(model, meta, path, z, request):
        e, zd = latents(path, model, meta), model.config.z_dim
        lim = float(torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(1 - 0.5 / MAP_N)))
        if zd == 2:
            kind = tr("vae.map_2d", request, n=MAP_N, lim=f"{lim:.1f}", middle=f"{1 - 1 / MAP_N:.0%}")
        else:
            kind = tr("vae.map_pca", request, z_dim=zd, explained=f"{e['explained']:.0%}", n=MAP_N,
                      lim=f"{lim:.1f}", sliders=min(SLIDERS, zd))
        info_ = f"{kind} {tr('vae.map_data', request, dataset=e['dataset'])} {tr('vae.map_help', request)}"
        plots = (gr.ScatterPlot(value=e["df"], visible=True), gr.ScatterPlot(visible=False))
        return (e["map"], *(plots if zd == 2 else plots[::-1]), info_, *slider_updates(model, z, request),
                z.tolist(), digit_image(model, z))

    def on_map(checkpoint, request: gr.Request):
        path = file_of(checkpoint)
        model, meta = need_model(path, runner.device)
        z = latents(path, model, meta)["mu"][0]  # start at the first held-out digit's code
        return map_outputs(model, meta, path, z, request)

    def on_checkpoint_map(value, request: gr.Request):  # the menu changed: redraw quietly; errors go to the info line
        if not value:
            return (gr.skip(),) * len(map_outs)
        try:
            return on_map(value, request)
        except gr.Error:
            return (gr.skip(),) * len(map_outs)

    def on_map_click(path, evt: gr.SelectData, request: gr.Request):
        path = file_of(path)
        model, meta = need_model(path, runner.device)
        e = latents(path, model, meta)
        a, b = click_to_normal(*evt.index[:2])
        z = map_z(e, torch.tensor([a]), torch.tensor([b]))[0]
        return (*slider_updates(model, z, request), z.tolist(), digit_image(model, z))

    def on_start_digit(path, evt: gr.SelectData, request: gr.Request):
        path = file_of(path)
        model, _ = need_model(path, runner.device)
        x = torch.from_numpy(gallery_digit(one_per_class()[evt.index])).float().div(255)
        z = model.encode(x)[0][0]
        return (*slider_updates(model, z, request), z.tolist(), digit_image(model, z))

    def on_decode(checkpoint, full, z_1, z_2, z_3, z_4, request: gr.Request):
        # z_1..z_4: the first SLIDERS coordinates; the rest come from the point clicked (full)
        model, _ = need_model(file_of(checkpoint), runner.device)
        zd = model.config.z_dim
        z = torch.zeros(zd)
        if full is not None and len(full) == zd:
            z = torch.tensor(full, dtype=torch.float32)
        n = min(SLIDERS, zd)
        sliders = (z_1, z_2, z_3, z_4)[:n]
        z[:n] = torch.tensor([number(v or 0, f"z_{i + 1}", -4, 4) for i, v in enumerate(sliders)])
        return digit_image(model, z)

    def on_preset(name):
        p = {**vae.Config().__dict__, **vae.PRESETS[name]}
        return p["z_dim"], p["lr"], vae.LESSON["steps"] if name == "lesson" else gr.skip()

    def snapshot(job, sent: dict):
        """The run's update, without what this page already has (common.fresh_curves)."""
        img = fresh_media(job, sent)
        plots = [fresh_curves(job, [m, f"heldout_{m}"], sent, {m: "plot.train", f"heldout_{m}": "plot.heldout"})
                 for m in ("recon", "kl", "loss")]
        return (status_line(job), *plots, img)

    def on_train(dataset, preset, z_dim, beta, lr, steps, batch_size, seed, request: gr.Request):
        try:
            if beta is None or lr is None:
                raise error("err.give_beta_lr")
            steps = number(steps, "steps", 1, MAX_STEPS, whole=True)
            spec = TrainSpec(family="vae", preset=preset, dataset=dataset,
                             overrides=dict(z_dim=number(z_dim, "z_dim", 2, 64, whole=True),
                                            beta=number(beta, "beta", -INF, INF), lr=number(lr, "lr", -INF, INF)),
                             steps=steps, batch_size=number(batch_size, "batch_size", 1, MAX_BATCH, whole=True),
                             seed=seed_of(seed), sample_every=max(10, steps // 100), eval_every=max(50, steps // 10),
                             ckpt_every=max(500, steps // 4))
            check_spec(spec)  # refuse bad settings before loading anything
            data = datamod.load_images(dataset)
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
            out = snapshot(job, sent) if job.started else waiting(job, 4, sent)
            yield QUIET if out is QUIET else (job.id, *out, gr.skip())
        # the last frame whole: what an API caller keeps of the stream
        yield (job.id, *snapshot(job, {}), menu_with_run(checkpoint_choices(runner, request), job))

    def idle(request):  # a page opened again with no run of this tab going: the student's menu
        return (*[gr.skip()] * 6, gr.Dropdown(choices=checkpoint_choices(runner, request)))

    def on_pause(jid, request: gr.Request):
        return toggle_pause(runner, jid, request)

    def on_stop(jid, request: gr.Request):
        job = stop_job(runner, jid, request)
        if job is None:
            return tr("common.no_run_to_stop", request), gr.skip()
        return status_line(job), menu_with_run(checkpoint_choices(runner, request), job)

    map_outs = [map_img, scatter_z, scatter_pc, map_info, *zs, base, point]
    point_outs = [*zs, base, point]
    ckpt.change(on_checkpoint, ckpt, [info, prior], **HEAVY, api_visibility="private")
    get_blocks_context().root_block.load(on_page_load, None, info, api_visibility="private")
    ckpt.change(on_checkpoint_map, ckpt, map_outs, **HEAVY, api_visibility="private")
    gallery.select(on_pick, target, [pad_a, pad_b, target], api_visibility="private")
    interp_btn.click(on_interpolate, [ckpt, pad_a, pad_b, frames, mode], [recon_a, recon_b, strip, gif],
                     api_name="vae_interpolate", **HEAVY)
    map_btn.click(on_map, ckpt, map_outs, api_name="vae_map", **HEAVY)
    map_img.select(on_map_click, ckpt, point_outs, **HEAVY, api_visibility="private")
    start_gallery.select(on_start_digit, ckpt, point_outs, **HEAVY, api_visibility="private")
    decode_btn.click(on_decode, [ckpt, base, *zs], point, api_name="vae_decode_point", **HEAVY)
    for s in zs:  # live: decode as a slider moves (the latest position wins)
        s.input(on_decode, [ckpt, base, *zs], point, **HEAVY, trigger_mode="always_last",
                show_progress="hidden", api_visibility="private")
    preset.change(on_preset, preset, [z_dim, lr, steps], api_visibility="private")
    # the stream only watches the run (training is in the runner's thread), so it takes no compute slot
    live_out = [job_id, status, recon_plot, kl_plot, loss_plot, live, ckpt]
    train_ev = start.click(on_train, [dataset, preset, z_dim, beta, lr, steps, batch, train_seed], live_out,
                           api_name="vae_train", concurrency_limit=None, show_progress="hidden")
    back_ev = when_loaded(on_return(runner, "vae", stream, idle), live_out)
    pause.click(on_pause, job_id, status, api_name="vae_pause")
    stop.click(on_stop, job_id, [status, ckpt], api_name="vae_stop", cancels=[train_ev, back_ev])
