"""What a typed or imported name may hold: one line, no control characters.

A unit, deputy or session name is printed in lists, in mail headers and on terminals; a line break or an
escape code in it (pasted from a spreadsheet cell, or typed on purpose: ``$'坏\\e[2J单位'`` clears the screen
it is listed on) would break each of them. Such a name is refused where it comes in, with the character named.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, TypeVar

from rules.i18n import _
from workflow.core.errors import ValidationError

__all__ = ["checked_name", "cleaned", "control_character", "display_width", "one_line"]

T = TypeVar("T")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")

# control (Cc), format (Cf: zero-width, direction overrides, the BOM) and line/paragraph separators
_CONTROL = frozenset({"Cc", "Cf", "Zl", "Zp"})


def display_width(text: str) -> int:
    """How many terminal (or spreadsheet) columns ``text`` takes: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def control_character(text: str, *, allowed: str = "") -> str | None:
    """The first control character in ``text`` (those in ``allowed`` aside), as ``U+001B``, or None."""
    if text.isprintable():  # the common case, at C speed (it is False for every control, and for some spaces)
        return None
    found = next((c for c in text if c not in allowed and unicodedata.category(c) in _CONTROL), None)
    return None if found is None else f"U+{ord(found):04X}"


def one_line(text: str) -> str:
    """``text`` with its line breaks (a spreadsheet cell's Alt+Enter) as spaces, stripped."""
    return " ".join(part.strip() for part in _LINE_BREAKS.split(text) if part.strip())


def cleaned(value: T, what: str = "") -> T:
    """``value`` (a command: a frozen dataclass, its tuples and nested dataclasses) with every text's line
    endings made ``\n``; a text holding another control character (an escape code, NUL, a zero-width or
    direction mark) is refused, its field named."""
    found: Any = value
    if isinstance(found, str):
        if found.isprintable():
            return value
        text = _LINE_BREAKS.sub("\n", found)
        bad = control_character(text, allowed="\n\t")
        if bad is not None:
            msg = _("{what} holds a control character ({bad}): type it without escape codes").format(
                what=what or _("a text"), bad=bad
            )
            raise ValidationError(msg)
        return text  # type: ignore[return-value]
    if isinstance(found, tuple):
        if _plain(found):
            return value
        return tuple(cleaned(v, what) for v in found)  # type: ignore[return-value]
    fields = _fields(type(found))
    if fields is None:
        return value
    changes = {}
    for name, option in fields:
        before = getattr(found, name)
        kind = type(before)
        if kind is str:
            if before.isprintable():  # most texts: nothing to clean, at C speed
                continue
        elif kind is tuple:
            if not before or _plain(before):
                continue
        elif before is None or kind is bool or kind is int:
            continue
        elif isinstance(before, str):  # an enum's value
            if before.isprintable():
                continue
        elif not isinstance(before, tuple) and _fields(kind) is None:
            continue
        after = cleaned(before, option)
        if after != before:
            changes[name] = after
    return dataclasses.replace(found, **changes) if changes else value


def _plain(values: tuple[Any, ...]) -> bool:
    """Whether every item of ``values`` is a text with nothing to clean (most tuples of a command: names)."""
    return all(type(v) is str and v.isprintable() for v in values)


_FIELDS: dict[type, tuple[tuple[str, str], ...] | None] = {}


def _fields(kind: type) -> tuple[tuple[str, str], ...] | None:
    """A dataclass's fields, each with the option that names it in an error (``--due-date``); None for a type
    that is no dataclass (read once a type: most of a command's values are texts and tuples)."""
    try:
        return _FIELDS[kind]
    except KeyError:
        found = (
            tuple((f.name, f"--{f.name.replace('_', '-')}") for f in dataclasses.fields(kind))
            if dataclasses.is_dataclass(kind)
            else None
        )
        _FIELDS[kind] = found
        return found


def checked_name(value: str, what: str) -> str:
    """``value`` stripped; refused when empty or when it holds a control character (``what``: "unit", …)."""
    text = value.strip()
    if not text:
        raise ValidationError(_("a {what} needs a name").format(what=what))
    bad = control_character(text)
    if bad is not None:
        msg = _(
            "{what} name {text!r} holds a control character ({bad}): type it on one line, without escape codes"
        ).format(what=what, text=text, bad=bad)
        raise ValidationError(msg)
    return text
