"""What the sheet tasks share: opening a sheet, reaching and selecting cells, menu commands, and effects."""

from __future__ import annotations

from typing import Any

from .app.formula import parse_ref


def cell(ref: str) -> dict[str, str]:
    """The locator of the grid cell `ref` (e.g. "B3")."""
    return {"role": "gridcell", "name": ref}


def open_sheet(actor: Any, sheet: str) -> None:
    """From the workbook list, open the sheet named `sheet`."""
    actor.click(role="link", name=sheet)


def arrow_to(actor: Any, start: str, target: str, extend: bool = False) -> None:
    """Move the active cell from `start` to `target` with arrow keys (shift held to extend a selection)."""
    (r0, c0), (r1, c1) = parse_ref(start), parse_ref(target)
    for key, times in (("Down" if r1 > r0 else "Up", abs(r1 - r0)), ("Right" if c1 > c0 else "Left", abs(c1 - c0))):
        if not times:
            continue
        if extend:
            for _ in range(times):
                actor.hotkey("shift", key)
        else:
            actor.press(key, times=times)


def select_range(actor: Any, first: str, last: str) -> None:
    """Select the range first:last: a click then shift+arrows, or a click then a shift+click."""
    actor.click(**cell(first))
    if first == last:
        return
    if actor.prefers_keyboard():
        arrow_to(actor, first, last, extend=True)
    else:
        actor.click(**cell(last), hold=("shift",))


def menu(actor: Any, top: str, *path: str) -> None:
    """Choose top ▸ ... ▸ item in the menubar, resting on each submenu to open it."""
    actor.click(role="menuitem", name=top)
    for sub in path[:-1]:
        actor.hover(role="menuitem", name=sub)
    actor.click(role="menuitem", name=path[-1])


def copy(actor: Any) -> None:
    """Copy the selection: Ctrl+C, or Edit ▸ Copy."""
    if actor.prefers_keyboard():
        actor.hotkey("ctrl", "c")
    else:
        menu(actor, "Edit", "Copy")


def paste(actor: Any) -> None:
    """Paste at the active cell: Ctrl+V, or Edit ▸ Paste."""
    if actor.prefers_keyboard():
        actor.hotkey("ctrl", "v")
    else:
        menu(actor, "Edit", "Paste")



# -- effects: what solve() makes the page send, done through the app's own HTTP API -------------------
def sheet_api(app: Any, world: Any, sheet: str, action: str, body: dict | None = None) -> None:
    """POST one action (cells, paste, format, insert-rows, delete-rows, sort, undo, redo, rename, clear) to
    the sheet named `sheet`; an error status raises."""
    sid = world.db.scalar("select id from sheets where name=?", sheet)
    response = app.post(f"/api/sheets/{sid}/{action}", json=body or {})
    if response.status_code >= 400:
        raise RuntimeError(f"{action} on {sheet!r} answered {response.status_code}: {response.get_data(as_text=True)}")


def set_cells(app: Any, world: Any, sheet: str, values: dict[str, Any]) -> None:
    """Type `values` ({"B3": "12", …}) into the cells of `sheet`."""
    sheet_api(app, world, sheet, "cells", {"cells": [[*parse_ref(ref), str(v)] for ref, v in values.items()]})
