"""Actions as pyautogui code with normalised coordinates (the OSWorld / AgentNet action space).

Coordinates are fractions of the screen: x / screen width, y / screen height, in [0, 1], rounded to
4 decimals (under a tenth of a pixel at 1280×800). Multiply by a screen's size to get pixels back.
Scroll amounts are wheel clicks (pyautogui: positive scrolls up; the trace's dy > 0 is down).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from cleantrace.export.layout import link_or_copy, step_key
from cleantrace.export.steps import Step
from cleantrace.trace.schema import Action, Screen

KEY_NAMES = {
    "Return": "enter", "KP_Enter": "enter", "Escape": "esc", "BackSpace": "backspace", "Delete": "delete",
    "Tab": "tab", "ISO_Left_Tab": "tab", "Page_Up": "pageup", "Page_Down": "pagedown", "Prior": "pageup",
    "Next": "pagedown", "Control_L": "ctrl", "Control_R": "ctrl", "Shift_L": "shift", "Shift_R": "shift",
    "Alt_L": "alt", "Alt_R": "alt", "Super_L": "win", "Super_R": "win", "Meta_L": "alt", "space": "space",
}


def pyautogui_key(name: str) -> str:
    """pyautogui's name of an X key name ('Return' → 'enter', 'F5' → 'f5', 'a' → 'a')."""
    return KEY_NAMES.get(name, name.lower() if len(name) > 1 else name)


def normalised(x: int | float, y: int | float, screen: Screen) -> tuple[float, float]:
    return round(x / screen.w, 4), round(y / screen.h, 4)


def action_code(action: Action, screen: Screen) -> str:
    """One or two lines of pyautogui code doing `action` (coordinates normalised to [0, 1])."""
    kind = action.kind
    if kind in ("click", "double_click", "right_click"):
        x, y = normalised(action.x or 0, action.y or 0, screen)
        call = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick"}[kind]
        return f"pyautogui.{call}(x={x}, y={y})"
    if kind == "drag":
        x, y = normalised(action.x or 0, action.y or 0, screen)
        x2, y2 = normalised(action.x2 or 0, action.y2 or 0, screen)
        return f"pyautogui.moveTo(x={x}, y={y})\npyautogui.dragTo(x={x2}, y={y2}, button='left')"
    if kind == "scroll":
        lines = []
        where = ""
        if action.x is not None and action.y is not None:
            x, y = normalised(action.x, action.y, screen)
            where = f", x={x}, y={y}"
        if action.dy:
            lines.append(f"pyautogui.scroll({-action.dy}{where})")
        if action.dx:
            lines.append(f"pyautogui.hscroll({action.dx}{where})")
        return "\n".join(lines) or "pyautogui.scroll(0)"
    if kind == "type":
        return f"pyautogui.write({action.text or ''!r})"
    keys = [pyautogui_key(k) for k in action.keys or []]
    if kind == "hotkey":
        return f"pyautogui.hotkey({', '.join(repr(k) for k in keys)})"
    return f"pyautogui.press({keys[0] if keys else ''!r})"


def describe(action: Action) -> str:
    """A short natural description: 'click the button "Save"', 'type "hello" into the textbox "Notes"'."""
    target = action.target
    what = f'the {target.role or target.tag or "element"} "{target.name or target.text}"' if target else ""
    if action.kind == "type":
        return f"type {action.text!r}" + (f" into {what}" if what else "")
    if action.kind in ("hotkey", "key"):
        return "press " + "+".join(action.keys or [])
    verb = action.kind.replace("_", " ")
    return f"{verb} {what}".strip()


def export_pyautogui(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `trajectories.jsonl` (one episode a line, its steps as pyautogui code) and `images/`."""
    episodes = 0
    with open(out / "trajectories.jsonl", "w", encoding="utf-8") as lines:
        for episode_id, group in groupby(steps, key=lambda s: s.episode_id):
            traj = []
            first: Step | None = None
            for step in group:
                first = first or step
                image = None
                if step.frame_before is not None:
                    image = f"images/{step_key(episode_id, step.index)}.png"
                    link_or_copy(step.frame_before, out / image)
                traj.append({"index": step.index, "image": image, "action": describe(step.action),
                             "code": action_code(step.action, step.screen)})
                if on_step:
                    on_step(step)
            assert first is not None
            lines.write(json.dumps({
                "episode_id": episode_id, "task_id": first.task, "instruction": first.instruction,
                "success": first.success, "performer": first.performer, "skills": list(first.skills),
                "screen": first.screen.model_dump(), "appearance": first.appearance.model_dump(), "traj": traj,
            }) + "\n")
            episodes += 1
    return episodes
