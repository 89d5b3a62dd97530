"""Exporting a session's cases as a ledger (importable again) or as a public disclosure file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules import RATING_LABELS
from workflow.ledger.sheets import COLUMNS, write_table
from workflow.store.ledger import ledger_snapshot
from workflow.store.sql import as_instant

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["export_ledger", "export_public", "ledger_rows"]


def ledger_rows(engine: Engine, *, session: str | None = None, public: bool = False) -> list[list[str]]:
    """The session's cases as ledger rows (Chinese column order); ``public`` leaves out confidential cases."""
    rs = engine.active_ruleset()

    def day(value: Any) -> str:
        instant = as_instant(value)
        return instant.astimezone(rs.zone).date().isoformat() if instant else ""

    with engine.db.reading() as conn:
        snap = ledger_snapshot(conn, engine.directory.session_id(conn, session), public=public)
    units, deputies, signers = snap.units, snap.deputies, snap.signers
    rows = []
    for c in snap.cases:
        cid = c["id"]
        mine = snap.roles.get(cid, [])
        main = next((units[u] for u, r in mine if r in ("main", "split")), "")
        co = "、".join(units[u] for u, r in mine if r == "co")
        rating, feedback_at = snap.feedback.get(cid, ("", None))
        to, converted_at = snap.conversions.get(cid, ("", None))
        rows.append(
            [
                c["number"],
                c["title"],
                deputies[c["lead_deputy_id"]],
                "、".join(deputies[d] for d in signers.get(cid, [])),
                c["field"] or "",
                main,
                co,
                day(c["assigned_at"]),
                day(c["first_answer_at"]),
                c["category"] or "",
                RATING_LABELS.get(rating, ""),
                day(feedback_at),
                day(c["closed_at"]) if c["state"] == "closed" else "",
                to,
                day(converted_at),
            ]
        )
    return rows


def export_ledger(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """The session's ledger with the import's Chinese headers, as CSV text or an Excel workbook."""
    return write_table([zh for zh, _ in COLUMNS], ledger_rows(engine, session=session), fmt, "台账")


_PUBLIC = ("建议编号", "标题", "领衔代表", "领域", "主办单位", "会办单位", "交办日期", "答复日期", "办理类别")


def export_public(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """A disclosure file: no confidential case, no co-signers, feedback or contact data; the answer's class."""
    index = [zh for zh, _ in COLUMNS]
    rows = [[r[index.index(h)] for h in _PUBLIC] for r in ledger_rows(engine, session=session, public=True)]
    return write_table(list(_PUBLIC), rows, fmt, "公开")
