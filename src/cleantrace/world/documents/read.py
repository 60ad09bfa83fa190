"""Reading what an app saved, for checks: one shape per kind of document, whatever its format.

`read_workbook` (xlsx with openpyxl, ods with odfpy, csv) gives every sheet's values, formulas
("=SUM(B2:B6)" in either format), number formats as a kind ("percent", "currency", "fixed" with its
decimals, "date", "general"), the frozen pane, chart kinds and hidden rows. `read_document` (docx
with python-docx, odt with odfpy) gives paragraphs with their style ("Heading 1", "Title", …) and
tables. A missing file is `DocumentMissing`, one that does not parse `DocumentUnreadable`: both are
`CheckFailed`, so the episode's outcome names the file and what is wrong with it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleantrace.errors import CheckFailed

SPREADSHEETS = (".xlsx", ".ods", ".csv")
TEXT_DOCUMENTS = (".docx", ".odt")
PLAIN = (".txt", ".md", ".csv")


class DocumentMissing(CheckFailed):
    """The file a check reads is not there."""


class DocumentUnreadable(CheckFailed):
    """The file a check reads is there but cannot be parsed as what its name says."""


@dataclass(frozen=True)
class NumberFormat:
    kind: str  # general | fixed | percent | currency | date | text
    decimals: int | None = None
    code: str = ""


@dataclass
class SheetData:
    """One sheet: values by row (trailing empty cells and rows trimmed), and per cell (by "B7")
    its formula and number format."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    formulas: dict[str, str] = field(default_factory=dict)
    formats: dict[str, NumberFormat] = field(default_factory=dict)
    freeze: str | None = None  # top-left cell of the scrolling part ("A2": row 1 frozen)
    charts: list[str] = field(default_factory=list)  # "bar", "line", "pie", …
    hidden_rows: set[int] = field(default_factory=set)  # 1-based

    def value(self, ref: str) -> Any:
        col, row = split_ref(ref)
        try:
            return self.rows[row - 1][col - 1]
        except IndexError:
            return None

    def format(self, ref: str) -> NumberFormat:
        return self.formats.get(ref.upper(), NumberFormat("general"))

    @property
    def header(self) -> list[Any]:
        return self.rows[0] if self.rows else []

    def records(self) -> list[list[Any]]:
        """The rows under the header."""
        return self.rows[1:]


@dataclass
class Workbook:
    path: Path
    sheets: list[SheetData]

    def sheet(self, name: str | None = None) -> SheetData:
        """The sheet called `name` (the first sheet without a name); CheckFailed when there is none."""
        if name is None:
            if not self.sheets:
                raise CheckFailed(f"{shown(self.path)} has no sheet")
            return self.sheets[0]
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        names = ", ".join(s.name for s in self.sheets)
        raise CheckFailed(f"{shown(self.path)} has no sheet {name!r} (it has {names})")


@dataclass(frozen=True)
class Paragraph:
    style: str  # "Heading 1" … "Heading 6", "Title", "Normal", or the document's own style name
    text: str


@dataclass
class TextDocument:
    path: Path
    paragraphs: list[Paragraph]
    tables: list[list[list[str]]]

    @property
    def text(self) -> str:
        cells = [" ".join(c for row in t for c in row) for t in self.tables]
        return "\n".join([p.text for p in self.paragraphs] + cells)

    def styled(self, text: str) -> str | None:
        """The style of the first paragraph whose text is `text` (stripped), None when none is."""
        for p in self.paragraphs:
            if p.text.strip() == text.strip():
                return p.style
        return None


def shown(path: Path) -> str:
    """How a file is named in a reason: its folder and name (`Documents/budget.xlsx`)."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _open(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DocumentMissing(f"{shown(path)} is not there")
    if path.stat().st_size == 0:
        raise DocumentUnreadable(f"{shown(path)} cannot be read as {what}: the file is empty")
    return path


def _unreadable(path: Path, what: str, exc: BaseException) -> DocumentUnreadable:
    reason = " ".join(str(exc).split())[:160] or type(exc).__name__
    return DocumentUnreadable(f"{shown(path)} cannot be read as {what}: {reason}")


# -- spreadsheets -------------------------------------------------------------------------------
def read_workbook(path: Path) -> Workbook:
    """Every sheet of an xlsx, ods or csv file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEETS:
        raise DocumentUnreadable(f"{shown(path)} is not a spreadsheet (xlsx, ods or csv)")
    _open(path, f"a spreadsheet ({suffix[1:]})")
    try:
        if suffix == ".xlsx":
            return Workbook(path, _xlsx_sheets(path))
        if suffix == ".ods":
            return Workbook(path, _ods_sheets(path))
        return Workbook(path, [SheetData(path.stem, read_csv(path))])
    except CheckFailed:
        raise
    except Exception as exc:  # a damaged file fails any way its parser does: name the file
        raise _unreadable(path, f"a spreadsheet ({suffix[1:]})", exc) from exc


def _xlsx_sheets(path: Path) -> list[SheetData]:
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about LibreOffice's extensions it skips
        book = load_workbook(path)
        cached = load_workbook(path, data_only=True)
    sheets = []
    for ws in book.worksheets:
        values_ws = cached[ws.title]
        sheet = SheetData(ws.title)
        for row in ws.iter_rows():
            values = []
            for cell in row:
                raw = cell.value
                ref = cell.coordinate
                if isinstance(raw, str) and raw.startswith("="):
                    sheet.formulas[ref] = normalise_formula(raw)
                    raw = values_ws[ref].value
                elif raw is not None and type(raw).__name__ == "ArrayFormula":
                    sheet.formulas[ref] = normalise_formula(str(raw.text))
                    raw = values_ws[ref].value
                if cell.number_format and cell.number_format != "General":
                    sheet.formats[ref] = format_kind(cell.number_format)
                values.append(_plain(raw))
            sheet.rows.append(values)
        sheet.rows = _trim(sheet.rows)
        sheet.freeze = ws.freeze_panes if ws.freeze_panes not in (None, "A1") else None
        sheet.charts = [_chart_kind(type(c).__name__) for c in getattr(ws, "_charts", [])]
        sheet.hidden_rows = {n for n, dim in ws.row_dimensions.items() if dim.hidden}
        sheets.append(sheet)
    return sheets


def _chart_kind(class_name: str) -> str:
    return class_name.removesuffix("Chart").removesuffix("3D").lower()


def _ods_sheets(path: Path) -> list[SheetData]:
    from odf import opendocument
    from odf.namespaces import DRAWNS, OFFICENS, TABLENS, XLINKNS

    doc = opendocument.load(str(path))
    data_styles = _ods_data_styles(doc)
    sheets = []
    for table in doc.spreadsheet.getElementsByType(_odf_class("table", "Table")):
        sheet = SheetData(table.getAttrNS(TABLENS, "name") or "")
        col_styles = _ods_column_styles(table)
        r = 0
        for row in _descendants(table, TABLENS, "table-row"):
            repeat = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
            cells, c = [], 0
            hidden = row.getAttrNS(TABLENS, "visibility") in ("collapse", "filter")
            for cell in row.childNodes:
                if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                times = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
                value = _ods_value(cell, OFFICENS)
                formula = cell.getAttrNS(TABLENS, "formula")
                style = cell.getAttrNS(TABLENS, "style-name") or col_styles.get(c)
                for k in range(min(times, 1024)):
                    ref = f"{column_letter(c + k + 1)}{r + 1}"
                    if formula:
                        sheet.formulas[ref] = normalise_formula(formula)
                    if style and style in data_styles and value is not None:
                        sheet.formats[ref] = data_styles[style]
                    cells.append(value)
                c += times
            for _ in range(min(repeat, 1) if not any(v is not None for v in cells) else repeat):
                r += 1
                sheet.rows.append(list(cells))
                if hidden:
                    sheet.hidden_rows.add(r)
        sheet.rows = _trim(sheet.rows)
        for frame in _descendants(table, DRAWNS, "object"):
            href = frame.getAttrNS(XLINKNS, "href") or ""
            sheet.charts.append(_ods_chart_kind(path, href.removeprefix("./").rstrip("/")))
        sheets.append(sheet)
    _ods_freeze(doc, sheets)
    return sheets


def _odf_class(module: str, name: str):
    from importlib import import_module

    return getattr(import_module(f"odf.{module}"), name)


def _descendants(node, ns: str, local: str):
    for child in node.childNodes:
        if getattr(child, "qname", None) == (ns, local):
            yield child
        elif getattr(child, "childNodes", None):
            yield from _descendants(child, ns, local)


def _ods_value(cell, officens: str) -> Any:
    kind = cell.getAttrNS(officens, "value-type")
    if kind in ("float", "percentage", "currency"):
        return _plain(float(cell.getAttrNS(officens, "value")))
    if kind == "date":
        return cell.getAttrNS(officens, "date-value")
    if kind == "boolean":
        return cell.getAttrNS(officens, "boolean-value") == "true"
    from odf import teletype

    texts = [teletype.extractText(p) for p in cell.childNodes if getattr(p, "qname", ("", ""))[1] == "p"]
    return "\n".join(texts) if texts else None


def _ods_data_styles(doc) -> dict[str, NumberFormat]:
    """Cell style name → the number format of its data style."""
    from odf.namespaces import NUMBERNS, STYLENS

    numbers: dict[str, NumberFormat] = {}
    for root in (doc.automaticstyles, doc.styles):
        for node in root.childNodes:
            ns, local = node.qname
            if ns != NUMBERNS:
                continue
            name = node.getAttrNS(STYLENS, "name")
            kind = {"percentage-style": "percent", "currency-style": "currency", "date-style": "date",
                    "time-style": "date", "text-style": "text"}.get(local, "fixed")
            decimals = None
            for part in _descendants(node, NUMBERNS, "number"):
                decimals = int(part.getAttrNS(NUMBERNS, "decimal-places") or 0)
                break
            if kind == "fixed" and decimals is None:
                kind = "general"
            numbers[name] = NumberFormat(kind, decimals, local)
    cells: dict[str, NumberFormat] = {}
    for root in (doc.automaticstyles, doc.styles):
        for node in root.childNodes:
            if node.qname == (STYLENS, "style"):
                data = node.getAttrNS(STYLENS, "data-style-name")
                if data in numbers:
                    cells[node.getAttrNS(STYLENS, "name")] = numbers[data]
    return cells


def _ods_column_styles(table) -> dict[int, str]:
    from odf.namespaces import TABLENS

    styles, c = {}, 0
    for col in _descendants(table, TABLENS, "table-column"):
        times = int(col.getAttrNS(TABLENS, "number-columns-repeated") or 1)
        style = col.getAttrNS(TABLENS, "default-cell-style-name")
        for k in range(min(times, 1024)):
            if style:
                styles[c + k] = style
        c += times
    return styles


def _ods_chart_kind(path: Path, folder: str) -> str:
    """The class of the chart embedded as `folder` ("Object 1"): "bar", "line", "circle", …"""
    try:
        with zipfile.ZipFile(path) as z:
            content = z.read(f"{folder}/content.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return "unknown"
    m = re.search(r'chart:class="chart:([a-z-]+)"', content)
    return m[1] if m else "unknown"


def _ods_freeze(doc, sheets: list[SheetData]) -> None:
    """The frozen pane of each sheet from settings.xml (HorizontalSplitMode 2 = frozen)."""
    from odf.namespaces import CONFIGNS

    settings = getattr(doc, "settings", None)
    if settings is None:
        return
    by_name = {s.name: s for s in sheets}
    for entry in _descendants(settings, CONFIGNS, "config-item-map-entry"):
        sheet = by_name.get(entry.getAttrNS(CONFIGNS, "name") or "")
        if sheet is None:
            continue
        items = {i.getAttrNS(CONFIGNS, "name"): str(i) for i in entry.childNodes
                 if getattr(i, "qname", None) == (CONFIGNS, "config-item")}
        rows = int(items.get("VerticalSplitPosition") or 0) if items.get("VerticalSplitMode") == "2" else 0
        cols = int(items.get("HorizontalSplitPosition") or 0) if items.get("HorizontalSplitMode") == "2" else 0
        if rows or cols:
            sheet.freeze = f"{column_letter(cols + 1)}{rows + 1}"


def read_csv(path: Path) -> list[list[Any]]:
    """A csv file's rows; numbers become int/float (as a spreadsheet would read them)."""
    path = _open(path, "csv")
    try:
        text = path.read_bytes().decode("utf-8-sig")
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
        rows = [[_number(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, "csv", exc) from exc
    return _trim(rows)


# -- text documents ---------------------------------------------------------------------------------
def read_document(path: Path) -> TextDocument:
    """A docx or odt file's paragraphs (with styles) and tables."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_DOCUMENTS:
        raise DocumentUnreadable(f"{shown(path)} is not a text document (docx or odt)")
    _open(path, f"a text document ({suffix[1:]})")
    try:
        return _docx(path) if suffix == ".docx" else _odt(path)
    except CheckFailed:
        raise
    except Exception as exc:
        raise _unreadable(path, f"a text document ({suffix[1:]})", exc) from exc


def _docx(path: Path) -> TextDocument:
    from docx import Document

    doc = Document(str(path))
    paragraphs = [Paragraph(_style_name(p.style.name if p.style is not None else "Normal"), p.text)
                  for p in doc.paragraphs]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
    return TextDocument(path, paragraphs, tables)


def _odt(path: Path) -> TextDocument:
    from odf import opendocument, teletype
    from odf.namespaces import STYLENS, TABLENS, TEXTNS

    doc = opendocument.load(str(path))
    parents: dict[str, str] = {}
    for root in (doc.automaticstyles, doc.styles):
        for node in root.childNodes:
            if node.qname == (STYLENS, "style"):
                parents[node.getAttrNS(STYLENS, "name")] = node.getAttrNS(STYLENS, "parent-style-name") or ""
    paragraphs: list[Paragraph] = []
    tables: list[list[list[str]]] = []

    def walk(node) -> None:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname == (TABLENS, "table"):
                rows = [[teletype.extractText(c) for c in r.childNodes
                         if getattr(c, "qname", ("", ""))[1] == "table-cell"]
                        for r in _descendants(child, TABLENS, "table-row")]
                tables.append(rows)
            elif qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                style = child.getAttrNS(TEXTNS, "style-name") or ""
                while style in parents and parents[style] and not _named_style(style):
                    style = parents[style]
                if qname[1] == "h" and not style.startswith("Heading"):
                    style = f"Heading {child.getAttrNS(TEXTNS, 'outline-level') or 1}"
                paragraphs.append(Paragraph(_style_name(style or "Normal"), teletype.extractText(child)))
            elif getattr(child, "childNodes", None):
                walk(child)

    walk(doc.text)
    return TextDocument(path, paragraphs, tables)


def _named_style(name: str) -> bool:
    """An automatic style (P1, T3) stands for its parent; any other name is the author's style."""
    return not re.fullmatch(r"[PT]\d+", name)


def _style_name(name: str) -> str:
    """"Heading_20_1" / "heading 1" → "Heading 1"; "Standard"/"Default Paragraph Style" → "Normal"."""
    name = re.sub(r"_(\d\d)_", lambda m: chr(int(m[1], 16)), name).strip()
    if m := re.fullmatch(r"(?i)heading\s*(\d)", name):
        return f"Heading {m[1]}"
    if name.lower() in ("standard", "default", "default paragraph style", "text body", "body text", ""):
        return "Normal"
    return name[:1].upper() + name[1:] if name.lower() == "title" else name


# -- plain files --------------------------------------------------------------------------------------
def read_text(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise DocumentMissing(f"{shown(path)} is not there")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unreadable(path, "UTF-8 text", exc) from exc


def read_pdf_text(path: Path) -> tuple[int, str]:
    """(pages, text) of a PDF (pypdf)."""
    path = _open(path, "a PDF")
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path), strict=False)
        return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:
        raise _unreadable(path, "a PDF", exc) from exc


def document_text(path: Path) -> str | None:
    """The text a person would read in a file (cells, paragraphs, tables, pdf text), for the privacy
    scan; None for a file that is not a document."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".ods"):
        book = read_workbook(path)
        # cells apart by a tab: numbers of neighbouring cells never read as one (phone) number
        return "\n".join("\t".join(str(v) for v in row if v is not None) for s in book.sheets for row in s.rows)
    if suffix in TEXT_DOCUMENTS:
        return read_document(path).text
    if suffix == ".pdf":
        return read_pdf_text(path)[1]
    if suffix in PLAIN:
        return read_text(path)
    return None


# -- the home folder ---------------------------------------------------------------------------------
def settle(home: Path, quiet_s: float = 1.5, timeout_s: float = 8.0) -> float:
    """Wait until no document under `home` (hidden folders aside) changed for `quiet_s`, at most
    `timeout_s`: an app saves after the key that asked it to, so the check reads what it wrote.
    Returns the seconds waited."""
    import time

    started = time.monotonic()
    while True:
        newest = 0.0
        for path in Path(home).rglob("*"):
            rel = path.relative_to(home)
            if any(part.startswith(".") for part in rel.parts[:-1]):
                continue
            try:
                newest = max(newest, path.stat().st_mtime)
            except OSError:  # removed while we looked (an app's temporary file)
                continue
        waited = time.monotonic() - started
        if (waited >= quiet_s and time.time() - newest >= quiet_s) or waited >= timeout_s:
            return waited
        time.sleep(0.1)


# -- cells --------------------------------------------------------------------------------------------
def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def split_ref(ref: str) -> tuple[int, int]:
    """"B7" → (2, 7)."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in m[1].upper():
        col = col * 26 + ord(ch) - 64
    return col, int(m[2])


def normalise_formula(formula: str) -> str:
    """One spelling for a formula from xlsx or ods: "of:=SUM([.B2:.B6])" and "=sum($B$2:B6)" →
    "=SUM(B2:B6)"."""
    text = formula.removeprefix("of:").removeprefix("msoxl:")
    text = re.sub(r"\[\.?([^\]]*)\]", lambda m: m[1].replace(":.", ":"), text)
    text = text.replace("$", "").replace(" ", "").replace(";", ",")
    text = re.sub(r"^=?", "=", text)
    return re.sub(r"[A-Za-z_][A-Za-z0-9_.]*", lambda m: m[0].upper(), text)


def format_kind(code: str) -> NumberFormat:
    """A number format code ("0.00%", '[$$-409]#,##0.00', "0.0", "YYYY-MM-DD") as its kind."""
    body = re.sub(r'"[^"]*"|\\.', "", code.split(";")[0])
    currency = re.search(r"\[\$[^\]]*\]|[$€£¥]", code) is not None
    decimals = len(m[1]) if (m := re.search(r"\.([0#]+)", body)) else (0 if re.search(r"[0#]", body) else None)
    if "%" in body:
        return NumberFormat("percent", decimals, code)
    if currency:
        return NumberFormat("currency", decimals, code)
    if re.search(r"(?i)[ymd]{1,4}|h+:m", re.sub(r"\[[^\]]*\]", "", body)) and not re.search(r"[0#]", body):
        return NumberFormat("date", None, code)
    if body.strip() == "@":
        return NumberFormat("text", None, code)
    if decimals is None:
        return NumberFormat("general", None, code)
    return NumberFormat("fixed", decimals, code)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _number(text: str) -> Any:
    try:
        return _plain(float(text)) if re.fullmatch(r"-?\d+(\.\d+)?", text.strip()) else text
    except ValueError:
        return text


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    rows = [list(r) for r in rows]
    for row in rows:
        while row and row[-1] in (None, ""):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows
