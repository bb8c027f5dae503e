"""The "What they are for" tab: a held-out digit repaired by each image family (RePaint, a search in
a GAN's and a VAE's latent space) beside the nearest training digit; upscaled from 7x7 or 14x14
(ILVR) beside bicubic; and generated digits as training data (the Classification Accuracy Score).
The strategies are in genai/strategies.py and genai/synthetic.py."""
from __future__ import annotations

import functools
import os
import threading

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image

from genai import checkpoints, data as datamod, images, metrics, models, strategies as S, synthetic
from genai.ui.common import HEAVY, ImageEditor, Number, Slider, at_load, checkpoint_file, number, run_choices, seed_of
from genai.ui.i18n import L, error, page_error, t as tr

FAMILIES = ("diffusion", "gan", "vae")
SHIPPED = {"diffusion": "diffusion_mnist", "gan": "gan_mlp_mnist", "vae": "vae_conv-16d_mnist"}  # BENCHMARKS.md
CONDITIONAL = {"conditional DCGAN": "gan_cdcgan_mnist", "diffusion": "diffusion_mnist"}
MASK_CHOICES = [("uses.mask_bottom", "bottom"), ("uses.mask_left", "left"), ("uses.mask_centre", "centre"),
                ("uses.mask_random75", "random75"), ("uses.mask_brush", "brush")]
MOST_FILLS = 4
HELD_OUT = 2000  # MNIST's held-out digits; digit_at checks the count of the data set actually read
SCALE = 4  # a 28x28 digit shown 112 pixels wide
EDITOR = 280  # the brush canvas: 10 canvas pixels a digit pixel
_MODELS: dict[tuple, tuple] = {}
_CAS: dict[tuple, dict] = {}
_CAS_LOCK = threading.Lock()


@functools.cache
def digits() -> datamod.ImageData:
    """The held-out digits to repair and their training digits (the nearest baseline): MNIST when
    its files are here, else scikit-learn's small digits, which need no download."""
    try:
        return datamod.load_images("mnist")
    except datamod.DataError:
        return datamod.load_images("digits")


def load_model(path: str, device):
    key = (path, os.path.getmtime(path), str(device))
    if key not in _MODELS:
        _MODELS.clear() if len(_MODELS) > 8 else None
        _MODELS[key] = models.from_checkpoint(path, None, device)
    return _MODELS[key]


def warm_up(runner) -> None:
    for family in FAMILIES:
        load_model(str(checkpoints.find(SHIPPED[family], family, runs_dir=os.devnull).path), runner.device)
    digits()


def choices(runner, request, family: str) -> list[tuple[str, str]]:
    return ([(c.name, c.name) for c in checkpoints.list_checkpoints(family, runs_dir=os.devnull)]
            + run_choices(runner, request, family))


def model_for(runner, value, family: str):
    path = checkpoint_file(runner, value or SHIPPED[family], (family,))
    try:
        return load_model(path, runner.device)[0]
    except (checkpoints.CheckpointError, OSError) as e:
        raise page_error(e) from None


def digit_at(index) -> torch.Tensor:
    held = digits().heldout_x
    i = number(index, "digit", 0, len(held) - 1, whole=True)
    return held[i: i + 1].float().div(255)  # (1, 1, 28, 28)


def editor_value(index) -> dict:
    """The brush canvas: the digit, 10 canvas pixels a digit pixel, to paint over."""
    x = digit_at(index)[0, 0].numpy()
    big = np.kron(x, np.ones((EDITOR // 28, EDITOR // 28)))
    rgb = np.repeat((big * 255).astype(np.uint8)[..., None], 3, 2)
    return {"background": rgb, "layers": [], "composite": rgb}


def brush_mask(value) -> torch.Tensor:
    """1 where known, 0 under the brush's red strokes, at 28x28 (a digit pixel is erased when a
    quarter of its 10x10 canvas pixels are painted)."""
    comp = None if not isinstance(value, dict) else value.get("composite")
    if comp is None:
        raise error("uses.err_no_brush")
    a = np.asarray(comp)
    if a.ndim != 3 or a.shape[2] < 3:
        raise error("uses.err_no_brush")
    a = a[..., :3].astype(np.int16)
    red = (a[..., 0] > 150) & (a[..., 1] < 110) & (a[..., 2] < 110)  # the brush's colour, not the digit's grey
    small = np.asarray(Image.fromarray((red * 255).astype(np.uint8)).resize((28, 28), Image.BOX)) / 255
    m = torch.from_numpy((small < 0.25).astype(np.float32))[None, None]
    if m.sum() == 28 * 28:
        raise error("uses.err_no_brush")
    return m


def known_image(x, m) -> Image.Image:
    """The known pixels, the gap in dark red: what the models are given."""
    g = (x[0, 0] * 255).numpy().astype(np.uint8)
    rgb = np.stack([g, g, g], -1)
    rgb[m[0, 0].numpy() == 0] = (90, 20, 20)
    return Image.fromarray(rgb).resize((28 * SCALE, 28 * SCALE), Image.NEAREST)


def strip(x) -> Image.Image:
    """Images (k, 1, 28, 28) one under another."""
    return images.grid_image(x, nrow=1, scale=SCALE)


def build(runner) -> None:
    gr.Markdown(L("uses.intro"))
    gr.Markdown(L("uses.repair_explain"), latex_delimiters=[])
    held = HELD_OUT  # not len(digits()): reading the digits here cost the page's start-up (the warm-up reads them)
    with gr.Row():
        with gr.Column(scale=1):
            index = Slider(0, held - 1, 0, step=1, label=L("uses.digit"), info=L("uses.digit_info"))
            mask = gr.Radio([(L(k), v) for k, v in MASK_CHOICES], value="bottom", label=L("uses.mask"))
            with gr.Row():
                fills = Slider(1, MOST_FILLS, 3, step=1, label=L("uses.fills"))
                seed = Number(0, label=L("common.seed"))
            ask = gr.Dropdown([(L("uses.ask_any"), "any")] + [(str(d), str(d)) for d in range(10)], value="any",
                              label=L("uses.ask_digit"))
            menus = {f: gr.Dropdown(choices(runner, None, f), value=SHIPPED[f], label=L(f"uses.ckpt_{f}"),
                                    allow_custom_value=True) for f in FAMILIES}
            go = gr.Button(L("uses.repair"), variant="primary")
        brush = ImageEditor(value=at_load(lambda: editor_value(0)), type="numpy", image_mode="RGB", sources=(),
                            transforms=(), layers=False, canvas_size=(EDITOR, EDITOR), fixed_canvas=True,
                            brush=gr.Brush(default_size=24, colors=["#ff2020"], color_mode="fixed"),
                            label=L("uses.editor"), height=360, scale=1, elem_id="uses-brush",
                            format="png", interactive=True)
    cols = ("known", "diffusion", "gan", "vae", "nearest", "original")
    with gr.Row():
        shown = {c: gr.Image(type="pil", format="png", label=L(f"uses.col_{c}"), height=380, min_width=120,
                             show_label=True, elem_id=f"uses-{c}") for c in cols}
    times = gr.Markdown(elem_id="uses-times")

    def on_digit(i):
        return editor_value(i)

    index.change(on_digit, index, brush, api_visibility="private", show_progress="hidden")

    for family, menu in menus.items():  # a student's own runs, listed as the menu is opened
        def on_open(request: gr.Request, family=family):
            return gr.Dropdown(choices=choices(runner, request, family))

        menu.focus(on_open, None, menu, api_visibility="private", show_progress="hidden", queue=False)

    def repair(index, mask, fills, seed, digit, diffusion, gan, vae, brush, request: gr.Request = None):
        """Repair held-out digit ``index`` with each family: ``mask`` is bottom, left, centre,
        random75 or brush (then ``brush`` is the painted canvas); ``fills`` fills of one mask."""
        x = digit_at(index)
        k = number(fills, "fills", 1, MOST_FILLS, whole=True)
        s = seed_of(seed)
        if mask == "brush":
            m = brush_mask(brush)
        elif mask in S.MASKS:
            m = S.make_mask(mask, 1, torch.Generator().manual_seed(s))
        else:
            raise error("uses.err_mask_name", name=str(mask)[:40], names=", ".join((*S.MASKS, "brush")))
        labels = None if digit in (None, "any") else _digit(str(digit))
        xs, ms = x.expand(k, -1, -1, -1), m.expand(k, -1, -1, -1)
        out, secs, errs = {}, {}, {}
        for family, value in (("diffusion", diffusion), ("gan", gan), ("vae", vae)):
            model = model_for(runner, value, family)
            # the asked-for digit without guidance: with the label alone RePaint fills 98% of bottom halves
            # as their digit, with guidance 3 only 73% (BENCHMARKS.md, "Repair")
            kw = {"labels": labels} if family == "diffusion" and labels is not None else {}
            try:
                g = torch.Generator().manual_seed(s)
                out[family], secs[family] = S.timed(S.repair, model, xs, ms, g, **kw)
            except ValueError as e:
                raise page_error(e) from None
        train = digits().train_x.float().div(255)
        fill, secs["nearest"] = S.timed(S.nearest_fill, train, x, m)
        out["nearest"] = m * x + (1 - m) * fill
        for name, img in out.items():
            errs[name] = f"{float(((img - x) ** 2 * (1 - m)).sum() / ((1 - m).sum() * len(img))):.3f}"
        line = tr("uses.times", request, n=k, **{n: f"{v:.2f}" for n, v in secs.items()},
                  **{f"e_{n}": v for n, v in errs.items()})
        return (known_image(x, m), *(strip(out[f]) for f in ("diffusion", "gan", "vae", "nearest")),
                strip(x), line)

    go.click(repair, [index, mask, fills, seed, ask, *menus.values(), brush], [*shown.values(), times],
             api_name="repair", **HEAVY)

    # ------------------------------------------------------------------ upscaling
    gr.Markdown(L("uses.upscale_explain"))
    with gr.Row():
        size = gr.Radio([("7x7", 7), ("14x14", 14)], value=7, label=L("uses.low_size"))
        up_go = gr.Button(L("uses.upscale"), variant="primary")
    up_cols = ("low", "ilvr", "bicubic", "nearest", "original")
    with gr.Row():
        up_shown = {c: gr.Image(type="pil", format="png", label=L(f"uses.col_{c}"), height=380, min_width=120,
                                elem_id=f"uses-up-{c}") for c in up_cols}
    up_times = gr.Markdown()

    def upscale(index, size, fills, seed, diffusion, request: gr.Request = None):
        """Shrink held-out digit ``index`` to ``size`` x ``size`` (7 or 14) and bring it back to 28x28
        with the diffusion model (ILVR), ``fills`` times, beside bicubic and the nearest digit."""
        x = digit_at(index)
        n = number(size, "size", 7, 14, whole=True)
        if n not in S.LOW_SIZES:
            raise error("uses.err_low_shape", shape=(1, n, n))
        k = number(fills, "fills", 1, MOST_FILLS, whole=True)
        s = seed_of(seed)
        low = S.downscale(x, n)
        model = model_for(runner, diffusion, "diffusion")
        up, secs = S.timed(S.upscale, model, low[:, 0].expand(k, -1, -1), torch.Generator().manual_seed(s))
        train = digits().train_x.float().div(255)
        shown_low = torch.nn.functional.interpolate(low, size=(28, 28), mode="nearest")
        return (strip(shown_low), strip(up), strip(S.upscale_bicubic(low)), strip(S.upscale_nearest(train, low)),
                strip(x), tr("uses.upscale_times", request, n=k, diffusion=f"{secs:.2f}"))

    up_go.click(upscale, [index, size, fills, seed, menus["diffusion"]], [*up_shown.values(), up_times],
                api_name="upscale", **HEAVY)

    # ------------------------------------------------------------------ synthetic data
    gr.Markdown(L("uses.cas_explain"))
    cas_go = gr.Button(L("uses.cas"), variant="primary")
    with gr.Row():
        cas_table = gr.Dataframe(label=L("uses.cas_table"), interactive=False, scale=3)
        cas_plot = gr.BarPlot(x="row", y="accuracy", color="model", y_lim=[0.5, 1.0], x_label_angle=-25,
                              label=L("uses.cas_table"), height=420, scale=2)
    gr.Markdown(L("uses.cas_why"))

    def cas(request: gr.Request = None, progress=gr.Progress()):
        """Train small classifiers on each shipped class-conditional model's digits (and on real
        ones) and test them on real held-out digits: the Classification Accuracy Score."""
        reports = {}
        for i, (label, name) in enumerate(CONDITIONAL.items()):
            path = str(checkpoints.find(name, None, runs_dir=os.devnull).path)
            model, meta = load_model(path, runner.device)
            key = (path, os.path.getmtime(path))

            def tell(fraction, what, i=i, label=label):
                progress((i + fraction) / len(CONDITIONAL),
                         desc=tr("uses.cas_progress", request, model=label, what=tr(f"uses.step_{what}", request)))

            with _CAS_LOCK:  # one class, one computation: the second student gets the first's result
                if key not in _CAS:
                    _CAS[key] = synthetic.cas(model, digits(), progress=tell)
            alike = metrics.measured_alike(meta)
            reports[label] = {**_CAS[key], "fid": alike[0]["fid"] if alike else None}
        table, plot = cas_frames(reports, request)
        return table, gr.BarPlot(value=plot, sort=list(plot["row"]))  # the table's order, not the alphabet

    cas_go.click(cas, None, [cas_table, cas_plot], api_name="cas", **HEAVY)


def _digit(text: str) -> int:
    if text not in [str(d) for d in range(10)]:
        raise error("err.digit_choice", value=repr(text[:20]))
    return int(text)


def cas_frames(reports: dict, request) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table (a row per training set, the model's FID beside its own rows) and the bar chart."""
    first = next(iter(reports.values()))
    rows = [(tr("uses.row_real", request), "real", first["real"], None),
            (tr("uses.row_few", request), "real", first["few_real"], None)]
    for label, r in reports.items():
        rows.append((tr("uses.row_generated", request, model=label), label, r["generated"], r["fid"]))
        rows.append((tr("uses.row_few_plus", request, model=label), label, r["few_real_plus_generated"], r["fid"]))
    table = pd.DataFrame([{tr("uses.col_model", request): a, tr("uses.col_accuracy", request): f"{acc:.1%}",
                           tr("uses.col_fid", request): "" if fid is None else f"{fid:.1f}"}
                          for a, _, acc, fid in rows])
    plot = pd.DataFrame([{"row": a, "model": m, "accuracy": round(acc, 4)} for a, m, acc, _ in rows])
    return table, plot
