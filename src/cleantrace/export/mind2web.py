"""Mind2Web-style export: one task record per episode with its actions, each with the operation
(`op` CLICK | TYPE | SELECT, `value`) and the target element as the positive candidate.

Field layout as in Mind2Web (annotation_id, website, domain, subdomain, confirmed_task,
action_reprs, actions[action_uid, raw_html, cleaned_html, operation{op, original_op, value},
pos_candidates[tag, attributes (a JSON string), backend_node_id, is_original_target,
is_top_level_target], neg_candidates]) plus, as in Multimodal-Mind2Web, a `screenshot` per action.
The trace keeps no DOM snapshot, so raw_html/cleaned_html are empty and neg_candidates is empty;
backend_node_id numbers the distinct target elements (by selector) of an episode. Actions with no
Mind2Web operation (hotkeys other than Enter, scrolls, drags, right clicks) are left out; Enter,
which the trace records without a target, acts on the element last acted on (it has the focus).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from cleantrace.export.layout import link_or_copy, step_key
from cleantrace.export.steps import Step
from cleantrace.trace.schema import Action

ENTER_KEYS = {"Return", "KP_Enter"}


def operation(action: Action) -> dict | None:
    """Mind2Web's {op, original_op, value} of an action, or None when it has no counterpart."""
    target = action.target
    if action.kind in ("click", "double_click"):
        if target is not None and target.role == "option":
            return {"op": "SELECT", "original_op": "SELECT", "value": target.name or target.text}
        return {"op": "CLICK", "original_op": "CLICK", "value": ""}
    if action.kind == "type":
        return {"op": "TYPE", "original_op": "TYPE", "value": action.text or ""}
    if action.kind == "key" and action.keys and action.keys[0] in ENTER_KEYS:
        return {"op": "CLICK", "original_op": "ENTER", "value": ""}
    return None


def action_repr(action: Action, op: dict) -> str:
    """Mind2Web's readable form: '[button]  Save -> CLICK', '[textbox]  Notes -> TYPE: hello'."""
    target = action.target
    element = f"[{(target.role or target.tag) if target else ''}]  {(target.name or target.text) if target else ''}"
    return f"{element} -> {op['op']}" + (f": {op['value']}" if op["value"] else "")


def export_mind2web(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `data/tasks.json` (a JSON list, written one task at a time) and `screenshots/`."""
    (out / "data").mkdir(parents=True, exist_ok=True)
    tasks = 0
    with open(out / "data" / "tasks.json", "w", encoding="utf-8") as f:
        f.write("[")
        for episode_id, group in groupby(steps, key=lambda s: s.episode_id):
            task = _task_record(episode_id, list(group), out, on_step)
            f.write(("," if tasks else "") + "\n" + json.dumps(task))
            tasks += 1
        f.write("\n]\n")
    return tasks


def _task_record(episode_id: str, steps: list[Step], out: Path, on_step: Callable[[Step], None] | None) -> dict:
    first = steps[0]
    node_ids: dict[str, str] = {}
    actions, reprs = [], []
    focused = None  # the last element acted on: where the keyboard focus is
    for step in steps:
        if on_step:
            on_step(step)
        action = step.action
        if action.target is None and action.kind == "key":
            action = action.model_copy(update={"target": focused})  # Enter acts on the focused element
        focused = action.target or focused
        op = operation(action)
        if op is None:
            continue
        uid = step_key(episode_id, step.index)
        screenshot = None
        if step.frame_before is not None:
            screenshot = f"screenshots/{uid}.png"
            link_or_copy(step.frame_before, out / screenshot)
        actions.append({
            "action_uid": uid, "raw_html": "", "cleaned_html": "", "operation": op,
            "pos_candidates": _candidates(action, node_ids), "neg_candidates": [], "screenshot": screenshot,
        })
        reprs.append(action_repr(action, op))
    app = first.task.split("/", 1)[0]
    return {
        "annotation_id": episode_id, "website": app, "domain": "cleantrace", "subdomain": app,
        "confirmed_task": first.instruction, "action_reprs": reprs, "actions": actions,
        "task_id": first.task, "success": first.success, "performer": first.performer,
        "screen": first.screen.model_dump(), "appearance": first.appearance.model_dump(),
    }


def _candidates(action: Action, node_ids: dict[str, str]) -> list[dict]:
    target = action.target
    if target is None:
        return []
    node_id = node_ids.setdefault(target.selector or f"#{action.i}", str(len(node_ids) + 1))
    attributes = {"backend_node_id": node_id}
    if target.bbox:
        attributes["bounding_box_rect"] = ",".join(f"{v:g}" for v in target.bbox)
    if target.role:
        attributes["role"] = target.role
    if target.name:
        attributes["aria_label"] = target.name
    if target.selector:
        attributes["selector"] = target.selector
    return [{
        "tag": target.tag, "attributes": json.dumps(attributes), "backend_node_id": node_id,
        "is_original_target": True, "is_top_level_target": True,
    }]
