"""What a typed or imported name may hold: one line, no control characters.

A unit, deputy or session name is printed in lists, in mail headers and on terminals; a line break or an
escape code in it (pasted from a spreadsheet cell, or typed on purpose: ``$'坏\\e[2J单位'`` clears the screen
it is listed on) would break each of them. Such a name is refused where it comes in, with the character named.
"""

from __future__ import annotations

import unicodedata

from workflow.core.errors import ValidationError

__all__ = ["checked_name", "control_character"]

# control (Cc), format (Cf: zero-width, direction overrides, the BOM) and line/paragraph separators
_CONTROL = frozenset({"Cc", "Cf", "Zl", "Zp"})


def control_character(text: str) -> str | None:
    """The first control character in ``text``, as ``U+001B``, or None."""
    found = next((c for c in text if unicodedata.category(c) in _CONTROL), None)
    return None if found is None else f"U+{ord(found):04X}"


def checked_name(value: str, what: str) -> str:
    """``value`` stripped; refused when empty or when it holds a control character (``what``: "unit", …)."""
    text = value.strip()
    if not text:
        raise ValidationError(f"a {what} needs a name")
    bad = control_character(text)
    if bad is not None:
        msg = (
            f"{what} name {text!r} holds a control character ({bad}): type it on one line, "
            "without escape codes"
        )
        raise ValidationError(msg)
    return text
