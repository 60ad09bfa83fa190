"""A short plain-language instruction per step: from the performer's own words when it gave them
(the Actor describes every verb), else made from the action and its grounded target (volunteers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cleantrace.trace.schema import Action, Event, Frame, Target

ROLE_WORDS = {
    "button": "button", "link": "link", "menuitem": "menu item", "menuitemcheckbox": "menu item",
    "menuitemradio": "menu item", "option": "option", "checkbox": "checkbox", "radio": "option", "tab": "tab",
    "textbox": "field", "searchbox": "search field", "combobox": "list", "listbox": "list", "row": "row",
    "cell": "cell", "gridcell": "cell", "columnheader": "column header", "listitem": "item", "region": "area",
    "dialog": "dialog", "menu": "menu", "menubar": "menu bar",
    "spinbutton": "field", "switch": "switch", "slider": "slider", "heading": "heading",
    # AT-SPI's role names (native apps)
    "push button": "button", "toggle button": "button", "menu item": "menu item", "check menu item": "menu item",
    "radio menu item": "menu item", "page tab": "tab", "check box": "checkbox", "radio button": "option",
    "combo box": "list", "text": "field", "entry": "field", "password text": "field", "spin button": "field",
    "table cell": "cell", "list item": "item", "tree item": "item", "menu bar": "menu bar",
}
KEY_WORDS = {"Return": "Enter", "KP_Enter": "Enter", "Escape": "Esc", "BackSpace": "Backspace", "Prior": "Page Up",
             "Next": "Page Down", "Page_Up": "Page Up", "Page_Down": "Page Down", "space": "Space"}


@dataclass(frozen=True)
class StepNote:
    """What the performer said it does in the step starting at `t_ms` (and, optionally, why)."""

    t_ms: float
    description: str
    why: str | None = None


def element_phrase(role: str = "", name: str = "", fallback: str = "") -> str:
    """'the Save button', 'the Status list', 'the page': how a person names an element."""
    word = ROLE_WORDS.get(role, "")
    name = " ".join(name.split())[:60]
    if name and word:
        return f"the {name} {word}"
    if name:
        return f"'{name}'"
    if word:
        return f"the {word}"
    return fallback or "the page"


def key_phrase(keys: Sequence[str]) -> str:
    """'Ctrl+S', 'Enter', 'Shift+Down', 'j'."""
    return "+".join(KEY_WORDS.get(k, k.capitalize() if len(k) > 1 else k) for k in keys)


def target_phrase(target: Target | None) -> str:
    if target is None:
        return "the page"
    return element_phrase(target.role, target.name or target.text, f"the {target.tag} element" if target.tag else "")


def describe_action(a: Action) -> str:
    """An instruction made from a recorded action and its target (for steps nobody described)."""
    what = target_phrase(a.target)
    held = f"{key_phrase(a.keys)}+" if a.keys and a.kind in ("click", "double_click", "right_click", "drag") else ""
    if a.kind == "click":
        return f"{held}Click {what}" if not held else f"{held[:-1]}-click {what}"
    if a.kind == "double_click":
        return f"Double-click {what}"
    if a.kind == "right_click":
        return f"Right-click {what}"
    if a.kind == "drag":
        return f"Drag {what} to {target_phrase(a.drop_target) if a.drop_target else 'the drop point'}"
    if a.kind == "hover":
        return f"Hover over {what}"
    if a.kind == "scroll":
        way = "down" if (a.dy or 0) > 0 else "up" if (a.dy or 0) < 0 else "right" if (a.dx or 0) > 0 else "left"
        return f"Scroll {way}"
    if a.kind == "type":
        return f"Type '{a.text or ''}'" + (f" into {what}" if a.target is not None else "")
    if a.kind in ("key", "hotkey"):
        return f"Press {key_phrase(a.keys or [])}"
    if a.kind == "done":
        return "Done: the task is complete"
    return a.kind


def decisive_time(a: Action, events: Sequence[Event]) -> float:
    """When the performer committed to the action: its press or first key, else its start."""
    if a.events is None:
        return a.t1_ms
    if a.kind == "hover":
        return a.t1_ms
    for e in events[a.events[0] : a.events[1] + 1]:
        if e.kind in ("down", "key_down", "wheel"):
            return e.t_ms
    return a.t0_ms


def attach_descriptions(actions: list[Action], events: Sequence[Event], notes: Sequence[StepNote]) -> list[Action]:
    """Each action gets the description (and why) of the performer's note for its step: the last
    note before the action's decisive moment and after the previous action's; an action without
    one is described from its own record."""
    notes = sorted(notes, key=lambda n: n.t_ms)
    out = []
    previous = float("-inf")
    for a in actions:
        t = decisive_time(a, events)
        mine = [n for n in notes if previous < n.t_ms <= t]  # a second flick of one scroll: its own text
        note = mine[-1] if mine else None
        out.append(a.model_copy(update={
            "description": note.description if note else describe_action(a),
            "why": note.why if note else None,
        }))
        previous = t
    return out


def done_action(actions: Sequence[Action], frames: Sequence[Frame]) -> Action:
    """The closing step of a successful episode: no input, the last screen before and after."""
    t = max([a.t1_ms for a in actions] + [f.t_ms for f in frames] + [0.0])
    last = frames[-1].i if frames else None
    return Action(i=len(actions), t0_ms=t, t1_ms=t, kind="done", events=None, frame_before=last, frame_after=last,
                  description="Done: the task is complete")
