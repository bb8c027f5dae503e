"""Screenshots of the Diffusion tab, for the README and for looking at it as a student would:
the first view, the reverse process mid-way and done, the forward process, steps against time,
and a lesson run training live.

    python bench/screens_diffusion.py [--out docs/screenshots] [--lang en|zh-CN]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from classroom import serve  # the same served app as the classroom benchmark (bench/ is on the path)

ROOT = Path(__file__).resolve().parent.parent
WORDS = {"en": dict(tab="Diffusion", reverse="Denoise step by step", forward="The forward process: what the network learns to undo",
                    compare_title="Steps against quality and time", compare="Compare step counts",
                    families="GAN vs VAE vs diffusion", start="Start", stop="Stop", step_t="Step t"),
         "zh-CN": dict(tab="扩散模型", reverse="一步一步去噪", forward="前向过程：网络要学会撤销的东西", compare_title="步数与质量、时间",
                       compare="比较不同步数", families="生成对抗网络、变分自编码器与扩散模型的对比", start="开始",
                       stop="停止", step_t="步数 t")}


def main():
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--port", type=int, default=7873)
    p.add_argument("--lang", default="en", choices=list(WORDS))
    p.add_argument("--train", type=float, default=60, help="seconds of a lesson run to watch (0: none)")
    a = p.parse_args()
    w, pre = WORDS[a.lang], "" if a.lang == "en" else "zh_"
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    server = serve(a.port, tempfile.mkdtemp(prefix="genai_screens_"), "process", max_runs=1)
    url = f"http://127.0.0.1:{a.port}/" + ("" if a.lang == "en" else f"?lang={a.lang}")
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = b.new_context(viewport={"width": 1400, "height": 1000}, locale=a.lang).new_page()
            page.goto(url)
            page.get_by_role("tab", name=w["tab"]).click(no_wait_after=True)
            time.sleep(4)
            page.screenshot(path=str(out / f"{pre}diffusion_tab.png"))
            page.get_by_role("button", name=w["reverse"]).click()
            time.sleep(1.2)
            page.get_by_role("button", name=w["reverse"]).scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{pre}diffusion_reverse_midway.png"))
            time.sleep(4)
            page.screenshot(path=str(out / f"{pre}diffusion_reverse.png"))
            page.get_by_text(w["forward"], exact=True).first.click()
            box = page.get_by_label(w["step_t"]).first
            box.fill("600")
            box.press("Enter")
            time.sleep(3)
            page.get_by_text(w["forward"], exact=True).first.scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{pre}diffusion_forward.png"))
            page.get_by_text(w["compare_title"], exact=True).first.click()
            page.get_by_role("button", name=w["compare"]).click()
            time.sleep(20)
            page.get_by_role("button", name=w["compare"]).scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{pre}diffusion_steps.png"))
            page.get_by_text(w["families"], exact=True).first.click()
            time.sleep(1)
            page.get_by_text(w["families"], exact=True).first.scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{pre}diffusion_families.png"))
            if a.train:
                starts = page.get_by_role("button", name=w["start"], exact=True)
                start = [starts.nth(i) for i in range(starts.count()) if starts.nth(i).is_visible()][0]
                start.click()
                time.sleep(a.train)
                start.scroll_into_view_if_needed()
                page.screenshot(path=str(out / f"{pre}diffusion_training.png"), full_page=False)
                stops = page.get_by_role("button", name=w["stop"], exact=True)
                [stops.nth(i) for i in range(stops.count()) if stops.nth(i).is_visible()][0].click()
                time.sleep(3)
            b.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"wrote {out}/{pre}diffusion_*.png")


if __name__ == "__main__":
    main()
