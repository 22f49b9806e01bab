"""A fast XLSX writer for very long play logs: XlsxWriter's workbook, SQLite-built rows.

XlsxWriter in constant_memory mode spends ~10 µs of Python per cell here; a million plays with
a dozen filled columns took ~135 s on this project's machine against a 60 s target. So the work
is split: XlsxWriter writes a small template workbook (content types, styles, column widths,
frozen header, sheet names: every part Excel is picky about), and the rows, which are only
repetitive `<c>` elements of the same form XlsxWriter itself writes in constant_memory mode,
are built as text by SQLite's C code and streamed into the sheet part of a copy of the template.
Small sheets that follow the plays (the coverage) are written whole by XlsxWriter.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import xlsxwriter

MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
MAX_CELL_CHARS = 32_767
ROW_MARK = "<#>"  # can never occur in escaped cell text, where '<' is always '&lt;'

Kind = Literal["text", "number", "datetime"]


@dataclass(frozen=True)
class SheetColumn:
    header: str
    sql: str  # an SQL expression over the plays table
    kind: Kind
    width: float = 14


@dataclass(frozen=True)
class SmallSheet:
    """A sheet written whole after the plays: its columns (kind and width from each
    SheetColumn; `sql` unused) and rows of plain values (None: an empty cell; datetimes
    naive, in the wall-clock time to show)."""

    name: str
    columns: Sequence[SheetColumn]
    rows: Sequence[Sequence[object]]


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def row_sql(columns: Sequence[SheetColumn], datetime_style: int) -> str:
    """One SQL expression that renders a whole `<row>` (cells without the row number, which
    is ROW_MARK and filled in by the caller). Empty values produce no cell, as in XlsxWriter."""
    cells = []
    for i, column in enumerate(columns):
        ref = f"{_letters(i)}{ROW_MARK}"
        value = column.sql
        if column.kind == "text":
            escaped = (
                f"replace(replace(replace(substr(CAST({value} AS TEXT), 1, {MAX_CELL_CHARS}), "
                "'&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
            )
            cells.append(
                f"CASE WHEN {value} IS NULL OR {value} = '' THEN '' ELSE "
                f'\'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">\' || {escaped} '
                "|| '</t></is></c>' END"
            )
        else:
            style = f' s="{datetime_style}"' if column.kind == "datetime" else ""
            cells.append(
                f"CASE WHEN ({value}) IS NULL THEN '' ELSE "
                f"'<c r=\"{ref}\"{style}><v>' || ({value}) || '</v></c>' END"
            )
    return f"'<row r=\"{ROW_MARK}\">' || " + " || ".join(cells) + " || '</row>'"


# XML 1.0 forbids these; XlsxWriter writes them as Excel's _xHHHH_ escapes, and so do we.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _control_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def template(
    columns: Sequence[SheetColumn], sheets: int, small: Sequence[SmallSheet] = ()
) -> tuple[bytes, int]:
    """The workbook XlsxWriter would write with headers only, then the small sheets whole;
    returns (xlsx bytes, the style index of the date-time format)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for number in range(1, sheets + 1):
        sheet = workbook.add_worksheet("Plays" if number == 1 else f"Plays {number}")
        for col, column in enumerate(columns):
            sheet.set_column(col, col, column.width, stamp if column.kind == "datetime" else None)
            sheet.write_string(0, col, column.header, bold)
        sheet.freeze_panes(1, 0)
    for extra in small:
        sheet = workbook.add_worksheet(extra.name)
        for col, column in enumerate(extra.columns):
            sheet.set_column(col, col, column.width, stamp if column.kind == "datetime" else None)
            sheet.write_string(0, col, column.header, bold)
        sheet.freeze_panes(1, 0)
        for number, values in enumerate(extra.rows, start=1):
            for col, (column, value) in enumerate(zip(extra.columns, values, strict=True)):
                if value is None:
                    continue
                if column.kind == "datetime" and isinstance(value, datetime):
                    sheet.write_datetime(number, col, value, stamp)
                elif column.kind == "number" and isinstance(value, int | float):
                    sheet.write_number(number, col, value)
                else:  # text is never a formula
                    sheet.write_string(number, col, str(value)[:MAX_CELL_CHARS])
    workbook.close()
    return buffer.getvalue(), stamp.xf_index


def write_xlsx(
    path: Path,
    columns: Sequence[SheetColumn],
    total: int,
    fetch: Callable[[str], Iterable[list[tuple[str]]]],
    on_rows: Callable[[int], None],
    small: Sequence[SmallSheet] = (),
) -> int:
    """Write an XLSX at `path`. `fetch(row_expression)` runs the caller's query selecting that
    one SQL expression (see `row_sql`) and yields batches of 1-tuples, in order.

    `total` sizes the number of sheets; `on_rows(done)` is called after each batch. Returns the
    number of rows written. `small` sheets come after the plays. Raises OSError from the file
    system as is.
    """
    per_sheet = MAX_ROWS - 1
    sheets = max(1, -(-total // per_sheet))
    scaffold, style = template(columns, sheets, small)
    last_col = _letters(len(columns) - 1)
    done = 0
    rows = _flatten(fetch(row_sql(columns, style)), on_rows)
    with (
        zipfile.ZipFile(io.BytesIO(scaffold)) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for item in source.infolist():
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if match is None or int(match.group(1)) > sheets:
                target.writestr(item, source.read(item))
                continue
            # The dimension comes before the rows, so it uses the count taken beforehand.
            expected = min(per_sheet, max(0, total - (int(match.group(1)) - 1) * per_sheet))
            head, tail = source.read(item).decode("utf-8").split("</sheetData>", 1)
            head = re.sub(
                r'<dimension ref="[^"]*"/>',
                f'<dimension ref="A1:{last_col}{expected + 1}"/>',
                head,
                count=1,
            )
            with target.open(item.filename, "w", force_zip64=True) as stream:
                stream.write(head.encode("utf-8"))
                written = 0
                pieces: list[str] = []
                for rendered in rows:
                    written += 1
                    pieces.append(rendered.replace(ROW_MARK, str(written + 1)))
                    if len(pieces) == 2000:
                        stream.write("".join(pieces).encode("utf-8"))
                        pieces = []
                    if written >= per_sheet:
                        break
                stream.write("".join(pieces).encode("utf-8"))
                stream.write(("</sheetData>" + tail).encode("utf-8"))
            done += written
    return done


def _flatten(batches: Iterable[list[tuple[str]]], on_rows: Callable[[int], None]):
    done = 0
    for batch in batches:
        for (rendered,) in batch:
            if _CONTROL.search(rendered):
                rendered = _CONTROL.sub(_control_escape, rendered)
            yield rendered
        done += len(batch)
        on_rows(done)
