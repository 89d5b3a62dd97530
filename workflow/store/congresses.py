"""The congresses a database holds: finding the one an engine works on, and creating one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from rules import RuleSet
from rules.i18n import _
from workflow.core.errors import ValidationError
from workflow.store.models import Congress, table, too_long

__all__ = ["DEFAULT_CONGRESS", "LEVELS", "ensure_congress", "find_congress"]

DEFAULT_CONGRESS = "default"
LEVELS = ("national", "province", "city", "county", "township")
_CONGRESSES = table(Congress)


def find_congress(conn: Connection, name: str | None) -> tuple[int, str] | None:
    """(id, name) of congress ``name``; without a name, the only congress (or the default one when there are
    several); None when there is no such congress."""
    count = int(conn.execute(select(func.count()).select_from(_CONGRESSES)).scalar_one())
    query = select(_CONGRESSES.c.id, _CONGRESSES.c.name)
    if name or count != 1:
        query = query.where(_CONGRESSES.c.name == (name or DEFAULT_CONGRESS))
    row = conn.execute(query).first()
    return None if row is None else (int(row.id), str(row.name))


def ensure_congress(conn: Connection, name: str, level: str, rs: RuleSet, now: datetime) -> None:
    """Create congress ``name`` at ``level`` under rule set ``rs``, unless it exists."""
    if conn.execute(select(_CONGRESSES.c.id).where(_CONGRESSES.c.name == name)).first() is not None:
        return
    problem = too_long("congresses", {"name": name})
    if problem is not None:
        raise ValidationError(_("congress: {problem}").format(problem=problem))
    if level not in LEVELS:
        msg = f"congress level {level!r} unknown: use {', '.join(LEVELS[:-1])} or {LEVELS[-1]}"
        raise ValidationError(msg)
    row = {"name": name, "level": level, "ruleset_id": rs.id, "ruleset_version": rs.version}
    conn.execute(insert(_CONGRESSES), row | {"created_at": now})
