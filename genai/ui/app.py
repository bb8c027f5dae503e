"""The page: a header with the device, and one tab per module under genai/ui/."""
from __future__ import annotations

import os
import sys
import threading

import gradio as gr

from genai import checkpoints, device as devmod
from genai.jobs import JobRunner
from genai.ui import diffusion_tab, gan_tab, monitor_tab, text_tab, vae_tab
from genai.ui.common import owner
from starlette.middleware import Middleware

from genai.ui.i18n import HEAD, I18N, L, PageLanguage, speak_the_page, switch_html, t as tr



# the tabs in page order, each a module with build(runner) and, if it has shipped models to load
# before the first student asks, warm_up(runner); its title is the catalogue's "app.tab_<id>".
# A new tab is one line here.
TABS = [("gan", gan_tab), ("vae", vae_tab), ("diffusion", diffusion_tab), ("text", text_tab)]


def warm_up(runner: JobRunner) -> None:
    """Load the shipped models the tabs use, so that the first students' requests do not each
    wait seconds for a checkpoint to load (measured: a first continuation 2.2 s, then 0.23 s)."""
    for _, tab in TABS:
        try:
            if hasattr(tab, "warm_up"):
                tab.warm_up(runner)
        except Exception as e:  # noqa: BLE001 - only a head start: a request loads what it needs itself
            print(f"warm-up of {tab.__name__} skipped: {type(e).__name__}: {e}", file=sys.stderr)


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
        if fn.api_name and (fn.api_name.startswith("lambda") or fn.api_name == "gallery_items"):
            fn.api_visibility = "private"


def build_app(runner: JobRunner | None = None) -> gr.Blocks:
    devmod.configure_threads(beside_server=True)
    if checkpoints.RUNS_DIR.is_dir():  # what a server killed mid-save left behind
        checkpoints.remove_stale_temp(checkpoints.RUNS_DIR)
    runner = runner or JobRunner()
    with gr.Blocks(title="Generative AI Lab", delete_cache=(600, 3600)) as demo:
        gr.HTML(switch_html())
        gr.Markdown(L("app.intro"))
        gr.Markdown(L("app.language"))
        device_line = gr.Markdown(f"**Device:** {devmod.describe(runner.device)}", elem_id="device-line")
        with gr.Tabs() as tabs:
            pages = []
            for key, tab in TABS:
                with gr.Tab(L(f"app.tab_{key}"), id=key) as page:
                    tab.build(runner)
                pages.append(page)
            with gr.Tab(L("app.tab_monitor"), id="monitor") as monitor_page:
                on_watch_link, watch_outputs, poll = monitor_tab.build(runner)
        # the monitor polls only while it is shown: its hidden table and plot, redrawn twice a
        # second, slowed the page a student trains in (measured: 60 -> 43 frames a second)
        for page in (*pages, monitor_page):
            page.select(monitor_tab.timer_on(page is monitor_page), None, poll,
                        queue=False, show_progress="hidden", api_visibility="private")
        # a page opened with a teacher's share link (?watch=...) opens the monitor on that run
        demo.load(on_watch_link, None, [tabs, *watch_outputs], api_visibility="private")
        # the device line in the page's own language
        def on_device_line(request: gr.Request):
            return tr("app.device_line", request, device=devmod.describe(runner.device))

        demo.load(on_device_line, None, device_line, api_visibility="private")
        def on_close(request: gr.Request):  # a closed browser tab stops (and saves) its runs
            runner.stop_owner(owner(request))

        demo.unload(on_close)
    hide_value_loaders(demo)
    speak_the_page(demo)  # errors in each page's own language
    demo.queue(max_size=QUEUE_MAX)
    threading.Thread(target=warm_up, args=(runner,), name="warm-up", daemon=True).start()
    demo.runner = runner
    return demo
