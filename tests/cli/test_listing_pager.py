"""A listing longer than the terminal goes through a pager; a short one is printed as it is."""

from __future__ import annotations

import io
import sys

import pytest
from rich.pager import SystemPager

from commands.app import echo_listing
from workflow.reporting.listing import Listing, Tone


class _Terminal(io.StringIO):
    """A terminal's standard output, 40 lines high."""

    def isatty(self) -> bool:
        return True


def _listing(rows: int) -> Listing:
    return Listing(
        header=("编号", "标题"),
        rows=tuple(((f"{n:04d}", "关于公交的建议"), Tone.PLAIN) for n in range(1, rows + 1)),
        footer=f"共 {rows} 件",
    )


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What went to the pager, on a terminal 40 lines high (the test sets standard output to :class:`_Terminal`:
    pytest's capture sets its own between the fixtures and the test)."""
    shown: list[str] = []
    monkeypatch.setattr(SystemPager, "show", lambda self, content: shown.append(content))
    monkeypatch.setenv("LINES", "40")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return shown


def test_a_listing_longer_than_the_screen_is_paged(paged: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """100 rows on a 40-line terminal: all of them, header to count, go through the pager."""
    monkeypatch.setattr(sys, "stdout", _Terminal())
    echo_listing(_listing(100))
    assert len(paged) == 1
    assert "0100" in paged[0]
    assert "共 100 件" in paged[0]


def test_a_short_listing_is_printed_without_a_pager(
    paged: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 rows fit the screen: printed straight to the terminal."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    echo_listing(_listing(10))
    assert paged == []
    assert "共 10 件" in terminal.getvalue()
