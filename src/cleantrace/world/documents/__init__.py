"""Office documents as world state: seeded files for the home folder, and readers for checks.

Writers (`write`) make xlsx/ods, docx/odt, csv, txt and pdf bytes with the libraries OSWorld's
evaluators use (openpyxl, odfpy, python-docx); readers (`read`) open what an app saved with the same
libraries and give checks one shape per kind (`Workbook`, `TextDocument`). A file a check cannot
read fails the check with a reason naming it (`DocumentUnreadable`, a `CheckFailed`), never a
traceback. `document_text` is a file's text for the privacy scan.
"""

from cleantrace.world.documents.read import (
    DocumentMissing,
    DocumentUnreadable,
    Paragraph,
    SheetData,
    TextDocument,
    Workbook,
    document_text,
    read_csv,
    read_document,
    read_pdf_text,
    read_text,
    read_workbook,
    settle,
)
from cleantrace.world.documents.write import (
    csv_bytes,
    docx_bytes,
    ods_bytes,
    odt_bytes,
    pdf_bytes,
    txt_bytes,
    workbook_bytes,
    xlsx_bytes,
)

__all__ = [
    "DocumentMissing", "DocumentUnreadable", "Paragraph", "SheetData", "TextDocument", "Workbook", "csv_bytes",
    "document_text", "docx_bytes", "odt_bytes", "ods_bytes", "pdf_bytes", "read_csv", "read_document",
    "read_pdf_text", "read_text", "read_workbook", "settle", "txt_bytes", "workbook_bytes", "xlsx_bytes",
]
