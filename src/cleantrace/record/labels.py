"""The screen labelled at a frame: Chromium's accessibility tree and every visible interactive
element with its role, name, box in screen pixels and state, in a handful of CDP calls.

The elements are found in the page (`document.querySelectorAll`) and matched to the same nodes in
CDP's DOM (`DOM.querySelectorAll` returns them in the same document order) and so to their
accessibility nodes: role, name and state are the browser's own, boxes the page's own.
"""

from __future__ import annotations

from typing import Any

from cleantrace.errors import GroundingError
from cleantrace.record.grounding import follow_front
from cleantrace.sandbox.browser import page_screen_origin

CANDIDATES = (
    'a[href],button,input,select,textarea,summary,[role],[tabindex],[contenteditable="true"],'
    '[draggable="true"],li[aria-label],article[aria-label],h1,h2,h3,h4,h5,h6'  # a named article: a press into its text
)
# Roles that are structure, not something a person acts on (unless focusable).
PASSIVE_ROLES = {"", "generic", "none", "presentation", "StaticText", "InlineTextBox", "paragraph", "group",
                 "LabelText", "Section", "status", "log", "region", "list", "navigation", "main", "banner",
                 "contentinfo", "complementary", "form", "table", "rowgroup", "grid", "treegrid", "menu", "menubar",
                 "toolbar", "tablist", "listbox", "dialog", "alertdialog", "img", "separator"}
# Passive roles kept when their author named them: a card or tile (dragged, pressed), a drop area.
NAMED_KEPT = {"generic", "region"}
STATES = ("focused", "checked", "selected", "expanded", "disabled", "pressed", "readonly", "required", "invalid",
          "multiselectable", "haspopup")

# Viewport box of every candidate and whether a person sees it: non-empty, in the viewport, not
# hidden, and not clipped or covered (the topmost element at its visible centre is it or inside it).
BOXES_JS = """
sel => [...document.querySelectorAll(sel)].map(e => {
  const r = e.getBoundingClientRect();
  let seen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  if (seen) {
    const s = getComputedStyle(e);
    seen = s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0;
  }
  if (seen) {
    const x = (Math.max(r.left, 0) + Math.min(r.right, innerWidth)) / 2;
    const y = (Math.max(r.top, 0) + Math.min(r.bottom, innerHeight)) / 2;
    const top = document.elementFromPoint(x, y);
    seen = !!top && (e === top || e.contains(top) || top.contains(e) || !!(e.labels && [...e.labels].includes(top)));
  }
  return [r.x, r.y, r.width, r.height, seen ? 1 : 0, e.localName];
})
"""


class ScreenLabeller:
    """Labels what the page shows now, through its own CDP session."""

    def __init__(self, page: Any, device_scale: float = 1.0) -> None:
        self.page = page
        self.device_scale = device_scale  # screen pixels per DIP (Chromium's --force-device-scale-factor)
        self._cdp = None

    def label(self) -> dict:
        """{"url", "elements": [{role, name, tag, bbox (screen px), state}], "tree": compact AX tree}.

        Raises GroundingError with the reason when the page cannot be asked.
        """
        try:
            return self._label()
        except GroundingError:
            raise
        except Exception as exc:  # the page navigated or closed meanwhile
            self._cdp = None
            text = str(exc).strip().splitlines()
            raise GroundingError(f"labelling failed: {' '.join(text[:2])[:200] if text else type(exc).__name__}",
                                 "") from None

    def _label(self) -> dict:
        follow_front(self)  # the tab the person sees
        cdp = self._session()
        ox, oy, scale = page_screen_origin(self.page, self.device_scale)
        boxes = self.page.evaluate(BOXES_JS, CANDIDATES)
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": False})["root"]
        node_ids = cdp.send("DOM.querySelectorAll", {"nodeId": root["nodeId"], "selector": CANDIDATES})["nodeIds"]
        backend_of = _backend_ids(root)
        ax_nodes = cdp.send("Accessibility.getFullAXTree", {})["nodes"]
        ax_by_backend = {n["backendDOMNodeId"]: n for n in ax_nodes if "backendDOMNodeId" in n and not n.get("ignored")}
        if len(node_ids) != len(boxes):
            raise GroundingError(f"the page changed while it was labelled ({len(boxes)} vs {len(node_ids)} nodes)", "")
        elements = []
        for node_id, (x, y, w, h, seen, tag) in zip(node_ids, boxes, strict=True):
            if not seen:
                continue
            backend = backend_of.get(node_id, -1)
            ax = ax_by_backend.get(backend)
            if ax is None:
                continue
            role, name = _value(ax.get("role")), _value(ax.get("name"))
            props = {p["name"]: _value(p.get("value")) for p in ax.get("properties", [])}
            if role in PASSIVE_ROLES and not props.get("focusable") and not (role in NAMED_KEPT and name):
                continue
            if role == "heading" and not name:  # headings are kept as landmarks a person names
                continue
            state = {k: props[k] for k in STATES if props.get(k) not in (None, False, "false", "")}
            value = _value(ax.get("value"))
            if value not in (None, ""):
                state["value"] = str(value)[:200]
            elements.append({
                "role": role, "name": str(name or "")[:200], "tag": tag,
                "bbox": [round(ox + x * scale, 1), round(oy + y * scale, 1), round(w * scale, 1), round(h * scale, 1)],
                "state": state, "backend_node_id": backend,
            })
        return {"url": self.page.url, "elements": elements, "tree": compact_tree(ax_nodes)}

    def _session(self):
        if self._cdp is None:
            self._cdp = self.page.context.new_cdp_session(self.page)
        return self._cdp


def compact_tree(nodes: list[dict]) -> dict:
    """The accessibility tree without ignored nodes (their children hang on the nearest kept
    ancestor), as rows [id, parent, role, name, backend_node_id] (parent -1 for the root)."""
    by_id = {n["nodeId"]: n for n in nodes}
    kept = {n["nodeId"] for n in nodes if not n.get("ignored")}

    def parent_of(node: dict) -> str | None:
        p = node.get("parentId")
        while p is not None and p not in kept:
            p = by_id[p].get("parentId") if p in by_id else None
        return p

    index = {nid: k for k, nid in enumerate(n["nodeId"] for n in nodes if n["nodeId"] in kept)}
    rows = []
    for n in nodes:
        if n["nodeId"] not in kept:
            continue
        p = parent_of(n)
        rows.append([index[n["nodeId"]], index.get(p, -1) if p is not None else -1, _value(n.get("role")),
                     str(_value(n.get("name")) or "")[:200], n.get("backendDOMNodeId", -1)])
    return {"columns": ["id", "parent", "role", "name", "backend_node_id"], "nodes": rows}


def _backend_ids(root: dict) -> dict[int, int]:
    out: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        out[node["nodeId"]] = node.get("backendNodeId", -1)
        stack.extend(node.get("children", []))
        if "contentDocument" in node:
            stack.append(node["contentDocument"])
    return out


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field
