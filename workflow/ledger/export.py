"""Exporting a session's cases as a ledger (importable again) or as a public disclosure file."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rules import RATING_LABELS
from workflow.core.states import STATE_LABELS
from workflow.ledger.history import HISTORY_COLUMNS, HISTORY_SHEET
from workflow.ledger.history_export import history_rows
from workflow.ledger.sheets import COLUMNS, DATE_COLUMNS, write_table
from workflow.ledger.workbook import DERIVED, ledger_workbook
from workflow.store.ledger import history_snapshot, ledger_snapshot
from workflow.store.sql import as_instant

if TYPE_CHECKING:
    from workflow.engine import Engine

__all__ = ["LEDGER_SHEET", "export_ledger", "export_public", "ledger_rows"]

LEDGER_SHEET = "台账"


def ledger_rows(engine: Engine, *, session: str | None = None, public: bool = False) -> list[list[str]]:
    """The session's cases as ledger rows (Chinese column order); ``public`` leaves out confidential cases. The
    whole ledger is the office's."""
    return _ledger(engine, session, public=public)[0]


def _ledger(
    engine: Engine, session: str | None, *, public: bool, now: datetime | None = None
) -> tuple[list[list[str]], list[tuple[str, str, bool]]]:
    """:func:`ledger_rows`, and per row (state in the offices' words, 逾期N天 or "", key) as of ``now``."""
    if not public:
        engine.require_office("export ledger")
    rs = engine.active_ruleset()

    def day(value: Any) -> str:
        instant = as_instant(value)
        return instant.astimezone(rs.zone).date().isoformat() if instant else ""

    with engine.db.reading() as conn:
        snap = ledger_snapshot(conn, engine.directory.session_id(conn, session), public=public, now=now)
    units, deputies, signers = snap.units, snap.deputies, snap.signers
    rows = []
    marks = []
    today = (now or engine.clock.now()).astimezone(rs.zone).date()
    for c in snap.cases:
        overdue = as_instant(snap.overdue.get(c["id"]))
        # a deadline's instant is 24:00 of its last day: the days past are counted from that day
        late = f"逾期{(today - overdue.astimezone(rs.zone).date()).days + 1}天" if overdue else ""
        marks.append((STATE_LABELS.get(c["state"], c["state"]), late, bool(c["key"])))
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
    return rows, marks


def export_ledger(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """The session's ledger with the import's Chinese headers, as CSV text (the 台账 alone) or an Excel
    workbook: the 台账 sheet and the 办理过程 sheet, every case's history, so that it imports back as it was
    (:mod:`workflow.ledger.history`)."""
    engine.require_office("export ledger")
    header = [zh for zh, _ in COLUMNS]
    now = engine.clock.now()
    rows, marks = _ledger(engine, session, public=False, now=now)
    if fmt != "xlsx":
        return write_table(header, rows, fmt, LEDGER_SHEET)
    with engine.db.reading() as conn:
        session_name = engine.directory.session_name(conn, engine.directory.session_id(conn, session))
        snap = history_snapshot(conn, engine.directory.session_id(conn, session))
    rs = engine.active_ruleset()
    history = history_rows(snap, rs, [r[0] for r in rows])
    dated = {i for i, (_, alias) in enumerate(COLUMNS) if alias in DATE_COLUMNS}
    shown = [
        [
            n,
            *(date.fromisoformat(v) if i in dated and v else v for i, v in enumerate(row)),
            state,
            late,
            "是" if key else "",
        ]
        for n, (row, (state, late, key)) in enumerate(zip(rows, marks, strict=True), start=1)
    ]
    as_of = now.astimezone(rs.zone).date().isoformat()
    return ledger_workbook(
        title=f"{engine.congress} {session_name} 代表建议办理台账（截至 {as_of}）",
        header=[DERIVED[0][0], *header, *(zh for zh, _ in DERIVED[1:])],
        rows=shown,
        others=[(HISTORY_SHEET, [zh for zh, _ in HISTORY_COLUMNS], history)],
    )


_PUBLIC = ("建议编号", "标题", "领衔代表", "领域", "主办单位", "会办单位", "交办日期", "答复日期", "办理类别")


def export_public(engine: Engine, fmt: str, *, session: str | None = None) -> str | bytes:
    """A disclosure file: no confidential case, no co-signers, feedback or contact data; the answer's class."""
    index = [zh for zh, _ in COLUMNS]
    rows = [[r[index.index(h)] for h in _PUBLIC] for r in ledger_rows(engine, session=session, public=True)]
    return write_table(list(_PUBLIC), rows, fmt, "公开")
