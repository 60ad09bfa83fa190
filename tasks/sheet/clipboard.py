"""Clipboard and history: copy a block elsewhere (and reformat it), undo an accidental clear, redo."""

from __future__ import annotations

from cleantrace.tasks import Task

from ._common import cell, copy, menu, open_sheet, paste, select_range, sheet_api
from .app import BUDGET, CATEGORIES, INVENTORY, LOCATIONS, MONTHS, find_row, model, sheet_id
from .app import cell as read_cell
from .app.formula import col_index, col_name, parse_ref, ref_name


def block_refs(top_left: str, rows: int, cols: int) -> list[list[str]]:
    """The cell names of a rows × cols block starting at `top_left`."""
    r, c = parse_ref(top_left)
    return [[ref_name(r + i, c + j) for j in range(cols)] for i in range(rows)]


class CopyRange(Task):
    id = "sheet/copy-range"
    app = "sheet"
    skills = ("copy-paste", "shortcut", "table")
    difficulty = "medium"
    instruction = (
        "In the Inventory sheet, copy the cells {source} and paste them with the top-left corner at {target}.",
        "Copy {source} of Inventory to {target}.",
        "Duplicate the Inventory block {source} so that a copy starts at cell {target}.",
    )

    def setup(self, world):
        rows, first_col = world.rng.randrange(2, 5), world.choice("ABC")
        top = world.rng.randrange(2, 20 - rows + 1)
        refs = block_refs(f"{first_col}{top}", rows, 2)
        target = f"{world.choice('GH')}{world.rng.randrange(2, 20)}"
        values = [[read_cell(world.db, INVENTORY, ref).raw for ref in line] for line in refs]
        return {"source": f"{refs[0][0]}:{refs[-1][-1]}", "target": target, "values": values}

    def solve(self, actor, p):
        open_sheet(actor, INVENTORY)
        select_range(actor, *p["source"].split(":"))
        copy(actor)
        actor.click(**cell(p["target"]))
        paste(actor)

    def check(self, world, p):
        values = p["values"]
        refs = block_refs(p["target"], len(values), len(values[0]))
        source = block_refs(p["source"].split(":")[0], len(values), len(values[0]))
        pasted = [[read_cell(world.db, INVENTORY, ref).raw for ref in line] for line in refs]
        kept = [[read_cell(world.db, INVENTORY, ref).raw for ref in line] for line in source]
        return pasted == values and kept == values

    def effect(self, app, world, p):
        first, last = (parse_ref(ref) for ref in p["source"].split(":"))
        refs = block_refs(p["source"].split(":")[0], last[0] - first[0] + 1, last[1] - first[1] + 1)
        block = [[read_cell(world.db, INVENTORY, ref).raw for ref in line] for line in refs]  # what Ctrl+C takes
        row, col = parse_ref(p["target"])
        sheet_api(app, world, INVENTORY, "paste", {"row": row, "col": col, "block": block, "origin": list(first)})

    def wrong_params(self, world, p):
        row, col = parse_ref(p["target"])
        return {**p, "target": ref_name(row + 1 if row < 19 else row - 1, col)}


class CopyAndFormat(Task):
    id = "sheet/copy-and-format"
    app = "sheet"
    skills = ("copy-paste", "nested-menu", "multi-step", "table")
    difficulty = "hard"
    instruction = (
        "In Q3 budget, copy the {month} amounts (rows 2 to 9) to start at {target}, then format the copy as "
        "currency with Format > Number.",
        "Copy Q3 budget's {month} figures into the block starting at {target} and give only the copy the "
        "Currency number format.",
        "Put a copy of the {month} column values of Q3 budget at {target} and make those copied cells show as "
        "dollar amounts (currency).",
    )

    def setup(self, world):
        month = world.choice(MONTHS[:3])
        column = col_name(MONTHS.index(month) + 2)
        values = [read_cell(world.db, BUDGET, f"{column}{r}").raw for r in range(2, 10)]
        target = f"{world.choice('GH')}{world.rng.randrange(2, 13)}"
        return {"month": month, "column": column, "target": target, "values": values}

    def solve(self, actor, p):
        open_sheet(actor, BUDGET)
        select_range(actor, f"{p['column']}2", f"{p['column']}9")
        copy(actor)
        actor.click(**cell(p["target"]))
        paste(actor)  # the pasted block stays selected
        menu(actor, "Format", "Number", "Currency")

    def check(self, world, p):
        row, col = parse_ref(p["target"])
        pasted = [read_cell(world.db, BUDGET, ref_name(row + i, col)) for i in range(8)]
        source = [read_cell(world.db, BUDGET, f"{p['column']}{r}") for r in range(2, 10)]
        return (
            [c.raw for c in pasted] == p["values"]
            and all(c.format == "currency" for c in pasted)
            and all(c.format == "" for c in source)
        )

    def effect(self, app, world, p):
        row, col = parse_ref(p["target"])  # copy the column as it stands, paste it, format the pasted block
        block = [[read_cell(world.db, BUDGET, f"{p['column']}{r}").raw] for r in range(2, 10)]
        sheet_api(app, world, BUDGET, "paste", {"row": row, "col": col, "block": block,
                                                "origin": [2, col_index(p["column"])]})
        sheet_api(app, world, BUDGET, "format", {"r1": row, "c1": col, "r2": row + 7, "c2": col, "format": "currency"})

    def wrong_params(self, world, p):
        other = MONTHS[(MONTHS.index(p["month"]) + 1) % 3]
        column = col_name(MONTHS.index(other) + 2)
        return {**p, "month": other, "column": column}


class UndoClear(Task):
    id = "sheet/undo-clear"
    app = "sheet"
    skills = ("undo-redo", "shortcut")
    difficulty = "easy"
    instruction = (
        "Someone just cleared {what} in {sheet} by mistake. Undo it so the numbers come back.",
        "The {what} of the {sheet} sheet were wiped a moment ago: restore them with undo.",
        "Open {sheet} and undo the last change, which emptied {what}.",
    )

    def setup(self, world):
        sid = sheet_id(world.db, BUDGET)
        if world.rng.random() < 0.5:
            category = world.choice(CATEGORIES)
            row = find_row(world.db, BUDGET, "A", category)
            first, last, what = f"B{row}", f"D{row}", f"the {category} figures (B{row}:D{row})"
        else:
            month = world.choice(MONTHS[:3])
            column = col_name(MONTHS.index(month) + 2)
            first, last, what = f"{column}2", f"{column}9", f"the {month} amounts ({column}2:{column}9)"
        refs = [ref for line in _range_refs(first, last) for ref in line]
        values = [read_cell(world.db, BUDGET, ref).raw for ref in refs]
        (r1, c1), (r2, c2) = parse_ref(first), parse_ref(last)
        model.clear_range(world.db, sid, r1, c1, r2, c2)
        return {"sheet": BUDGET, "what": what, "cells": refs, "values": values}

    def solve(self, actor, p):
        open_sheet(actor, p["sheet"])
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "z")
        else:
            menu(actor, "Edit", "Undo")

    def check(self, world, p):
        return [read_cell(world.db, BUDGET, ref).raw for ref in p["cells"]] == p["values"]

    def effect(self, app, world, p):
        sheet_api(app, world, p["sheet"], "undo")

    def wrong_params(self, world, p):
        return {**p, "sheet": INVENTORY}  # undo in the wrong sheet: it has nothing to undo


class RedoMove(Task):
    id = "sheet/redo-move"
    app = "sheet"
    skills = ("undo-redo", "shortcut")
    difficulty = "easy"
    instruction = (
        "In Inventory, moving {item} to {location} was undone by accident. Redo it.",
        "Someone pressed undo once too often in the Inventory sheet: bring back {item}'s new location "
        "{location} with redo.",
        "Redo the last undone change in Inventory (it put {item} in {location}).",
    )

    def setup(self, world):
        sid = sheet_id(world.db, INVENTORY)
        row = world.rng.randrange(2, 20)
        current = read_cell(world.db, INVENTORY, f"E{row}").raw
        location = world.choice([loc for loc in LOCATIONS if loc != current])
        model.set_cells(world.db, sid, [(row, col_index("E"), location)])
        model.undo(world.db, sid)
        return {"sheet": INVENTORY, "item": read_cell(world.db, INVENTORY, f"B{row}").raw, "location": location}

    def solve(self, actor, p):
        open_sheet(actor, p["sheet"])
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "y")
        else:
            menu(actor, "Edit", "Redo")

    def check(self, world, p):
        row = find_row(world.db, INVENTORY, "B", p["item"])
        return row is not None and read_cell(world.db, INVENTORY, f"E{row}").raw == p["location"]

    def effect(self, app, world, p):
        sheet_api(app, world, p["sheet"], "redo")

    def wrong_params(self, world, p):
        return {**p, "sheet": BUDGET}  # redo in the wrong sheet: it has nothing to redo


def _range_refs(first: str, last: str) -> list[list[str]]:
    (r1, c1), (r2, c2) = parse_ref(first), parse_ref(last)
    return block_refs(first, r2 - r1 + 1, c2 - c1 + 1)
