"""Writing a :class:`~workflow.reporting.reports.Report`: text, Markdown, HTML (self-contained, inline SVG charts, prints
well), JSON, CSV and Excel (one sheet per table, Chinese headers).

In CSV and Excel, text that would start a formula is written behind a quote, as in the ledger
(:mod:`workflow.ledger.cells`); numbers stay numbers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Any

from workflow.core.text import display_width
from workflow.ledger.cells import append_row, safe_row
from workflow.reporting.tables import Report, fmt_percent

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "md", "html", "json", "csv", "xlsx")


def render(report: Report, fmt: str) -> str | bytes:
    """``report`` in ``fmt``; bytes for xlsx, text otherwise."""
    if fmt == "xlsx":
        return _xlsx(report)
    writers: dict[str, Callable[[Report], str]] = {
        "text": _text,
        "md": _markdown,
        "html": _html,
        "json": _json,
        "csv": _csv,
    }
    if fmt not in writers:
        msg = f"format {fmt!r} unknown: use {', '.join(FORMATS)}"
        raise ValueError(msg)
    return writers[fmt](report)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _text(report: Report) -> str:
    lines = [report.title, f"范围：{report.scope}", ""]
    lines += [f"　　{p}" for p in report.paragraphs]
    for table in report.tables:
        cells = [[_cell(v) for v in row] for row in table.rows]
        widths = [
            max([display_width(h), *(display_width(r[i]) for r in cells)])
            for i, h in enumerate(table.headers)
        ]
        numeric = [
            all(isinstance(row[i], int | Decimal) or row[i] in (None, "-") for row in table.rows)
            for i in range(len(table.headers))
        ]
        lines += ["", table.title]
        lines.append("  ".join(_pad(h, w, n) for h, w, n in zip(table.headers, widths, numeric, strict=True)))
        lines += ["  ".join(_pad(c, w, n) for c, w, n in zip(r, widths, numeric, strict=True)) for r in cells]
        if not cells:
            lines.append("（无）")
    return "\n".join(lines) + "\n"


def _markdown(report: Report) -> str:
    out = [f"# {report.title}", "", f"范围：{report.scope}", ""]
    out += [p + "\n" for p in report.paragraphs]
    for table in report.tables:
        out += [
            f"## {table.title}",
            "",
            "| " + " | ".join(table.headers) + " |",
            "|" + "---|" * len(table.headers),
        ]
        out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
        out.append("")
    return "\n".join(out)


def _json(report: Report) -> str:
    body = {"report": report.kind, "title": report.title, "paragraphs": report.paragraphs, **report.data}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"


def _csv(report: Report) -> str:
    buffer = io.StringIO()
    # rows end in "\r\n" (RFC 4180), so a cell holding a CR is quoted: a bare CR would end the row in a
    # spreadsheet program and start a cell of its own, unquoted.
    writer = csv.writer(buffer)
    for i, table in enumerate(report.tables):
        if len(report.tables) > 1:
            if i:
                writer.writerow([])
            writer.writerow(safe_row([table.title]))
        writer.writerow(safe_row(table.headers))
        writer.writerows(safe_row(_cell(v) if v is None else v for v in row) for row in table.rows)
    return "\ufeff" + buffer.getvalue()  # the BOM tells Excel the text is UTF-8 (else it shows mojibake)


def _xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    notes = book.active
    notes.title = "说明"
    append_row(notes, [report.title])
    notes["A1"].font = Font(bold=True, size=14)
    append_row(notes, [f"范围：{report.scope}"])
    for paragraph in report.paragraphs:
        append_row(notes, [paragraph])
    notes.column_dimensions["A"].width = 120
    for table in report.tables:
        sheet = book.create_sheet((table.sheet or table.title)[:31])
        append_row(sheet, table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            append_row(sheet, [float(v) if isinstance(v, Decimal) else v for v in row])
        for i, header in enumerate(table.headers):
            sheet.column_dimensions[chr(ord("A") + i) if i < 26 else "Z"].width = max(
                10, display_width(header) + 4
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figure(value: Any, suffix: str) -> str:
    if not isinstance(value, Decimal):
        return "-"
    return fmt_percent(value) if suffix == "%" else f"{value}{suffix}"


def _bars(chart: dict[str, Any]) -> str:
    """A horizontal bar chart of percentages as inline SVG."""
    bars = [(str(label), value) for label, value in chart["bars"]]
    row, left, width = 26, 150, 360
    height = row * len(bars) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 70}" height="{height}" '
        f'aria-label="{escape(chart["title"])}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(chart["title"])}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 30 + i * row
        share = float(value) if isinstance(value, Decimal) else 0.0
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{width}" height="16" fill="#eee"/>')
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{width * share / 100:.1f}" height="16" fill="#b22222"/>'
        )
        parts.append(
            f'<text x="{left + width + 6}" y="{y + 15}" font-size="12">{escape(_figure(value, chart.get("suffix", "%")))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body { font-family: "Noto Serif CJK SC", "Songti SC", SimSun, serif; margin: 2cm; color: #111; }
h1 { text-align: center; font-size: 22pt; } h2 { font-size: 14pt; margin-top: 1.5em; }
p { text-indent: 2em; line-height: 1.8; font-size: 12pt; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 10.5pt; }
th, td { border: 1px solid #444; padding: 3px 8px; } td.n { text-align: right; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
@media print { body { margin: 1.5cm; } h2, table, svg { page-break-inside: avoid; } }
"""


def _html(report: Report) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="scope">范围：{escape(report.scope)}</p>',
    ]
    out += [f"<p>{escape(p)}</p>" for p in report.paragraphs]
    if report.charts:
        out.append('<div class="charts">' + "".join(_bars(c) for c in report.charts if c["bars"]) + "</div>")
    for table in report.tables:
        out.append(f"<h2>{escape(table.title)}</h2><table><thead><tr>")
        out.append("".join(f"<th>{escape(h)}</th>" for h in table.headers) + "</tr></thead><tbody>")
        for row in table.rows:
            cells = "".join(
                f'<td class="n">{escape(_cell(v))}</td>'
                if isinstance(v, int | Decimal)
                else f"<td>{escape(_cell(v))}</td>"
                for v in row
            )
            out.append(f"<tr>{cells}</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
