"""Editing cells: in place by double-click, by keyboard alone, row by row, after a search or a scroll."""

from __future__ import annotations

from cleantrace.tasks import Task, expect

from ._common import arrow_to, cell, menu, open_sheet, set_cells
from .app import BUDGET, CATEGORIES, CONTACTS, INVENTORY, ORDERS, STATUSES, find_row
from .app import cell as read_cell

CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Maple Grove", "Greenville", "Oakdale", "Brookfield")


class EditQuantity(Task):
    id = "sheet/edit-quantity"
    app = "sheet"
    skills = ("double-click", "typing", "table")
    difficulty = "easy"
    instruction = (
        "In the Inventory sheet, double-click the quantity of {item} and change it to {qty}.",
        "We now have {qty} of {item} in stock: edit that cell of the Inventory sheet in place.",
        "Set the Qty of {item} in Inventory to {qty} by editing the cell directly.",
    )

    def setup(self, world):
        row = world.rng.randrange(2, 20)
        current = int(read_cell(world.db, INVENTORY, f"C{row}").raw)
        qty = world.choice([q for q in range(5, 300, 5) if q != current])
        return {"item": read_cell(world.db, INVENTORY, f"B{row}").raw, "qty": qty, "ref": f"C{row}"}

    def solve(self, actor, p):
        open_sheet(actor, INVENTORY)
        actor.double_click(**cell(p["ref"]))
        actor.hotkey("ctrl", "a")
        actor.type(str(p["qty"]))
        actor.press("Return")

    def check(self, world, p):
        row = find_row(world.db, INVENTORY, "B", p["item"])
        expect(row is not None, f"no row of {INVENTORY} is {p['item']}")
        qty = read_cell(world.db, INVENTORY, f"C{row}").raw
        return expect(qty == str(p["qty"]), f"{p['item']}'s quantity (C{row}) is {qty or 'empty'}, not {p['qty']}")

    def effect(self, app, world, p):
        set_cells(app, world, INVENTORY, {p["ref"]: p["qty"]})

    def wrong_params(self, world, p):
        row = int(p["ref"][1:])
        other = row + 1 if row < 19 else row - 1
        return {**p, "item": read_cell(world.db, INVENTORY, f"B{other}").raw, "ref": f"C{other}"}


class FillOctober(Task):
    id = "sheet/fill-october"
    app = "sheet"
    skills = ("keyboard-nav", "typing", "table")
    difficulty = "medium"
    instruction = (
        "Using only the keyboard, open Q3 budget and enter the October amounts {first}: {v1}, {second}: {v2}, "
        "{third}: {v3}.",
        "Without touching the mouse, fill in October in the Q3 budget: {v1} for {first}, {v2} for {second} "
        "and {v3} for {third}.",
        "Keyboard only: in Q3 budget, type October figures {v1}, {v2} and {v3} for {first}, {second} and {third}.",
    )

    def setup(self, world):
        start = world.rng.randrange(2, 7)
        names = CATEGORIES[start - 2:start + 1]
        values = [world.rng.randrange(100, 9000, 10) for _ in range(3)]
        return {"first": names[0], "second": names[1], "third": names[2],
                "v1": values[0], "v2": values[1], "v3": values[2], "start": start}

    def solve(self, actor, p):
        actor.press("Tab")  # the first link of the workbook list is Q3 budget
        actor.press("Return")
        arrow_to(actor, "A1", f"E{p['start']}")
        for key in ("v1", "v2", "v3"):
            actor.type(str(p[key]))
            actor.press("Return")

    def check(self, world, p):
        for name, key in zip((p["first"], p["second"], p["third"]), ("v1", "v2", "v3"), strict=True):
            row = find_row(world.db, BUDGET, "A", name)
            if row is None or read_cell(world.db, BUDGET, f"E{row}").raw != str(p[key]):
                return False
        return True

    def effect(self, app, world, p):
        set_cells(app, world, BUDGET, {f"E{p['start'] + i}": p[k] for i, k in enumerate(("v1", "v2", "v3"))})

    def wrong_params(self, world, p):
        return {**p, "start": p["start"] + 1}


class AddContact(Task):
    id = "sheet/add-contact"
    app = "sheet"
    skills = ("keyboard-nav", "typing", "multi-step", "table")
    difficulty = "hard"
    instruction = (
        "Add a new contact at the end of the Contacts sheet: {name}, company {company}, e-mail {email}, "
        "phone {phone}, city {city}. Move between the fields with Tab.",
        "In Contacts, fill the first empty row with {name} / {company} / {email} / {phone} / {city}, "
        "tabbing from cell to cell.",
        "Put {name} ({company}, {email}, {phone}, {city}) into the next free row of Contacts using Tab "
        "between the columns.",
    )

    def setup(self, world):
        existing = {r.raw for r in world.db.rows("select raw from cells where col=1")}
        name = world.fake.name()
        while name in existing:
            name = world.fake.name()
        company = world.fake.company()
        first_empty = int(world.db.scalar(
            "select max(row) + 1 from cells c join sheets s on s.id = c.sheet_id where s.name=?", CONTACTS))
        return {"name": name, "company": company, "email": world.fake.email(name), "phone": world.fake.phone(),
                "city": world.choice(CITIES), "row": first_empty}

    def solve(self, actor, p):
        open_sheet(actor, CONTACTS)
        actor.click(**cell(f"A{p['row']}"))
        for n, key in enumerate(("name", "company", "email", "phone", "city")):
            if n:
                actor.press("Tab")
            actor.type(p[key])
        actor.press("Return")

    def check(self, world, p):
        row = find_row(world.db, CONTACTS, "A", p["name"])
        if row is None:
            return False
        got = [read_cell(world.db, CONTACTS, f"{col}{row}").raw for col in "BCDE"]
        return got == [p["company"], p["email"], p["phone"], p["city"]]

    def effect(self, app, world, p):
        keys = ("name", "company", "email", "phone", "city")
        set_cells(app, world, CONTACTS, {f"{'ABCDE'[i]}{p['row']}": p[k] for i, k in enumerate(keys)})

    def wrong_params(self, world, p):
        return {**p, "name": p["name"] + " Jr", "email": "jr." + p["email"]}


class FindOrderQuantity(Task):
    id = "sheet/find-order-quantity"
    app = "sheet"
    skills = ("search", "shortcut", "typing", "table")
    difficulty = "medium"
    instruction = (
        "Find order {order} in the Orders sheet and change its quantity to {qty}.",
        "Search the Orders sheet for {order} (Ctrl+F) and set its Qty to {qty}.",
        "The customer changed order {order}: look it up in Orders and make the quantity {qty}.",
    )

    def setup(self, world):
        row = world.rng.randrange(12, 92)
        current = int(read_cell(world.db, ORDERS, f"D{row}").raw)
        return {"order": read_cell(world.db, ORDERS, f"A{row}").raw,
                "qty": world.choice([q for q in range(1, 60) if q != current])}

    def solve(self, actor, p):
        open_sheet(actor, ORDERS)
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "f")
        else:
            menu(actor, "Edit", "Find…")
        actor.type(p["order"])
        actor.press("Return")
        actor.press("Escape")
        actor.press("Right", times=3)
        actor.type(str(p["qty"]))
        actor.press("Return")

    def check(self, world, p):
        row = find_row(world.db, ORDERS, "A", p["order"])
        return row is not None and read_cell(world.db, ORDERS, f"D{row}").raw == str(p["qty"])

    def effect(self, app, world, p):
        row = find_row(world.db, ORDERS, "A", p["order"])
        set_cells(app, world, ORDERS, {f"D{row}": p["qty"]})

    def wrong_params(self, world, p):
        number = int(p["order"].split("-")[1])
        return {**p, "order": f"ORD-{number + 1 if number < 1090 else number - 1}"}


class UpdateOrderStatus(Task):
    id = "sheet/update-order-status"
    app = "sheet"
    skills = ("scroll", "click", "typing", "table")
    difficulty = "medium"
    instruction = (
        "Scroll down the Orders sheet to order {order} ({customer}) and change its status to {status}.",
        "Order {order} for {customer} is now {status}: update its Status cell in Orders.",
        "In Orders, find row {order} near the bottom and set the status to {status}.",
    )

    def setup(self, world):
        row = world.rng.randrange(60, 92)
        current = read_cell(world.db, ORDERS, f"F{row}").raw
        return {"order": read_cell(world.db, ORDERS, f"A{row}").raw,
                "customer": read_cell(world.db, ORDERS, f"B{row}").raw,
                "status": world.choice([s for s in STATUSES if s != current]), "ref": f"F{row}"}

    def solve(self, actor, p):
        open_sheet(actor, ORDERS)
        actor.scroll_to(**cell(p["ref"]))
        actor.click(**cell(p["ref"]))
        actor.type(p["status"])
        actor.press("Return")

    def check(self, world, p):
        row = find_row(world.db, ORDERS, "A", p["order"])
        return row is not None and read_cell(world.db, ORDERS, f"F{row}").raw == p["status"]

    def effect(self, app, world, p):
        set_cells(app, world, ORDERS, {p["ref"]: p["status"]})

    def wrong_params(self, world, p):
        row = int(p["ref"][1:])
        other = row - 1
        return {**p, "order": read_cell(world.db, ORDERS, f"A{other}").raw, "ref": f"F{other}"}
