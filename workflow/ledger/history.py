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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rules import RuleSet
from workflow.actions import (
    Answer,
    Assign,
    Close,
    Command,
    Contact,
    Convert,
    Extend,
    Feedback,
    Opinion,
    Progress,
    Promised,
    Reassign,
    RefuseReturn,
    Rehandle,
    RequestReturn,
    Submit,
    Withdraw,
    command_for,
)
from workflow.core.audit import canonical, superseded
from workflow.core.states import Action, ActorKind
from workflow.core.views import Actor
from workflow.store.ledger import HistorySnapshot
from workflow.store.sql import as_instant

__all__ = [
    "CELL_LIMIT",
    "HISTORY_COLUMNS",
    "HISTORY_SHEET",
    "CaseHistory",
    "Event",
    "decode",
    "encode",
    "history_rows",
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
_REPLAYED = frozenset(Action) - {Action.LAPSE}
_TUPLES = frozenset({"co_signers", "co", "split"})


# ---- commands as JSON ------------------------------------------------------------------------------
def encode(command: Command) -> dict[str, Any]:
    """``command``'s fields as JSON values (tuples as lists, a promise as ``{"text", "due"}``)."""

    def value(v: Any) -> Any:
        if isinstance(v, Promised):
            return {"text": v.text, "due": v.due.isoformat()}
        if isinstance(v, tuple | list):
            return [value(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): value(x) for k, x in v.items()}
        if isinstance(v, date):
            return v.isoformat()
        return getattr(v, "value", v)  # an enum as its value

    return {f.name: value(getattr(command, f.name)) for f in fields(command)}


def decode(action: str, data: Any) -> Command:
    """The command of ``action`` with the fields ``data`` (:func:`encode`'s form).

    Raises ValueError saying what does not fit: an action without a command, fields unknown or missing, a
    value of the wrong kind.
    """
    if action not in {a.value for a in _REPLAYED}:
        known = ", ".join(a.value for a in Action if a in _REPLAYED)
        raise ValueError(f"action {action!r} is not one a history replays (use {known})")
    kind = command_for(Action(action))
    if not isinstance(data, dict):
        raise ValueError("内容 is not a JSON object")
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            f"{action}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})"
        )
    values: dict[str, Any] = {}
    for name, given in data.items():
        v = given
        if name in _TUPLES:
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError(f"{action}: {name} is a list of names")
            v = tuple(v)
        elif name == "promises":
            v = tuple(_promise(action, p) for p in (v if isinstance(v, list) else [None]))
        elif name == "without_opinion":
            if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
                raise ValueError(f"{action}: without_opinion maps unit names to reasons")
        elif v is not None and not isinstance(v, str | bool):
            raise ValueError(f"{action}: {name} {v!r} is not a text")
        values[name] = v
    try:
        return kind(**values)
    except TypeError:
        missing = sorted(f.name for f in fields(kind) if f.name not in data and _required(kind, f.name))
        raise ValueError(f"{action}: missing field(s) {', '.join(missing)}") from None


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
        raise ValueError(f'{action}: a promise is {{"text": …, "due": "YYYY-MM-DD"}}')
    try:
        return Promised(value["text"], date.fromisoformat(value["due"]))
    except ValueError:
        raise ValueError(f"{action}: promise due {value['due']!r} is not a date (YYYY-MM-DD)") from None


# ---- export -------------------------------------------------------------------------------------
def history_rows(snap: HistorySnapshot, rs: RuleSet, numbers: Sequence[str]) -> list[list[Any]]:
    """The 办理过程 rows of the cases ``numbers`` (in that order): one per audit event, times in ``rs``'s zone."""
    by_number = {c["number"]: cid for cid, c in snap.cases.items()}
    unit_ids = {name: uid for uid, name in snap.units.items()}
    rows: list[list[Any]] = []
    for number in numbers:
        cid = by_number[number]
        case = snap.cases[cid]
        events = [
            (seq, at, actor, action, json.loads(text) if text else {})
            for seq, at, actor, action, text in snap.events.get(cid, [])
        ]
        gone = superseded((seq, data) for seq, *_, data in events)
        for seq, at_value, actor, action, data in events:
            at = as_instant(at_value)
            assert at is not None
            # the engine's own steps are written for the reader, as recorded (and, when an action entered later
            # superseded one, by which event); they are not replayed
            content = (
                data | ({"superseded_by": gone[seq]} if seq in gone else {})
                if actor == _SYSTEM
                else encode(_command(action, data, case, snap, unit_ids, at))
            )
            text = canonical(content)
            cells = [text[i : i + CELL_LIMIT] for i in range(0, len(text), CELL_LIMIT)] or [""]
            rows.append([number, seq, at.astimezone(rs.zone).isoformat(), actor, action, *cells])
    return rows


def _command(
    action: str,
    data: dict[str, Any],
    case: Mapping[str, Any],
    snap: HistorySnapshot,
    unit_ids: Mapping[str, int],
    at: datetime,
) -> Command:
    """The command that made a person's audit event: its data, with the texts its rows hold."""
    cid = int(case["id"])

    def text(into: Mapping[tuple[int, int, datetime | None], str], unit: str | None) -> str:
        return into.get((cid, unit_ids.get(unit or "", -1), at), "")

    match Action(action):
        case Action.SUBMIT:
            return Submit(
                data["title"],
                data["deputy"],
                tuple(data.get("co_signers", ())),
                case["content"] or "",
                case["field"],
                bool(case["between_sessions"]),
                bool(case["confidential"]),
            )
        case Action.ASSIGN:
            return Assign(
                data.get("main"),
                tuple(data.get("co", ())),
                tuple(data.get("split", ())),
                bool(data.get("key")),
                bool(data.get("complex")),
            )
        case Action.REASSIGN:
            return Reassign(
                data.get("main"),
                tuple(data.get("co", ())),
                tuple(data.get("split", ())),
                data.get("reason", ""),
            )
        case Action.RETURN:
            return RequestReturn(data.get("reason", ""), data.get("unit"))
        case Action.REFUSE_RETURN:  # one unit named: that unit's request; several: all that were pending
            units = data.get("units", [])
            return RefuseReturn(data.get("reason", ""), units[0] if len(units) == 1 else None)
        case Action.EXTEND:
            return Extend(data.get("reason", ""))
        case Action.OPINION:
            return Opinion(text(snap.opinions, data.get("unit")), data.get("unit"))
        case Action.CONTACT:
            return Contact(
                data["method"], data.get("unit"), text(snap.contacts, data.get("unit")), data.get("stage")
            )
        case Action.ANSWER:
            promises = tuple(
                Promised(p["text"], date.fromisoformat(p["due"])) for p in data.get("promises", ())
            )
            return Answer(
                data["category"],
                text(snap.answers, data.get("unit")),
                data.get("unit"),
                promises,
                dict(data.get("without_opinion", {})),
                data.get("no_promises", ""),
            )
        case Action.FEEDBACK:
            attitude, result = snap.feedback.get((cid, at), (None, None))
            return Feedback(data["rating"], data.get("comment", ""), attitude, result)
        case Action.REHANDLE:
            return Rehandle(data.get("reason", ""))
        case Action.CLOSE:
            return Close(data.get("reason", ""))
        case Action.CONVERT:
            return Convert(data["to"], data.get("evidence", ""))
        case Action.PROGRESS:
            return Progress(data.get("note", ""))
        case Action.WITHDRAW:
            return Withdraw(data.get("reason", ""))
        case _:  # lapse is the engine's own
            msg = f"case {case['number']}: {action} by {data} is no person's action"
            raise ValueError(msg)


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


def read_history(rows: Sequence[tuple[int, list[str]]], columns: Mapping[str, int]) -> dict[str, CaseHistory]:
    """The histories in the 办理过程 sheet's data ``rows`` (their columns placed by ``columns``), by number,
    each checked: a time with its offset, a known actor and action, 内容 a JSON object the action's command
    takes, 序号 1, 2, 3, … in order from a submission."""
    found: dict[str, CaseHistory] = {}
    content = columns["fields"]
    for line, raw in rows:
        cells = {key: (raw[i] if i < len(raw) else "") for key, i in columns.items()}
        cells["fields"] = "".join(raw[content:])
        number = cells["number"]
        if not number:
            continue
        history = found.setdefault(number, CaseHistory(number, [], []))
        event, problem = _event(line, cells)
        if problem:
            history.problems.append(f"{HISTORY_SHEET} row {line}: {problem}")
        elif event is not None:
            expected = len(history.events) + 1
            if event.seq != expected:
                history.problems.append(
                    f"{HISTORY_SHEET} row {line}: 序号 {event.seq} where {expected} is next"
                )
            elif event.actor is not None and event.at < history.last_action_at:
                # the engine's own steps may stand later than an action entered after them (workflow.backfill)
                history.problems.append(
                    f"{HISTORY_SHEET} row {line}: 时间 {cells['at']} is before the action in a row above"
                )
            history.events.append(event)
    for history in found.values():
        if not history.problems and history.submit is None:
            history.problems.append(
                f"{HISTORY_SHEET}: the history of {history.number} does not start with submit"
            )
    return found


def _event(line: int, cells: Mapping[str, str]) -> tuple[Event | None, str]:
    try:
        seq = int(cells["seq"])
    except ValueError:
        return None, f"序号 {cells['seq']!r} is not a number"
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
        return None, "内容 is not JSON"
    try:
        command = decode(action, data)
    except ValueError as exc:
        return None, f"内容: {exc}"
    return Event(line, seq, at, actor, action, command), ""


def has_history(path: Path) -> bool:
    """Whether the workbook at ``path`` holds a 办理过程 sheet (a CSV file never does)."""
    if path.suffix.lower() != ".xlsx":
        return False
    from workflow.ledger.sheets import sheet_names

    return HISTORY_SHEET in sheet_names(path)
