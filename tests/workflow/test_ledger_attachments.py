"""The ledger and attachments: an exported 办理过程 sheet names each action's files; an import attaches none."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from openpyxl import load_workbook

from workflow.core.attachments import Attachment
from workflow.engine import Engine
from workflow.ledger import export_ledger, import_ledger
from workflow.ledger.history import HISTORY_SHEET
from workflow.testing import FrozenClock, make_case, make_engine, row_count, sample_file

PDF = sample_file("pdf", "答复函")


def test_the_history_sheet_names_the_files_and_an_import_attaches_none(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    """The answer's 内容 lists name, type, size and SHA-256; the imported case is answered, with no attachment."""
    make_case(engine, "0001", state="co_handled", clock=clock)
    clock.advance(days=1)
    engine.answer("0001", category="A", text="已办理", attachments=[Attachment("答复函.pdf", PDF)])
    book = tmp_path / "台账.xlsx"
    exported = export_ledger(engine, "xlsx")
    assert isinstance(exported, bytes)
    book.write_bytes(exported)
    workbook = load_workbook(book, read_only=True)
    try:  # a read-only workbook holds its file open until closed
        rows = list(workbook[HISTORY_SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    [answer] = [row for row in rows if row[4] == "answer"]
    assert json.loads(str(answer[5]))["attachments"] == [
        {
            "name": "答复函.pdf",
            "media_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    ]
    with make_engine(tmp_path / "fresh.db", clock=clock) as fresh:
        import_ledger(fresh, book)
        assert fresh.get("0001").state == "answered"
        assert row_count(fresh, "attachments") == 0
        assert fresh.verify_audit() == (1, [])
