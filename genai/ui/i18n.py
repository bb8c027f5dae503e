"""The page in several languages (genai/locales/, one file each).

Two halves, one catalogue:
- what the page renders (labels, buttons, explanations) is given to Gradio as ``L(key)``, and
  Gradio's ``gr.I18n`` shows it in the browser's language, or the one chosen under *Settings* at
  the foot of the page;
- what the server writes while the page runs (status lines, errors, info lines) is ``t(key,
  request)``, in the language of that same page: a small script in the page's head adds the
  page's current language (``<html lang>``, which Gradio keeps in step with its locale) to every
  request as ``X-Genai-Lang``; a request without it (an API client) follows ``Accept-Language``.
A key missing in a language falls back to English. Errors follow the same page: the core and the
tabs raise them from the catalogue (``genai.locales.said``), in English, and ``speak_the_page``
wraps every event of the app so that the message reaches the page in its language.
"""
from __future__ import annotations

import functools
import inspect
import json
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import gradio as gr

from genai.locales import LOCALES, NAMES, Words, in_language, said, text

EN = LOCALES["en"]
I18N = gr.I18n(**LOCALES)

# adds the page's language to each request to this server (fetch is how the page calls it)
HEAD = """<script>
(() => {
  const fetch0 = window.fetch;
  window.fetch = (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.origin === location.origin) {
      const headers = new Headers(init.headers || (typeof input === "string" ? undefined : input.headers));
      headers.set("X-Genai-Lang", document.documentElement.lang || navigator.language || "en");
      init = {...init, headers};
    }
    return fetch0(input, init);
  };
})();
</script>"""


def L(key: str):
    """A catalogue entry for a component's label, info, value or title (Gradio translates it in
    the browser)."""
    if key not in EN:
        raise KeyError(f"no string {key!r} in genai/locales/en.py")
    return I18N(key)


def best(header: str | None) -> str:
    """The first language of an Accept-Language-style header that the catalogue has."""
    for part in (header or "").split(","):
        code = part.split(";")[0].strip()
        for cand in (code, code.split("-")[0]):
            match = next((c for c in LOCALES if c.lower() == cand.lower() or c.split("-")[0] == cand), None)
            if match and cand:
                return match
    return "en"


def lang_of(request: gr.Request | str | None) -> str:
    """The language of the page (or API client) that sent ``request``; a code passes through."""
    if isinstance(request, str):
        return request if request in LOCALES else "en"
    headers = dict(getattr(request, "headers", None) or {})
    return best(headers.get("x-genai-lang") or headers.get("accept-language"))


def t(key: str, request: gr.Request | str | None = None, /, **kw) -> str:
    """The text for ``key`` in the request's language, filled in with ``kw``."""
    return text(key, lang_of(request), **kw)


def say(thing, request: gr.Request | str | None = None):
    """Catalogue text (``Words``, an error said from it) in the request's language; else as is."""
    return in_language(thing, lang_of(request))


def error(key: str, /, **fields) -> gr.Error:
    """A message for the page, from the catalogue (English until ``speak_the_page`` translates it)."""
    return said(gr.Error, key, **fields)


def page_error(e: BaseException) -> gr.Error:
    """An error of the core, as a message for the page (keeping its catalogue key). A file the
    server cannot read is named by its file name only: the page never shows a server path."""
    if isinstance(e, OSError) and (e.filename or e.strerror):
        return error("err.file_unreadable", name=Path(str(e.filename or "")).name or "?", why=e.strerror or type(e).__name__)
    first = e.args[0] if e.args else None
    return gr.Error(first if isinstance(first, Words) else str(e))


def _translated(e: Exception, args, kwargs) -> Exception:
    first = e.args[0] if e.args else None
    if not isinstance(first, Words):
        return e
    request = next((a for a in (*args, *kwargs.values()) if isinstance(a, gr.Request)), None)
    # the box's title is not translated: Gradio 6.31's page shows its own word there, whatever is sent
    return gr.Error(say(first, request), duration=getattr(e, "duration", 10), title=getattr(e, "title", "Error"))


# What a stream yields for a step with nothing to send (a queued run whose line has not changed):
# the page gets no message. Gradio sends one for every item a generator yields (12 ms of the
# server's CPU each, thirty pages at once in a class) and can cancel a sync generator's stream only
# between its items, so a stream left quiet for a minute held up a reload's cancel for that minute.
QUIET = object()
_END = object()


def _next(it):
    return next(it, _END)


async def _close(steps, patience: float = 60.0) -> None:
    """Close a sync generator whose step may still run in its thread (asyncio delivers a cancel
    without waiting for it): wait for the step to return, as Gradio's own wrapper does."""
    give_up = time.monotonic() + patience
    while True:
        try:
            return steps.close()
        except ValueError:  # "generator already executing"
            if time.monotonic() > give_up:
                return  # left to the garbage collector
            await anyio.sleep(0.02)


def speaking(fn):
    """``fn`` with its catalogue errors written in the language of the request it was given. A
    generator becomes an async one that runs each of its steps in a worker thread (as Gradio runs a
    sync generator) and sends no message for a ``QUIET`` step: a reload or a Stop cancels the
    stream at its next step, however long the page has had nothing new."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        async def gen(*args, **kwargs):
            steps = fn(*args, **kwargs)
            try:
                while (item := await anyio.to_thread.run_sync(_next, steps)) is not _END:
                    if item is not QUIET:
                        yield item
            except Exception as e:
                if (mine := _translated(e, args, kwargs)) is e:
                    raise
                raise mine from None
            finally:
                await _close(steps)
        return gen

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if (mine := _translated(e, args, kwargs)) is e:
                raise
            raise mine from None
    return call


def speak_the_page(demo: gr.Blocks) -> None:
    """Every event handler of ``demo`` answers errors in its page's language (those that take the
    request: the others answer in English), and its streams send nothing for a ``QUIET`` step."""
    for block_fn in demo.fns.values():
        if block_fn.fn is not None and not inspect.iscoroutinefunction(block_fn.fn):
            block_fn.fn = speaking(block_fn.fn)


COOKIE = "genai_lang"


def switch_html() -> str:
    """The page's language links: each reloads the page in that language (``PageLanguage``)."""
    links = " · ".join(f'<a href="?lang={code}" lang="{code}">{name}</a>' for code, name in NAMES.items())
    return f'<div id="language-switch" style="text-align:right">🌐 {links}</div>'


class PageLanguage:
    """ASGI middleware: the page in the language its link chose (``/?lang=zh-CN``), kept for the
    browser session by a cookie. Gradio takes its locale from ``navigator.language`` once, as the
    page starts, before any of the app's own scripts run; so the page is sent with a first script
    that gives ``navigator.language`` the chosen language. Without a choice the page is untouched
    (it follows the browser), and nothing but the page itself is rewritten."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        lang = self.chosen(scope) if scope["type"] == "http" and scope["path"] == "/" else None
        if lang is None:
            return await self.app(scope, receive, send)
        start, body = {}, []

        async def rewrite(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                code = json.dumps(lang)
                first = (f"<script>for (const [k, v] of [['language', {code}], ['languages', [{code}]]])"
                         f" Object.defineProperty(navigator, k, {{get: () => v}});</script>").encode()
                page = page.replace(b"<head>", b"<head>" + first, 1)
                headers.append((b"set-cookie", f"{COOKIE}={lang}; Path=/; SameSite=Lax".encode()))
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)

    @staticmethod
    def chosen(scope) -> str | None:
        """The language a link asked for, else the one this browser chose before, else None."""
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        if asked is None:
            jar = SimpleCookie(dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1"))
            asked = jar[COOKIE].value if COOKIE in jar else None
        return asked if asked in LOCALES else None


__all__ = ["HEAD", "I18N", "L", "NAMES", "PageLanguage", "error", "lang_of", "page_error", "say", "speak_the_page",
           "switch_html", "t"]
