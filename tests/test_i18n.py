"""The page in English and Simplified Chinese: one catalogue per language with the same keys, no
English left in what the page renders from its config, and run-time text in the language of the
page (or API client) that asked."""
import json
import re
import string
import urllib.request

import pytest

from genai.ui.i18n import lang_of, t
from genai.ui.locales import LOCALES

EN = LOCALES["en"]
# text that is the same in every language: names, symbols, formulas
SAME = {"gan.gif", "vae.kl_plot", "gan.d_plot", "app.tab_gan_short"}


def fields(text):
    if "$" in text:  # LaTeX: its braces are not placeholders (such texts are not formatted)
        return []
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)


@pytest.mark.parametrize("code", [c for c in LOCALES if c != "en"])
def test_every_language_has_every_key_with_the_same_placeholders(code):
    strings = LOCALES[code]
    assert set(strings) == set(EN), (set(EN) - set(strings), set(strings) - set(EN))
    for key, en in EN.items():
        assert fields(strings[key]) == fields(en), key
        assert strings[key].count("$$") == en.count("$$"), f"{key}: an equation lost or added"
        if key not in SAME and len(en) > 3:
            assert strings[key] != en, f"{key} is not translated"


def test_chinese_text_is_chinese_and_keeps_the_equations():
    zh = LOCALES["zh-CN"]
    for key in ("gan.explain", "vae.explain", "text.explain"):
        eq_en = re.findall(r"\$\$(.+?)\$\$", EN[key], re.S)
        eq_zh = re.findall(r"\$\$(.+?)\$\$", zh[key], re.S)
        assert eq_en == eq_zh, key  # equations unchanged
    for term in ("生成对抗网络", "判别器", "生成器", "变分自编码器", "潜在空间", "证据下界", "自回归", "温度", "微调",
                 "低秩适配"):
        assert any(term in v for v in zh.values()), term


@pytest.fixture(scope="module")
def url():
    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app

    demo = build_app(JobRunner(max_active=1))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None, **LAUNCH)
    yield url
    demo.runner.shutdown()
    demo.close()


# English left in the page's config: three or more English words in a row, outside the catalogue
SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'’-]+[A-Za-z]{2,}){2,}")
NAMES = re.compile(r"^(?:[\w.-]+)$")  # a menu value such as gpt_char_shakespeare or dcgan-wgan-gp


def test_nothing_the_page_renders_bypasses_the_catalogue(url):
    config = json.load(urllib.request.urlopen(url + "config", timeout=30))
    left, keys = [], set()
    for c in config["components"]:
        for prop, v in c.get("props", {}).items():
            if prop not in ("label", "info", "value", "title", "x_title", "y_title", "placeholder", "choices"):
                continue
            text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
            keys |= set(re.findall(r'translation_metadata\\?", \\?"key\\?": \\?"([\w.]+)', text))
            if prop == "choices":  # a choice's label may be a name; its value is the API's
                labels = [x[0] if isinstance(x, list) else x for x in v or []]
                text = " ".join(str(x) for x in labels if "__i18n__" not in str(x) and not NAMES.match(str(x)))
            elif "__i18n__" in text or (prop == "value" and c["type"] not in ("markdown", "button")):
                continue
            if SENTENCE.search(text):
                left.append((c["type"], prop, text[:80]))
    assert not left, left
    assert keys and keys <= set(LOCALES["zh-CN"]), keys - set(LOCALES["zh-CN"])


def test_run_time_text_follows_the_language_of_the_request(url):
    from gradio_client import Client

    assert lang_of("zh-CN") == "zh-CN" and t("status.training", "zh-CN") == "训练中"
    zh = Client(url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    status = list(zh.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0, None, api_name="/train"))[-1][0]
    assert "已完成" in status and "第 20 步" in status, status
    en = Client(url, verbose=False, headers={"Accept-Language": "en-GB,en;q=0.9"})
    status = list(en.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0, None, api_name="/train"))[-1][0]
    assert "done, step 20 of 20" in status, status
    # the page's own choice (the header its script adds) wins over the browser's Accept-Language
    page = Client(url, verbose=False, headers={"Accept-Language": "en-US", "X-Genai-Lang": "zh-CN"})
    status = list(page.submit("digits", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0, None, api_name="/train"))[-1][0]
    assert "已完成" in status, status
