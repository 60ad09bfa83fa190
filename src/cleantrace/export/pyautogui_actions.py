"""Actions as pyautogui code (the OSWorld / AgentNet action space), in two variants named by their
coordinates: `code` with normalised coordinates (AgentNet's convention: x / screen width,
y / screen height, in [0, 1], rounded to 4 decimals, under a tenth of a pixel at 1280×800) and
`code_abs` with absolute screen pixels (pyautogui's own convention, for a screen of the recorded size).
Scroll amounts are wheel clicks (pyautogui: positive scrolls up; the trace's dy > 0 is down).
A hover is `moveTo`; the closing `done` step is AgentNet's `computer.terminate(status='success')`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from cleantrace.export.layout import copy_frame_image
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


def absolute(x: int | float, y: int | float, screen: Screen) -> tuple[int, int]:
    return int(x), int(y)


TERMINATE = "computer.terminate(status='success')"


def action_code(action: Action, screen: Screen, coords: Callable = normalised) -> str:
    """Lines of pyautogui code doing `action` (coordinates normalised to [0, 1]); a click or drag
    made with modifiers held (shift-click, ctrl-click) holds them with keyDown/keyUp around it."""
    code = _bare_code(action, screen, coords)
    if action.kind in MODIFIED_KINDS and action.keys:
        held = [pyautogui_key(k) for k in action.keys]
        down = "\n".join(f"pyautogui.keyDown({k!r})" for k in held)
        up = "\n".join(f"pyautogui.keyUp({k!r})" for k in reversed(held))
        code = f"{down}\n{code}\n{up}"
    return code


MODIFIED_KINDS = {"click", "double_click", "right_click", "drag"}


def action_code_abs(action: Action, screen: Screen) -> str:
    """`action_code` with absolute screen pixels."""
    return action_code(action, screen, absolute)


def _bare_code(action: Action, screen: Screen, coords: Callable = normalised) -> str:
    kind = action.kind
    if kind == "done":
        return TERMINATE
    if kind == "hover":
        x, y = coords(action.x or 0, action.y or 0, screen)
        return f"pyautogui.moveTo(x={x}, y={y})"
    if kind in ("click", "double_click", "right_click"):
        x, y = coords(action.x or 0, action.y or 0, screen)
        call = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick"}[kind]
        return f"pyautogui.{call}(x={x}, y={y})"
    if kind == "drag":
        x, y = coords(action.x or 0, action.y or 0, screen)
        x2, y2 = coords(action.x2 or 0, action.y2 or 0, screen)
        return f"pyautogui.moveTo(x={x}, y={y})\npyautogui.dragTo(x={x2}, y={y2}, button='left')"
    if kind == "scroll":
        lines = []
        where = ""
        if action.x is not None and action.y is not None:
            x, y = coords(action.x, action.y, screen)
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
    if action.kind == "done":
        return "done"
    if action.kind in ("hotkey", "key"):
        return "press " + "+".join(action.keys or [])
    verb = action.kind.replace("_", " ")
    if action.kind in MODIFIED_KINDS and action.keys:
        verb = "+".join(action.keys) + "+" + verb
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
                image = copy_frame_image(step.frame_before, episode_id, step.index, out)
                traj.append({"index": step.index, "image": image, "action": describe(step.action),
                             "instruction": step.description, "code": action_code(step.action, step.screen),
                             "code_abs": action_code_abs(step.action, step.screen)})
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
