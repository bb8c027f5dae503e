"""Small helpers the tabs share: who is asking, curves as DataFrames, status lines.
Tabs copy rather than share anything larger (see DEVELOPERS.md)."""
from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from genai import classroom, models
from genai.jobs import ACTIVE, Job, JobRunner, RunnerBusy
from genai.locales import Words
from genai.ui.i18n import EN, QUIET, L, error, lang_of, page_error, say, t as tr

COMPUTE = "compute"  # the concurrency_id of every compute-heavy event (sampling, encoding)
# how many of them run at once: one a core (each uses one torch thread beside the server). Every
# event of the group names the same limit, because Gradio fixes a group's limit from whichever
# event runs first: a default of 1 there would serialise the whole class's requests.
COMPUTE_LIMIT = max(2, os.cpu_count() or 1)
HEAVY = dict(concurrency_id=COMPUTE, concurrency_limit=COMPUTE_LIMIT)  # an event's **HEAVY
# a curve plot's axis and legend titles (its columns are step, value, series), in the page's language
AXES = dict(x_title=L("plot.step"), y_title=L("plot.value"), color_title=L("plot.series"))


SCRATCH_MAX_AGE = 3600  # seconds a GIF or zip made for a download is kept on the server
SCRATCH = Path(tempfile.gettempdir()) / "genai_scratch"
SCRATCH_SWEEP_S = 60
_swept = 0.0  # when scratch_file last looked for old folders


def scratch_file(name: str) -> str:
    """A fresh path under one scratch folder for a file the page offers (a GIF, a zip). Gradio
    copies it into its own cache, which it empties itself (delete_cache); the folders here older
    than SCRATCH_MAX_AGE are removed, in a sweep at most every SCRATCH_SWEEP_S, so a class's
    downloads do not fill the disk. A sweep at every call looked at every folder of the hour (over a
    thousand with thirty students: 4% of the server's profile, BENCHMARKS.md, issue 31)."""
    global _swept
    now = time.time()
    SCRATCH.mkdir(exist_ok=True)
    if now - _swept > SCRATCH_SWEEP_S:
        _swept = now
        for old in SCRATCH.iterdir():
            try:
                if now - old.stat().st_mtime > SCRATCH_MAX_AGE:
                    shutil.rmtree(old, ignore_errors=True)
            except FileNotFoundError:  # another request removed it first
                pass
    folder = SCRATCH / uuid.uuid4().hex
    folder.mkdir()
    return str(folder / name)


def owner(request: gr.Request | None) -> str:
    """Runs belong to the student whose page asks (genai/classroom.py), not to the browser tab."""
    return classroom.owner_of(getattr(request, "session_hash", None))


def student_state() -> gr.BrowserState:
    """The page's student secret, kept in the browser (encrypted, across reloads and restarts): one
    per page, made by whichever part of the page asks first (app.py's header, then the tabs)."""
    from gradio.context import get_blocks_context

    root = get_blocks_context().root_block
    if getattr(root, "genai_student", None) is None:
        root.genai_student = gr.BrowserState("", storage_key="genai-student",
                                             secret=classroom.browser_secret(runs_dir()))
    return root.genai_student


def page_link(request, query: str) -> str:
    """This page's address with ``query`` (``watch=...``, ``join=...``), as its visitor reached it
    (behind the Space's proxy too)."""
    headers = dict(request.headers) if request else {}
    host = headers.get("x-forwarded-host") or headers.get("host") or "localhost:7860"
    scheme = headers.get("x-forwarded-proto") or ("https" if host.endswith(".hf.space") else "http")
    return f"{scheme}://{host}/?{query}"


def runs_dir():
    from genai import checkpoints

    return checkpoints.RUNS_DIR


def attach(runner: JobRunner, request: gr.Request | None, secret, profile=None) -> str:
    """This page is the student its browser's secret (or its Hugging Face sign-in) names."""
    user = getattr(profile, "username", None) if profile is not None else None
    return runner.roster.attach(getattr(request, "session_hash", None) or "", secret, hf_user=user)


def on_return(runner: JobRunner, family: str, stream, idle_update: tuple):
    """A tab's page-load handler: attach the page to its student, then stream that student's
    running run of ``family`` where it is (``stream(job, request)``), or send ``idle_update``
    (the menus with the student's runs) when there is none."""
    def handler(secret, request: gr.Request, profile: gr.OAuthProfile | None):
        attach(runner, request, secret, profile)
        job = returning(runner, request, family)
        if job is None:
            yield idle_update(request)
            return
        yield from stream(job, request)
    return handler


def when_loaded(fn, outputs) -> object:
    """Run ``fn`` (an ``on_return`` handler) when the page loads; the event, for a Stop's cancels."""
    from gradio.context import get_blocks_context

    return get_blocks_context().root_block.load(fn, student_state(), outputs, concurrency_limit=None,
                                                show_progress="hidden", api_visibility="private")


def at_load(fn):
    """A component's value made when a page loads, not when the app is built. Gradio calls a
    value function once as it builds the component and again at each page load; the first call
    (the build) gets None, so that start-up loads no model and draws nothing (measured: a tab's
    first samples cost the start 2-4 s each), while the warm-up thread makes each value once
    in the background and a page loads it from there."""
    built = []

    def page_value():  # the load event's name (genai/ui/app.py hides it from the API page)
        if not built:
            built.append(True)
            return None
        return fn()

    return page_value


def here(runner: JobRunner, request: gr.Request | None) -> str:
    """The asking page's student, noted as present (their grace period starts again)."""
    return runner.roster.seen(getattr(request, "session_hash", None))


MAX_POINTS = 120  # points per series in a curve plot sent to the page (see curves)


def curves(job: Job | None, keys: list[str], names: dict[str, str] | None = None) -> pd.DataFrame:
    """Long-format metrics (step, value, series) for a gr.LinePlot, only the given keys. ``names``:
    a metric's text key (e.g. "plot.heldout"), to name its curve in the language of the page that
    started the run."""
    rows = []
    if job is not None:
        got = list(job.rows)
        for k in keys:
            mine = [(r["step"], float(r[k]), k) for r in got if k in r]
            # a page redraws (and Gradio's page copies) each plot on every update: thousands of
            # points froze a browser on a loaded 2-core machine (its Stop button took no click);
            # measured at step 2,000 of a GAN run: 250 points a series, 16-32 frames a second;
            # 120 points, 42-51 (BENCHMARKS.md). Every k-th point, and the newest.
            stride = max(1, -(-len(mine) // MAX_POINTS))
            rows += mine[::stride] + (mine[-1:] if (len(mine) - 1) % stride else [])
    if rows:
        # every asked-for series from the first frame a plot draws: Gradio's LinePlot fixes its
        # colours (Vega's colour domain) then and never draws a series that appears later, such as
        # a held-out loss first measured at step 100; a not-a-number point draws nothing
        have = {r[2] for r in rows}
        rows += [(rows[0][0], math.nan, k) for k in keys if k not in have]
    if names:
        lang = getattr(job, "lang", "en")
        rows = [(step, value, tr(names[k], lang) if k in names else k) for step, value, k in rows]
    # typed even when empty: the plot fixes its axis types from the first frame it is sent
    # (columns built typed: DataFrame(rows).astype(...) was a fifth of a training stream's interpreter time)
    steps, values, series = zip(*rows) if rows else ((), (), ())
    return pd.DataFrame({"step": np.array(steps, dtype=np.int64), "value": np.array(values, dtype=np.float64),
                         "series": pd.array(series, dtype="str")})


def is_new(job: Job, keys: list[str], sent: dict) -> bool:
    """Whether ``job`` has metrics rows with any of ``keys`` that this streaming page has not been
    sent (``sent`` remembers, per stream, how many there were); False while there are none."""
    have = sum(1 for r in list(job.rows) if any(k in r for k in keys))
    new = bool(have) and sent.get(tuple(keys)) != have
    sent[tuple(keys)] = have
    return new


def fresh_curves(job: Job, keys: list[str], sent: dict, names: dict[str, str] | None = None):
    """curves() for one streaming page, or gr.skip() when the page already has every point or
    there is none yet: an empty first frame would fix the plot's series (its colours) to none."""
    return curves(job, keys, names) if is_new(job, keys, sent) else gr.skip()


def fresh_media(job: Job, sent: dict):
    """The run's newest sample (image or text) for one streaming page, or gr.skip() when the page
    has it already."""
    new = len(job.media) > sent.get("media", 0)
    sent["media"] = len(job.media)
    return job.media[-1][1] if new else gr.skip()


def snapshot_at(job: Job, percent: float) -> tuple:
    """A replay slider's (step, sample): the run's snapshot ``percent`` % of the way through them.
    The slider's range stays 0-100 so that a stream never rebuilds it (a component update cost
    the server a tenth of its time with a class, BENCHMARKS.md, issue 31)."""
    return job.media[round(percent / 100 * (len(job.media) - 1))]


def coarse(wait: float) -> float:
    """An estimated wait as a page says it: to 5 s under a minute, 15 s under five, 30 s beyond.
    An estimate is good to a quarter at best, and each change of its words is a message to the page."""
    step = 5 if wait < 60 else 15 if wait < 300 else 30
    return round(wait / step) * step


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    s = int(s)
    return f"{s // 60}:{s % 60:02d}"


def trained(meta: dict, request) -> str:
    """'trained 12000 steps on mnist (16 min)': a checkpoint's info line says how long it trained
    when its sidecar records it (files written since the trainer does)."""
    words = tr("common.info_trained", request, steps=meta.get("step", 0), dataset=meta.get("dataset", "?"))
    if meta.get("train_seconds"):
        words += tr("common.info_minutes", request, minutes=max(1, round(meta["train_seconds"] / 60)))
    return words


def status_word(status: str, lang) -> str:
    """A run's status as one word in the page's language ('queued', '排队中'), for the monitor's
    table and the class board: ``status.queued`` and ``status.cancelled`` are whole status lines."""
    for key in (f"status.{status}_word", f"status.{status}"):
        if key in EN:
            return tr(key, lang)
    return status


def status_line(job: Job | None, lang: str | None = None) -> str:
    """The run's one-line state, in the language of the page that started it (or ``lang``)."""
    lang = lang or getattr(job, "lang", "en")
    if job is None:
        return tr("status.none", lang)
    name, status = job.name, status_word(job.status, lang)
    if job.status == "queued":
        place, wait = job.runner.queue_place(job) if job.runner else (0, None)
        waiting = len(job.runner.queued()) if job.runner else 0
        when = (tr("status.starts_in", lang, wait=fmt_seconds(coarse(wait))) if wait is not None
                else tr("status.start_unknown", lang))
        return tr("status.queued", lang, name=name, place=place, waiting=waiting, when=when)
    if job.status == "cancelled":
        return tr("status.cancelled", lang, name=name)
    text = models.data_kind(job.spec.family) == "text"
    unit = "status.rate_text" if text else "status.rate"  # windows or images
    rate = tr(unit, lang, rate=job.items_per_s) if job.items_per_s else ""
    msg = f" - {say(job.message, lang)}" if job.status == "failed" else ""
    return tr("status.line", lang, name=name, status=status, step=job.step, total=job.total, rate=rate,
              elapsed=fmt_seconds(job.elapsed()), eta=fmt_seconds(job.eta()), msg=msg)


def start_or_error(runner: JobRunner, spec, request, data=None) -> Job:
    """Queue a run; the per-session cap and bad settings become a message in the page."""
    who = here(runner, request)
    if runner.roster.needs_name(who):
        raise error("err.name_first")
    try:
        job = runner.start(spec, who, data=data)
    except (RunnerBusy, ValueError) as e:
        raise page_error(e) from None
    job.lang = lang_of(request)  # its status lines speak the language of the page that started it
    return job


INF = math.inf  # number(x, name, -INF, INF): any finite number (its range is checked elsewhere)


def number(value, name: str, lo: float, hi: float, *, whole: bool = False):
    """A number from the page or the API, checked against the range its control shows. A browser's
    slider cannot send NaN, infinity, text or 1e300; the API can: each gets a message naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error("err.not_a_number", name=name, value=repr(str(value)[:40]))
    if not math.isfinite(value):
        raise error("err.not_finite", name=name, value=value)
    if whole and value != int(value):
        raise error("err.not_whole", name=name, value=f"{value:g}")
    if not lo <= value <= hi:
        raise error("err.out_of_range", name=name, lo=f"{lo:g}", hi=f"{hi:g}", value=f"{value:g}")
    return int(value) if whole else float(value)


def _checked_number(component: type) -> type:
    """``component`` (gr.Slider, gr.Number) whose preprocessing refuses what is not a number with
    a message naming the control, as ``number`` does in a handler: Gradio's own check failed on
    the text "abc" with "Expected a `float` ... TypeError: '<' not supported", naming nothing."""
    class Checked(component):
        def preprocess(self, payload):
            if payload is not None and (isinstance(payload, bool) or not isinstance(payload, (int, float))):
                key = getattr(self.label, "key", None)
                name = Words(key) if key in EN else str(self.label or "value")  # the label, in the page's language
                raise error("err.not_a_number", name=name, value=repr(str(payload)[:40]))
            return super().preprocess(payload)

    Checked.__name__ = Checked.__qualname__ = component.__name__  # the same front-end component
    return Checked


Slider, Number = _checked_number(gr.Slider), _checked_number(gr.Number)


def _named_image(component: type) -> type:
    """``component`` (gr.Sketchpad, gr.ImageEditor) whose preprocessing says which control an upload
    that is not an image came to (a text file renamed .png, an empty or truncated file): Gradio's
    own message was "Could not preprocess input component ... imageeditor", naming none."""
    class Named(component):
        def get_block_name(self) -> str:  # a subclass is looked up by its name: the page would lack it
            return "imageeditor"

        def preprocess(self, payload):
            try:
                return super().preprocess(payload)
            except gr.Error:
                raise
            except Exception as e:  # noqa: BLE001 - whatever Pillow or Gradio raise on a file that is not an image
                key = getattr(self.label, "key", None)
                raise error("err.image_unreadable", name=Words(key) if key else "the drawing",
                            why=type(e).__name__) from None

    Named.__name__ = Named.__qualname__ = component.__name__
    return Named


Sketchpad, ImageEditor = _named_image(gr.Sketchpad), _named_image(gr.ImageEditor)


def flag(value, name: str) -> bool:
    """A checkbox's value from the page or the API: true or false, nothing else (the API once took
    the string "abc" as true)."""
    if not isinstance(value, bool):
        raise error("err.not_a_flag", name=name, value=repr(str(value)[:40]))
    return value


def seed_of(value, what: str = "seed") -> int:
    """A seed from the page or the API: a whole number torch can take, or a clear message."""
    from genai.trainer import MAX_SEED

    try:
        seed = int(value or 0)
        if seed != float(value or 0):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise error("err.seed_not_whole", name=what, value=repr(value)) from None
    if not 0 <= seed <= MAX_SEED:
        raise error("err.seed_range", name=what, max=MAX_SEED, value=seed)
    return seed


def waiting(job: Job, n_others: int, sent: dict):
    """A queued run's update: its status line only (no curves or samples yet), or ``QUIET`` when
    this page (``sent``) has that line already."""
    line = status_line(job)
    if sent.get("queued line") == line:
        return QUIET
    sent["queued line"] = line
    return (line, *[gr.skip()] * n_others)


def updates(job: Job, interval: float = 0.5, idle: float = 2.0, tick: float = 1.0):
    """When a tab streaming ``job`` looks at it again: at most every ``interval`` seconds while
    events arrive, every ``idle`` seconds while it trains without one (a slow step, a pause), every
    ``tick`` while it waits in the queue (its place moves), and always at its end. A class streams
    thirty runs at once: every update costs the server (profiled: message models, JSON and plot
    frames were a fifth of its CPU), so send few. A queued page sends only a line that changed
    (``waiting``): its other steps are ``QUIET``, which keeps its stream cancellable every
    ``tick`` (genai/ui/i18n.py, ``speaking``)."""
    throttle, last = Throttle(interval), time.monotonic()
    for ev in job.follow(idle=tick):
        now = time.monotonic()
        if ev is None and job.status != "queued" and now - last < idle:
            continue
        if ev is None or throttle.ready(ev.kind in ("done", "error")):
            last = now
            yield ev


def find_job(runner: JobRunner, job_id: str | None, request) -> Job | None:
    if not job_id:
        return None
    try:
        return runner.get(job_id, owner(request))
    except KeyError:
        return None


class Throttle:
    """Let a streaming handler send at most one update every ``interval`` seconds."""

    def __init__(self, interval: float = 0.25):
        self.interval, self.last = interval, 0.0

    def ready(self, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.last = now
            return True
        return False


def returning(runner: JobRunner, request, family: str | tuple[str, ...]) -> Job | None:
    """The run a page opened again should show in ``family``'s tab: its student's newest run of
    that family (or families) that is queued, training or paused (a reload, a second device, a
    woken laptop)."""
    families = (family,) if isinstance(family, str) else family
    mine = [j for j in runner.jobs(here(runner, request)) if j.spec.family in families and j.status in ACTIVE]
    return max(mine, key=lambda j: j.queued_at) if mine else None


def toggle_pause(runner: JobRunner, job_id: str | None, request) -> str:
    """The tabs' Pause / resume button."""
    job = find_job(runner, job_id, request)
    if job is None:
        raise error("err.no_run_to_pause")
    job.resume() if job.status == "paused" else job.pause()
    return status_line(job)


def stop_job(runner: JobRunner, job_id: str | None, request) -> Job | None:
    """The tabs' Stop button: stop the run and wait (briefly) for its final checkpoint."""
    job = find_job(runner, job_id, request)
    if job is not None:
        job.stop(wait=5)
    return job


RUN = "run:"  # a menu value that names one of this student's runs by its key


def run_choices(runner: JobRunner, request, family: str) -> list[tuple[str, str]]:
    """(label, value) of this student's runs of ``family`` that saved a checkpoint. The value is
    the run's unguessable key, sent only to this student's pages: no path of the server is shown
    or taken."""
    return [(tr("ui.your_run", request, name=job.name), RUN + job.key) for job in runner.jobs(owner(request))
            if job.spec.family == family and job.checkpoint]


def menu_with_run(menu: list[tuple[str, str]], job) -> gr.Dropdown:
    """A Checkpoint menu with ``job``'s checkpoint chosen when it has one: the tab shows it at once."""
    mine = RUN + job.key
    if job.checkpoint and any(v == mine for _, v in menu):
        return gr.Dropdown(choices=menu, value=mine)
    return gr.Dropdown(choices=menu)


def checkpoint_file(runner: JobRunner, value: str | None, families: tuple[str, ...]) -> str | None:
    """The file behind a checkpoint menu's value: a shipped checkpoint's name, or a run's key.
    Anything else (a path above all) is refused: no path from a request reaches the file system.
    The menus take any value (``allow_custom_value``) so that a student's run key works from any
    of their pages and API sessions, not only the one whose menu was last updated: this is the check."""
    from genai import checkpoints

    if not value:
        return None
    if value.startswith(RUN):
        job = next((j for j in runner.jobs() if j.key == value[len(RUN):]), None)
        if job is None or job.spec.family not in families or not job.checkpoint:
            raise error("err.not_your_run")
        return job.checkpoint
    for family in families:  # shipped ones only: runs on disk are other sessions' and the CLI's
        try:
            return str(checkpoints.find(value, family, runs_dir=os.devnull).path)
        except checkpoints.CheckpointError:
            pass
    raise error("err.no_checkpoint_called", name=repr(value[:80]))
