"""The history of edits to units and deputies: one row per changed field, append-only and hash-chained per
congress, so that an old name stays findable and ``audit verify`` proves the history whole.

Each row's hash covers the previous row's hash and every stored field; the chain starts at
:data:`~workflow.core.audit.GENESIS` and its numbers run from 1 without a gap. :func:`verify` also compares each
edited field's last recorded value with what the unit or deputy holds now, so a deleted last change or a
value changed behind the history's back is found (a unit's superior unit is recorded by name, which a later
rename of that unit changes: it is checked by the chain alone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from rules.i18n import _
from workflow.core.audit import GENESIS, canonical, instant_text
from workflow.store.sql import Raw, as_instant

__all__ = [
    "GENERATION",
    "TABLE",
    "TABLES",
    "DirectoryEdit",
    "Renamed",
    "append",
    "edits",
    "name_generation",
    "renamed",
    "verify",
]

TABLE = "directory_changes"
TABLES = {"unit": "units", "deputy": "deputies"}
_UNCHECKED = frozenset({"parent"})  # recorded by name, which a rename of that unit changes


@dataclass(frozen=True, slots=True)
class DirectoryEdit:
    """One changed field of a unit or deputy (``name``: what it is called now)."""

    seq: int
    kind: str
    name: str
    field: str
    old: str | None
    new: str | None
    actor: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "name": self.name,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Renamed:
    """What an old name became: the id, the name it bears now, and when it was renamed away from the old one."""

    entity_id: int
    name: str
    at: datetime


def change_hash(
    *,
    prev: str,
    congress_id: int,
    seq: int,
    kind: str,
    entity_id: int,
    field: str,
    old: str | None,
    new: str | None,
    actor: str,
    at: datetime,
) -> str:
    """The hash of one change, chained to ``prev`` (None and "" hash apart)."""
    text = canonical([prev, congress_id, seq, kind, entity_id, field, old, new, actor, instant_text(at)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# the congress's directory generation: the number of its last edit (0 before any), one probe of the unique
# (congress_id, seq) index; a scalar subquery of congress ``:c``, so that a query the caller makes anyway (the
# case's or the session's) reads it in the same statement. Edits are append-only, so it only grows.
GENERATION = "(SELECT coalesce(max(seq), 0) FROM directory_changes WHERE congress_id = :c)"


def name_generation(conn: Connection, congress_id: int) -> int:
    """The congress's directory generation (:data:`GENERATION`): a name cache is stale when this moved."""
    found = Raw(conn).column(f"SELECT {GENERATION}", {"c": congress_id})
    return int(found[0])


def append(
    conn: Connection,
    congress_id: int,
    kind: str,
    entity_id: int,
    changes: Sequence[tuple[str, str | None, str | None]],
    *,
    actor: str,
    at: datetime,
) -> None:
    """Append ``changes`` (field, old, new) of one unit or deputy to the chain, in ``conn``'s transaction (the
    caller holds the congress's row lock, or SQLite's write lock, so the numbers cannot race)."""
    raw = Raw(conn)
    last = raw.all(
        "SELECT seq, hash FROM directory_changes WHERE congress_id = :c ORDER BY seq DESC LIMIT 1",
        {"c": congress_id},
    )
    seq, prev = (int(last[0][0]), str(last[0][1])) if last else (0, GENESIS)
    when = at.astimezone(UTC)
    rows = []
    for field, old, new in changes:
        seq += 1
        row: dict[str, Any] = {
            "congress_id": congress_id,
            "seq": seq,
            "kind": kind,
            "entity_id": entity_id,
            "field": field,
            "old": old,
            "new": new,
            "actor": actor,
            "at": when,
        }
        digest = change_hash(prev=prev, **row)
        rows.append(row | {"prev_hash": prev, "hash": digest})
        prev = digest
    raw.insert_many("directory_changes", rows)


def renamed(conn: Connection, congress_id: int, kind: str, name: str) -> Renamed | None:
    """What the unit or deputy once called ``name`` is called now (the latest rename away from it), if any."""
    found = Raw(conn).all(
        f"SELECT c.entity_id, e.name, c.at FROM directory_changes c JOIN {TABLES[kind]} e ON e.id = c.entity_id "
        "WHERE c.congress_id = :c AND c.kind = :k AND c.field = 'name' AND c.old = :n "
        "ORDER BY c.seq DESC LIMIT 1",
        {"c": congress_id, "k": kind, "n": name},
    )
    if not found:
        return None
    at = as_instant(found[0][2])
    assert at is not None
    return Renamed(int(found[0][0]), str(found[0][1]), at)


def edits(conn: Connection, congress_id: int, kind: str, entity_id: int) -> list[DirectoryEdit]:
    """Every change of one unit or deputy, oldest first."""
    rows = Raw(conn).all(
        f"SELECT c.seq, e.name, c.field, c.old, c.new, c.actor, c.at FROM directory_changes c "
        f"JOIN {TABLES[kind]} e ON e.id = c.entity_id "
        "WHERE c.congress_id = :c AND c.kind = :k AND c.entity_id = :e ORDER BY c.seq",
        {"c": congress_id, "k": kind, "e": entity_id},
    )
    found = []
    for seq, name, field, old, new, actor, at in rows:
        when = as_instant(at)
        assert when is not None
        found.append(DirectoryEdit(int(seq), kind, str(name), str(field), old, new, str(actor), when))
    return found


def verify(conn: Connection, congress_id: int) -> tuple[int, list[str]]:
    """How many changes the congress's history holds, and its problems (one line each): a broken link, an
    altered or missing change, an edited field whose value differs from its last recorded change."""
    raw = Raw(conn)
    rows = raw.all(
        "SELECT seq, kind, entity_id, field, old, new, actor, at, prev_hash, hash FROM directory_changes "
        "WHERE congress_id = :c ORDER BY seq",
        {"c": congress_id},
    )
    problems: list[str] = []
    prev, expected = GENESIS, 1
    last: dict[tuple[str, int, str], tuple[int, str | None]] = {}
    for seq, kind, entity_id, field, old, new, actor, at, prev_hash, digest in rows:
        where = _("directory change #{seq} ({kind} {id}, {field})").format(
            seq=seq, kind=kind, id=entity_id, field=field
        )
        if seq != expected:
            gap = f"#{expected}" if seq == expected + 1 else f"#{expected}–#{seq - 1}"
            problems.append(_("{where}: missing ({gap} absent before it)").format(where=where, gap=gap))
        if prev_hash != prev:
            problems.append(_("{where}: does not link to the change before it").format(where=where))
        when = as_instant(at)
        assert when is not None
        values = {"kind": kind, "entity_id": int(entity_id), "field": field, "old": old, "new": new}
        again = change_hash(prev=prev_hash, congress_id=congress_id, seq=seq, actor=actor, at=when, **values)
        if again != digest:
            problems.append(_("{where}: altered (its hash does not match its content)").format(where=where))
        last[(kind, int(entity_id), field)] = (int(seq), new)
        prev, expected = digest, int(seq) + 1
    for (kind, entity_id, field), (seq, new) in last.items():
        if field in _UNCHECKED:
            continue
        now = raw.all(f"SELECT {field} FROM {TABLES[kind]} WHERE id = :id", {"id": entity_id})
        if not now:
            problems.append(
                _("directory change #{seq}: {kind} {id} is gone").format(seq=seq, kind=kind, id=entity_id)
            )
        elif now[0][0] != new:
            problems.append(
                _(
                    "directory change #{seq}: {kind} {id}'s {field} is {now!r}, "
                    "but its last recorded change made it {new!r}"
                ).format(seq=seq, kind=kind, id=entity_id, field=field, now=now[0][0], new=new)
            )
    return len(rows), problems
