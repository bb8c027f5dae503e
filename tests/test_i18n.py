"""The page in English and Simplified Chinese: one catalogue per language with the same keys, no
English left in what the page renders from its config, and run-time text in the language of the
page (or API client) that asked."""
import json
import re
import string
import urllib.request

import pytest

from genai.ui.i18n import lang_of, t
from genai.locales import LOCALES

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


@pytest.mark.parametrize("code", list(LOCALES))
def test_every_text_fills_in_whatever_its_fields_are_called(code):
    # fields named like the helpers' own parameters (kind, key, lang) once broke every message
    # that used them: "said() got multiple values for argument 'kind'"
    from genai.locales import Words, in_language, said

    for key, en in EN.items():
        if fields(en):  # a field with a format (such as {rate:.1f}) gets a number
            values = {n: 7.25 if spec else f"<{n}>" for _, n, spec, _ in string.Formatter().parse(en) if n}
            e = said(RuntimeError, key, **values)
            assert isinstance(e, RuntimeError) and str(e) == Words(key, **values), key
            assert all(v in in_language(e, code) for v in values.values() if isinstance(v, str)), key


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


def test_a_refused_upload_and_a_bad_number_answer_in_the_language_of_the_request(url, tmp_path):
    from gradio_client import Client, handle_file

    bad = tmp_path / "not_an_image.png"
    bad.write_bytes(b"these bytes are no image")
    for lang, expect in (("zh-CN,zh;q=0.9", "不是可读取的图像"), ("en-US", "is not a readable image")):
        client = Client(url, verbose=False, headers={"Accept-Language": lang})
        with pytest.raises(Exception, match=expect):
            client.predict("your images (upload)", "tiny", "bce", 1e-3, 1e-3, 8, 8, 20, 0,
                           [handle_file(str(bad)), handle_file(str(bad))], api_name="/train")
    zh = Client(url, verbose=False, headers={"Accept-Language": "zh-CN"})
    with pytest.raises(Exception, match="必须在 0 到"):  # a check of the page's own (common.seed_of)
        zh.predict("gan_dcgan_mnist", 8, -1, "any", api_name="/sample")
    with pytest.raises(Exception, match="学习率 lr_g 必须大于 0"):  # the core's one check of settings
        zh.predict("digits", "tiny", "bce", 0, 1e-3, 8, 8, 20, 0, None, api_name="/train")
    info = zh.predict("gan_dcgan_mnist", 8, 1, "any", api_name="/sample")[1]
    assert "类别熵" in info and "步" in info, info  # the info line too


def test_a_link_chooses_the_page_language_for_the_session(url):
    def page(query="", cookie=None):
        req = urllib.request.Request(url + query, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode(), r.headers.get("set-cookie")

    html, cookie = page("?lang=zh-CN")
    assert 'navigator, k, {get: () => v}' in html and '"zh-CN"' in html.split("</script>")[0], html[:300]
    assert cookie.startswith("genai_lang=zh-CN")
    html, _ = page("", cookie="genai_lang=zh-CN")  # a reload keeps the choice
    assert '"zh-CN"' in html.split("</script>")[0]
    for plain in (page("")[0], page("?lang=xx-YY")[0], page("", cookie="genai_lang=<script>")[0]):
        assert "navigator, k" not in plain  # no choice, or not a language the app has: the browser's own
    config = json.load(urllib.request.urlopen(url + "config", timeout=30))
    switch = [c for c in config["components"] if c["type"] == "html"]
    assert any('href="?lang=zh-CN"' in c["props"]["value"] for c in switch)


def test_core_errors_keep_their_key_across_processes_and_translate():
    import pickle

    from genai.locales import EN, Words, in_language, said
    from genai.trainer import TrainSpec, check_spec, diverged_message

    with pytest.raises(ValueError) as e:
        check_spec(TrainSpec(family="gan", preset="tiny", dataset="digits", steps=0, batch_size=8))
    assert str(e.value).startswith("Steps must be a whole number") and in_language(e.value, "zh-CN").startswith("步数")
    spec = TrainSpec(family="gan", preset="tiny", dataset="digits", steps=9, batch_size=8, overrides={"lr_g": 5.0})
    msg = pickle.loads(pickle.dumps(diverged_message(spec, 5, "loss = nan", 2)))  # as it crosses the pipe
    assert isinstance(msg, Words) and "diverged at step 5" in msg
    zh = in_language(msg, "zh-CN")
    assert "第 5 步发散" in zh and "lr_g = 5" in zh and "第 2 步的检查点" in zh, zh
    assert in_language("plain text", "zh-CN") == "plain text"
    with pytest.raises(KeyError):
        said(ValueError, "err.no_such_key_anywhere")
    assert all(k in EN for k in ("train.diverged", "train.kept"))


# calls that name a catalogue key in the code: each key must be in the catalogue
KEY_CALL = re.compile(r"""\b(?:said\(\w+(?:\.\w+)?, |error\(|Words\(|L\(|tr\(|t\()f?["']([\w.]+)["']""")


def test_every_key_the_code_names_is_in_the_catalogue_and_no_page_error_is_english_only():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "genai"
    missing, raw = [], []
    for path in root.rglob("*.py"):
        if "locales" in path.parts:
            continue
        source = path.read_text("utf-8")
        missing += [(path.name, k) for k in KEY_CALL.findall(source) if k not in EN and not k.endswith(".")]
        # a message for the page written in the code itself, not taken from the catalogue
        raw += [(path.name, m) for m in re.findall(r"gr\.Error\(\s*f?[\"'][^\"']*", source)]
    assert not missing, missing
    assert not raw, raw


def test_a_stream_with_nothing_new_sends_nothing_and_a_cancel_ends_it_at_its_next_step():
    """Every generator handler is run by ``speaking``: a QUIET step sends the page no message, and
    a cancel (a reload, a Stop) ends the stream when the step it is in returns, not when the page
    next has something to see (a queued run can wait minutes)."""
    import asyncio
    import time

    from genai.ui.i18n import QUIET, speaking

    closed = []

    def stream(request=None):
        try:
            yield "your place in the queue"
            while True:
                time.sleep(0.05)  # a queued page's stream looks at its run again
                yield QUIET
        finally:
            closed.append(True)

    async def main():
        got = []

        async def page():
            async for item in speaking(stream)():
                got.append(item)
        task = asyncio.create_task(page())
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return got, time.monotonic() - t0

    got, took = asyncio.run(main())
    assert got == ["your place in the queue"] and closed == [True] and took < 0.3
