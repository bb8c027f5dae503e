"""The page: a header with the device, and one tab per module under genai/ui/."""
from __future__ import annotations

import copy
import os
import sys
import threading
import time

import gradio as gr

from genai import checkpoints, classroom, device as devmod
from genai.jobs import JobRunner, start_forkserver
from genai.ui import class_tab, diffusion_tab, gan_tab, monitor_tab, text_tab, uses_tab, vae_tab
from genai.ui.common import attach, page_link, student_state
from starlette.middleware import Middleware

from genai.ui.i18n import HEAD, I18N, L, PageLanguage, error, page_error, speak_the_page, switch_html, t as tr



# the tabs in page order, each a module with build(runner) and, if it has shipped models to load
# before the first student asks, warm_up(runner); its title is the catalogue's "app.tab_<id>".
# A new tab is one line here.
TABS = [("gan", gan_tab), ("vae", vae_tab), ("diffusion", diffusion_tab), ("text", text_tab), ("uses", uses_tab)]


def warm_up(runner: JobRunner) -> None:
    """Load the shipped models the tabs use, so that the first students' requests do not each
    wait seconds for a checkpoint to load (measured: a first continuation 2.2 s, then 0.23 s),
    and start the training processes' forkserver, so that the first runs do not wait for it."""
    t0 = time.perf_counter()
    if runner.isolate == "process":
        try:
            start_forkserver()
        except OSError as e:  # the first run starts it, as before
            print(f"the forkserver did not start: {e}", file=sys.stderr)
    for _, tab in TABS:
        try:
            if hasattr(tab, "warm_up"):
                tab.warm_up(runner)
        except Exception as e:  # noqa: BLE001 - only a head start: a request loads what it needs itself
            print(f"warm-up of {tab.__name__} skipped: {type(e).__name__}: {e}", file=sys.stderr)
    # bench/startup.py reads this line: from here on a page's first samples come from memory
    print(f"warm-up done in {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)


# how the page is served, for app.py, the benchmarks and the tests alike: uploads capped; no run
# history in the browser (it keeps users' inputs in localStorage, on a shared lab computer too);
# the monitoring page closed; footer links to the API and settings only
# the page in the language its link chose (?lang=zh-CN), kept for the browser session
LAUNCH = dict(max_file_size="50mb", run_history=False, enable_monitoring=False, footer_links=["api", "settings"],
              show_error=True, i18n=I18N, head=HEAD, app_kwargs={"middleware": [Middleware(PageLanguage)]})
# requests that may wait in the queue at once: a class of 30 each with a few in flight fits; past
# it a student is told "the queue is full" at once instead of the server taking on work it cannot do
QUEUE_MAX = int(os.environ.get("GENAI_QUEUE_MAX", 0) or 0) or 256


def hide_value_loaders(demo: gr.Blocks) -> None:
    """Components whose value is a function (a tab's first samples) load it with an event that
    Gradio names after the function (/lambda, /lambda_1, ...) and lists on the API page; those are
    the page's own, not an API: make them private (Gradio 6.31 has no argument for it there)."""
    for fn in demo.fns.values():
        if fn.api_name and (fn.api_name.startswith(("lambda", "page_value")) or fn.api_name == "gallery_items"):
            fn.api_visibility = "private"


def student_line(runner: JobRunner, who: str, request) -> str:
    name = runner.roster.name(who)
    if name:
        return tr("class.you_are", request, name=name)
    return tr("class.who_are_you", request)


def student_bar(runner: JobRunner):
    """The header: who this page's student is, their name, and a code for their other devices;
    and the API a script uses to be a student (``/join``, ``/my_runs``)."""
    secret = student_state()
    with gr.Row(elem_id="student-bar", equal_height=True):
        who = gr.Markdown(elem_id="student-line")
        name = gr.Textbox(label=L("class.your_name"), placeholder=L("class.name_placeholder"), max_lines=1,
                          scale=2, elem_id="student-name")
        save = gr.Button(L("class.save_name"), scale=0, min_width=90, elem_id="save-name")
        if os.environ.get("OAUTH_CLIENT_ID"):  # a Space with hf_oauth: true
            gr.LoginButton(scale=0)
    with gr.Accordion(L("class.devices_title"), open=False):
        gr.Markdown(L("class.devices_explain"))
        with gr.Row():
            show_code = gr.Button(L("class.show_code"), scale=0)
            code_in = gr.Textbox(label=L("class.code_in"), max_lines=1, scale=1)
            join = gr.Button(L("class.join"), scale=0)
        code_note = gr.Markdown()
    if not classroom.runs_are_kept(checkpoints.RUNS_DIR):
        gr.Markdown(L("class.runs_not_kept"), elem_id="runs-not-kept")

    def on_load(stored, request: gr.Request, profile: gr.OAuthProfile | None):
        query = dict(request.query_params or {}) if request else {}
        if query.get("join"):  # a link from another device: become its student
            try:
                stored = runner.roster.redeem(query["join"])
            except ValueError:
                pass
        if not classroom.valid_secret(stored):
            stored = classroom.new_secret()
        me = attach(runner, request, stored, profile)
        if profile is not None and not runner.roster.name(me):
            runner.roster.set_name(me, profile.name or profile.username)
        known = runner.roster.name(me)  # (no name yet: leave the box alone, its student may be typing)
        return stored, known or gr.skip(), student_line(runner, me, request)

    def on_save(new_name, request: gr.Request):
        me = runner.roster.seen(request.session_hash)
        try:
            runner.roster.set_name(me, new_name)
        except ValueError as e:
            raise page_error(e) from None
        return student_line(runner, me, request)

    def on_code(stored, request: gr.Request):
        try:
            code = runner.roster.device_code(stored)
        except ValueError as e:
            raise page_error(e) from None
        return tr("class.code_note", request, code=code, link=page_link(request, f"join={code.replace('-', '')}"),
                  minutes=int(classroom.CODE_TTL_S // 60))

    def on_join(code, request: gr.Request):
        try:
            return runner.roster.redeem(code)
        except ValueError as e:
            raise page_error(e) from None

    from gradio.context import get_blocks_context

    demo = get_blocks_context().root_block
    joined = demo.load(on_load, secret, [secret, name, who], api_visibility="private")
    # a page opened with ?join=CODE reloads once, as the student it joined (every tab then finds its runs)
    joined.then(None, None, None, js="() => { const u = new URL(location.href); if (u.searchParams.has('join')) "
                                     "{ u.searchParams.delete('join'); location.replace(u.href); } }")
    save.click(on_save, name, who, api_visibility="private")
    name.submit(on_save, name, who, api_visibility="private")
    show_code.click(on_code, secret, code_note, api_visibility="private")
    # the secret reaches this browser's storage, then the page loads again as that student
    join.click(on_join, code_in, secret, api_visibility="private").success(
        None, None, None, js="() => { setTimeout(() => location.reload(), 300); }")
    # a page that stays open says so now and then: a laptop that slept and woke is here again
    def on_beat(request: gr.Request):
        runner.roster.seen(request.session_hash)

    gr.Timer(60).tick(on_beat, None, None, queue=False, show_progress="hidden", api_visibility="private")

    def join_api(student: str, name: str = "", request: gr.Request = None) -> str:
        """Be the student whose secret is ``student`` in this session (as a page does from its
        browser's storage); with ``name``, also set their name. Returns the name."""
        if not classroom.valid_secret(student):
            raise error("err.bad_student")
        me = runner.roster.attach(request.session_hash, student)
        if name:
            try:
                runner.roster.set_name(me, name)
            except ValueError as e:
                raise page_error(e) from None
        return runner.roster.name(me)

    def my_runs(request: gr.Request = None) -> list:
        """This session's student's runs: name, family, status, step, total, and the value that
        names its checkpoint in the tabs' menus."""
        return [{"name": j.name, "family": j.spec.family, "status": j.status, "step": j.step, "total": j.total,
                 "checkpoint": ("run:" + j.key) if j.checkpoint else None}
                for j in runner.jobs(runner.roster.seen(request.session_hash))]

    gr.api(join_api, api_name="join")
    gr.api(my_runs, api_name="my_runs")


SKIP = {"__type__": "update"}  # gr.skip()


def cheap_skips() -> None:
    """``gr.skip()`` without its cost. Gradio 6 takes a skipped output for a property update: it
    builds the component again from its constructor's arguments, then its whole config (its API's
    JSON schema included), to send the page ``{"__type__": "update"}``: 1-5 ms an output, and a
    class's training streams skip most of their ten outputs at every update (profiled with thirty
    students who stay: a sixth of the server's CPU; BENCHMARKS.md, issue 31). Here the outputs
    left out go round that: the page gets the same message (tests/test_app.py checks it against
    Gradio's own), and the session keeps the component it had, which is the same."""
    from gradio.blocks import Blocks

    original = Blocks.postprocess_data
    if getattr(original, "cheap_skips", False):
        return

    async def postprocess_data(self, block_fn, predictions, state):
        outputs = list(block_fn.outputs)
        if block_fn.batch or not isinstance(predictions, (list, tuple)) or len(predictions) != len(outputs):
            return await original(self, block_fn, predictions, state)
        keep = [i for i, (block, p) in enumerate(zip(outputs, predictions))
                if block.stateful or type(p) is not dict or p != SKIP]
        if len(keep) == len(outputs):
            return await original(self, block_fn, predictions, state)
        out = [dict(SKIP) for _ in outputs]
        if keep:
            some = copy.copy(block_fn)
            some.outputs = [outputs[i] for i in keep]
            kept = [predictions[i] for i in keep]
            # a function of one output returns its value, not a list of one (Gradio wraps it)
            for i, value in zip(keep, await original(self, some, kept if len(keep) > 1 else kept[0], state)):
                out[i] = value
        return out

    postprocess_data.cheap_skips, postprocess_data.original = True, original
    Blocks.postprocess_data = postprocess_data


def build_app(runner: JobRunner | None = None) -> gr.Blocks:
    devmod.configure_threads(beside_server=True)
    cheap_skips()
    # how long a thread may keep the interpreter lock while another waits: torch gives it up at
    # each small operation and waits to take it back (bench/gil_convoy.py: 100 characters of torch
    # decoding beside a busy thread 9.8 s at 1 ms, about 60 s at Python's 5 ms); with 30 students,
    # 1 ms gave p95 1.4-1.9 s (BENCHMARKS.md, issue 31). Measured before a continuation's steps
    # moved to numpy (gpt.NumpyStep) and then out of this process (genai/decoding.py); not measured
    # again since. GENAI_SWITCH_INTERVAL_MS overrides
    interval_ms = float(os.environ.get("GENAI_SWITCH_INTERVAL_MS", 1) or 1)
    if 0 < interval_ms <= 100:
        sys.setswitchinterval(interval_ms / 1000)
    # Gradio sums up its last 10,000 events with pandas after every event (each call, each of a
    # stream's updates), for a monitoring page this app keeps closed (enable_monitoring=False):
    # 5 ms of the server's CPU an event with 100 kept, 12.5 with 10,000 (BENCHMARKS.md, issue 31)
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(10**12))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")
    if checkpoints.RUNS_DIR.is_dir():  # what a server killed mid-save left behind
        checkpoints.remove_stale_temp(checkpoints.RUNS_DIR)
    runner = runner or JobRunner()
    runner.adopt_disk_runs()  # a restart loses nothing: every student's runs, interrupted ones too
    classroom.watch_abandoned(runner)
    runner.sync = classroom.sync_runs(checkpoints.RUNS_DIR)  # off unless GENAI_RUNS_DATASET and HF_TOKEN
    with gr.Blocks(title="Generative AI Lab", delete_cache=(600, 3600)) as demo:
        gr.HTML(switch_html())
        gr.Markdown(L("app.intro"))
        gr.Markdown(L("app.language"))
        device_line = gr.Markdown(f"**Device:** {devmod.describe(runner.device)}", elem_id="device-line")
        student_bar(runner)
        with gr.Tabs() as tabs:
            pages = []
            for key, tab in TABS:
                with gr.Tab(L(f"app.tab_{key}"), id=key) as page:
                    tab.build(runner)
                pages.append(page)
            with gr.Tab(L("app.tab_monitor"), id="monitor") as monitor_page:
                on_watch_link, watch_outputs, poll = monitor_tab.build(runner)
            with gr.Tab(L("app.tab_class"), id="class") as class_page:
                on_teacher_link, teacher_outputs = class_tab.build(runner)
        # the monitor polls only while it is shown: its hidden table and plot, redrawn twice a
        # second, slowed the page a student trains in (measured: 60 -> 43 frames a second)
        for page in (*pages, monitor_page, class_page):
            page.select(monitor_tab.timer_on(page is monitor_page), None, poll,
                        queue=False, show_progress="hidden", api_visibility="private")
        # a page opened with a teacher's share link (?watch=...) opens the monitor on that run
        demo.load(on_watch_link, None, [tabs, *watch_outputs], api_visibility="private")
        # a page opened with ?teacher=KEY opens the class board
        demo.load(on_teacher_link, None, [tabs, *teacher_outputs], api_visibility="private")
        # the device line in the page's own language
        def on_device_line(request: gr.Request):
            return tr("app.device_line", request, device=devmod.describe(runner.device))

        demo.load(on_device_line, None, device_line, api_visibility="private")
        def on_close(request: gr.Request):  # a closed page starts its student's grace period, no more
            runner.roster.closed(request.session_hash)

        demo.unload(on_close)
    hide_value_loaders(demo)
    speak_the_page(demo)  # errors in each page's own language
    demo.queue(max_size=QUEUE_MAX)
    threading.Thread(target=warm_up, args=(runner,), name="warm-up", daemon=True).start()
    demo.runner = runner
    return demo
