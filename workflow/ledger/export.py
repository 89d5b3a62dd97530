"""Exporting a session's cases as a ledger (importable again) or as a public disclosure file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules import RATING_LABELS
from workflow.ledger.sheets import COLUMNS, write_table
from workflow.store.sql import Raw, as_instant

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
        raw = Raw(conn)
        sid = engine.directory.session_id(conn, session)
        units = dict(raw.all("SELECT id, name FROM units", {}))
        deputies = dict(raw.all("SELECT id, name FROM deputies", {}))
        where = "s.session_id = :sid" + (" AND NOT s.confidential" if public else "")
        cases = raw.rows(f"SELECT s.* FROM suggestions s WHERE {where} ORDER BY s.number", {"sid": sid})
        roles: dict[int, list[tuple[int, str]]] = {}
        signers: dict[int, list[int]] = {}
        feedback: dict[int, tuple[str, Any]] = {}
        conversions: dict[int, tuple[str, Any]] = {}
        for sid_, unit, role in raw.all(
            "SELECT a.suggestion_id, a.unit_id, a.role FROM assignments a JOIN suggestions s ON s.id = a.suggestion_id "
            f"WHERE {where} AND a.until IS NULL ORDER BY a.id",
            {"sid": sid},
        ):
            roles.setdefault(sid_, []).append((unit, role))
        for sid_, deputy in raw.all(
            "SELECT g.suggestion_id, g.deputy_id FROM suggestion_signers g JOIN suggestions s ON s.id = g.suggestion_id "
            f"WHERE {where} ORDER BY g.position",
            {"sid": sid},
        ):
            signers.setdefault(sid_, []).append(deputy)
        for sid_, rating, at in raw.all(
            f"SELECT f.suggestion_id, f.rating, f.at FROM feedback f JOIN suggestions s ON s.id = f.suggestion_id WHERE {where} "
            "ORDER BY f.id",
            {"sid": sid},
        ):
            feedback[sid_] = (rating, at)
        for sid_, to, at in raw.all(
            f"SELECT c.suggestion_id, c.to_category, c.at FROM conversions c JOIN suggestions s ON s.id = c.suggestion_id "
            f"WHERE {where} ORDER BY c.id",
            {"sid": sid},
        ):
            conversions[sid_] = (to, at)
    rows = []
    for c in cases:
        cid = c["id"]
        mine = roles.get(cid, [])
        main = next((units[u] for u, r in mine if r in ("main", "split")), "")
        co = "、".join(units[u] for u, r in mine if r == "co")
        rating, feedback_at = feedback.get(cid, ("", None))
        to, converted_at = conversions.get(cid, ("", None))
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
