"""The DOM element under a screen point, through the Chrome DevTools Protocol."""

from __future__ import annotations

from typing import Any

from cleantrace.errors import GroundingError
from cleantrace.sandbox.browser import front_page, page_screen_origin
from cleantrace.trace.schema import Target

# The hit node may be a span inside a link: climb to the element a person would name as the target.
PICK_JS = """
function () {
  const el = this.nodeType === 1 ? this : this.parentElement;
  return el.closest('a,button,select,input,textarea,summary,label,li,[role],[tabindex],[contenteditable],' +
                    '[aria-label],[draggable="true"]') || el;
}
"""

# The topmost element at a viewport point that is not inside the element being dragged (`skip`, a
# CSS selector) nor a decorative copy of it (aria-hidden): where a drag is dropped.
DROP_JS = """
function (x, y, skip) {
  const grabbed = skip ? document.querySelector(skip) : null;
  const open = e => !(grabbed && grabbed.contains(e)) && !e.closest('[aria-hidden="true"]');
  return document.elementsFromPoint(x, y).find(open) || null;
}
"""

# Describes the picked element. Its accessible role and name come from Chromium's accessibility
# tree instead, as assistive technology sees them.
DESCRIBE_JS = """
function () {
  const el = this;
  const esc = s => CSS.escape(s);
  const selectorOf = node => {
    const parts = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      if (n.id && document.querySelectorAll('#' + esc(n.id)).length === 1) { parts.unshift('#' + esc(n.id)); break; }
      let part = n.localName;
      const same = n.parentElement ? [...n.parentElement.children].filter(c => c.localName === n.localName) : [];
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(n) + 1})`;
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const r = el.getBoundingClientRect();
  const whole = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ');
  // at most 200 characters, cut between words: a word cut short ('…@example.or') reads as another one
  const text = (whole.length > 200 ? whole.slice(0, 201).replace(/\\s\\S*$/, '') : whole).slice(0, 200);
  return {tag: el.localName, text, selector: selectorOf(el), rect: [r.x, r.y, r.width, r.height]};
}
"""


# Whether an element is (inside) a menu item whose submenu is open.
OPENED_JS = """
selector => {
  const item = document.querySelector(selector)?.closest('[aria-haspopup]');
  return !!item && item.getAttribute('aria-expanded') === 'true' && /^menuitem/.test(item.getAttribute('role') || '');
}
"""


class TargetResolver:
    """Finds and describes the element at a screen point of a page, via CDP."""

    def __init__(self, page: Any, device_scale: float = 1.0) -> None:
        self.page = page
        self.device_scale = device_scale
        self._cdp = None

    def at(self, x: int, y: int, skip: str = "") -> Target:
        """The target under screen point (x, y); `skip` (a CSS selector) looks through the element
        being dragged. Raises GroundingError with the reason when nothing can be found or described.

        `DOM.getNodeForLocation` takes *document* coordinates: the main frame's scroll offset is
        added to the viewport point (without it, every press after a page scroll missed its node).
        """
        cdp = self._session(follow=True)
        try:
            ox, oy, scale = page_screen_origin(self.page, self.device_scale)
            css_x, css_y = (x - ox) / scale, (y - oy) / scale
            if skip:
                doc = cdp.send("Runtime.evaluate", {"expression": "document"})["result"]["objectId"]
                found = cdp.send("Runtime.callFunctionOn", {
                    "functionDeclaration": DROP_JS, "objectId": doc,
                    "arguments": [{"value": css_x}, {"value": css_y}, {"value": skip}],
                })["result"]
                if "objectId" not in found:
                    raise GroundingError(f"no element at ({x}, {y}) besides the dragged one", "")
                return self._describe(found["objectId"], (ox, oy, scale))
            sx, sy = self.page.evaluate("[scrollX, scrollY]")
            cdp.send("DOM.getDocument", {"depth": 0})
            hit = cdp.send("DOM.getNodeForLocation", {
                "x": round(css_x + sx), "y": round(css_y + sy), "ignorePointerEventsNone": True,
            })
            hit_obj = cdp.send("DOM.resolveNode", {"backendNodeId": hit["backendNodeId"]})["object"]
            return self._describe(hit_obj["objectId"], (ox, oy, scale))
        except GroundingError:
            raise
        except Exception as exc:  # the page navigated or closed between the hit and the description
            self._cdp = None
            raise GroundingError(f"CDP: {_one_line(exc)} at ({x}, {y})", "") from None

    def shows(self, x: int, y: int) -> bool:
        """Whether screen point (x, y) falls on the shown tab's page (its viewport); False when the
        page cannot be asked."""
        try:
            follow_front(self)
            ox, oy, scale = page_screen_origin(self.page, self.device_scale)
            w, h = self.page.evaluate("[innerWidth, innerHeight]")
        except Exception:  # the page navigated or closed meanwhile
            return False
        return ox <= x < ox + w * scale and oy <= y < oy + h * scale

    def opened(self, selector: str) -> bool:
        """Whether the element at `selector` is, or is inside, a menu item with a popup that is open
        (`aria-haspopup` and `aria-expanded="true"`): a submenu a resting pointer opened."""
        try:
            follow_front(self)
            return bool(self.page.evaluate(OPENED_JS, selector))
        except Exception as exc:  # the page navigated meanwhile
            raise GroundingError(f"CDP: {_one_line(exc)} (popup of {selector})", "") from None

    def focused(self) -> Target | None:
        """The element that has the keyboard focus (where typing goes); the page itself (body)
        when nothing else has it. Raises GroundingError when the page cannot be asked."""
        cdp = self._session(follow=True)
        try:
            active = cdp.send("Runtime.evaluate", {"expression": "document.activeElement || document.body"})["result"]
            if "objectId" not in active:
                raise GroundingError("the page has no focused element and no body", "")
            return self._describe(active["objectId"], page_screen_origin(self.page, self.device_scale))
        except GroundingError:
            raise
        except Exception as exc:  # the page navigated or closed meanwhile
            self._cdp = None
            raise GroundingError(f"CDP: {_one_line(exc)} (focus)", "") from None

    def _describe(self, object_id: str, origin: tuple[float, float, float]) -> Target:
        cdp = self._session()
        picked = cdp.send("Runtime.callFunctionOn", {"objectId": object_id, "functionDeclaration": PICK_JS})["result"]
        info = cdp.send("Runtime.callFunctionOn", {
            "objectId": picked["objectId"], "functionDeclaration": DESCRIBE_JS, "returnByValue": True,
        })["result"]["value"]
        node = cdp.send("DOM.describeNode", {"objectId": picked["objectId"]})["node"]
        ax = cdp.send("Accessibility.getPartialAXTree", {
            "backendNodeId": node["backendNodeId"], "fetchRelatives": False,
        })["nodes"]
        role, name = _ax_role_name(ax)
        rx, ry, rw, rh = info["rect"]
        ox, oy, scale = origin
        return Target(
            role=role, name=name, tag=info["tag"], text=info["text"], selector=info["selector"],
            bbox=(
                round(ox + rx * scale, 1), round(oy + ry * scale, 1), round(rw * scale, 1), round(rh * scale, 1),
            ),
            source="cdp",
        )

    def _session(self, follow: bool = False):
        """The page's CDP session; `follow`: first move to the tab the person sees (`front_page`)."""
        if follow:
            follow_front(self)
        if self._cdp is None:
            self._cdp = self.page.context.new_cdp_session(self.page)
        return self._cdp


def follow_front(holder: Any) -> None:
    """Point `holder` (a resolver or labeller with `page` and `_cdp`) at the tab the person sees:
    a new tab gets its own CDP session."""
    page = front_page(holder.page)
    if page is not holder.page:
        holder.page, holder._cdp = page, None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[:2])[:200] if text else type(exc).__name__


def _ax_role_name(nodes: list[dict]) -> tuple[str, str]:
    for node in nodes:
        if not node.get("ignored"):
            return node.get("role", {}).get("value", ""), node.get("name", {}).get("value", "")
    return "", ""
