"""The text tab: continue a prompt token by token, see each token's probability and the
alternatives, compare temperatures, and train or fine-tune a character model live."""
from __future__ import annotations

import os
import re
import sys
import threading
import unicodedata
from dataclasses import asdict
from pathlib import Path

import gradio as gr
import pandas as pd

from genai import checkpoints, data as datamod, decoding, device as devmod, models, zerogpu
from genai.trainer import MAX_BATCH, MAX_STEPS, TrainSpec, check_spec
from genai.ui.common import (AXES, HEAVY, INF, RUN, at_load, checkpoint_file, find_job, flag, fresh_curves,
                             fresh_media, number, run_choices, seed_of, on_return, snapshot_at,
                             start_or_error, status_line, stop_job, Throttle, toggle_pause, trained,
                             updates, waiting, when_loaded, Number, Slider)
from genai.locales import in_language, said
from genai.ui.i18n import QUIET, L, error, page_error, say, t as tr

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
HUB = "Hugging Face Hub model (id below)"
SHAKESPEARE, UPLOAD = "tinyshakespeare", "your text (upload or paste)"
# owner/name as the Hub spells it: no path separators beyond the one, no "..", nothing absolute
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?$")
MAX_PROMPT = 2000  # characters; the model itself reads only the last part that fits its context
MAX_NEW = 1000
CONTEXT_SHOWN = 12  # characters before a clicked one, shown over its alternatives
SHADE_CONTEXT = 256  # characters of the prompt read again for the probability view (the char GPT sees 128)
FINE_TUNE = "fine-tune the chosen model"
TEXT_FAMILIES = ("gpt", "lm")  # the char models, and pretrained transformers fine-tuned here
_MODELS: dict[tuple, object] = {}


def load_model(path: str, device):
    """A checkpoint's model, cached while the file is unchanged."""
    key = (path, os.path.getmtime(path), str(device))
    if key not in _MODELS:
        _MODELS.clear() if len(_MODELS) > 8 else None
        meta = checkpoints.read_meta(path)
        if meta["family"] == "lm":
            check_base(meta["config"].get("base"))
        model, meta = models.from_checkpoint(path, None, device)
        if meta["family"] not in TEXT_FAMILIES:
            raise said(checkpoints.CheckpointError, "err.not_text_model", name=Path(path).name, family=meta["family"])
        _MODELS[key] = model, meta
    return _MODELS[key]


FIRST_PROMPT, FIRST_NEW, FIRST_TEMPERATURE = "ROMEO:", 300, 0.8  # the tab's defaults
_FIRST: dict[tuple, str] = {}


def warm_up(runner) -> None:
    """Load the shipped char models, make the continuation the tab opens with (genai/ui/app.py), and
    start the decoding processes."""
    shipped = [str(c.path) for c in checkpoints.list_checkpoints("gpt", runs_dir=os.devnull)]
    if decoding.in_process(runner.device):
        try:
            decoding.decoders().start(shipped)
        except (OSError, RuntimeError) as e:  # tried again at the first continuation, which says why
            print(f"the decoding processes did not start: {e}", file=sys.stderr)
    for path in shipped:
        load_model(path, runner.device)
    first_continuation(runner)


def first_continuation(runner) -> str:
    """What the output box shows before anyone clicks, as the GAN and VAE tabs open on samples:
    the first shipped model continuing the default prompt with the default settings and seed 0,
    generated once and kept for every page (thirty students opening the page cost one). A model
    that cannot continue (damaged, or its weights gone NaN) is passed over: the page must open."""
    for info in checkpoints.list_checkpoints("gpt", runs_dir=os.devnull):
        path = str(info.path)
        key = (path, os.path.getmtime(path))
        if key not in _FIRST:
            try:
                model, _ = load_model(path, runner.device)
                new = model.generate(FIRST_PROMPT, FIRST_NEW, temperature=FIRST_TEMPERATURE, seed=0)
            except (checkpoints.CheckpointError, ValueError, RuntimeError) as e:
                print(f"the text tab's first continuation passes over {info.path.name}: {in_language(e)}",
                      file=sys.stderr)
                _FIRST[key] = None
                continue
            _FIRST[key] = FIRST_PROMPT + new
        if _FIRST[key] is not None:
            return _FIRST[key]
    return ""


def as_hub_id(value) -> str:
    """The Hub box's text as a Hub model id, refused with a message when it is not one. A folder on
    the server's disk is a model only where its operator allows it (GENAI_LOCAL_MODELS=1, for
    working offline): a student must not make the server read paths of their choosing."""
    name = (value or "").strip()
    if not name:
        raise error("err.hub_id_empty")
    if os.environ.get("GENAI_LOCAL_MODELS") == "1" and Path(name).expanduser().is_dir():
        return name
    if ".." in name or not HUB_ID.match(name) or Path(name).exists():
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise error("err.not_hub_id", name=repr(shown))
    return name


def check_base(base) -> None:
    """A fine-tuned model's sidecar names its base: a Hub id, or a checkpoint of this server (the
    char GPT under LoRA). Any other path is refused, so that no sidecar makes the server read a
    folder outside its checkpoint folders."""
    where = Path(str(base or "")).resolve()
    if where.suffix == ".safetensors" and any(where.is_relative_to(d.resolve())
                                              for d in (checkpoints.SHIPPED_DIR, checkpoints.RUNS_DIR)):
        return
    as_hub_id(base)


def load_hub(model_id: str, device):
    """A Hub model (or a local transformers folder) wrapped as the lm family, so that it streams,
    shows probabilities and compares temperatures as the char models do."""
    from genai.models import lm

    key = ("hub", model_id, str(device))
    if key not in _MODELS:
        try:
            model = lm.Model(lm.Config(base=model_id, lora=False)).to(device).eval()
        except gr.Error:  # already a message for the page (gr.Error is a ValueError)
            raise
        except (RuntimeError, ValueError, OSError) as e:
            raise page_error(e) from None
        _MODELS[key] = model, {"family": "lm", "config": asdict(model.config), "step": 0}
    return _MODELS[key]


def stream_pieces(model, record=None, path=None, **kw):
    """Continue a prompt; yield the new text piece by piece as it is drawn. A char model's
    checkpoint ``path`` draws in a decoding process (genai/decoding.py); without one a char
    model draws in this thread as the page asks (``Model.stream``); both fill ``record`` with
    the logits each character was drawn from. A Hub model's generate() runs in a thread of its
    own and hands its pieces over through transformers' streamer."""
    if path is not None:
        yield from decoding.decoders().stream(path, record=record, **kw)
        return
    stop_ev = threading.Event()
    if hasattr(model, "stream"):
        try:
            yield from model.stream(**kw, stop_event=stop_ev, record=record)
        finally:
            stop_ev.set()
        return
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(model.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=60)
    threading.Thread(target=model.generate, kwargs=dict(kw, streamer=streamer, stop_event=stop_ev),
                     name="genai-generate", daemon=True).start()
    try:
        yield from streamer
    finally:
        stop_ev.set()  # Stop, or a closed tab: the generation thread ends too


@zerogpu.gpu(duration=120)
def stream_pieces_on_gpu(model, **kw):
    """The same, inside a ZeroGPU call: the GPU is lent for this call only (genai/zerogpu.py)."""
    model.to(devmod.call_device())
    yield from stream_pieces(model, **kw)


def checkpoint_choices(runner, request) -> list[tuple[str, str]]:
    out = [(c.name, c.name) for c in checkpoints.list_checkpoints("gpt", runs_dir=os.devnull)]
    for family in TEXT_FAMILIES:
        out += run_choices(runner, request, family)
    return out + [(L("text.hub_choice"), HUB)]


def describe(meta: dict, request=None) -> str:
    """The model's info line, in the page's language."""
    c, m = meta["config"], meta.get("metrics", {})
    how_long = trained(meta, request)
    if meta["family"] == "lm":
        how = tr("text.info_lora", request, r=c["lora_r"]) if c["lora"] else tr("text.info_full", request)
        held = (tr("text.info_heldout_tokens", request, loss=f"{m['loss']:.3f}", per_char=f"{m['loss_per_char']:.3f}")
                if "loss_per_char" in m else "")
        base = Path(c["base"]).stem if c["base"].endswith(".safetensors") else c["base"]  # a char GPT checkpoint
        if not meta.get("step"):
            return tr("text.info_pretrained", request, base=base)
        return tr("text.info_fine_tuned", request, base=base, how=how, trained=how_long, held=held)
    kind = (tr("text.info_gpt", request, layers=c["n_layer"], width=c["n_embd"]) if c["arch"] == "gpt"
            else tr("text.info_lstm", request, layers=c["lstm_layers"], width=c["lstm_hidden"]))
    held = tr("text.info_heldout", request, loss=f"{m['loss']:.3f}") if "loss" in m else ""
    return tr("text.info_char", request, kind=kind, context=c["block_size"], trained=how_long, held=held)


def fine_tune_spec(path: str, hub: str, lora: bool, rank: int, lr: float, common: dict) -> TrainSpec:
    """The run that fine-tunes the model chosen above: a Hub model, a char GPT with LoRA (as the
    lm family) or in full (the gpt family), or a model fine-tuned here before (its own way)."""
    schedule = {"lr": lr, "min_lr": lr / 10, "warmup_steps": 10, "decay_steps": common["steps"]}
    adapters = {"lora": bool(lora), "lora_r": int(rank), "lora_alpha": 2.0 * int(rank)}
    if not path:
        raise error("err.choose_model_above")
    if path == HUB:
        return TrainSpec(**common, family="lm", preset="lora" if lora else "full",
                         overrides={"base": as_hub_id(hub), **schedule, **adapters})
    family = checkpoints.read_meta(path)["family"]
    if family == "lm":  # fine-tuned here before: go on the same way (adapters or every weight)
        return TrainSpec(**common, family="lm", init_from=path, overrides=schedule)
    if lora:
        return TrainSpec(**common, family="lm", preset="lora", overrides={"base": path, **schedule, **adapters})
    return TrainSpec(**common, family="gpt", init_from=path, overrides=schedule)


def sampling(top_k, top_p) -> dict:
    """Top-k and top-p as the sliders bound them (0 and 1 turn them off)."""
    return dict(top_k=number(top_k, "top_k", 0, 100, whole=True), top_p=number(top_p, "top_p", 0.05, 1))


def text_in(prompt) -> str:
    """A prompt as the model reads it: the end that fits (MAX_PROMPT characters), with what no
    tokenizer should see removed (NUL and other control characters but tab and newline).
    Zero-width and right-to-left characters stay: they are text, and a model reads them as such."""
    if prompt is not None and not isinstance(prompt, str):
        raise error("err.prompt_not_text")
    prompt = (prompt or "")[-MAX_PROMPT:]
    return "".join(c for c in prompt if c in "\t\n" or not unicodedata.category(c) == "Cc")


def shading(dist: list[dict]) -> list[tuple[str, float]]:
    """HighlightedText pairs (char, score) with score = 1 - p(char): the darker a character,
    the less likely the model found it, so its surprises stand out."""
    return [(d["char"], round(1 - d["p"], 3)) for d in dist]


def new_text_view(model, prompt: str, new: str, record: list | None) -> list[dict]:
    """The probability view's entries for the new text, one per piece of it: a char model's from
    the logits it drew each character from (``record``, filled as it drew: a 100-character
    continuation cost the server 99 -> 89 ms against a second pass, BENCHMARKS.md, issue 31), a Hub
    model's from a pass over the new text and the SHADE_CONTEXT characters before it."""
    if record is not None:
        return [d for d in model.drawn_distribution(record, top=5) if d["char"]]  # a special adds no text
    # a second pass reads the end of the prompt only: all of a long prompt cost seconds (27 s for
    # 2,000 characters), and the model reads only the first 2,000 characters, so it missed the new ones
    before = prompt[-SHADE_CONTEXT:]
    dist = model.next_token_distribution(before + new, top=5)
    start = max(len(model.encode(before)) - 1, 0)  # the first new token's entry
    return [d for d in dist[start:] if d["char"] is not None]


def build(runner) -> None:
    decoding.in_process(runner.device)  # a bad GENAI_DECODE_IN stops the app's start with its message
    gr.Markdown(L("text.explain"), latex_delimiters=LATEX)
    dist_state = gr.State(None)  # the probability view of the last continuation
    with gr.Row():
        with gr.Column(scale=1):
            choices = checkpoint_choices(runner, None)
            ckpt = gr.Dropdown(choices, value=choices[0][1], label=L("text.model"), allow_custom_value=True)
            hub_id = gr.Textbox("distilgpt2", label=L("text.hub_id"), visible=False)
            info = gr.Markdown()
            max_new = Slider(1, MAX_NEW, FIRST_NEW, step=1, label=L("text.max_new"))
            temperature = Slider(0, 2, FIRST_TEMPERATURE, step=0.05, label=L("text.temperature"))
            top_k = Slider(0, 100, 0, step=1, label=L("text.top_k"))
            top_p = Slider(0.05, 1, 1, step=0.05, label=L("text.top_p"))
            seed = Number(0, label=L("common.seed"))
        with gr.Column(scale=2):
            prompt = gr.Textbox(FIRST_PROMPT, label=L("text.prompt"), lines=3, max_length=MAX_PROMPT)
            with gr.Row():
                go = gr.Button(L("text.continue"), variant="primary")
                stop = gr.Button(L("common.stop"), variant="stop")
                three = gr.Button(L("text.three"))
            output = gr.Textbox(at_load(lambda: first_continuation(runner)), label=L("text.output"), lines=12,
                                interactive=False)
    gr.Markdown(L("text.probs_title"))
    with gr.Row():
        probs = gr.HighlightedText(label=L("text.continuation"), show_legend=False, combine_adjacent=False, scale=3)
        alts = gr.BarPlot(x="token", y="probability", title=L("text.alts"), x_title=L("plot.token"),
                          y_title=L("plot.probability"),
                          y_lim=[0, 1], height=240, scale=2, sort="-y")  # the likeliest first
    with gr.Row():
        t_outs = [gr.Textbox(label=L(f"text.temperature_{tau}"), lines=8, interactive=False) for tau in ("05", "10", "15")]
    gr.Markdown(L("text.experiment"))

    gr.Markdown(L("text.train_title"))
    job_id = gr.State(None)
    from genai.models import gpt

    with gr.Row():
        corpus = gr.Dropdown([SHAKESPEARE, (L("text.upload_choice"), UPLOAD)], value=SHAKESPEARE, label=L("text.text"))
        what = gr.Dropdown(list(gpt.PRESETS) + [(L("text.fine_tune_choice"), FINE_TUNE)], value="lesson", label=L("text.model"),
                           info=L("text.model_info"))
        steps = Slider(10, 20000, gpt.LESSON["steps"], step=10, label=L("common.steps"))
        lr = Number(gpt.PRESETS["lesson"]["lr"], label=L("common.learning_rate"))
        batch = Slider(4, 128, 16, step=4, label=L("common.batch_size"))
        train_seed = Number(0, label=L("common.seed"))
    with gr.Row(visible=False) as ft_row:
        lora = gr.Checkbox(True, label=L("text.lora"))
        rank = Slider(1, 64, 8, step=1, label=L("text.rank"))
    with gr.Row(visible=False) as own_text:
        upload = gr.File(file_types=[".txt"], label=L("text.upload"))
        pasted = gr.Textbox(label=L("text.paste"), lines=4)
    with gr.Row():
        start = gr.Button(L("common.start"), variant="primary")
        pause = gr.Button(L("common.pause_resume"))
        stop_train = gr.Button(L("common.stop"), variant="stop")
    status = gr.Markdown(L("common.no_run"))
    with gr.Row():
        loss_plot = gr.LinePlot(x="step", y="value", color="series", height=260,
                                title=L("text.loss_plot"), **AXES)
        sample_box = gr.Textbox(label=L("text.sample_box"), lines=10, interactive=False)
    replay = Slider(0, 100, 100, step=1, label=L("text.replay"))
    gr.Markdown(L("text.fine_tune_experiment"))

    # -------------------------------------------------------------- handlers
    def file_of(value):  # a menu value -> its file (the Hub choice stays as it is); None if none
        return value if value == HUB else checkpoint_file(runner, value, TEXT_FAMILIES)

    def pick(value, hub):  # (model, meta, file): file None unless a decoding process draws from it
        path = file_of(value)
        if path == HUB:
            return (*load_hub(as_hub_id(hub), runner.device), None)
        if not path:
            raise error("err.choose_model")
        try:
            model, meta = load_model(path, runner.device)
        except gr.Error:  # already a message for the page (gr.Error is a ValueError)
            raise
        except (checkpoints.CheckpointError, OSError, ValueError) as e:
            raise page_error(e) from None
        apart = meta.get("family") == "gpt" and decoding.in_process(runner.device)  # genai/decoding.py
        return model, meta, path if apart else None

    def pick_model(path, hub, request: gr.Request):
        return pick(path, hub)[:2]

    def on_model(path, request: gr.Request):
        try:
            path = file_of(path)
        except gr.Error as e:
            return gr.Textbox(visible=False), say(e, request)
        if path == HUB:
            return gr.Textbox(visible=True), tr("text.info_hub", request)
        if not path:
            return gr.Textbox(visible=False), ""
        try:
            _, meta = load_model(path, runner.device)
        except (checkpoints.CheckpointError, OSError, ValueError) as e:
            return gr.Textbox(visible=False), tr("text.cannot_load", request, why=say(e, request))
        return gr.Textbox(visible=False), describe(meta, request)

    def on_continue(checkpoint, hub_model, prompt, max_new_tokens, temperature, top_k, top_p, seed,
                    request: gr.Request):
        kw = dict(max_new_tokens=number(max_new_tokens, "max_new_tokens", 1, MAX_NEW, whole=True),
                  temperature=number(temperature, "temperature", 0, 2), **sampling(top_k, top_p),
                  seed=None if seed is None else seed_of(seed))
        model, _, path = pick(checkpoint, hub_model)
        prompt = kw["prompt"] = text_in(prompt)
        record = [] if hasattr(model, "drawn_distribution") else None  # a char model's logits, as drawn
        if checkpoint == HUB:  # where a GPU pays: on ZeroGPU it generates inside a spaces.GPU call
            pieces = stream_pieces_on_gpu(model, **kw)
        else:
            pieces = stream_pieces(model, record=record, path=path, **kw)
        new = ""
        throttle = Throttle(0.25)  # four updates a second read as a stream; each costs the server and the page
        try:
            for piece in pieces:
                new += piece
                if throttle.ready():
                    yield prompt + new, gr.skip(), gr.skip()
        finally:
            pieces.close()  # Stop, or a closed tab: the generation ends with the stream
        view, state = gr.skip(), None
        if new:
            dist = new_text_view(model, prompt, new, record)
            view, state = shading(dist), {"dist": dist, "before": prompt[-CONTEXT_SHOWN:]}
        yield prompt + new, view, state

    def on_select(state, evt: gr.SelectData, request: gr.Request):
        if not state:
            raise error("err.continue_first")
        d = state["dist"][evt.index]
        rows = [(repr(c)[1:-1] if c not in ("<unk>", "<pad>", "<bos>", "<eos>") else c, p) for c, p in d["top"]]
        return gr.BarPlot(value=pd.DataFrame(rows, columns=["token", "probability"]).astype({"token": "str", "probability": "float64"}),
                          title=tr("text.alts_after", request, context=repr(state_context(state, evt.index)),
                                   char=repr(d["char"]), p=f"{d['p']:.3f}", rank=d["rank"]))

    def state_context(state, i):
        return (state["before"] + "".join(x["char"] for x in state["dist"][:i]))[-CONTEXT_SHOWN:]

    def on_three(checkpoint, hub_model, prompt, max_new_tokens, top_k, top_p, seed, request: gr.Request):
        max_new_tokens = number(max_new_tokens, "max_new_tokens", 1, 400, whole=True)
        kw = dict(**sampling(top_k, top_p), seed=seed_of(seed))
        model, _, path = pick(checkpoint, hub_model)
        prompt = text_in(prompt)  # as Continue: the model reads only the end that fits
        if path:
            return decoding.decoders().generate(path, (0.5, 1.0, 1.5), prompt=prompt, max_new_tokens=max_new_tokens,
                                                **kw)
        return [model.generate(prompt, max_new_tokens, temperature=t, **kw) for t in (0.5, 1.0, 1.5)]

    def on_corpus(c):
        return gr.Row(visible=c == UPLOAD)

    def on_what(w):
        return gr.Row(visible=w == FINE_TUNE)

    def on_lora(w, use_lora):
        """A learning rate that suits the choice: adapters take large steps, every weight small ones."""
        if w != FINE_TUNE:
            return Number(value=float(gpt.PRESETS[w]["lr"]))
        return Number(value=2e-3 if use_lora else 1e-4)  # from the sweep of bench/text.py finetune

    def on_train(corpus, model, steps, lr, batch_size, seed, file, text, checkpoint, hub_model, lora, lora_rank,
                 request: gr.Request):
        data = None
        lora = flag(lora, "lora")
        try:
            if corpus == UPLOAD:
                if file:
                    with open(file, "rb") as f:
                        raw = f.read(datamod.MAX_TEXT_BYTES + 1)
                    data = datamod.load_user_text(raw)
                elif text:
                    data = datamod.load_user_text(text)
                else:
                    raise said(datamod.DataError, "err.no_text_given")
            else:
                data = datamod.load_text(SHAKESPEARE)
            steps = number(steps, "steps", 1, MAX_STEPS, whole=True)
            batch_size = number(batch_size, "batch_size", 1, MAX_BATCH, whole=True)
            lr = number(lr, "lr", -INF, INF)
            common = dict(dataset=SHAKESPEARE if corpus != UPLOAD else "your text", steps=steps,
                          batch_size=batch_size, seed=seed_of(seed), eval_every=max(20, steps // 20), sample_every=max(20, steps // 20),
                          ckpt_every=max(200, steps // 4))
            if model == FINE_TUNE:
                spec = fine_tune_spec(file_of(checkpoint), hub_model, lora,
                                      number(lora_rank, "lora_rank", 1, 64, whole=True), lr, common)
            else:
                spec = TrainSpec(**common, family="gpt", preset=model,
                                 overrides={"lr": lr, "decay_steps": steps})
            check_spec(spec)  # bad settings fail here, not in the run
        except gr.Error:  # already a message for the page (gr.Error is a ValueError)
            raise
        except (datamod.DataError, checkpoints.CheckpointError, ValueError, TypeError) as e:
            raise page_error(e) from None
        job = start_or_error(runner, spec, request, data=data)
        yield from stream(job, request)

    def stream(job, request):
        """The run, live, until it ends; a page that closes ends only its stream, not the run."""
        sent: dict = {}  # what this page has (common.fresh_curves)
        yield job.id, *snapshot(job, sent), gr.skip()
        for _ in updates(job):
            out = snapshot(job, sent) if job.started else waiting(job, 3, sent)
            yield QUIET if out is QUIET else (job.id, *out, gr.skip())
        # the last frame whole: what an API caller keeps of the stream
        yield job.id, *snapshot(job, {}), gr.Dropdown(choices=checkpoint_choices(runner, request))

    def idle(request):  # a page opened again with no run of this tab going: the student's menu
        return (*[gr.skip()] * 5, gr.Dropdown(choices=checkpoint_choices(runner, request)))

    def snapshot(job, sent: dict):
        """The run's update, without what this page already has; the replay slider's range is
        fixed (0-100% of the run), so no update rebuilds it (BENCHMARKS.md, issue 31)."""
        per_char = ["heldout_loss_per_char"] if job.spec.family == "lm" else []  # token models only
        df = fresh_curves(job, ["loss", "heldout_loss", *per_char], sent,
                          {"loss": "plot.train", "heldout_loss": "plot.heldout",
                           "heldout_loss_per_char": "plot.heldout_per_char"})
        text = fresh_media(job, sent)
        return (status_line(job), df, text, gr.skip())

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
        step, text = snapshot_at(job, number(i, "i", 0, 100))
        return gr.Textbox(value=text, label=tr("text.sample_at", request, step=step))

    ckpt.change(on_model, ckpt, [hub_id, info], api_visibility="private")
    gen = go.click(on_continue, [ckpt, hub_id, prompt, max_new, temperature, top_k, top_p, seed],
                   [output, probs, dist_state], api_name="continue", **HEAVY)
    stop.click(None, None, None, cancels=[gen])
    probs.select(on_select, dist_state, alts, api_visibility="private")
    three.click(on_three, [ckpt, hub_id, prompt, max_new, top_k, top_p, seed], t_outs, api_name="three_temperatures",
                **HEAVY)
    corpus.change(on_corpus, corpus, own_text, api_visibility="private")
    what.change(on_what, what, ft_row, api_visibility="private")
    gr.on([what.change, lora.change], on_lora, [what, lora], lr, api_visibility="private")
    live_out = [job_id, status, loss_plot, sample_box, replay, ckpt]
    train_ev = start.click(on_train, [corpus, what, steps, lr, batch, train_seed, upload, pasted, ckpt, hub_id, lora,
                                      rank], live_out, api_name="text_train",
                           concurrency_limit=None, show_progress="hidden")
    # a fine-tune (family "lm") and a GPT from scratch both stream in this tab
    back_ev = when_loaded(on_return(runner, TEXT_FAMILIES, stream, idle), live_out)
    pause.click(on_pause, job_id, status, api_name="text_pause")
    stop_train.click(on_stop, job_id, [status, ckpt], api_name="text_stop", cancels=[train_ev, back_ev])
    replay.release(on_replay, [job_id, replay], sample_box, api_name="text_replay")

    from genai.ui import text_measures  # "How good is this text?", under the training

    def name_of(value, request):  # a menu value as the table names it: a run by its name, never its key
        job = next((j for j in runner.jobs() if RUN + j.key == value), None) if str(value).startswith(RUN) else None
        return tr("ui.your_run", request, name=job.name) if job else value

    text_measures.build(ckpt, hub_id, corpus, upload, pasted, pick_model, HUB,
                        lambda request: checkpoint_choices(runner, request)[:-1], name_of)
