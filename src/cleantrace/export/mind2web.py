"""Mind2Web-style export: one task record per episode with its actions, each with the operation
(`op` CLICK | TYPE | SELECT, `value`) and the target element as the positive candidate.

Field layout as in Mind2Web (annotation_id, website, domain, subdomain, confirmed_task,
action_reprs, actions[action_uid, raw_html, cleaned_html, operation{op, original_op, value},
pos_candidates[tag, attributes (a JSON string), backend_node_id, is_original_target,
is_top_level_target], neg_candidates]) plus, as in Multimodal-Mind2Web, a `screenshot` per action.
Where the frame before the action was labelled (schema 2), `raw_html` is the page's accessibility
tree serialised as nested tags (`<button backend_node_id="41" name="Save">`), `cleaned_html` the
same with only named or interactive nodes, the positive candidate the labelled element under the
target's box, and `neg_candidates` every other visible interactive element of that screen, all
with the browser's own backend node ids. Without labels (schema-1 traces) the HTML and negatives
are empty and backend_node_id numbers the distinct targets (by selector) of an episode. Actions with no
Mind2Web operation (hotkeys other than Enter, scrolls, drags, right clicks) are left out; Enter,
which the trace records without a target, acts on the element last acted on (it has the focus).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from cleantrace.export.layout import link_or_copy, step_key
from cleantrace.export.steps import Step
from cleantrace.trace.schema import Action, Element, ScreenLabels

ENTER_KEYS = {"Return", "KP_Enter"}


def operation(action: Action) -> dict | None:
    """Mind2Web's {op, original_op, value} of an action, or None when it has no counterpart; a click
    made with modifiers held keeps them in `modifiers` (e.g. ["shift"]) and in `original_op`
    ("SHIFT+CLICK"), since a shift-click does something else than a click."""
    target = action.target
    if action.kind in ("click", "double_click"):
        held = {"modifiers": list(action.keys)} if action.keys else {}
        prefix = "".join(f"{k.upper()}+" for k in action.keys or [])
        if target is not None and target.role == "option":
            return {"op": "SELECT", "original_op": f"{prefix}SELECT", "value": target.name or target.text, **held}
        return {"op": "CLICK", "original_op": f"{prefix}CLICK", "value": "", **held}
    if action.kind == "type":
        return {"op": "TYPE", "original_op": "TYPE", "value": action.text or ""}
    if action.kind == "key" and action.keys and action.keys[0] in ENTER_KEYS:
        return {"op": "CLICK", "original_op": "ENTER", "value": ""}
    return None


def action_repr(action: Action, op: dict) -> str:
    """Mind2Web's readable form: '[button]  Save -> CLICK', '[textbox]  Notes -> TYPE: hello'."""
    target = action.target
    element = f"[{(target.role or target.tag) if target else ''}]  {(target.name or target.text) if target else ''}"
    held = f" ({'+'.join(op['modifiers'])} held)" if op.get("modifiers") else ""
    return f"{element} -> {op['op']}" + (f": {op['value']}" if op["value"] else "") + held


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
            screenshot = f"screenshots/{uid}{step.frame_before.suffix}"
            link_or_copy(step.frame_before, out / screenshot)
        record = {"action_uid": uid, "raw_html": "", "cleaned_html": "", "operation": op,
                  "pos_candidates": _candidates(action, node_ids), "neg_candidates": [], "screenshot": screenshot}
        labels = step.screen_labels()
        if labels is not None:
            record.update(_labelled(action, labels))
        actions.append(record)
        reprs.append(action_repr(action, op))
    app = first.task.split("/", 1)[0]
    return {
        "annotation_id": episode_id, "website": app, "domain": "cleantrace", "subdomain": app,
        "confirmed_task": first.instruction, "action_reprs": reprs, "actions": actions,
        "task_id": first.task, "success": first.success, "performer": first.performer,
        "screen": first.screen.model_dump(), "appearance": first.appearance.model_dump(),
    }


INTERACTIVE_TAGS = {"button", "link", "textbox", "searchbox", "combobox", "checkbox", "radio", "menuitem", "option",
                    "tab", "switch", "slider", "spinbutton", "gridcell", "cell", "row", "columnheader", "listitem",
                    "menuitemcheckbox", "menuitemradio", "treeitem"}


def tree_html(labels: ScreenLabels, cleaned: bool) -> str:
    """The accessibility tree as nested tags named by role; `cleaned` keeps only nodes that are
    named or interactive (their children are kept, hung on the nearest kept ancestor)."""
    rows = labels.tree.get("nodes", [])
    children: dict[int, list[list]] = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)

    def keep(row: list) -> bool:
        return not cleaned or bool(str(row[3]).strip()) or row[2] in INTERACTIVE_TAGS

    def render(row: list) -> str:
        inner = "".join(render(c) for c in children.get(row[0], []))
        if not keep(row):
            return inner
        tag = re.sub(r"[^A-Za-z0-9]", "", str(row[2])) or "node"
        name = f' name="{html.escape(str(row[3]), quote=True)}"' if str(row[3]).strip() else ""
        return f'<{tag} backend_node_id="{row[4]}"{name}>{inner}</{tag}>'

    return "".join(render(r) for r in children.get(-1, []))


def _labelled(action: Action, labels: ScreenLabels) -> dict:
    """raw/cleaned HTML, the positive candidate and the negatives from a labelled screen."""
    target = action.target
    best, best_iou = None, 0.0
    for e in labels.elements:
        if target is not None and target.bbox is not None:
            iou = _iou(target.bbox, e.bbox) + (0.01 if (e.role, e.name) == (target.role, target.name) else 0.0)
            if iou > best_iou:
                best, best_iou = e, iou
    update = {"raw_html": tree_html(labels, cleaned=False), "cleaned_html": tree_html(labels, cleaned=True)}
    if best is not None and best_iou >= 0.5:
        update["pos_candidates"] = [_element_candidate(best, True)]
    update["neg_candidates"] = [_element_candidate(e, False) for e in labels.elements if e is not best]
    return update


def _element_candidate(e: Element, positive: bool) -> dict:
    node_id = str(e.backend_node_id if e.backend_node_id is not None else -1)
    attributes = {"backend_node_id": node_id, "bounding_box_rect": ",".join(f"{v:g}" for v in e.bbox),
                  "role": e.role}
    if e.name:
        attributes["aria_label"] = e.name
    return {"tag": e.tag, "attributes": json.dumps(attributes), "backend_node_id": node_id,
            "is_original_target": positive, "is_top_level_target": positive}


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


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
