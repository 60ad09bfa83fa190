"""Documents as world state: what the writers make, the readers read back; a damaged file fails the
check with a reason naming it."""

from __future__ import annotations

import io

import pytest

from cleantrace.tasks.spec import CheckFailed
from cleantrace.world.documents import (
    DocumentMissing,
    DocumentUnreadable,
    csv_bytes,
    document_text,
    docx_bytes,
    ods_bytes,
    odt_bytes,
    pdf_bytes,
    read_csv,
    read_document,
    read_pdf_text,
    read_workbook,
    xlsx_bytes,
)
from cleantrace.world.documents.read import format_kind, normalise_formula

ROWS = [["Item", "Amount"], ["Paper", 12.5], ["Toner", 80], ["Total", "=SUM(B2:B3)"]]


@pytest.mark.parametrize("suffix, make", [(".xlsx", xlsx_bytes), (".ods", ods_bytes)])
def test_spreadsheet_round_trip(tmp_path, suffix, make):
    path = tmp_path / f"budget{suffix}"
    path.write_bytes(make({"Costs": ROWS, "Notes": [["a"]]}))
    book = read_workbook(path)
    assert [s.name for s in book.sheets] == ["Costs", "Notes"]
    costs = book.sheet("Costs")
    assert costs.rows[:3] == [["Item", "Amount"], ["Paper", 12.5], ["Toner", 80]]
    assert costs.formulas == {"B4": "=SUM(B2:B3)"}
    with pytest.raises(CheckFailed, match="no sheet 'Other' \\(it has Costs, Notes\\)"):
        book.sheet("Other")


def test_xlsx_formats_freeze_chart_and_hidden_rows(tmp_path):
    from openpyxl import load_workbook
    from openpyxl.chart import BarChart, Reference

    path = tmp_path / "b.xlsx"
    path.write_bytes(xlsx_bytes({"S": ROWS}, formats={"B2": "0.00%", "B3": '[$$-409]#,##0.00'}))
    book = load_workbook(path)
    ws = book["S"]
    ws.freeze_panes = "A2"
    ws.row_dimensions[3].hidden = True
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "D2")
    book.save(path)
    sheet = read_workbook(path).sheet()
    assert sheet.format("B2").kind == "percent" and sheet.format("B2").decimals == 2
    assert sheet.format("B3").kind == "currency"
    assert sheet.format("A1").kind == "general"
    assert sheet.freeze == "A2" and sheet.hidden_rows == {3} and sheet.charts == ["bar"]


def test_number_format_kinds_and_formula_spellings():
    assert format_kind("#,##0.000").decimals == 3 and format_kind("#,##0.000").kind == "fixed"
    assert format_kind("YYYY-MM-DD").kind == "date"
    assert format_kind('"€"#,##0').kind == "currency"
    assert normalise_formula("of:=sum([.$B$2:.B6])") == "=SUM(B2:B6)"
    assert normalise_formula("=average(C2:C9)") == "=AVERAGE(C2:C9)"


@pytest.mark.parametrize("suffix, make", [(".docx", docx_bytes), (".odt", odt_bytes)])
def test_text_document_round_trip(tmp_path, suffix, make):
    path = tmp_path / f"memo{suffix}"
    path.write_bytes(make([("Title", "Quarterly memo"), ("Heading 1", "Budget"), ("Normal", "Paper is short.")],
                          [[["Name", "Phone"], ["Ada", "(212) 555-0101"]]]))
    doc = read_document(path)
    assert [(p.style, p.text) for p in doc.paragraphs if p.text] == [
        ("Title", "Quarterly memo"), ("Heading 1", "Budget"), ("Normal", "Paper is short.")]
    assert doc.tables == [[["Name", "Phone"], ["Ada", "(212) 555-0101"]]]
    assert doc.styled("Budget") == "Heading 1" and doc.styled("missing") is None


def test_csv_and_pdf(tmp_path):
    (tmp_path / "r.csv").write_bytes(csv_bytes([["name", "value"], ["Ada", "3"], ["Bo", "2.5"]]))
    assert read_csv(tmp_path / "r.csv") == [["name", "value"], ["Ada", 3], ["Bo", 2.5]]
    (tmp_path / "m.pdf").write_bytes(pdf_bytes(["Quarterly memo (draft)", "Paper"]))
    pages, text = read_pdf_text(tmp_path / "m.pdf")
    assert pages == 1 and "Quarterly memo (draft)" in text


@pytest.mark.parametrize("name, content, reader, reason", [
    ("budget.xlsx", b"not a zip at all", read_workbook, "Documents/budget.xlsx cannot be read as a spreadsheet"),
    ("budget.ods", b"PK\x03\x04 broken", read_workbook, "Documents/budget.ods cannot be read as a spreadsheet"),
    ("memo.docx", b"\x00" * 40, read_document, "Documents/memo.docx cannot be read as a text document"),
    ("memo.odt", b"", read_document, "Documents/memo.odt cannot be read as a text document .*empty"),
    ("memo.pdf", b"%PDF-1.4 garbage", read_pdf_text, "Documents/memo.pdf cannot be read as a PDF"),
    ("data.csv", b"\xff\xfe\xfa bad utf8", read_csv, "Documents/data.csv cannot be read as csv"),
])
def test_a_file_that_does_not_parse_fails_the_check_naming_it(tmp_path, name, content, reader, reason):
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / name).write_bytes(content)
    with pytest.raises(DocumentUnreadable, match=reason):
        reader(folder / name)


def test_a_missing_file_fails_the_check_naming_it(tmp_path):
    with pytest.raises(DocumentMissing, match="^Documents/x.xlsx is not there$"):
        read_workbook(tmp_path / "Documents" / "x.xlsx")


def test_document_text_reads_every_kind(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(xlsx_bytes({"S": [["Call", "(212) 555-0102"]]}))
    (tmp_path / "a.odt").write_bytes(odt_bytes([("Normal", "mail ada@example.com")]))
    (tmp_path / "a.txt").write_bytes(b"plain words\n")
    (tmp_path / "a.png").write_bytes(io.BytesIO(b"\x89PNG").getvalue())
    assert "555-0102" in document_text(tmp_path / "a.xlsx")
    assert "ada@example.com" in document_text(tmp_path / "a.odt")
    assert document_text(tmp_path / "a.txt") == "plain words\n"
    assert document_text(tmp_path / "a.png") is None


def test_settle_waits_for_a_save_that_is_under_way(tmp_path):
    import threading
    import time

    from cleantrace.world.documents import settle

    target = tmp_path / "Documents" / "late.xlsx"
    target.parent.mkdir()
    (tmp_path / ".config").mkdir()
    writer = threading.Timer(0.2, lambda: target.write_bytes(b"saved"))
    writer.start()
    started = time.monotonic()
    settle(tmp_path, quiet_s=0.4, timeout_s=5)
    writer.join()
    assert target.read_bytes() == b"saved" and time.monotonic() - started >= 0.6  # 0.2 s to the write, 0.4 quiet
