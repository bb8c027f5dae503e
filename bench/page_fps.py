"""How smooth the page stays while a run trains: frames per second the browser draws and how
long it takes to answer a script (a stand-in for a click), in headless Chromium, on the GAN tab
while its own run trains and streams, then on the monitor tab after the run is stopped.

    python bench/page_fps.py [--probes 25]

Each probe counts requestAnimationFrame callbacks for 2 s (60 is a page with nothing to do) and
times `page.evaluate("1")`. The browser, the server and the training share this machine's cores,
as they would not in a class (each student's browser runs on their own computer). Needs Debian's
chromium and the playwright package.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_RUNS_DIR", "/tmp/genai_bench_runs")

FRAMES = """() => new Promise(done => { let n = 0; const t0 = performance.now();
  function frame() { n++; if (performance.now() - t0 < 2000) requestAnimationFrame(frame); else done(n / 2); }
  requestAnimationFrame(frame); })"""


def probe(page) -> tuple[float, float]:
    t = time.perf_counter()
    page.evaluate("1")
    ms = (time.perf_counter() - t) * 1e3
    return page.evaluate(FRAMES), ms


def main():
    from playwright.sync_api import expect, sync_playwright

    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    p = argparse.ArgumentParser()
    p.add_argument("--probes", type=int, default=25, help="probes while the run trains (about 2.5 s each)")
    a = p.parse_args()
    demo = build_app(JobRunner(max_active=2))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None, **LAUNCH)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("| where | step | frames/s | answer to a script (ms) |\n|---|---|---|---|")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url)
        expect(page.get_by_text("Generative AI Lab").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(5000)
        page.get_by_role("tab", name="Training monitor").click()  # seen once: its parts now drawn
        page.wait_for_timeout(3000)
        page.get_by_role("tab", name="Image GAN").click()
        print("| GAN tab, nothing running | - | %.0f | %.0f |" % probe(page))
        # a student's name first, as the page asks before a first Start (issue 27)
        page.locator("#student-name textarea, #student-name input").first.fill("Ana")
        page.locator("#save-name").click()
        expect(page.locator("#student-line").get_by_text("Ana")).to_be_visible(timeout=30_000)
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label("Steps").first.fill("20000")
        panel.get_by_label("Steps").first.press("Enter")
        panel.get_by_role("button", name="Start", exact=True).click()
        status = panel.get_by_text(re.compile(r"training, step \d+"))
        expect(status.first).to_be_visible(timeout=60_000)
        for _ in range(a.probes):
            fps, ms = probe(page)
            step = re.search(r"step (\d+)", status.first.inner_text())[1]
            print(f"| GAN tab, its run training | {step} | {fps:.0f} | {ms:.0f} |", flush=True)
        t = time.perf_counter()
        panel.get_by_role("button", name="Stop", exact=True).click(no_wait_after=True, timeout=120_000)
        print(f"| Stop clicked | | | {(time.perf_counter() - t) * 1e3:.0f} |")
        expect(panel.get_by_text(re.compile(r"stopped, step \d+")).first).to_be_visible(timeout=120_000)
        print(f"| the page says stopped | | | {(time.perf_counter() - t) * 1e3:.0f} |")
        page.get_by_role("tab", name="Training monitor").click()
        for _ in range(6):
            print("| monitor tab, the run stopped | - | %.0f | %.0f |" % probe(page))
        browser.close()
    demo.runner.shutdown()
    demo.close()


if __name__ == "__main__":  # the training process re-imports this module: start nothing there
    main()
