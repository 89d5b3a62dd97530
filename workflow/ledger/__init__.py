"""The ledger (台账): sheets in and out, importing a year of cases, exporting them again.

- :mod:`workflow.ledger.sheets`: the columns, reading .xlsx/.csv, checking rows, writing tables;
- :mod:`workflow.ledger.cells`: text cells written so no spreadsheet runs them as formulas, and read back;
- :mod:`workflow.ledger.importer`: replaying checked rows through the lifecycle;
- :mod:`workflow.ledger.orders`: the orders of a batch assignment (交办会);
- :mod:`workflow.ledger.export`: the ledger (importable again) and the public disclosure file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules._lazy import lazy_exports

if TYPE_CHECKING:
    from workflow.ledger.export import export_ledger, export_public, ledger_rows
    from workflow.ledger.importer import BATCH, ImportReport, import_ledger
    from workflow.ledger.orders import Orders, read_orders
    from workflow.ledger.reading import Sheet, match_columns, read_rows, read_sheet
    from workflow.ledger.sheets import (
        COLUMNS,
        Checked,
        LedgerRow,
        Rejected,
        check_rows,
        split_names,
        write_rejects,
        write_table,
    )

__all__ = [
    "BATCH",
    "COLUMNS",
    "Checked",
    "ImportReport",
    "LedgerRow",
    "Orders",
    "Rejected",
    "Sheet",
    "check_rows",
    "export_ledger",
    "export_public",
    "import_ledger",
    "ledger_rows",
    "match_columns",
    "read_orders",
    "read_rows",
    "read_sheet",
    "split_names",
    "write_rejects",
    "write_table",
]

_WHERE = {
    "export_ledger": "workflow.ledger.export",
    "export_public": "workflow.ledger.export",
    "ledger_rows": "workflow.ledger.export",
    "BATCH": "workflow.ledger.importer",
    "ImportReport": "workflow.ledger.importer",
    "import_ledger": "workflow.ledger.importer",
    "Orders": "workflow.ledger.orders",
    "read_orders": "workflow.ledger.orders",
    "COLUMNS": "workflow.ledger.sheets",
    "Checked": "workflow.ledger.sheets",
    "Sheet": "workflow.ledger.reading",
    "read_sheet": "workflow.ledger.reading",
    "LedgerRow": "workflow.ledger.sheets",
    "Rejected": "workflow.ledger.sheets",
    "check_rows": "workflow.ledger.sheets",
    "match_columns": "workflow.ledger.reading",
    "read_rows": "workflow.ledger.reading",
    "split_names": "workflow.ledger.sheets",
    "write_rejects": "workflow.ledger.sheets",
    "write_table": "workflow.ledger.sheets",
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
