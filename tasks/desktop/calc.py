"""LibreOffice Calc: sort, formulas, number formats, freeze panes, charts, sheets, rows, cells, Save As."""

from __future__ import annotations

from pathlib import Path

from cleantrace.tasks import expect
from cleantrace.world.documents import read_workbook, workbook_bytes, xlsx_bytes

from ._common import (
    DOCS,
    DesktopTask,
    edit_xlsx,
    expect_same_rows,
    expense_rows,
    file_name,
    go_to_cell,
    home_path,
    same,
    save_as,
    save_keeping_format,
    sheet_of,
    window_of,
)

SHEET = "Sheet1"


def seeded_workbook(world, **rows_kwargs) -> dict:
    rows = expense_rows(world, world.rng.randint(5, 8), **rows_kwargs)
    return {"file": f"{DOCS}/{file_name(world)}", "rows": rows}


class CalcDocument:
    """Mixed into a desktop task: where its document comes from (not a task of its own)."""

    opens = "calc"

    def home_files(self, p):
        return {p["file"]: xlsx_bytes({SHEET: p["rows"]})}


class SortRows(CalcDocument, DesktopTask):
    id = "desktop/calc-sort-rows"
    skills = ("spreadsheet", "click", "table")
    difficulty = "easy"
    instruction = (
        "In {file}, sort the rows by {column}, {order}, and save the file.",
        "Sort the table in {file} on the {column} column in {order} order, then save it.",
        "Sort {file} by {column} ({order}) with Calc's sort buttons and keep the file's format when saving.",
    )
    COLUMNS = {"Item": 0, "Amount": 2}

    def setup(self, world):
        return {**seeded_workbook(world), "column": world.choice(list(self.COLUMNS)),
                "order": world.choice(("ascending", "descending"))}

    def sorted_rows(self, p):
        col = self.COLUMNS[p["column"]]
        body = sorted(p["rows"][1:], key=lambda r: r[col], reverse=p["order"] == "descending")
        return [p["rows"][0], *body]

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        go_to_cell(win, f"{'ABC'[self.COLUMNS[p['column']]]}2")
        win.click(role="push button", name="Sort Ascending" if p["order"] == "ascending" else "Sort Descending")
        save_keeping_format(actor, win)

    def check(self, world, p):
        return expect_same_rows(sheet_of(world, p["file"]).rows, self.sorted_rows(p), p["file"])

    def effect(self, app, world, p):
        rows = self.sorted_rows(p)
        edit_xlsx(world, p["file"], lambda ws: [ws.cell(r + 1, c + 1, v) for r, row in enumerate(rows)
                                                 for c, v in enumerate(row)])

    def wrong_params(self, world, p):
        return {**p, "order": "ascending" if p["order"] == "descending" else "descending"}


FUNCTIONS = {"SUM": "total", "AVERAGE": "average", "MAX": "largest amount", "MIN": "smallest amount"}


class TotalFormula(CalcDocument, DesktopTask):
    id = "desktop/calc-total-formula"
    skills = ("spreadsheet", "formula", "typing")
    difficulty = "easy"
    instruction = (
        "In {file}, put the {what} of the Amount column into cell {cell} as a formula and save.",
        "Add a formula in {cell} of {file} that gives the {what} of the amounts (C2 to {last}); save the file.",
        "Use {function}() in cell {cell} of {file} over the Amount column, then save it in its own format.",
    )

    def setup(self, world):
        book = seeded_workbook(world)
        n = len(book["rows"])
        function = world.choice(list(FUNCTIONS))
        return {**book, "function": function, "what": FUNCTIONS[function], "cell": f"C{n + 1}", "last": f"C{n}"}

    def formula(self, p):
        return f"={p['function']}(C2:{p['last']})"

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        go_to_cell(win, p["cell"])
        win.type(self.formula(p))
        win.press("Return")
        save_keeping_format(actor, win)

    def check(self, world, p):
        sheet = sheet_of(world, p["file"])
        found = sheet.formulas.get(p["cell"])
        return expect(found == self.formula(p), f"{p['cell']} of {p['file']} holds "
                      f"{found or repr(sheet.value(p['cell']))}, not the formula {self.formula(p)}")

    def effect(self, app, world, p):
        edit_xlsx(world, p["file"], lambda ws: ws.__setitem__(p["cell"], self.formula(p)))

    def wrong_params(self, world, p):
        function = world.choice([f for f in FUNCTIONS if f != p["function"]])
        return {**p, "function": function, "what": FUNCTIONS[function]}


FORMATS = {  # Format ▸ Number Format item → (its kind, a format code LibreOffice writes, its shortcut's key)
    "Percent": ("percent", "0.00%", "5"),
    "Currency": ("currency", "[$$-409]#,##0.00;[RED]\\-[$$-409]#,##0.00", "4"),
    "Number": ("fixed", "#,##0.00", "1"),
}


class NumberFormat(CalcDocument, DesktopTask):
    id = "desktop/calc-number-format"
    skills = ("spreadsheet", "shortcut")
    difficulty = "medium"
    instruction = (
        "Format the amounts in {file} ({range}) as {format} and save the file.",
        "Give the cells {range} of {file} the {format} number format, then save.",
        "In {file}, change the number format of the Amount column ({range}) to {format} and keep the format on save.",
    )

    def setup(self, world):
        book = seeded_workbook(world)
        return {**book, "format": world.choice(list(FORMATS)), "range": f"C2:C{len(book['rows'])}"}

    def cells(self, p):
        return [f"C{r}" for r in range(2, len(p["rows"]) + 1)]

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        go_to_cell(win, p["range"])
        win.hotkey("ctrl", "shift", FORMATS[p["format"]][2])  # Format ▸ Number Format ▸ <format>'s shortcut
        save_keeping_format(actor, win)

    def check(self, world, p):
        sheet = sheet_of(world, p["file"])
        kind = FORMATS[p["format"]][0]
        for ref in self.cells(p):
            got = sheet.format(ref)
            expect(got.kind == kind and (kind != "fixed" or got.decimals == 2),
                   f"{ref} of {p['file']} has the number format {got.code or 'General'}, not {p['format']}")
        return True

    def effect(self, app, world, p):
        code = FORMATS[p["format"]][1]

        def change(ws):
            for ref in self.cells(p):
                ws[ref].number_format = code
        edit_xlsx(world, p["file"], change)

    def wrong_params(self, world, p):
        return {**p, "format": world.choice([f for f in FORMATS if f != p["format"]])}


FREEZES = {"first row": "A2", "first column": "B1"}  # the cell whose rows above and columns left freeze


class FreezePane(CalcDocument, DesktopTask):
    id = "desktop/calc-freeze"
    skills = ("spreadsheet", "nested-menu", "menu-bar")
    difficulty = "easy"
    version = 3  # 3: Home before the Downs to Freeze Rows and Columns (the menu may open with its first entry lit)
    instruction = (
        "Freeze the {what} of {file} so it stays visible when scrolling, and save.",
        "In {file}, use View ▸ Freeze Rows and Columns to freeze the {what}; save the file.",
        "Keep the {what} of {file} in view while scrolling (freeze it), then save it.",
    )

    def setup(self, world):
        return {**seeded_workbook(world), "what": world.choice(list(FREEZES))}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        go_to_cell(win, FREEZES[p["what"]])
        win.menu("View")  # then down the menu by keyboard to Freeze Rows and Columns (LibreOffice 7.4's View menu:
        # its popup's AT-SPI boxes are off). The menu opens with "Normal" lit or with nothing lit (seed 0 went
        # one entry too far): Home lights the first entry either way; "Comments" is disabled and skipped
        win.press("Home")
        win.press("Down", times=13)
        win.press("Return")
        save_keeping_format(actor, win)

    def check(self, world, p):
        got = sheet_of(world, p["file"]).freeze
        want = FREEZES[p["what"]]
        return expect(got == want, f"{p['file']} has {'no frozen pane' if got is None else f'the pane frozen at {got}'}"
                      f", not its {p['what']} frozen")

    def effect(self, app, world, p):
        edit_xlsx(world, p["file"], lambda ws: setattr(ws, "freeze_panes", FREEZES[p["what"]]))

    def wrong_params(self, world, p):
        return {**p, "what": next(w for w in FREEZES if w != p["what"])}


FILE_TYPES = {".ods": "ODF Spreadsheet (.ods)", ".xlsx": "Excel 2007-365 (.xlsx)"}


class SaveAsFormat(DesktopTask):
    id = "desktop/calc-save-as"
    opens = "calc"
    skills = ("spreadsheet", "file-dialog", "shortcut")
    difficulty = "medium"
    instruction = (
        "Save {file} as {target} ({kind}).",
        "Use File ▸ Save As to keep a copy of {file} in the {kind} format, named {target}.",
        "Convert the spreadsheet {file} to {kind}: save it as {target}.",
    )

    def setup(self, world):
        source = world.choice((".xlsx", ".ods"))
        target = ".ods" if source == ".xlsx" else ".xlsx"
        stem = Path(file_name(world)).stem
        rows = expense_rows(world, world.rng.randint(4, 7))
        new_stem = world.choice((stem, f"{stem}-copy", f"{stem}-final"))
        return {"file": f"{DOCS}/{stem}{source}", "target": f"{DOCS}/{new_stem}{target}",
                "kind": FILE_TYPES[target].split(" (")[0], "rows": rows}

    def home_files(self, p):
        return {p["file"]: workbook_bytes(Path(p["file"]).suffix, {SHEET: p["rows"]})}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        save_as(actor, win, p["target"], FILE_TYPES[Path(p["target"]).suffix])

    def check(self, world, p):
        return expect_same_rows(read_workbook(home_path(world, p["target"])).sheet().rows, p["rows"], p["target"])

    def effect(self, app, world, p):
        path = home_path(world, p["target"])
        path.write_bytes(workbook_bytes(path.suffix, {SHEET: p["rows"]}))

    def wrong_params(self, world, p):  # the copy kept the source's format under the new name
        return {**p, "target": str(Path(p["target"]).with_suffix(Path(p["file"]).suffix))}


CHARTS = {"Column": "bar", "Pie": "pie", "Line": "line"}


class InsertChart(CalcDocument, DesktopTask):
    id = "desktop/calc-insert-chart"
    skills = ("spreadsheet", "modal-dialog", "menu-bar")
    difficulty = "hard"
    instruction = (
        "Insert a {chart} chart of the amounts in {file} (range A1:{corner}) and save the file.",
        "Make a {chart} chart from {file}'s items and amounts with Insert ▸ Chart, then save.",
        "Chart the table of {file} as a {chart} chart (Insert ▸ Chart…) and keep the file's format when saving.",
    )

    def setup(self, world):
        rows = [[r[0], r[2]] for r in expense_rows(world, world.rng.randint(4, 7))]
        rows[0] = ["Item", "Amount"]
        return {"file": f"{DOCS}/{file_name(world)}", "rows": rows, "chart": world.choice(list(CHARTS)),
                "corner": f"B{len(rows)}"}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        go_to_cell(win, f"A1:{p['corner']}")
        win.menu("Insert", "Chart...")
        wizard = actor.native.window("Chart Type")
        if p["chart"] != "Column":
            wizard.click(role="table cell", name=p["chart"])  # the chart types are cells of a list
        wizard.click(role="push button", name="Finish")
        win.press("Escape")
        save_keeping_format(actor, win)

    def check(self, world, p):
        charts = sheet_of(world, p["file"]).charts
        want = CHARTS[p["chart"]]
        return expect(want in charts, f"{p['file']} has {', '.join(charts) + ' chart(s)' if charts else 'no chart'}"
                      f", not a {p['chart'].lower()} chart")

    def effect(self, app, world, p):
        from openpyxl.chart import BarChart, LineChart, PieChart, Reference

        def change(ws):
            chart = {"bar": BarChart, "pie": PieChart, "line": LineChart}[CHARTS[p["chart"]]]()
            n = len(p["rows"])
            chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n), titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n))
            ws.add_chart(chart, "D2")
        edit_xlsx(world, p["file"], change)

    def wrong_params(self, world, p):
        return {**p, "chart": world.choice([c for c in CHARTS if c != p["chart"]])}


class ProductColumn(CalcDocument, DesktopTask):
    id = "desktop/calc-product-column"
    skills = ("spreadsheet", "formula", "typing", "multi-step")
    difficulty = "hard"
    instruction = (
        "In {file}, add a column {column} headed \"Total\" with Quantity × Price for every row, and save.",
        "Fill column {column} of {file} with the line totals (Quantity times Price, as formulas) under a "
        "\"Total\" heading, then save.",
        "Give {file} a \"Total\" column in {column}: each row's Quantity multiplied by its Price. Save it.",
    )

    def setup(self, world):
        return {**seeded_workbook(world, quantities=True), "column": "D"}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        col, n = p["column"], len(p["rows"])
        go_to_cell(win, f"{col}1")
        win.type("Total")
        win.press("Return")
        win.type("=B2*C2")
        win.press("Return")
        go_to_cell(win, f"{col}2:{col}{n}")
        win.hotkey("ctrl", "d")
        save_keeping_format(actor, win)

    def check(self, world, p):
        sheet = sheet_of(world, p["file"])
        expect(sheet.value("D1") == "Total", f"D1 of {p['file']} is {sheet.value('D1')!r}, not \"Total\"")
        for r, row in enumerate(p["rows"][1:], start=2):
            formula = sheet.formulas.get(f"D{r}", "")
            value = sheet.value(f"D{r}")
            ok = formula in (f"=B{r}*C{r}", f"=C{r}*B{r}") or (not formula and same(value, row[1] * row[2]))
            expect(ok, f"D{r} of {p['file']} is {formula or value!r}, not Quantity × Price of {row[0]}")
        return True

    def effect(self, app, world, p):
        def change(ws):
            ws[f"{p['column']}1"] = "Total"
            for r in range(2, len(p["rows"]) + 1):
                ws[f"{p['column']}{r}"] = f"=B{r}*C{r}"
        edit_xlsx(world, p["file"], change)

    def wrong_params(self, world, p):  # the totals one column too far right
        return {**p, "column": "E"}


SHEET_NAMES = ("Q1", "Q2", "Q3", "Q4", "January", "February", "March", "Summary", "Archive", "Draft")


class RenameSheet(CalcDocument, DesktopTask):
    id = "desktop/calc-rename-sheet"
    skills = ("spreadsheet", "menu-bar", "modal-dialog", "typing")
    difficulty = "easy"
    instruction = (
        "Rename the sheet {old} of {file} to {name} and save.",
        "In {file}, call the sheet {name} instead of {old}; save the file.",
        "Give {file}'s only sheet the name {name} (Sheet ▸ Rename Sheet), then save it.",
    )

    def setup(self, world):
        return {**seeded_workbook(world), "old": SHEET, "name": world.choice(SHEET_NAMES)}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.menu("Sheet", "Rename Sheet...")
        dialog = actor.native.window("Rename Sheet")
        dialog.type(p["name"], role="text", replace=True)
        dialog.press("Return")
        save_keeping_format(actor, win)

    def check(self, world, p):
        names = [s.name for s in read_workbook(home_path(world, p["file"])).sheets]
        return expect(names == [p["name"]], f"the sheets of {p['file']} are {', '.join(names)}, not {p['name']}")

    def effect(self, app, world, p):
        edit_xlsx(world, p["file"], lambda ws: setattr(ws, "title", p["name"]))

    def wrong_params(self, world, p):
        return {**p, "name": world.choice([n for n in SHEET_NAMES if n != p["name"]])}


class DeleteRow(CalcDocument, DesktopTask):
    id = "desktop/calc-delete-row"
    skills = ("spreadsheet", "shortcut", "modal-dialog", "table")
    difficulty = "easy"
    instruction = (
        "Delete the row of {item} from {file} and save.",
        "Remove {item} (its whole row) from the table in {file}, then save the file.",
        "{item} should no longer be listed in {file}: delete its row and save.",
    )

    def setup(self, world):
        book = seeded_workbook(world)
        return {**book, "item": world.choice(book["rows"][1:])[0]}

    def kept(self, p):
        return [r for r in p["rows"] if r[0] != p["item"]]

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        row = [r[0] for r in p["rows"]].index(p["item"]) + 1
        go_to_cell(win, f"A{row}:C{row}")
        win.hotkey("ctrl", "minus")  # Sheet ▸ Delete Cells: the whole rows of a selection as wide as the table
        delete = actor.native.window("Delete Cells")
        delete.press("Return")
        save_keeping_format(actor, win)

    def check(self, world, p):
        return expect_same_rows(sheet_of(world, p["file"]).rows, self.kept(p), p["file"])

    def effect(self, app, world, p):
        row = [r[0] for r in p["rows"]].index(p["item"]) + 1
        edit_xlsx(world, p["file"], lambda ws: ws.delete_rows(row))

    def wrong_params(self, world, p):
        return {**p, "item": world.choice([r[0] for r in p["rows"][1:] if r[0] != p["item"]])}


class EditCell(CalcDocument, DesktopTask):
    id = "desktop/calc-edit-cell"
    skills = ("spreadsheet", "typing")
    difficulty = "easy"
    instruction = (
        "In {file}, change the amount of {item} to {amount} and save.",
        "{item} cost {amount}: correct its amount in {file} and save the file.",
        "Set the Amount of {item} in {file} to {amount}, then save it.",
    )

    def setup(self, world):
        book = seeded_workbook(world)
        row = world.choice(book["rows"][1:])
        return {**book, "item": row[0], "amount": f"{world.rng.randint(1200, 98000) / 100:.2f}"}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        row = [r[0] for r in p["rows"]].index(p["item"]) + 1
        go_to_cell(win, f"C{row}")
        win.type(p["amount"])
        win.press("Return")
        save_keeping_format(actor, win)

    def check(self, world, p):
        sheet = sheet_of(world, p["file"])
        found = {r[0]: r[2] if len(r) > 2 else None for r in sheet.records() if r}
        expect(p["item"] in found, f"{p['item']} is no longer in {p['file']}")
        return expect(same(found[p["item"]], float(p["amount"])),
                      f"the amount of {p['item']} in {p['file']} is {found[p['item']]}, not {p['amount']}")

    def effect(self, app, world, p):
        row = [r[0] for r in p["rows"]].index(p["item"]) + 1
        edit_xlsx(world, p["file"], lambda ws: ws.__setitem__(f"C{row}", float(p["amount"])))

    def wrong_params(self, world, p):
        return {**p, "item": world.choice([r[0] for r in p["rows"][1:] if r[0] != p["item"]])}
