"""``--help`` laid out by terminal columns: a CJK character takes two, and a line may break between two of them.

click wraps help text on spaces and counts each character as one column, so a Chinese sentence (which has
few spaces) ran past the terminal's edge and then broke at the first space it found, leaving a lone "B" on a
line. :class:`Formatter` is click's :class:`click.HelpFormatter` with its two wrapping writers measuring
columns and breaking between CJK characters; :class:`Context` makes it the formatter of a command
(``Command.context_class``), both public click API.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import click

__all__ = ["Context", "Formatter", "wrap"]

# the pieces a line may break between: a run of non-space characters that are not CJK (a word, an option, a
# number) or a single wide character, with the opening brackets before it and the closing punctuation after it
# (no line ends with "（" nor starts with "，"), or a run of spaces
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_PIECE = re.compile(rf"[（「“《]*(?:[^\s{_CJK}]+|\S)[，。；：、！？）」”》]*|\s+")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _columns(text: str) -> int:
    return sum(2 if _wide(c) else 1 for c in text)


def _fill(text: str, width: int, indent: str) -> list[str]:
    """One paragraph's words, greedily on lines of at most ``width`` columns after ``indent``."""
    lines: list[str] = []
    line = ""
    space = False
    for piece in _PIECE.findall(" ".join(text.split())):
        if piece.isspace():
            space = True
            continue
        # a space stays between words; between two wide characters it was a line break of the source
        gap = " " if space and line and not (_wide(line[-1]) and _wide(piece[0])) else ""
        space = False
        if line and _columns(indent + line + gap + piece) > width:
            lines.append(indent + line)
            line, gap = "", ""
        line += gap + piece
    if line:
        lines.append(indent + line)
    return lines


def wrap(text: str, width: int, indent: str = "") -> str:
    """``text`` wrapped as click wraps help (paragraphs kept, each with the indent of its first line; a
    paragraph opened by a ``\\b`` line kept as written), measured in terminal columns."""
    paragraphs: list[tuple[int, bool, list[str]]] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            first = lines[0]
            raw = first.strip() == "\b"
            own = len(first) - len(first.lstrip())
            paragraphs.append((own, raw, lines[1:] if raw else list(lines)))
            lines.clear()

    for line in text.expandtabs().splitlines():
        if line.strip():
            lines.append(line)
        else:
            flush()
    flush()
    out = []
    for own, raw, body in paragraphs:
        prefix = indent + " " * own
        if raw:
            out.append("\n".join(indent + line for line in body))
        else:
            out.append("\n".join(_fill(" ".join(body), width, prefix)))
    return "\n\n".join(out)


class Formatter(click.HelpFormatter):
    """click's help formatter, wrapping by terminal columns (see the module)."""

    def write_text(self, text: str) -> None:
        self.write(wrap(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((_columns(first) for first, _second in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if _columns(first) <= first_col - col_spacing:
                self.write(" " * (first_col - _columns(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - self.current_indent, 10)).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class Context(click.Context):
    """A click context whose help is laid out by :class:`Formatter`."""

    formatter_class = Formatter
