"""The ledger's 办理过程 sheet: every case's history as the commands that made it, so an export imports back
as it was.

The 台账 sheet holds what an office reads: one row a case, its last state. What made the case (the opinions
and their texts, the contacts, an extension, a split assignment, the promises of a B answer, a withdrawal,
each with its time and who did it) is in its history. An exported workbook holds a second sheet, 办理过程,
with one row per audit event: 建议编号, 序号 (the event's number in the case), 时间 (ISO 8601 with its offset),
操作者 (office, unit:NAME, deputy:NAME or system), 操作 (the action) and 内容: the command's fields as JSON,
rebuilt from the event and the rows holding its texts. A JSON text longer than a cell holds (32,767
characters) goes on in the cells to its right.

Importing such a workbook replays each new case from its 办理过程 rows with their actors and times instead of
from its 台账 row: the lifecycle computes the same deadlines, flags and figures again. The engine's own steps
(操作者 ``system``) are not replayed: closing on satisfied feedback and re-handling follow from the feedback
again; the reminder sweep's steps (escalate, lapse) are recorded by the next sweep.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rules.i18n import _
from workflow.actions import (
    Amend,
    Assign,
    Command,
    Promised,
    Reassign,
    Submit,
    command_for,
)
from workflow.backfill import SWEEP_STEPS
from workflow.core.attachments import Attached
from workflow.core.errors import ValidationError
from workflow.core.states import Action, ActorKind
from workflow.core.text import one_line
from workflow.core.views import Actor

__all__ = [
    "CELL_LIMIT",
    "HISTORY_COLUMNS",
    "HISTORY_SHEET",
    "CaseHistory",
    "Event",
    "HistoryCursor",
    "HistoryIndex",
    "decode",
    "encode",
    "read_history",
]

HISTORY_SHEET = "办理过程"
# (Chinese header, English alias)
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("建议编号", "number"),
    ("序号", "seq"),
    ("时间", "at"),
    ("操作者", "actor"),
    ("操作", "action"),
    ("内容", "fields"),
)
CELL_LIMIT = 32_767  # characters a spreadsheet cell holds (Excel's limit)
_SYSTEM = ActorKind.SYSTEM.value
# the engine's own step (lapse) is never a person's: a history does not replay it
_REPLAYED = frozenset(Action) - {Action.LAPSE, Action.SUBMIT_ANSWER}
_REQUIRED = tuple(en for _, en in HISTORY_COLUMNS)
_TUPLES = frozenset({"co_signers", "co", "split"})


# ---- commands as JSON ------------------------------------------------------------------------------
def encode(command: Command) -> dict[str, Any]:
    """``command``'s fields as JSON values (tuples as lists, a promise as ``{"text", "due"}``)."""

    def value(v: Any) -> Any:
        if isinstance(v, Attached):
            return v.to_json()
        if isinstance(v, Promised):
            return {"text": v.text, "due": v.due.isoformat()}
        if isinstance(v, tuple | list):
            return [value(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): value(x) for k, x in v.items()}
        if isinstance(v, date):
            return v.isoformat()
        return getattr(v, "value", v)  # an enum as its value

    # a command's attachments are named (name, type, size, SHA-256) when it has any: a sheet holds no files
    return {
        f.name: value(getattr(command, f.name))
        for f in fields(command)
        if f.name != "attachments" or getattr(command, f.name)
    }


def decode(action: str, data: Any) -> Command:
    """The command of ``action`` with the fields ``data`` (:func:`encode`'s form).

    Raises ValueError saying what does not fit: an action without a command, fields unknown or missing, a
    value of the wrong kind.
    """
    if action not in {a.value for a in _REPLAYED}:
        known = ", ".join(a.value for a in Action if a in _REPLAYED)
        raise ValueError(
            _("action {action!r} is not one a history replays (use {known})").format(
                action=action, known=known
            )
        )
    kind = command_for(Action(action))
    if not isinstance(data, dict):
        raise ValueError(_("内容 is not a JSON object"))
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            _("{action}: unknown field(s) {names} (known: {names2})").format(
                action=action, names=", ".join(unknown), names2=", ".join(sorted(names))
            )
        )
    values: dict[str, Any] = {}
    for name, given in data.items():
        v = given
        if name == "attachments":  # named for the reader; the files are not in the sheet, so not attached
            continue
        if name in _TUPLES:
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError(_("{action}: {name} is a list of names").format(action=action, name=name))
            v = tuple(v)
        elif name == "promises":
            v = tuple(_promise(action, p) for p in (v if isinstance(v, list) else [None]))
        elif name == "without_opinion":
            if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
                raise ValueError(
                    _("{action}: without_opinion maps unit names to reasons").format(action=action)
                )
        elif v is not None and not isinstance(v, str | bool):
            raise ValueError(_("{action}: {name} {v!r} is not a text").format(action=action, name=name, v=v))
        values[name] = v
    try:
        return kind(**values)
    except TypeError:
        missing = sorted(f.name for f in fields(kind) if f.name not in data and _required(kind, f.name))
        raise ValueError(
            _("{action}: missing field(s) {names}").format(action=action, names=", ".join(missing))
        ) from None


def _required(kind: type[Command], name: str) -> bool:
    from dataclasses import MISSING

    field_ = next(f for f in fields(kind) if f.name == name)
    return field_.default is MISSING and field_.default_factory is MISSING


def _promise(action: str, value: Any) -> Promised:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("text"), str)
        or not isinstance(value.get("due"), str)
    ):
        raise ValueError(_('{action}: a promise is {{"text": …, "due": "YYYY-MM-DD"}}').format(action=action))
    try:
        return Promised(value["text"], date.fromisoformat(value["due"]))
    except ValueError:
        raise ValueError(
            _("{action}: promise due {due!r} is not a date (YYYY-MM-DD)").format(
                action=action, due=value["due"]
            )
        ) from None


# ---- import -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Event:
    """One 办理过程 row, checked: the command a person ran (None for the engine's own steps)."""

    line: int
    seq: int
    at: datetime
    actor: Actor | None  # None: system
    action: str
    command: Command | None
    superseded: bool = False  # an engine's step an action entered later superseded


@dataclass
class CaseHistory:
    """A case's 办理过程 rows, with the problems found in them (by row)."""

    number: str
    events: list[Event]
    problems: list[str]

    @property
    def last_action_at(self) -> datetime:
        """When the last person's action read so far happened (the earliest instant when none was)."""
        return max(
            (e.at for e in self.events if e.actor is not None), default=datetime.min.replace(tzinfo=UTC)
        )

    @property
    def submit(self) -> tuple[Submit, datetime] | None:
        """The submission that opens the history, when it does."""
        first = self.events[0] if self.events else None
        if first is not None and isinstance(first.command, Submit):
            return first.command, first.at
        return None

    def units(self) -> Iterable[str]:
        """Every unit the history names (assignments, acting units, actors)."""
        for e in self.events:
            if e.actor is not None and e.actor.kind is ActorKind.UNIT and e.actor.name:
                yield e.actor.name
            c = e.command
            if isinstance(c, Assign | Reassign):
                yield from [c.main] if c.main else []
                yield from (*c.co, *c.split)
            unit = getattr(c, "unit", None)
            if isinstance(unit, str) and unit:
                yield unit

    def deputies(self) -> Iterable[str]:
        """Every deputy the history names (the submission's, actors)."""
        for e in self.events:
            if e.actor is not None and e.actor.kind is ActorKind.DEPUTY and e.actor.name:
                yield e.actor.name
            if isinstance(e.command, Submit):
                yield e.command.deputy
                yield from e.command.co_signers


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_SWEEP = SWEEP_STEPS


@dataclass(slots=True)
class _Tally:
    """What checking a history needs of its rows read so far (never the rows)."""

    first: int  # its first row
    last: int = 0  # its last row
    count: int = 0  # its events
    last_action_at: datetime = _EARLIEST  # the latest person's action
    opened: tuple[str, str] | None = (
        None  # the submission opening it: title (one line, as amended), lead deputy
    )
    sweep: int = 0  # the reminder sweep's standing steps
    problems: list[str] = field(default_factory=list)
    replay: bool = False  # the import replays it

    def see(self, line: int, cells: Mapping[str, str]) -> Event | None:
        """Check the 办理过程 row ``line`` (its ``cells``) as this history's next; returns its event (None when
        the row is not one)."""
        self.last = line
        event, problem = _event(line, cells)
        if event is None:
            self.problems.append(
                _("{HISTORY_SHEET} row {line}: {problem}").format(
                    HISTORY_SHEET=HISTORY_SHEET, line=line, problem=problem
                )
            )
            return None
        expected = self.count + 1
        if event.seq != expected:
            self.problems.append(
                _("{HISTORY_SHEET} row {line}: 序号 {seq} where {expected} is next").format(
                    HISTORY_SHEET=HISTORY_SHEET, line=line, seq=event.seq, expected=expected
                )
            )
        elif event.actor is not None and event.at < self.last_action_at:
            # the engine's own steps may stand later than an action entered after them (workflow.backfill)
            self.problems.append(
                _("{HISTORY_SHEET} row {line}: 时间 {at} is before the action in a row above").format(
                    HISTORY_SHEET=HISTORY_SHEET, line=line, at=cells["at"]
                )
            )
        self.count += 1
        if event.actor is not None:
            self.last_action_at = max(self.last_action_at, event.at)
        elif event.action in _SWEEP and not event.superseded:
            self.sweep += 1
        if self.count == 1 and isinstance(event.command, Submit):
            self.opened = (one_line(event.command.title), event.command.deputy)
        elif isinstance(event.command, Amend) and event.command.title is not None and self.opened is not None:
            self.opened = (one_line(event.command.title), self.opened[1])  # the 台账 row holds the title now
        return event

    def finish(self, number: str) -> None:
        """Note, once every row is read, a history that does not open with a submission."""
        if not self.problems and self.opened is None:
            self.problems.append(
                _("{HISTORY_SHEET}: the history of {number} does not start with submit").format(
                    HISTORY_SHEET=HISTORY_SHEET, number=number
                )
            )


def _cells(raw: list[str], columns: Mapping[str, int]) -> dict[str, str]:
    """A 办理过程 row's cells by English alias; 内容 goes on in the cells to its right (:data:`CELL_LIMIT`)."""
    cells = {key: (raw[i] if i < len(raw) else "") for key, i in columns.items()}
    cells["fields"] = "".join(raw[columns["fields"] :])
    return cells


def read_history(rows: Iterable[tuple[int, list[str]]], columns: Mapping[str, int]) -> dict[str, CaseHistory]:
    """The histories in the 办理过程 sheet's data ``rows`` (their columns placed by ``columns``), by number,
    each checked: a time with its offset, a known actor and action, 内容 a JSON object the action's command
    takes, 序号 1, 2, 3, … in order from a submission. (:class:`HistoryIndex` checks them holding no row.)"""
    found: dict[str, CaseHistory] = {}
    tallies: dict[str, _Tally] = {}
    for line, raw in rows:
        cells = _cells(raw, columns)
        number = cells["number"]
        if not number:
            continue
        history = found.setdefault(number, CaseHistory(number, [], []))
        event = tallies.setdefault(number, _Tally(line)).see(line, cells)
        if event is not None:
            history.events.append(event)
    for number, tally in tallies.items():
        tally.finish(number)
        found[number].problems.extend(tally.problems)
    return found


class HistoryIndex:
    """A workbook's 办理过程 sheet checked as it is read, keeping of each history what checking it against its
    台账 row and finding it again take, never its rows: a sheet of any length in little memory. A
    :class:`HistoryCursor` reads the histories to replay again."""

    def __init__(self, path: Path) -> None:
        from workflow.ledger.reading import stream_sheet

        self.path = path
        self._tallies: dict[str, _Tally] = {}
        _, self._columns, rows = stream_sheet(path, HISTORY_COLUMNS, _REQUIRED, sheet=HISTORY_SHEET)
        tallies = self._tallies
        for line, raw in rows:
            cells = _cells(raw, self._columns)
            if number := cells["number"]:
                tally = tallies.get(number)
                if tally is None:
                    tally = tallies[number] = _Tally(line)
                tally.see(line, cells)
        for number, tally in tallies.items():
            tally.finish(number)

    def problems(self, number: str, title: str, deputy: str) -> list[str]:
        """What refuses the history of ``number`` for the 台账 row of ``title`` by ``deputy``: its own bad rows,
        or a submission of another title or lead deputy (nothing when the sheet holds no history of it)."""
        tally = self._tallies.get(number)
        if tally is None:
            return []
        problems = list(tally.problems)
        if tally.opened is not None and tally.opened != (one_line(title), deputy):
            problems.append(
                _(
                    "{HISTORY_SHEET}: the history submits 「{value}」 by {value2}, the 台账 row 「{value3}」 by {deputy}"
                ).format(
                    HISTORY_SHEET=HISTORY_SHEET,
                    value=tally.opened[0],
                    value2=tally.opened[1],
                    value3=one_line(title),
                    deputy=deputy,
                )
            )
        return problems

    def first_lines(self) -> Iterator[tuple[str, int]]:
        """Each history's number and first row, in the order the sheet holds them."""
        for number, tally in self._tallies.items():
            yield number, tally.first

    def replay(self, number: str) -> int | None:
        """Mark the history of ``number`` as one the import replays (a :class:`HistoryCursor` keeps it); returns
        its reminder sweep's standing steps, or None when the sheet holds no history of it."""
        tally = self._tallies.get(number)
        if tally is None:
            return None
        tally.replay = True
        return tally.sweep

    def cursor(self) -> HistoryCursor:
        """The sheet read again from its top, for the histories marked with :meth:`replay`."""
        return HistoryCursor(self)


class HistoryCursor:
    """The 办理过程 sheet read forward once more: :meth:`take` reads on until the history asked for is whole,
    keeping the other marked histories it passes (none when the sheet holds them in its 台账's order, as an
    export does)."""

    def __init__(self, index: HistoryIndex) -> None:
        from workflow.ledger.reading import stream_sheet

        self._tallies = index._tallies
        _, self._columns, self._rows = stream_sheet(
            index.path, HISTORY_COLUMNS, _REQUIRED, sheet=HISTORY_SHEET
        )
        self._line = 0
        self._held: dict[str, list[Event]] = {}

    def take(self, number: str) -> CaseHistory | None:
        """The history of ``number``, marked with :meth:`HistoryIndex.replay` (None when it is not)."""
        tally = self._tallies.get(number)
        if tally is None or not tally.replay:
            return None
        while self._line < tally.last:
            line, raw = next(self._rows, (None, None))
            if line is None or raw is None:
                break
            self._line = line
            cells = _cells(raw, self._columns)
            wanted = self._tallies.get(cells["number"])
            if wanted is not None and wanted.replay:
                event, problem = _event(line, cells)
                if event is None:  # it was checked a moment ago
                    msg = _(
                        "{HISTORY_SHEET} row {line}: {problem} (the file changed while it was imported)"
                    ).format(HISTORY_SHEET=HISTORY_SHEET, line=line, problem=problem)
                    raise ValidationError(msg)
                self._held.setdefault(cells["number"], []).append(event)
        return CaseHistory(number, self._held.pop(number, []), [])


def _event(line: int, cells: Mapping[str, str]) -> tuple[Event | None, str]:
    try:
        seq = int(cells["seq"])
    except ValueError:
        return None, _("序号 {seq!r} is not a number").format(seq=cells["seq"])
    try:
        at = datetime.fromisoformat(cells["at"])
    except ValueError:
        return None, f"时间 {cells['at']!r} is not a time (YYYY-MM-DDTHH:MM:SS+08:00)"
    if at.tzinfo is None:
        return None, f"时间 {cells['at']!r} has no offset (+08:00)"
    action = cells["action"]
    if cells["actor"] == _SYSTEM:
        try:
            data = json.loads(cells["fields"])
        except ValueError:
            data = {}
        superseded = isinstance(data, dict) and data.get("superseded_by") is not None
        return Event(line, seq, at, None, action, None, superseded), ""
    try:
        actor = Actor.parse(cells["actor"])
    except ValueError as exc:
        return None, f"操作者: {exc}"
    try:
        data = json.loads(cells["fields"])
    except ValueError:
        return None, _("内容 is not JSON")
    try:
        command = decode(action, data)
    except ValueError as exc:
        return None, f"内容: {exc}"
    return Event(line, seq, at, actor, action, command), ""


def has_history(path: Path) -> bool:
    """Whether the workbook at ``path`` holds a 办理过程 sheet (a CSV file never does)."""
    if path.suffix.lower() != ".xlsx":
        return False
    from workflow.ledger.reading import sheet_names

    return HISTORY_SHEET in sheet_names(path)
