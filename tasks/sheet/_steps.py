"""Steps the sheet tasks share: opening a sheet, reaching and selecting cells, running menu commands."""

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
