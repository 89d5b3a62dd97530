"""Helpers for host applications' own tests: a frozen clock, case factories, and what tests look at.

from workflow.testing import FrozenClock, make_engine, make_case, row_count, notices

clock = FrozenClock("2026-03-01T09:00+08:00")
engine = make_engine(clock=clock)                       # in-memory SQLite, one session, units, deputies
make_case(engine, "0001", state="answered", clock=clock)  # driven there through the real lifecycle
row_count(engine, "audit_events")                       # rows in one of the engine's tables
notices(engine, status="pending")                       # what the outbox holds, oldest first
sample_file("pdf")                                      # small real files to attach (pdf, docx, png, gif)
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from rules import Rating
from rules.i18n import _
from workflow.actions import Promised
from workflow.core.clock import ensure_utc
from workflow.core.errors import ValidationError
from workflow.core.states import State
from workflow.core.views import Actor, Change
from workflow.engine import Engine
from workflow.store import outbox
from workflow.store.models import tables

__all__ = [
    "DEFAULT_DEPUTIES",
    "DEFAULT_SESSION",
    "DEFAULT_UNITS",
    "FrozenClock",
    "beijing",
    "make_case",
    "make_engine",
    "notices",
    "row_count",
    "sample_file",
    "table_rows",
    "unit_ids",
]

DEFAULT_SESSION = "测试会议"
DEFAULT_UNITS = ("市交通运输局", "市财政局", "市住房和城乡建设局", "市教育局")
DEFAULT_DEPUTIES = ("张三", "李四", "王五")


class FrozenClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime | str = "2026-03-02T09:00:00+08:00") -> None:
        value = datetime.fromisoformat(start) if isinstance(start, str) else start
        self._now = ensure_utc(value, what="clock start")

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def set(self, value: datetime | str) -> None:
        """Move to ``value``."""
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        self._now = ensure_utc(parsed, what="clock time")

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; returns the new instant."""
        self._now += timedelta(**delta)
        return self._now


def make_engine(
    db: str | Path = "sqlite://",
    *,
    clock: FrozenClock | None = None,
    session: str = DEFAULT_SESSION,
    units: Sequence[str] = DEFAULT_UNITS,
    deputies: Sequence[str] = DEFAULT_DEPUTIES,
) -> Engine:
    """An initialised engine (in-memory SQLite by default) with a current session, units and deputies."""
    engine = Engine.init(db, clock=clock or FrozenClock())
    engine.add_session(session, current=True)
    for name in units:
        engine.add_unit(name)
    for name in deputies:
        engine.add_deputy(name)
    return engine


def make_case(
    engine: Engine,
    number: str,
    *,
    state: State | str = State.SUBMITTED,
    clock: FrozenClock | None = None,
    main: str = DEFAULT_UNITS[0],
    co: Sequence[str] = (DEFAULT_UNITS[1],),
    deputy: str = DEFAULT_DEPUTIES[0],
    category: str = "A",
    step: timedelta = timedelta(days=1),
) -> Change:
    """Create case ``number`` and drive it through the real lifecycle to ``state``.

    ``clock``, when given, moves forward by ``step`` between actions so every event has its own time.
    ``re_handled`` goes through unsatisfied feedback; ``withdrawn`` is withdrawn after assignment;
    ``closed`` through satisfied feedback. A ``category`` that carries promises (B) is answered with one
    promised item, a year after the clock's day. (``revisited`` is passed through, not stopped in, when the rule
    set closes or re-handles automatically.)
    """
    target = State(state)

    def tick() -> None:
        if clock is not None:
            clock.advance(seconds=step.total_seconds())

    change = engine.submit(number, title=f"测试建议 {number}", deputy=deputy)
    if target is State.SUBMITTED:
        return change
    tick()
    change = engine.assign(number, main=main, co=co)
    if target is State.WITHDRAWN:
        tick()
        return engine.withdraw(number, reason="代表书面撤回")
    if target is State.ASSIGNED and co:
        return change
    for unit in co:
        tick()
        change = engine.opinion(number, unit=unit, text="同意主办单位意见", actor=Actor.unit(unit))
    if target in (State.ASSIGNED, State.CO_HANDLED):
        return change
    tick()
    promises = []
    if category in engine.active_ruleset().lifecycle.promise_classes:  # one promised item, a year ahead
        promises.append(Promised("列入计划组织实施", engine.clock.now().date() + timedelta(days=365)))
    change = engine.answer(
        number, category=category, text="答复正文", actor=Actor.unit(main), promises=promises
    )
    if target is State.ANSWERED:
        return change
    tick()
    if target is State.RE_HANDLED:
        return engine.feedback(
            number, rating=Rating.UNSATISFIED, comment="问题未解决", actor=Actor.deputy(deputy)
        )
    return engine.feedback(number, rating=Rating.SATISFIED, actor=Actor.deputy(deputy))


def beijing(day: date | str, hour: int = 9, minute: int = 0) -> datetime:
    """``hour``:``minute`` Beijing time on ``day``, as an aware UTC instant."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def _table(name: str) -> Any:
    schema = tables()
    found = schema.get(name)
    if found is None:
        raise ValidationError(
            _("no table {name!r}: use one of {names}").format(name=name, names=", ".join(sorted(schema)))
        )
    return found


def row_count(engine: Engine, table: str) -> int:
    """How many rows ``table`` holds."""
    with engine.db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(_table(table))).scalar_one())


def table_rows(engine: Engine, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """The ``columns`` of every row of ``table``, sorted (a comparable picture of what a table holds)."""
    found = _table(table)
    with engine.db.reading() as conn:
        rows = [tuple(r) for r in conn.execute(select(*(found.c[c] for c in columns))).all()]
    return sorted(rows, key=lambda r: tuple(map(str, r)))


def unit_ids(engine: Engine) -> dict[str, int]:
    """Each unit's id, by name (as notices and the outbox name their recipients)."""
    return dict(table_rows(engine, "units", "name", "id"))


def notices(engine: Engine, *, status: str | None = None) -> list[outbox.Notice]:
    """Every notice in the outbox (of one status, when given), oldest first."""
    return list(reversed(outbox.listing(engine, status=status, limit=1_000_000_000)))


_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def _png(text: str) -> bytes:
    """A 1×1 grey PNG carrying ``text`` in a tEXt chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text.encode("utf-8"))
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def sample_file(kind: str, text: str = "答复函") -> bytes:
    """Small real files to attach: ``pdf``, ``docx`` (a Word document saying ``text``), ``png`` (1×1) or ``gif``
    (1×1); ``text`` makes each distinct."""
    if kind == "pdf":
        body = text.encode("utf-8")
        return (
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% "
            + body
            + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
        )
    if kind == "docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", _DOCX_TYPES)
            archive.writestr("_rels/.rels", _DOCX_RELS)
            archive.writestr(
                "word/document.xml",
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
            )
        return buffer.getvalue()
    if kind == "png":
        return _png(text)
    if kind == "gif":
        return (
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xfe"
            + bytes([len(text.encode("utf-8")[:255])])
            + text.encode("utf-8")[:255]
            + b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
        )
    msg = f"sample file kind {kind!r} unknown: use pdf, docx, png or gif"
    raise ValueError(msg)
