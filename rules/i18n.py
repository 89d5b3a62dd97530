"""The language jianyi speaks to people: Chinese (zh_CN) by default, English with ``JIANYI_LANG=en``.

Texts in code are English source strings (msgids) marked with :func:`_` or :func:`ngettext`; the Chinese is in
the ``jianyi`` gettext catalog beside this module (``locale/zh_CN/LC_MESSAGES/jianyi.po``, compiled to
``jianyi.mo``). The language is read from ``JIANYI_LANG`` each time a text is translated, so a process (or a
test) may switch it; each language's catalog is loaded once. ``JIANYI_LANG`` takes ``zh`` (also ``zh_CN``,
``zh-CN``), ``en``, or nothing (Chinese); any other value is Chinese as well, since the offices read Chinese
and a typing slip should not switch a whole office to English.

This module sits at the bottom of the layers (``rules``), so every package may use it. JSON keys and JSON
output are never translated.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

__all__ = ["DOMAIN", "ENV", "LOCALE_DIR", "N_", "_", "language", "ngettext", "translations"]

DOMAIN = "jianyi"
ENV = "JIANYI_LANG"
LOCALE_DIR = Path(__file__).parent / "locale"
_ZH = "zh_CN"


def language() -> str:
    """The language texts are translated to now: ``"en"`` or ``"zh_CN"`` (see the module's docstring)."""
    value = os.environ.get(ENV, "").strip().lower().replace("-", "_")
    return "en" if value.split("_")[0].split(".")[0] == "en" else _ZH


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()  # the source strings are English
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def translations() -> gettext.NullTranslations:
    """The catalog of the current language (English: the source strings themselves)."""
    return _catalog(language())


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    return translations().gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a marker, which pybabel extracts)
    """``message`` unchanged, marked for the catalog: a constant kept in English (JSON carries it) and
    translated with :func:`_` where people read it."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` as ``n`` asks, in the current language (Chinese has one form)."""
    return translations().ngettext(singular, plural, n)
