"""The words of the app, one module per language, each with CODE (the browser's locale code, e.g.
"zh-CN"), NAME and STRINGS (key -> text, the keys of en.py). Adding a language is adding one file
here. A model family may keep its page's words in files of its own (``<language>_<family>.py``,
with CODE and STRINGS only): files of one CODE are merged, so a new tab changes no file here.
No Gradio in this package: the core raises its user-facing errors from the same catalogue
(``said``), in English, and the page shows them in its own language (``message``); the CLI
stays English."""
from __future__ import annotations

import importlib
import pkgutil

LOCALES: dict[str, dict[str, str]] = {}
NAMES: dict[str, str] = {}
for _info in pkgutil.iter_modules(__path__):
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    _dupes = set(LOCALES.get(_mod.CODE, {})) & set(_mod.STRINGS)
    if _dupes:
        raise KeyError(f"{_info.name}.py repeats keys of {_mod.CODE}: {', '.join(sorted(_dupes))}")
    LOCALES.setdefault(_mod.CODE, {}).update(_mod.STRINGS)
    if hasattr(_mod, "NAME"):
        NAMES[_mod.CODE] = _mod.NAME
EN = LOCALES["en"]


def text(key: str, lang: str = "en", /, **fields) -> str:
    """The text for ``key`` in ``lang`` (English where that language lacks it), filled in with
    ``fields``; a field that is itself catalogue text (``Words``, an error ``said``) follows ``lang``."""
    if key not in EN:
        raise KeyError(f"no string {key!r} in genai/locales/en.py")
    words = LOCALES.get(lang, EN).get(key) or EN[key]
    fields = {k: in_language(v, lang) for k, v in fields.items()}
    return words.format(**fields) if fields else words


class Words(str):
    """A catalogue text with its fields: the English text as a string (what the CLI, logs and
    tests read), which a page can write again in its own language (``in_language``)."""

    def __new__(cls, key: str, /, **fields):
        self = super().__new__(cls, text(key, "en", **fields))
        self.key, self.fields = key, fields
        return self

    def __reduce__(self):  # crosses the pipe from a training process as its key and fields
        return _words, (self.key, self.fields)


def _words(key, fields):
    return Words(key, **fields)


def said(kind: type[BaseException], key: str, /, **fields) -> BaseException:
    """An error of type ``kind`` saying the catalogue's ``key`` (in English; ``in_language``
    writes it in another)."""
    return kind(Words(key, **fields))


def in_language(thing, lang: str = "en"):
    """``thing`` in ``lang`` if it is catalogue text or an error said from it; else as it is."""
    if isinstance(thing, BaseException):
        first = thing.args[0] if thing.args else None
        return in_language(first, lang) if isinstance(first, Words) else str(thing)
    if isinstance(thing, Words):
        return text(thing.key, lang, **thing.fields)
    return thing
