"""Monitor benchmark: training throughput of a GAN run while the monitor tab streams it to an
open page, as a share of the same run headless (measured in one go), and the update latency
from a training step to the page.

    python bench/monitor.py [--seconds 60] [--preset cpu-fast]

Needs Debian's chromium and the playwright package (pip install playwright).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_RUNS_DIR", "/tmp/genai_bench_runs")

from genai.jobs import JobRunner  # noqa: E402
from genai.trainer import TrainSpec  # noqa: E402


def spec(preset: str, steps: int = 20000) -> TrainSpec:
    """The spec the GAN tab builds for these settings (see gan_tab.on_train)."""
    return TrainSpec(family="gan", preset=preset, dataset="digits", steps=steps, batch_size=64,
                     overrides=dict(loss="bce", lr_g=5e-4, lr_d=5e-4, z_dim=32),
                     sample_every=max(10, steps // 100), eval_every=max(50, steps // 10), ckpt_every=max(500, steps // 4))


def rate(job, t0: float, t1: float) -> float:
    """Images per second between wall times t0 and t1, from the job's metric events."""
    pts = [(e.time, e.step) for _, e in job.events() if e.kind == "metrics" and "items_per_s" in e.data]
    inside = [(t, s) for t, s in pts if t0 <= t <= t1]
    (ta, sa), (tb, sb) = inside[0], inside[-1]
    return (sb - sa) * job.spec.batch_size / (tb - ta)


def headless(runner, preset, seconds) -> float:
    job = runner.start(spec(preset), owner="headless")
    time.sleep(5)  # warm-up
    t0 = time.time()
    time.sleep(seconds)
    r = rate(job, t0, time.time())
    job.stop(wait=10)
    return r


def with_page(runner, demo_url, preset, seconds):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(demo_url)
        # start the run from the page, as a student would, then watch it in the monitor tab
        page.get_by_label("Steps").first.fill("20000")
        page.get_by_role("button", name="Start").click()
        page.wait_for_timeout(2000)
        job = next(j for j in runner.jobs() if j.owner != "headless" and j.active)
        page.get_by_role("tab", name="Training monitor").click()
        # record when the page shows each new step in the runs table
        page.evaluate(r"""() => { window.seen = []; let last = '';
            setInterval(() => { const cells = [...document.querySelectorAll('td span, td div, td')];
              const c = cells.find(e => e.children.length === 0 && /^\d+ \/ \d+$/.test(e.textContent.trim()));
              const txt = c ? c.textContent.trim() : '';
              if (c && txt !== last) { last = txt; window.seen.push([Date.now() / 1000, last]); } }, 10); }""")
        time.sleep(5)
        t0 = time.time()
        time.sleep(seconds)
        r = rate(job, t0, time.time())
        seen = page.evaluate("() => window.seen")
        if not seen:
            print("no table updates seen; cells:", page.evaluate("() => [...document.querySelectorAll('td')].map(t => t.textContent).filter(t => t.trim()).slice(0, 12)"))
        job.stop(wait=10)
        b.close()
    step_time = {}
    for _, e in job.events():
        if e.kind == "metrics":
            step_time.setdefault(e.step, e.time)
    lags = [t - step_time[int(txt.split(" / ")[0])] for t, txt in seen
            if txt.split(" / ")[0].isdigit() and int(txt.split(" / ")[0]) in step_time]
    return r, lags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--preset", default="cpu-fast")
    args = ap.parse_args()
    from genai.ui.app import build_app

    runner = JobRunner(max_active=1)
    demo = build_app(runner)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1")
    base = headless(runner, args.preset, args.seconds)
    streamed, lags = with_page(runner, url, args.preset, args.seconds)
    demo.close()
    print(f"GAN {args.preset} on digits, batch 64, {args.seconds:.0f} s each, one process:")
    print(f"  headless: {base:,.0f} images/s; monitor streaming to an open page: {streamed:,.0f} images/s "
          f"({streamed / base:.0%} of headless)")
    if lags:
        print(f"  update latency, training step to page: median {statistics.median(lags) * 1e3:.0f} ms, "
              f"p90 {sorted(lags)[int(0.9 * len(lags))] * 1e3:.0f} ms over {len(lags)} updates")


if __name__ == "__main__":
    main()
