"""The class board: the teacher's view of every student's runs, opened with GENAI_TEACHER_KEY
(``?teacher=KEY`` or the key field). Cards (name, model, what was changed, status, the newest
sample, the quality figure), a plot of result against a chosen setting across the class, and
the teacher's controls: stop a run, put it on the projector (its share link), hide it."""
from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import gradio as gr
import pandas as pd
from PIL import Image

from genai import monitor
from genai.ui.common import flag, fmt_seconds, page_link, status_word
from genai.ui.i18n import L, error, lang_of, t as tr

THUMB = 132  # pixels across a card's sample


def thumbnail(media) -> str:
    """A card's sample: an image as a small inline PNG, a text as its first lines."""
    if media is None:
        return ""
    if isinstance(media, Path):
        if media.suffix != ".png":
            media = media.read_text("utf-8", "replace")
        else:
            media = Image.open(media)
    if isinstance(media, Image.Image):
        img = media.convert("L")
        img.thumbnail((THUMB, THUMB))
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'
    return f"<pre>{html.escape(str(media)[:240])}</pre>"


def card_html(c: dict, lang: str) -> str:
    status = status_word(c["status"], lang)
    changed = ", ".join(f"{k} {v}" for k, v in c["changed"].items())
    quality = ""
    if c["quality"] is not None and math.isfinite(c["quality"]):
        quality = tr(f"class.q_{c['quality_key']}", lang, value=f"{c['quality']:.3g}")
    who = html.escape(c["student"]) or f"<i>{tr('class.no_name', lang)}</i>"
    away = "" if c["online"] else f" <span class='away'>{tr('class.away', lang)}</span>"
    eta = f" · {tr('class.eta', lang, eta=fmt_seconds(c['eta']))}" if c["eta"] else ""
    hidden = f" <b>{tr('class.hidden_mark', lang)}</b>" if c["hidden"] else ""
    return (f"<div class='genai-card'><div class='who'>{who}{away}{hidden}</div>"
            f"<div class='what'>{html.escape(c['run'])} · {c['family']} {html.escape(c['preset'] or '')}</div>"
            f"<div class='changed'>{html.escape(changed)}</div>"
            f"<div class='state'>{status} · {c['step']} / {c['total']}{eta}</div>"
            f"<div class='quality'>{quality}</div>{thumbnail(c['media'])}</div>")


STYLE = """<style>
.genai-board {display: flex; flex-wrap: wrap; gap: 10px}
.genai-card {width: 200px; border: 1px solid #ccc; border-radius: 8px; padding: 8px; font-size: 13px}
.genai-card .who {font-weight: bold; font-size: 15px} .genai-card .away {color: #b45309; font-weight: normal}
.genai-card .changed {color: #555} .genai-card .quality {font-weight: bold}
.genai-progress {font-size: 15px; font-weight: bold}
.genai-card pre {white-space: pre-wrap; font-size: 11px; max-height: 120px; overflow: hidden}
</style>"""


def progress_html(p: dict, lang: str) -> str:
    """'12 of 30 students have a trained model · 2 training · 16 waiting · the last should be done in
    about 6:30': the line above the board's cards."""
    if not p["students"]:
        return ""
    end = (tr("class.last_end", lang, eta=fmt_seconds(p["last_end"])) if p["last_end"] is not None
           else tr("class.last_end_unknown", lang))
    words = tr("class.progress", lang, trained=p["trained"], students=p["students"], training=p["training"],
               waiting=p["waiting"])
    return f"<p class='genai-progress'>{words}{' · ' + end if p['training'] + p['waiting'] else ''}</p>"


def board_html(cards: list[dict], lang: str, progress: dict | None = None) -> str:
    if not cards:
        return f"<p>{tr('class.empty', lang)}</p>"
    head = progress_html(progress, lang) if progress else ""
    return STYLE + head + "<div class='genai-board'>" + "".join(card_html(c, lang) for c in cards) + "</div>"


def plot_frame(cards: list[dict], setting: str | None, quality: str | None) -> pd.DataFrame:
    """One point a run: the chosen setting against the chosen quality figure."""
    rows = [(str(c["settings"].get(setting)), float(c["job"].latest[quality]), c["student"] or c["run"], c["family"])
            for c in cards if setting in c["settings"] and quality in c["job"].latest]
    return pd.DataFrame(rows, columns=["setting", "result", "student", "family"])


def build(runner):
    roster = runner.roster
    gr.Markdown(L("class.intro"))
    with gr.Row():
        key = gr.Textbox(label=L("class.key"), type="password", max_lines=1, scale=3)
        login = gr.Button(L("class.open_board"), scale=0)
    key_note = gr.Markdown()
    with gr.Column(visible=False) as area:
        with gr.Row():
            hidden_too = gr.Checkbox(False, label=L("class.show_hidden"))
            refresh = gr.Button(L("class.refresh"), scale=0)
        cards = gr.HTML()
        gr.Markdown(L("class.plot_title"))
        with gr.Row():
            setting = gr.Dropdown([], label=L("class.setting"), allow_custom_value=True)
            quality = gr.Dropdown([(L("class.fid"), "heldout_fid"), (L("class.heldout_loss"), "heldout_loss")],
                                  value="heldout_fid", label=L("class.result"))
        plot = gr.ScatterPlot(x="setting", y="result", color="family", tooltip=["student", "setting", "result"],
                              height=300, x_title=L("class.setting"), y_title=L("class.result"))
        with gr.Row():
            run = gr.Dropdown([], label=L("class.run"), allow_custom_value=True, scale=2)
            stop = gr.Button(L("common.stop"), variant="stop", scale=0)
            project = gr.Button(L("class.projector"), scale=0)
            hide = gr.Button(L("class.hide"), scale=0)
        action_note = gr.Markdown()
    seen = gr.State("")
    timer = gr.Timer(5, active=False)

    def teacher(request):
        if not roster.is_teacher(getattr(request, "session_hash", None)):
            raise error("err.teacher_only")

    def on_login(given, request: gr.Request):
        if not roster.teacher_login(request.session_hash, given):
            raise error("err.teacher_key")
        return gr.Column(visible=True), gr.Timer(active=True), tr("class.welcome", request)

    def on_refresh(show_hidden, chosen_setting, chosen_quality, last, request: gr.Request):
        show_hidden = flag(show_hidden, "show_hidden")
        teacher(request)
        found = monitor.board(runner, hidden_too=show_hidden is True)
        body = board_html(found, lang_of(request), monitor.class_progress(found))
        settings = sorted({k for c in found for k in c["settings"]})
        chosen_setting = chosen_setting if chosen_setting in settings else ("lr_g" if "lr_g" in settings else
                                                                            (settings[0] if settings else None))
        frame = plot_frame(found, chosen_setting, chosen_quality)
        sig = json.dumps([body, settings, chosen_setting, frame.to_json(), [c["run"] for c in found]])
        if sig == last:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), last
        names = [c["run"] for c in found]
        return (body, gr.Dropdown(choices=settings, value=chosen_setting), frame,
                gr.Dropdown(choices=names), sig)

    def the_job(name, request):
        teacher(request)
        job = next((j for j in runner.jobs() if j.name == name), None)
        if job is None:
            raise error("err.choose_run")
        return job

    def on_stop(name, request: gr.Request):
        job = the_job(name, request)
        job.stop()
        return tr("class.stopped", request, run=job.name)

    def on_project(name, request: gr.Request):
        job = the_job(name, request)
        return tr("class.projector_note", request, run=job.name, link=page_link(request, f"watch={job.share()}"))

    def on_hide(name, request: gr.Request):
        job = the_job(name, request)
        now_hidden = job.name not in roster.hidden
        roster.set_hidden(job.name, now_hidden)
        return tr("class.hidden_now" if now_hidden else "class.shown_now", request, run=job.name)

    def on_teacher_link(request: gr.Request):
        given = dict(request.query_params or {}).get("teacher") if request else None
        if not given:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if not roster.teacher_login(request.session_hash, given):
            return gr.skip(), gr.skip(), gr.skip(), tr("err.teacher_key", request)
        return gr.Tabs(selected="class"), gr.Column(visible=True), gr.Timer(active=True), tr("class.welcome", request)

    board_io = dict(fn=on_refresh, inputs=[hidden_too, setting, quality, seen], outputs=[cards, setting, plot, run, seen],
                    show_progress="hidden", api_visibility="private", concurrency_limit=None)
    login.click(on_login, key, [area, timer, key_note], api_visibility="private").success(**board_io)
    key.submit(on_login, key, [area, timer, key_note], api_visibility="private").success(**board_io)
    timer.tick(**board_io)
    refresh.click(**board_io)
    hidden_too.change(**board_io)
    setting.change(**board_io)
    quality.change(**board_io)
    stop.click(on_stop, run, action_note, api_name="class_stop")
    project.click(on_project, run, action_note, api_name="class_projector")
    hide.click(on_hide, run, action_note, api_name="class_hide")
    return on_teacher_link, [area, timer, key_note]
