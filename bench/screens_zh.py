"""Screenshots of the four tabs in Simplified Chinese, for the README (headless Chromium with
locale zh-CN; Debian's fonts-noto-cjk draws the characters).

    python bench/screens_zh.py [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_RUNS_DIR", tempfile.mkdtemp(prefix="genai_screens_zh_"))
os.environ.setdefault("GENAI_TRAIN_IN", "thread")
TABS = [("图像生成对抗网络", "zh_gan"), ("变分自编码器潜在空间", "zh_vae"), ("文本续写", "zh_text"), ("训练监视器", "zh_monitor")]


def main():
    from playwright.sync_api import sync_playwright

    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(p.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    demo = build_app(JobRunner(max_active=1))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                            **LAUNCH)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url)
        page.wait_for_timeout(5000)
        for tab, name in TABS:
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print("wrote", out / f"{name}.png")
        browser.close()
    demo.close()


if __name__ == "__main__":
    main()
