"""Menus and dialogs: the context menu on rows, Format ▸ Number and Data ▸ Sort submenus, the rename
dialog, and a budget line with a SUM below it."""

from __future__ import annotations

from cleantrace.tasks import Task

from ._common import cell, menu, open_sheet, select_range, set_cells, sheet_api
from .app import BUDGET, CATEGORIES, CONTACTS, INVENTORY, MONTHS, ORDERS, SHEETS, column, find_row, sheet_id
from .app import cell as read_cell
from .app.formula import as_number, col_name
from .app.model import sort_key

NEW_CATEGORIES = ("Insurance", "Legal fees", "Consulting", "Hardware", "Events", "Recruiting", "Cleaning", "Postage")
NEW_NAMES = (
    "Budget Q3 final", "Stock list", "Stock 2026", "Customer list", "People", "Order log", "Orders archive",
    "Q3 spending", "Warehouse", "Address book", "Sales orders", "Budget draft", "Supplies", "Clients",
    "Team budget", "Order book",
)
SORTABLE = {
    INVENTORY: ("SKU", "Item", "Qty", "Unit price", "Location"),
    CONTACTS: ("Name", "Company", "E-mail", "Phone", "City"),
    ORDERS: ("Customer", "Item", "Qty", "Total", "Status"),
}
ORDER_WORDS = {False: "A to Z (ascending)", True: "Z to A (descending)"}


class InsertCategoryRow(Task):
    id = "sheet/insert-category-row"
    app = "sheet"
    skills = ("context-menu", "typing", "table")
    difficulty = "medium"
    instruction = (
        "In Q3 budget, right-click {category}'s row and insert a row {where} it; type {new} in the new row's "
        "Category cell.",
        "Add an empty row {where} {category} in the Q3 budget (use the right-click menu) and name it {new}.",
        "Insert a new budget line {where} {category} via the context menu, with {new} in column A.",
    )

    def setup(self, world):
        return {"category": world.choice(CATEGORIES), "where": world.choice(("above", "below")),
                "new": world.choice(NEW_CATEGORIES)}

    def solve(self, actor, p):
        open_sheet(actor, BUDGET)
        row = CATEGORIES.index(p["category"]) + 2
        if actor.prefers_keyboard():
            actor.click(**cell(f"A{row}"), button="right")
        else:
            actor.click(role="rowheader", name=str(row), button="right")
        actor.click(role="menuitem", name=f"Insert row {p['where']}")
        new_row = row if p["where"] == "above" else row + 1
        actor.click(**cell(f"A{new_row}"))
        actor.type(p["new"])
        actor.press("Return")

    def check(self, world, p):
        new, old = find_row(world.db, BUDGET, "A", p["new"]), find_row(world.db, BUDGET, "A", p["category"])
        if new is None or old is None:
            return False
        rows = len(column(world.db, BUDGET, "A"))
        moved_total = read_cell(world.db, BUDGET, f"F{old}").raw == f"=SUM(B{old}:E{old})"
        return new == old + (-1 if p["where"] == "above" else 1) and rows == len(CATEGORIES) + 2 and moved_total

    def effect(self, app, world, p):
        row = find_row(world.db, BUDGET, "A", p["category"])
        new_row = row if p["where"] == "above" else row + 1
        sheet_api(app, world, BUDGET, "insert-rows", {"at": new_row})
        set_cells(app, world, BUDGET, {f"A{new_row}": p["new"]})

    def wrong_params(self, world, p):
        return {**p, "where": "below" if p["where"] == "above" else "above"}


class DeleteContact(Task):
    id = "sheet/delete-contact"
    app = "sheet"
    skills = ("context-menu", "table")
    difficulty = "easy"
    instruction = (
        "Remove {name} from the Contacts sheet: delete the whole row with the right-click menu.",
        "{name} left {company}; delete their row in Contacts.",
        "Right-click {name}'s row in Contacts and delete it.",
    )

    def setup(self, world):
        row = world.rng.randrange(2, 22)
        return {"name": read_cell(world.db, CONTACTS, f"A{row}").raw,
                "company": read_cell(world.db, CONTACTS, f"B{row}").raw, "row": row,
                "count": len(column(world.db, CONTACTS, "A"))}

    def solve(self, actor, p):
        open_sheet(actor, CONTACTS)
        if actor.prefers_keyboard():
            actor.click(**cell(f"A{p['row']}"), button="right")
        else:
            actor.click(role="rowheader", name=str(p["row"]), button="right")
        actor.click(role="menuitem", name="Delete row")

    def check(self, world, p):
        names = column(world.db, CONTACTS, "A")
        return find_row(world.db, CONTACTS, "A", p["name"]) is None and len(names) == p["count"] - 1

    def effect(self, app, world, p):
        sheet_api(app, world, CONTACTS, "delete-rows", {"r1": p["row"], "r2": p["row"]})

    def wrong_params(self, world, p):
        row = p["row"] + 1 if p["row"] < 21 else p["row"] - 1
        return {**p, "name": read_cell(world.db, CONTACTS, f"A{row}").raw, "row": row}


class FormatCurrency(Task):
    id = "sheet/format-currency"
    app = "sheet"
    skills = ("nested-menu", "table")
    difficulty = "medium"
    instruction = (
        "In Q3 budget, format the {month} amounts from {first} to {last} as currency (Format > Number > Currency).",
        "Make the {month} figures of {first} through {last} in the Q3 budget show as currency.",
        "Select the {month} cells for {first}…{last} in Q3 budget and apply the Currency number format.",
    )

    def setup(self, world):
        month = world.choice(MONTHS[:3])
        start = world.rng.randrange(2, 9)
        end = world.rng.randrange(start + 1, 10)
        return {"month": month, "column": col_name(MONTHS.index(month) + 2), "first": CATEGORIES[start - 2],
                "last": CATEGORIES[end - 2], "rows": [start, end]}

    def solve(self, actor, p):
        open_sheet(actor, BUDGET)
        start, end = p["rows"]
        select_range(actor, f"{p['column']}{start}", f"{p['column']}{end}")
        menu(actor, "Format", "Number", "Currency")

    def check(self, world, p):
        start, end = p["rows"]
        for col in "BCD":
            for row, c in column(world.db, BUDGET, col).items():
                wanted = "currency" if col == p["column"] and start <= row <= end else ""
                if row > 1 and c.format != wanted:
                    return False
        return True

    def effect(self, app, world, p):
        col = ord(p["column"]) - 64
        body = {"r1": p["rows"][0], "r2": p["rows"][1], "c1": col, "c2": col, "format": "currency"}
        sheet_api(app, world, BUDGET, "format", body)

    def wrong_params(self, world, p):
        other = MONTHS[(MONTHS.index(p["month"]) + 1) % 3]
        return {**p, "month": other, "column": col_name(MONTHS.index(other) + 2)}


class SortSheet(Task):
    id = "sheet/sort-sheet"
    app = "sheet"
    skills = ("nested-menu", "table")
    difficulty = "medium"
    instruction = (
        "Sort the {sheet} sheet by {title}, {order}, with Data > Sort.",
        "Order the rows of {sheet} by the {title} column, {order}.",
        "Use the Data menu to sort {sheet} on {title} {order}; the title row stays on top.",
    )

    def setup(self, world):
        while True:
            sheet = world.choice(sorted(SORTABLE))
            title = world.choice(SORTABLE[sheet])
            descending = world.choice((False, True))
            letter = col_name(_titles(world, sheet).index(title) + 1)
            values = [c.value for row, c in column(world.db, sheet, letter).items() if row > 1]
            ordered = sorted(values, key=sort_key, reverse=descending)
            if values != ordered:
                return {"sheet": sheet, "title": title, "column": letter, "descending": descending,
                        "order": ORDER_WORDS[descending], "top": ordered[0], "rows": len(values)}

    def solve(self, actor, p):
        open_sheet(actor, p["sheet"])
        if actor.prefers_keyboard():
            actor.click(**cell(f"{p['column']}1"))
        else:
            actor.click(role="columnheader", name=p["column"])
        menu(actor, "Data", "Sort", "Z→A" if p["descending"] else "A→Z")

    def check(self, world, p):
        values = [c.value for row, c in column(world.db, p["sheet"], p["column"]).items() if row > 1]
        return (
            len(values) == p["rows"] and values[0] == p["top"]
            and values == sorted(values, key=sort_key, reverse=p["descending"])
            and read_cell(world.db, p["sheet"], f"{p['column']}1").raw == p["title"]
        )

    def effect(self, app, world, p):
        sheet_api(app, world, p["sheet"], "sort", {"col": ord(p["column"]) - 64, "descending": p["descending"]})

    def wrong_params(self, world, p):
        titles = SORTABLE[p["sheet"]]
        other = titles[(titles.index(p["title"]) + 1) % len(titles)]
        return {**p, "title": other, "column": col_name(_titles(world, p["sheet"]).index(other) + 1)}


class RenameSheet(Task):
    id = "sheet/rename-sheet"
    app = "sheet"
    skills = ("modal-dialog", "typing")
    difficulty = "easy"
    instruction = (
        "Rename the {sheet} sheet to {name} (File > Rename sheet).",
        "Give the sheet currently called {sheet} the new name {name}.",
        "Open {sheet} and use the rename dialog to call it {name}.",
    )

    def setup(self, world):
        name = f"{world.choice(NEW_NAMES)} {world.choice(('2026', '2027', 'v2', 'old'))}"
        return {"sheet": world.choice(SHEETS), "name": name}

    def solve(self, actor, p):
        open_sheet(actor, p["sheet"])
        menu(actor, "File", "Rename sheet…")
        actor.type(p["name"], label="Sheet name", replace=True)
        if actor.prefers_keyboard():
            actor.press("Return")
        else:
            actor.click(role="button", name="Rename")

    def check(self, world, p):
        names = {r.name for r in world.db.rows("select name from sheets")}
        return p["name"] in names and p["sheet"] not in names and sheet_id(world.db, p["name"]) == SHEETS.index(
            p["sheet"]) + 1

    def effect(self, app, world, p):
        sheet_api(app, world, p["sheet"], "rename", {"name": p["name"]})

    def wrong_params(self, world, p):
        return {**p, "sheet": SHEETS[(SHEETS.index(p["sheet"]) + 1) % len(SHEETS)]}


class AddBudgetLine(Task):
    id = "sheet/add-budget-line"
    app = "sheet"
    skills = ("typing", "keyboard-nav", "multi-step", "table")
    difficulty = "hard"
    instruction = (
        "In Q3 budget, add {category} below the last row with July {july}, August {august} and September "
        "{september}. In the row under it, write Total in column A and =SUM of the July column in column B.",
        "Append a budget line {category} (July {july}, August {august}, September {september}) to Q3 budget, "
        "then put a Total row beneath it whose July cell sums the whole July column with a SUM formula.",
        "Q3 budget needs a new category {category}: {july} in July, {august} in August, {september} in "
        "September. Add it at the bottom, and below it a row labelled Total with a SUM of all July amounts.",
    )

    def setup(self, world):
        last = int(world.db.scalar(
            "select max(row) from cells c join sheets s on s.id = c.sheet_id where s.name=?", BUDGET))
        return {"category": world.choice(NEW_CATEGORIES), "july": world.rng.randrange(100, 9000, 10),
                "august": world.rng.randrange(100, 9000, 10), "september": world.rng.randrange(100, 9000, 10),
                "row": last + 1}

    def solve(self, actor, p):
        open_sheet(actor, BUDGET)
        row = p["row"]
        actor.click(**cell(f"A{row}"))
        for n, key in enumerate(("category", "july", "august", "september")):
            if n:
                actor.press("Tab")
            actor.type(str(p[key]))
        actor.press("Return")
        actor.click(**cell(f"A{row + 1}"))
        actor.type("Total")
        actor.press("Tab")
        actor.type(f"=SUM(B2:B{row})")
        actor.press("Return")

    def check(self, world, p):
        row = find_row(world.db, BUDGET, "A", p["category"])
        if row is None or [read_cell(world.db, BUDGET, f"{c}{row}").raw for c in "BCD"] != [
            str(p["july"]), str(p["august"]), str(p["september"])
        ]:
            return False
        total = find_row(world.db, BUDGET, "A", "Total")
        if total is None or total <= row:
            return False
        july = read_cell(world.db, BUDGET, f"B{total}")
        amounts = [as_number(c.value) for r, c in column(world.db, BUDGET, "B").items() if 1 < r < total]
        expected = sum(a for a in amounts if a is not None)
        return july.raw.replace(" ", "").upper().startswith("=SUM(") and as_number(july.value) == expected

    def effect(self, app, world, p):
        row = p["row"]
        set_cells(app, world, BUDGET, {f"A{row}": p["category"], f"B{row}": p["july"], f"C{row}": p["august"],
                                       f"D{row}": p["september"]})
        set_cells(app, world, BUDGET, {f"A{row + 1}": "Total", f"B{row + 1}": f"=SUM(B2:B{row})"})

    def wrong_params(self, world, p):
        return {**p, "category": NEW_CATEGORIES[(NEW_CATEGORIES.index(p["category"]) + 1) % len(NEW_CATEGORIES)]}


def _titles(world, sheet: str) -> list[str]:
    return [c.raw for c in world.db.rows(
        "select raw from cells where sheet_id=? and row=1 order by col", sheet_id(world.db, sheet))]
