"""The training monitor: every run of this session (and the CLI's), live, polled on a gr.Timer
that sends only what changed."""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
from gradio.context import get_blocks_context
import pandas as pd

from genai import checkpoints, data as datamod, monitor
from genai.jobs import ACTIVE, INTERRUPTED
from genai.trainer import MAX_STEPS, TrainSpec
from genai.ui.common import (AXES, attach, flag, fmt_seconds, number, owner, page_link, scratch_file, start_or_error,
                             status_word, student_state, Number, Slider)
from genai.ui.i18n import L, error, lang_of, page_error, say, t as tr

# the runs table's columns, by catalogue key (monitor.col_run, ...)
COLUMNS = ["run", "model", "data", "status", "step", "speed", "elapsed", "eta", "device", "memory"]
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
LIGHT = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5"]
MAX_POINTS = 150  # per run and metric: the page stays smooth (common.curves)


def table(views, lang: str = "en") -> pd.DataFrame:
    """The runs table, its headers, statuses and messages in ``lang``."""
    def who(v):
        return (tr("monitor.watching", lang) if v.get("watching") else tr("monitor.shared", lang)
                if v.get("shared") else "")

    def status(v):
        failed = f": {say(v['message'], lang)}" if v["status"] == "failed" else ""
        return status_word(v["status"], lang) + failed

    rows = [[v["name"] + who(v), v["family"], v["dataset"], status(v),
             f"{v['step']} / {v['total']}", f"{v['items_per_s']:,.0f}", fmt_seconds(v["elapsed"]),
             fmt_seconds(v["eta"]), v["device"], v["memory"]] for v in views]
    return pd.DataFrame(rows, columns=[tr(f"monitor.col_{c}", lang) for c in COLUMNS])


def curve_frame(views, names, metric, weight, log_scale):
    """Long-format (step, value, series) for the chosen runs and metric: raw and smoothed."""
    frames, colors = [], {}
    for i, v in enumerate(x for x in views if x["name"] in (names or [])):
        pts = [(r["step"], r[metric]) for r in list(v["rows"]) if metric in r]
        if log_scale:
            pts = [(s, y) for s, y in pts if y > 0]
        if not pts:
            continue
        stride = max(1, len(pts) // MAX_POINTS)
        steps, ys = zip(*pts)
        sm = monitor.smooth(list(ys), weight)
        raw_name, sm_name = f"{v['name']} (raw)", v["name"]
        colors[raw_name], colors[sm_name] = LIGHT[i % len(LIGHT)], PALETTE[i % len(PALETTE)]
        df = pd.DataFrame({"step": steps, "raw": ys, "smooth": sm}).iloc[::stride]
        frames.append(pd.DataFrame({"step": df["step"], "value": df["raw"], "series": raw_name}))
        if weight > 0:
            frames.append(pd.DataFrame({"step": df["step"], "value": df["smooth"], "series": sm_name}))
    if not frames:
        return None, colors
    out = pd.concat(frames, ignore_index=True).astype({"step": "int64", "value": "float64", "series": "str"})
    if log_scale:
        import numpy as np

        out["value"] = np.log10(out["value"])
    return out, colors


def timer_on(active: bool):
    """A handler that turns the monitor's polling on or off (app.py: as its tab is shown or left)."""
    return lambda: gr.Timer(active=active)


def build(runner) -> None:
    gr.Markdown(L("monitor.intro"))
    watch_note = gr.Markdown()  # "You are watching ...", for a page opened with a share link
    keep = gr.Checkbox(False, label=L("monitor.keep"))
    runs = gr.Dataframe(pd.DataFrame(columns=[tr(f"monitor.col_{c}") for c in COLUMNS]), label=L("monitor.runs"),
                        interactive=False, wrap=True)
    with gr.Row():
        # any value is let through (an API user names a run): the handlers check it is one to see
        pick = gr.Dropdown([], multiselect=True, label=L("monitor.compare"), allow_custom_value=True)
        metric = gr.Dropdown([], label=L("monitor.metric"))
        weight = Slider(0, 0.99, 0.6, step=0.01, label=L("monitor.smoothing"))
        log_scale = gr.Checkbox(False, label=L("monitor.log"))
    curve = gr.LinePlot(x="step", y="value", color="series", height=320, label=L("monitor.curves"), **AXES)
    gr.Markdown(L("monitor.one_run"))
    with gr.Row():
        focus = gr.Dropdown([], label=L("monitor.run"), allow_custom_value=True)
        step = Slider(0, 1, 0, step=1, label=L("monitor.step"))
    with gr.Row():
        media_img = gr.Image(type="pil", label=L("monitor.media_img"), format="png", height=300)
        media_text = gr.Textbox(label=L("monitor.media_text"), lines=10)
    settings = gr.Dataframe(label=L("monitor.settings"), interactive=False)
    with gr.Row():
        pause = gr.Button(L("monitor.pause"))
        resume = gr.Button(L("monitor.resume"))
        stop = gr.Button(L("common.stop"), variant="stop")
        resume_ck = gr.Button(L("monitor.resume_ck"))
        share = gr.Button(L("monitor.share"))
    with gr.Row():
        fork_set = gr.Textbox('{"lr_d": 0.0002}', label=L("monitor.fork_set"), scale=3)
        fork_steps = Number(500, label=L("monitor.fork_steps"))
        fork = gr.Button(L("monitor.fork"))
    with gr.Row():
        export = gr.Button(L("monitor.export"))
        export_file = gr.File(label=L("monitor.export_file"))
    with gr.Row():
        import_file = gr.File(label=L("monitor.import_file"), file_types=[".zip"], type="filepath")
        import_btn = gr.Button(L("monitor.import"))
    note = gr.Markdown()
    last = gr.State({})  # what this page was last sent, to send only changes
    timer = gr.Timer(0.5, active=False)  # on while the tab is shown (app.py)

    # -------------------------------------------------------------- handlers
    def views_of(request):
        return monitor.runs_for(runner, owner(request))

    def the_view(name, request):
        v = next((v for v in views_of(request) if v["name"] == name), None)
        if v is None:
            raise error("err.choose_run")
        return v

    def refresh(chosen_runs, metric_name, smoothing, log_y, run, seen, request: gr.Request):
        log_y = flag(log_y, "log_scale")
        views = views_of(request)
        seen = dict(seen or {})
        out = {}
        tab = table(views, lang_of(request))
        sig = tab.to_json()
        out[runs] = tab if sig != seen.get("table") else gr.skip()
        seen["table"] = sig
        run_names = [v["name"] for v in views]
        metrics = monitor.metric_names(views)
        choice_sig = json.dumps([run_names, metrics])
        if choice_sig != seen.get("choices"):
            seen["choices"] = choice_sig
            chosen_runs = chosen_runs or run_names[-2:]
            metric_name = metric_name if metric_name in metrics else (metrics[0] if metrics else None)
            run = run if run in run_names else (run_names[-1] if run_names else None)
            out[pick] = gr.Dropdown(choices=run_names, value=chosen_runs)
            out[metric] = gr.Dropdown(choices=metrics, value=metric_name)
            out[focus] = gr.Dropdown(choices=run_names, value=run)
        else:
            out[pick] = out[metric] = out[focus] = gr.skip()
        # curves: only when a chosen run moved or a setting changed
        moved = json.dumps([[v["name"], v["step"], len(v["rows"])] for v in views if v["name"] in (chosen_runs or [])]
                           + [metric_name, smoothing, log_y])
        if moved != seen.get("curve"):
            seen["curve"] = moved
            df, colors = curve_frame(views, chosen_runs, metric_name, smoothing, log_y) if metric_name else (None, {})
            title = ("log10 " if log_y else "") + (metric_name or "")  # a metric's name, as the runs log it
            out[curve] = (gr.LinePlot(value=df, color_map=colors, colors_in_legend=list(colors), y_title=title)
                          if df is not None else gr.skip())
        else:
            out[curve] = gr.skip()
        # the focused run's slider follows its newest medium while it trains
        fv = next((v for v in views if v["name"] == run), None)
        if fv and fv["media"] and fv["media"][-1][0] != seen.get("media_step"):
            seen["media_step"] = fv["media"][-1][0]
            out[step] = Slider(minimum=0, maximum=max(fv["media"][-1][0], 1), value=fv["media"][-1][0])
        else:
            out[step] = gr.skip()
        # each poll costs the page (Gradio copies its state on every event: 10 frames a second
        # on a page that had trained), so polling stops once nothing can move; showing the tab
        # again, or starting a run from it, starts it again
        quiet = all(isinstance(v, dict) and v.get("__type__") == "update" and len(v) == 1 for v in out.values())
        out[timer] = (gr.Timer(active=False) if quiet and not any(v["status"] in ACTIVE for v in views)
                      else gr.skip())
        out[last] = seen
        return out

    def show_media(run, at_step, request: gr.Request):
        v = next((v for v in views_of(request) if v["name"] == run), None)
        if v is None:
            return None, ""
        s, m = monitor.media_at(v, number(at_step or 0, "at_step", 0, 1e12, whole=True))
        if m is None:
            return None, ""
        if isinstance(m, str):
            return (gr.Image(value=None, label=tr("monitor.samples", request)),
                    gr.Textbox(value=m, label=tr("monitor.text_at", request, step=s)))
        return (gr.Image(value=m, label=tr("monitor.samples_at", request, step=s)),
                gr.Textbox(value="", label=tr("monitor.text_sample", request)))

    def show_settings(chosen_runs, request: gr.Request):
        views = [v for v in views_of(request) if v["name"] in (chosen_runs or [])]
        if not views:
            return None
        cols, rows = monitor.settings_table(views)
        df = pd.DataFrame(rows, columns=[tr("monitor.setting", request)] + cols).astype(str)
        differs = df[cols].nunique(axis=1) > 1
        return df.style.apply(lambda r: ["background-color: #fff3b0" if differs[r.name] else "" for _ in r], axis=1)

    def control(action):
        def handler(run, request: gr.Request):
            v = the_view(run, request)
            job = v["job"]
            if job is None:
                raise error("err.cli_run", run=run)
            if v["watching"]:
                raise error("err.watched_run_control", run=run)
            getattr(job, action)()
            return f"{run}: {status_word(job.status, lang_of(request))}"
        return handler

    def restart(run, changes, n_steps, request: gr.Request, fork_run: bool):
        v = the_view(run, request)
        if v["watching"] and not fork_run:
            raise error("err.watched_run_resume", run=run)
        if v["status"] in ("training", "paused", "queued") and not fork_run:
            raise error("err.stop_first")
        if fork_run and v["job"] is not None:  # a live run saves its weights as they are now
            v["checkpoint"] = monitor.fork_checkpoint(v["job"])
        afresh = not fork_run and v["status"] == INTERRUPTED and not v["checkpoint"] and v["step"] == 0
        if not afresh and (not v["checkpoint"] or not Path(v["checkpoint"]).exists()):
            raise error("err.no_checkpoint_yet", run=run)
        spec = dict(v["spec"])
        if spec["dataset"] not in datamod.DATASETS:
            raise error("err.uploaded_data_gone", run=run)
        overrides = {}
        if fork_run:
            try:
                overrides = json.loads(changes or "{}")
                assert isinstance(overrides, dict)
            except (json.JSONDecodeError, AssertionError):
                raise error("err.fork_settings") from None
        steps_left = (number(n_steps or 0, "n_steps", 0, MAX_STEPS, whole=True) if fork_run
                      else v["total"] - v["step"])
        if steps_left <= 0:
            raise error("err.all_steps_done", run=run)
        if fork_run:  # a copy of the checkpoint: the run it came from goes on overwriting its own
            v["checkpoint"] = str(checkpoints.copy_to(v["checkpoint"], checkpoints.RUNS_DIR / "forks"))
        if afresh:  # a run a restart took out of the queue: it starts again as it was asked for
            new = TrainSpec(**{**spec, "name": "", "out": ""})
        else:
            new = TrainSpec(**{**spec, "overrides": overrides, "init_from": v["checkpoint"], "steps": steps_left,
                               "name": "", "out": ""})
        job = start_or_error(runner, new, request)
        if fork_run:
            return tr("monitor.forked", request, name=job.name, run=run, changes=json.dumps(overrides))
        return tr("monitor.resumed", request, name=job.name, run=run, step=v["step"])

    def resume_from(run, request: gr.Request):
        return restart(run, None, None, request, fork_run=False)

    def fork_from(run, changes, n_steps, request: gr.Request):
        return restart(run, changes, n_steps, request, fork_run=True)

    def on_export(run, request: gr.Request):
        v = the_view(run, request)
        path = Path(scratch_file(f"{run}.zip"))
        return str(monitor.export_zip(v, path))

    def on_share(run, request: gr.Request):
        v = the_view(run, request)
        if v["job"] is None or v["watching"]:
            raise error("err.share_own_runs")
        link = page_link(request, f"watch={v['job'].share()}")
        return tr("monitor.shared_note", request, run=run, link=link)

    def on_watch_link(request: gr.Request):
        """A page opened with ?watch=TOKEN: show that run in this monitor."""
        token = dict(request.query_params or {}).get("watch") if request else None
        if not token:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            job = runner.watch(token)
        except KeyError as e:
            return gr.skip(), gr.skip(), gr.skip(), say(e.args[0], request), gr.skip()
        return (gr.Tabs(selected="monitor"), gr.Dropdown(choices=[job.name], value=[job.name]),
                gr.Dropdown(choices=[job.name], value=job.name),
                tr("monitor.watching_note", request, name=job.name), gr.Timer(active=True))

    def on_keep(keep_runs, request: gr.Request):
        # for this student's runs, the ones they have and the ones they start later
        runner.roster.set_keep(owner(request), flag(keep_runs, "keep"))

    def on_import(file, request: gr.Request):
        if not file:
            raise error("err.import_choose")
        try:
            folder = monitor.import_zip(file, owner(request))
        except monitor.ImportRefused as e:
            raise page_error(e) from None
        job = runner.adopt(folder)
        return tr("monitor.imported", request, name=job.name if job else folder.name, step=job.step if job else 0)

    outputs = [runs, pick, metric, focus, curve, step, last, timer]
    timer.tick(refresh, [pick, metric, weight, log_scale, focus, last], outputs, api_name="monitor_poll",
               concurrency_limit=None, show_progress="hidden")
    for ctl in (pick, metric, weight, log_scale):
        ctl.change(refresh, [pick, metric, weight, log_scale, focus, last], outputs,
                   concurrency_limit=None, show_progress="hidden", api_visibility="private")
    pick.change(show_settings, pick, settings, api_name="monitor_settings", concurrency_limit=None)
    step.change(show_media, [focus, step], [media_img, media_text], api_name="monitor_media",
                concurrency_limit=None, show_progress="hidden")
    focus.change(show_media, [focus, step], [media_img, media_text], concurrency_limit=None,
                 api_visibility="private")
    poll_again = dict(fn=timer_on(True), inputs=None, outputs=timer, queue=False,
                      show_progress="hidden", api_visibility="private")  # a run started or resumed here
    pause.click(control("pause"), focus, note, api_name="monitor_pause")
    resume.click(control("resume"), focus, note, api_name="monitor_resume").success(**poll_again)
    stop.click(control("stop"), focus, note, api_name="monitor_stop")
    resume_ck.click(resume_from, focus, note, api_name="monitor_resume_checkpoint").success(**poll_again)
    fork.click(fork_from, [focus, fork_set, fork_steps], note, api_name="monitor_fork").success(**poll_again)
    export.click(on_export, focus, export_file, api_name="monitor_export")
    keep.change(on_keep, keep, None, api_name="monitor_keep_alive")

    def on_page_load(secret, request: gr.Request, profile: gr.OAuthProfile | None):  # the box as the student left it
        return attach(runner, request, secret, profile) in runner.roster.keep

    get_blocks_context().root_block.load(on_page_load, student_state(), keep, api_visibility="private",
                                         show_progress="hidden")
    import_btn.click(on_import, import_file, note, api_name="monitor_import").success(**poll_again)
    share.click(on_share, focus, note, api_name="monitor_share")
    return on_watch_link, [pick, focus, watch_note, timer], timer
