"""The page in several languages (genai/ui/locales/, one file each).

Two halves, one catalogue:
- what the page renders (labels, buttons, explanations) is given to Gradio as ``L(key)``, and
  Gradio's ``gr.I18n`` shows it in the browser's language, or the one chosen under *Settings* at
  the foot of the page;
- what the server writes while the page runs (status lines, errors, info lines) is ``t(key,
  request)``, in the language of that same page: a small script in the page's head adds the
  page's current language (``<html lang>``, which Gradio keeps in step with its locale) to every
  request as ``X-Genai-Lang``; a request without it (an API client) follows ``Accept-Language``.
A key missing in a language falls back to English.
"""
from __future__ import annotations

import gradio as gr

from genai.ui.locales import LOCALES, NAMES

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
        raise KeyError(f"no string {key!r} in genai/ui/locales/en.py")
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


def t(key: str, request: gr.Request | str | None = None, **kw) -> str:
    """The text for ``key`` in the request's language, filled in with ``kw``."""
    text = LOCALES[lang_of(request)].get(key) or EN[key]
    return text.format(**kw) if kw else text


__all__ = ["HEAD", "I18N", "L", "NAMES", "lang_of", "t"]
