"""Screenshots of the classroom features, for the README: a queued run showing its place and
estimated start, and a teacher's shared run seen from a second browser.

    python bench/screens.py [--out docs/screenshots]

Starts the app on 127.0.0.1 with one training slot (so a second run queues), then drives three
browser contexts (teacher, student, watcher) in Debian's headless Chromium.
"""
from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from classroom import serve  # the same served app as the classroom benchmark (bench/ is on the path)

ROOT = Path(__file__).resolve().parent.parent


def start_gan_run(page, steps: str):
    page.get_by_label("Steps").first.fill(steps)
    page.get_by_label("Steps").first.press("Enter")
    page.get_by_role("button", name="Start", exact=True).first.click()


def main():
    from playwright.sync_api import expect, sync_playwright

    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--port", type=int, default=7872)
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    server = serve(a.port, tempfile.mkdtemp(prefix="genai_screens_"), "process", max_runs=1)
    url = f"http://127.0.0.1:{a.port}/"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            view = {"width": 1400, "height": 1000}
            teacher, student, watcher = (b.new_context(viewport=view).new_page() for _ in range(3))
            teacher.goto(url)
            start_gan_run(teacher, "20000")
            expect(teacher.get_by_text(re.compile(r"training, step \d+"))).to_be_visible(timeout=60000)
            # a student presses Start while the one slot is taken: the run queues
            student.goto(url)
            start_gan_run(student, "4500")
            queued = student.get_by_text(re.compile("queued, place 1 of 1"))
            expect(queued).to_be_visible(timeout=30000)
            queued.scroll_into_view_if_needed()
            time.sleep(1.5)
            student.screenshot(path=str(out / "queued_run.png"))
            # the teacher shares the run from the monitor
            teacher.get_by_role("tab", name="Training monitor").click()
            time.sleep(3)  # the monitor's timer fills the run list
            teacher.get_by_role("button", name="Share with the class").click()
            link = teacher.get_by_text(re.compile(r"\?watch=")).first
            expect(link).to_be_visible(timeout=15000)
            href = re.search(r"(http://\S+\?watch=[\w-]+)", link.inner_text())[1]
            watcher.goto(href)
            expect(watcher.get_by_text(re.compile("You are watching"))).to_be_visible(timeout=30000)
            time.sleep(8)  # curves and samples arrive on the monitor's timer
            watcher.screenshot(path=str(out / "shared_run.png"), full_page=True)
            b.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"wrote {out / 'queued_run.png'} and {out / 'shared_run.png'}")


if __name__ == "__main__":
    main()
