"""Document bytes for the home folder: spreadsheets, text documents, csv, txt and pdf.

Rows are lists of plain values (str, int, float; a str starting with "=" is a formula); a text
document is a list of `(style, text)` paragraphs ("Title", "Heading 1", "Normal", …) and tables
(lists of rows of str). Every writer returns bytes, so a task's `home_files` can map paths to them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

Rows = Sequence[Sequence[Any]]
Paragraphs = Sequence[tuple[str, str]]


FIXED_TIME = (2026, 1, 5, 9, 0, 0)  # every entry's and property's time: the same inputs give the same bytes
_STAMPS = re.compile(r"(<(dcterms:created|dcterms:modified|dc:date|meta:creation-date)\b[^>]*>)[^<]*(</\2>)")


def stable_zip(data: bytes) -> bytes:
    """A zip package (xlsx, docx, ods, odt) again, entry by entry in the same order and compression, with
    fixed times in the entries and in the document's properties: the bytes depend on the content only."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.endswith(".xml") and (b"created" in body or b"date" in body):
                body = _STAMPS.sub(r"\g<1>2026-01-05T09:00:00Z\g<3>", body.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, FIXED_TIME)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            target.writestr(entry, body)
    return out.getvalue()


def xlsx_bytes(sheets: dict[str, Rows], formats: dict[str, str] | None = None) -> bytes:
    """An xlsx workbook (openpyxl): one sheet per `sheets` item, in order; `formats` maps
    "Sheet!A1" or "A1" (first sheet) to a number format code."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    for where, code in (formats or {}).items():
        name, _, cell = where.rpartition("!")
        (book[name] if name else book.worksheets[0])[cell].number_format = code
    out = io.BytesIO()
    book.save(out)
    return stable_zip(out.getvalue())


def ods_bytes(sheets: dict[str, Rows]) -> bytes:
    """An OpenDocument spreadsheet (odfpy): numbers as float cells, "=…" as formulas."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                if isinstance(value, bool) or value is None:
                    cell = TableCell()
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=_number_text(value)))
                elif isinstance(value, str) and value.startswith("="):
                    cell = TableCell(formula=f"of:{_ods_formula(value)}", valuetype="float", value=0)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return stable_zip(out.getvalue())


def workbook_bytes(suffix: str, sheets: dict[str, Rows]) -> bytes:
    """A spreadsheet in the format `suffix` names (".xlsx", ".ods" or ".csv": the first sheet)."""
    if suffix == ".xlsx":
        return xlsx_bytes(sheets)
    if suffix == ".ods":
        return ods_bytes(sheets)
    if suffix == ".csv":
        return csv_bytes(next(iter(sheets.values())))
    raise ValueError(f"no spreadsheet writer for {suffix!r}")


def docx_bytes(paragraphs: Paragraphs, tables: Iterable[Rows] = ()) -> bytes:
    """A Word document (python-docx): the paragraphs in order, then the tables."""
    from docx import Document

    doc = Document()
    for style, text in paragraphs:
        doc.add_paragraph(text, style=None if style == "Normal" else style)
    for rows in tables:
        rows = [list(r) for r in rows]
        table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = str(value)
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue())


def odt_bytes(paragraphs: Paragraphs, tables: Iterable[Rows] = ()) -> bytes:
    """An OpenDocument text (odfpy): "Heading N" paragraphs as headings of level N, named styles
    for the others, then the tables."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    made: set[str] = set()
    for style, text in paragraphs:
        internal = style.replace(" ", "_20_")
        if internal not in made and style != "Normal":
            doc.styles.addElement(Style(name=internal, displayname=style, family="paragraph"))
            made.add(internal)
        if style.startswith("Heading "):
            doc.text.addElement(H(outlinelevel=int(style.split()[1]), stylename=internal, text=text))
        else:
            doc.text.addElement(P(text=text) if style == "Normal" else P(stylename=internal, text=text))
    for n, rows in enumerate(tables, start=1):
        rows = [list(r) for r in rows]
        table = Table(name=f"Table{n}")
        table.addElement(TableColumn(numbercolumnsrepeated=max(len(r) for r in rows)))
        for row in rows:
            tr = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.text.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return stable_zip(out.getvalue())


def csv_bytes(rows: Rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def txt_bytes(lines: Iterable[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def pdf_bytes(lines: Sequence[str]) -> bytes:
    """A one-page PDF showing `lines` in Helvetica (uncompressed: what an export of a short text
    gives, readable by `read_pdf_text`)."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = "".join(f"({escape(line)}) Tj T* " for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 770 Td {shown}ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value}"


def _ods_formula(formula: str) -> str:
    """"=SUM(B2:B6)" → "=SUM([.B2:.B6])" (OpenFormula cell references)."""
    import re

    return re.sub(r"\b([A-Z]{1,3}\d+)(?::([A-Z]{1,3}\d+))?\b",
                  lambda m: f"[.{m[1]}:.{m[2]}]" if m[2] else f"[.{m[1]}]", formula)
