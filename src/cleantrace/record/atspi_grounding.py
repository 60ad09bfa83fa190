"""Grounding on a desktop: the native element under a screen point or with the keyboard focus,
read from AT-SPI at the moment of the press, and the screen's labels; points over the browser's
page go to CDP (the web resolver), as do labels of its page."""

from __future__ import annotations

from typing import Any

from cleantrace.errors import GroundingError
from cleantrace.sandbox.atspi import COMPONENT, NULL_PATH, SCREEN, Atspi, Node
from cleantrace.sandbox.browser import BROWSER_TITLE
from cleantrace.sandbox.stacking import Stacking, inside
from cleantrace.sandbox.taskbar import APP as TASKBAR_APP
from cleantrace.sandbox.taskbar import ROLE as LAUNCHER_ROLE
from cleantrace.sandbox.taskbar import WINDOW as TASKBAR_WINDOW
from cleantrace.sandbox.taskbar import launcher_at, launchers
from cleantrace.trace.schema import Target

# roles a person acts on: a press on a label inside a button names the button
INTERACTIVE = {
    "push button", "toggle button", "menu", "menu item", "check menu item", "radio menu item", "check box",
    "radio button", "combo box", "text", "entry", "password text", "spin button", "page tab", "list item",
    "table cell", "tree item", "link", "slider", "icon", "table column header", "table row header",
    "split button", "menu button", "push button menu", "document web", "editbar",
    "paragraph", "heading",
}
WEB_DOCUMENTS = {"document web", "document frame"}
LAYOUT = {"filler", "panel", "page tab list", "page tab", "split pane", "scroll pane", "viewport", "root pane",
          "unknown"}
MAX_DEPTH = 60
POPUP_ROLES = {"menu item", "check menu item", "radio menu item", "menu", "list item", "table cell"}


class AtspiResolver:
    """Finds and describes the native element at a screen point, or the focused one, via AT-SPI."""

    def __init__(self, atspi: Atspi | None = None, display_name: str | None = None) -> None:
        self._atspi = atspi
        self.stacking = Stacking(display_name)

    @property
    def atspi(self) -> Atspi:
        if self._atspi is None:
            self._atspi = Atspi()
        return self._atspi

    def hit(self, x: int, y: int) -> list[Node]:
        """The chain of nodes under (x, y), from its top-level window down to the deepest element:
        popups (menus, drop-downs) first, then the active window, then any other window there."""
        windows = self.atspi.windows()
        if self.stacking.popup_at(x, y):  # an open menu or list: its entries hang in its window's tree
            popped = self._in_popup(windows, x, y)
            if popped is not None:
                return popped
        tops = self.stacking.topmost(windows, x, y)
        if not tops:
            raise GroundingError(f"no accessible window at ({x}, {y})", "")
        chain = [tops[0]]
        while len(chain) < MAX_DEPTH:
            reply = self.atspi.call(chain[-1].ref, COMPONENT, "GetAccessibleAtPoint", "iiu", (x, y, SCREEN))
            if reply and reply[0][1] != NULL_PATH and tuple(reply[0]) != chain[-1].ref:
                child = Node(*reply[0], parent=chain[-1], depth=len(chain))
                self.atspi.fill([child])
                if len(chain) == 1:  # from the window, some apps (Chromium) answer their deepest element
                    chain = self.atspi.lineage(child, chain[0])
                else:
                    chain.append(child)
                continue
            # some containers (LibreOffice's tool bars) answer nothing: look through their children
            if chain[-1].children <= 0 or "manages_descendants" in chain[-1].states or chain[-1].children > 500:
                break
            kids = self.atspi.children([chain[-1]])[0]
            self.atspi.fill(kids)
            there = [k for k in kids if k.showing and inside(k, x, y)]
            # a GTK notebook's page tab is showing with no box of its own (-1 or 0 x 0): look into it
            there = there or [k for k in kids if "showing" in k.states and k.role == "page tab"][:1]
            if not there:
                break
            chain.append(min(there, key=lambda k: k.box[2] * k.box[3]))  # type: ignore[index]
        return chain

    def _in_popup(self, windows: list[Node], x: int, y: int) -> list[Node] | None:
        """The chain down to the smallest showing menu entry or list entry at (x, y), in the
        active window first."""
        for top in sorted((w for w in windows if w.showing), key=lambda w: "active" not in w.states):
            entries = [n for n in self.atspi.subtree([top]) if n.role in POPUP_ROLES and n.showing and inside(n, x, y)]
            if entries:
                entry = min(entries, key=lambda n: n.box[2] * n.box[3])  # type: ignore[index]
                return [*reversed([a for a in entry.ancestors() if a.role != "application"]), entry]
        return None

    def at(self, x: int, y: int, skip: str = "") -> Target:
        """The element under (x, y) a person would name (`skip` is the web's; natively the dragged
        element is not under the pointer). Raises GroundingError with the reason."""
        try:
            return describe(pick(self.hit(x, y)))
        except GroundingError:
            raise
        except Exception as exc:  # an app quit or hung between the calls
            raise GroundingError(f"AT-SPI: {type(exc).__name__}: {exc} at ({x}, {y})", "") from None

    def focused(self) -> Target | None:
        """The element with the keyboard focus in the active window (where typing goes)."""
        try:
            node = self.focused_node()
        except GroundingError:
            raise
        except Exception as exc:
            raise GroundingError(f"AT-SPI: {type(exc).__name__}: {exc} (focus)", "") from None
        if node is None:
            raise GroundingError("no element has the keyboard focus in the active window", "")
        return describe(node)

    def focused_node(self) -> Node | None:
        windows = self.atspi.windows()
        # the window manager's word first: Chromium does not mark its frame active, and its download
        # bubble ("Recent download history") stays marked active after another window took the focus
        title = self.stacking.active()
        active = [w for w in windows if w.name and w.name == title] or [w for w in windows if "active" in w.states]
        if not active:
            return None
        every = self.atspi.subtree(active[:1])
        nodes = [n for n in every if "focused" in n.states]
        if not nodes:
            return None
        node = max(nodes, key=lambda n: n.depth)
        if "manages_descendants" in node.states and node.role == "table":
            # a Calc sheet does not say which cell has the cursor; its Name Box does ("B2")
            boxes = [n for n in every if n.role == "text" and n.showing
                     and any(a.name == "Formula Tool Bar" for a in n.ancestors())]
            for box in boxes:
                cell = self.atspi.cell(node, self.atspi.text(box))
                if cell is not None and cell.showing:
                    return cell
        return node


class DesktopResolver:
    """Grounding on a desktop: AT-SPI for native windows, CDP (`web`) for a point over the browser's
    page or typing into it. The target says which (`source`)."""

    def __init__(self, web: Any = None, native: AtspiResolver | None = None) -> None:
        self.web = web
        self.native = native or AtspiResolver()

    def at(self, x: int, y: int, skip: str = "") -> Target:
        screen = self.native.stacking.screen()
        launcher = launcher_at(x, y, screen) if screen else None
        if launcher is not None:  # tint2 is not in AT-SPI: its launchers are where the desktop put them
            return Target(role=LAUNCHER_ROLE, name=launcher.name, bbox=tuple(float(v) for v in launcher.box),
                          app=TASKBAR_APP, window=TASKBAR_WINDOW, source="taskbar")
        if self.web is not None and self._over_page(x, y):
            return self.web.at(x, y, skip=skip) if skip else self.web.at(x, y)
        chain = self.native.hit(x, y) if self.web is not None else []
        if self.web is not None and any(n.role in WEB_DOCUMENTS for n in chain):
            return self.web.at(x, y, skip=skip) if skip else self.web.at(x, y)
        return describe(pick(chain)) if chain else self.native.at(x, y)

    def _over_page(self, x: int, y: int) -> bool:
        """Whether (x, y) is on the browser's shown page, its window topmost there (no popup over it)."""
        if self.native.stacking.popup_at(x, y):
            return False
        title = self.native.stacking.title_at(x, y)
        return bool(title and title.endswith(BROWSER_TITLE) and self.web.shows(x, y))

    def focused(self) -> Target | None:
        node = self.native.focused_node()
        if self.web is not None and node is not None and (
                node.role in WEB_DOCUMENTS or any(a.role in WEB_DOCUMENTS for a in node.ancestors())):
            return self.web.focused()
        if node is None:
            raise GroundingError("no element has the keyboard focus in the active window", "")
        return describe(node)


def pick(chain: list[Node]) -> Node:
    """From the deepest node drawn under the point up: the first one a person acts on, else the
    deepest with a name or more than layout (a file manager's folder view), else the deepest."""
    drawn = [n for n in chain if n.box is not None and n.box[2] > 0 and n.box[3] > 0]
    for node in reversed(drawn):
        if node.role in INTERACTIVE:
            return node
    for node in reversed(drawn):
        if node.name or node.role not in LAYOUT:
            return node
    return chain[-1]


def describe(node: Node) -> Target:
    window = node.window()
    return Target(
        role=node.role, name=node.name[:200], bbox=tuple(float(v) for v in node.box) if node.box else None,
        app=node.app(), window=window.name if window is not None else "", source="atspi",
        state=node.state() or None,
    )


class AtspiLabeller:
    """Labels the desktop from AT-SPI: every showing element a person acts on in the windows on the
    screen, with role, name, box (screen pixels), state, application and window, and the tree."""

    def __init__(self, atspi: Atspi | None = None) -> None:
        self.resolver = AtspiResolver(atspi)

    def label(self, skip_web: bool = False) -> dict:
        """The labels; `skip_web`: without the elements of web pages (their CDP labels stand in)."""
        try:
            return self._label(skip_web)
        except GroundingError:
            raise
        except Exception as exc:  # an app quit or hung meanwhile
            raise GroundingError(f"AT-SPI labelling failed: {type(exc).__name__}: {exc}", "") from None

    def _label(self, skip_web: bool) -> dict:
        atspi = self.resolver.atspi
        tops = [w for w in atspi.windows() if w.showing]
        nodes = atspi.subtree(tops)
        index = {n.ref: k for k, n in enumerate(nodes)}
        rows, elements = [], []
        for k, n in enumerate(nodes):
            parent = index.get(n.parent.ref, -1) if n.parent is not None else -1
            rows.append([k, parent, n.role, n.name[:200], -1])
            if skip_web and any(a.role in WEB_DOCUMENTS for a in n.ancestors()):
                continue
            if n.showing and n.role in INTERACTIVE and n.role not in WEB_DOCUMENTS and n.enabled:
                window = n.window()
                elements.append({
                    "role": n.role, "name": n.name[:200], "tag": "", "bbox": [float(v) for v in n.box],  # type: ignore[union-attr]
                    "state": n.state(), "app": n.app(), "window": window.name if window is not None else "",
                })
        return {"url": "", "source": "atspi", "elements": elements,
                "tree": {"columns": ["id", "parent", "role", "name", "backend_node_id"], "nodes": rows}}


class DesktopLabeller:
    """A desktop's labels: the native windows from AT-SPI, the taskbar's launchers, and the browser's
    page (`web`, CDP) when its window is on the screen: its elements join the list, its tree is kept
    under `tree.web`."""

    def __init__(self, web: Any = None, native: AtspiLabeller | None = None) -> None:
        self.web = web
        self.native = native or AtspiLabeller()

    def label(self) -> dict:
        page = None
        if self.web is not None:
            try:
                page = self.web.label()
            except GroundingError:
                page = None  # the page's elements then come from AT-SPI
        labels = self.native.label(skip_web=page is not None)
        screen = self.native.resolver.stacking.screen()
        labels["elements"] += [launcher.element() for launcher in launchers(screen)] if screen else []
        if page is not None:
            labels["url"] = page.get("url", "")
            labels["elements"] += page["elements"]
            labels["tree"]["web"] = page["tree"]
        return labels


def desktop_grounding(page: Any = None, device_scale: float = 1.0) -> tuple[DesktopResolver, DesktopLabeller]:
    """The resolver and labeller a desktop episode's Recorder takes: AT-SPI for native windows, CDP
    for the browser's page `page` (its front tab; None when no browser is open)."""
    from cleantrace.record.grounding import TargetResolver
    from cleantrace.record.labels import ScreenLabeller

    if page is None:
        return DesktopResolver(), DesktopLabeller()
    return (DesktopResolver(TargetResolver(page, device_scale)),
            DesktopLabeller(ScreenLabeller(page, device_scale)))


def screen_grounding(profile: str, page: Any = None, device_scale: float = 1.0) -> tuple[Any, Any]:
    """The resolver and labeller of an episode's recorder: the kiosk's page through CDP, a desktop
    through AT-SPI and CDP (`desktop_grounding`)."""
    if profile == "desktop":
        return desktop_grounding(page, device_scale)
    from cleantrace.record.grounding import TargetResolver
    from cleantrace.record.labels import ScreenLabeller

    return TargetResolver(page, device_scale), ScreenLabeller(page, device_scale)
