"""One module per language, each with CODE (the browser's locale code, e.g. "zh-CN"), NAME and
STRINGS (key -> text, the keys of en.py). Adding a language is adding one file here."""
from __future__ import annotations

import importlib
import pkgutil

LOCALES: dict[str, dict[str, str]] = {}
NAMES: dict[str, str] = {}
for _info in pkgutil.iter_modules(__path__):
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    LOCALES[_mod.CODE] = _mod.STRINGS
    NAMES[_mod.CODE] = _mod.NAME
