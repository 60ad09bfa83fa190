"""Which window is on top: the window manager's stacking order (EWMH), matched to AT-SPI's
top-level windows by title. AT-SPI knows boxes but not which of two overlapping windows shows."""

from __future__ import annotations

import os

from cleantrace.sandbox.atspi import Node

# top-level windows that are whole windows; the others (menus, drop-down lists) float above them
MAIN_WINDOWS = {"frame", "dialog", "file chooser", "alert", "color chooser", "font chooser"}


class Stacking:
    """Reads `_NET_CLIENT_LIST_STACKING` and the windows' `_NET_WM_NAME` from the X display."""

    def __init__(self, display_name: str | None = None) -> None:
        self.display_name = display_name
        self._x = None
        self._screen: tuple[int, int] | None = None

    def _display(self):
        """The X connection, opened on first use."""
        if self._x is None:
            from Xlib import display

            self._x = display.Display(self.display_name or os.environ.get("DISPLAY", ""))
        return self._x

    def screen(self) -> tuple[int, int] | None:
        """The screen's size in pixels (None without X); asked of X once."""
        if self._screen is None:
            try:
                root = self._display().screen()
                self._screen = int(root.width_in_pixels), int(root.height_in_pixels)
            except Exception:
                return None
        return self._screen

    def order(self) -> dict[str, int]:
        """Window title → place in the stacking order, topmost 0 (empty without an EWMH window manager)."""
        try:
            from Xlib import X

            d = self._display()
            prop = d.screen().root.get_full_property(d.intern_atom("_NET_CLIENT_LIST_STACKING"), X.AnyPropertyType)
            if prop is None:
                return {}
            name_atom, utf8 = d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING")
            out: dict[str, int] = {}
            for k, wid in enumerate(reversed(list(prop.value))):
                title = d.create_resource_object("window", wid).get_full_property(name_atom, utf8)
                if title is not None:
                    out.setdefault(bytes(title.value).decode("utf-8", "replace"), k)
            return out
        except Exception:  # no X here, or a window went away meanwhile: the caller falls back
            return {}

    def cycle(self) -> list[str]:
        """The titles of the windows openbox's Alt+Tab goes through, in the order it visits them: the
        stacking order, topmost (the active window) first (click-to-focus raises, so the order of
        last use is the stacking order), without the windows it skips: docks and desktops, hidden
        (minimised) ones and those that keep off the taskbar."""
        try:
            from Xlib import X

            d = self._display()
            prop = d.screen().root.get_full_property(d.intern_atom("_NET_CLIENT_LIST_STACKING"), X.AnyPropertyType)
            atom = d.intern_atom
            skipped = {atom(a) for a in ("_NET_WM_STATE_HIDDEN", "_NET_WM_STATE_SKIP_TASKBAR")}
            kinds = {atom(a) for a in ("_NET_WM_WINDOW_TYPE_DOCK", "_NET_WM_WINDOW_TYPE_DESKTOP")}
            out = []
            for wid in reversed(list(prop.value) if prop is not None else []):
                win = d.create_resource_object("window", wid)
                state = win.get_full_property(atom("_NET_WM_STATE"), X.AnyPropertyType)
                kind = win.get_full_property(atom("_NET_WM_WINDOW_TYPE"), X.AnyPropertyType)
                if (state and skipped & set(state.value)) or (kind and kinds & set(kind.value)):
                    continue
                title = win.get_full_property(atom("_NET_WM_NAME"), atom("UTF8_STRING"))
                out.append(bytes(title.value).decode("utf-8", "replace") if title is not None else "")
            return out
        except Exception:  # no X here, or a window went away meanwhile: the caller falls back
            return []

    def active(self) -> str | None:
        """The title of the window the window manager says is active (`_NET_ACTIVE_WINDOW`): the
        truth when an app (Chromium) does not mark its AT-SPI frame active."""
        try:
            from Xlib import X

            d = self._display()
            prop = d.screen().root.get_full_property(d.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
            if not prop or not prop.value or not prop.value[0]:
                return None
            title = d.create_resource_object("window", prop.value[0]).get_full_property(
                d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"))
            return bytes(title.value).decode("utf-8", "replace") if title is not None else None
        except Exception:  # no X here, or the window went away meanwhile
            return None

    def title_at(self, x: float, y: float) -> str | None:
        """The title of the topmost client window whose box (screen pixels, from X) holds (x, y); None
        when none does or X cannot be asked. X knows true boxes where an app's AT-SPI may not
        (Chromium gives its frame's in DIP when a device scale factor is forced)."""
        try:
            from Xlib import X

            d = self._display()
            root = d.screen().root
            prop = root.get_full_property(d.intern_atom("_NET_CLIENT_LIST_STACKING"), X.AnyPropertyType)
            name_atom, utf8 = d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING")
            for wid in reversed(list(prop.value) if prop is not None else []):  # topmost first
                win = d.create_resource_object("window", wid)
                if win.get_attributes().map_state != X.IsViewable:
                    continue
                g = win.get_geometry()
                at = win.translate_coords(root, 0, 0)
                left, top = -at.x, -at.y
                if left <= x < left + g.width and top <= y < top + g.height:
                    title = win.get_full_property(name_atom, utf8)
                    return bytes(title.value).decode("utf-8", "replace") if title is not None else ""
        except Exception:  # no X here, or a window went away meanwhile
            return None
        return None

    def popup_at(self, x: float, y: float) -> bool:
        """Whether the topmost X window at (x, y) is a popup (override-redirect: an open menu, a
        drop-down list, a tooltip), which AT-SPI lists inside its window's tree, not as a window."""
        try:
            from Xlib import X

            for win in reversed(self._display().screen().root.query_tree().children):  # topmost first
                attrs = win.get_attributes()
                if attrs.map_state != X.IsViewable:
                    continue
                g = win.get_geometry()
                if g.x <= x < g.x + g.width and g.y <= y < g.y + g.height:
                    return bool(attrs.override_redirect)
        except Exception:  # no X here, or a window went away meanwhile
            return False
        return False

    def rects(self) -> dict[str, tuple[int, int, int, int]]:
        """Window title → its client area (x, y, w, h) in screen pixels, as X places it (the topmost
        window of a title wins). Chromium's AT-SPI frame gives its box from the window's own corner,
        not the screen's: where a window is comes from here when X knows it."""
        try:
            from Xlib import X

            d = self._display()
            root = d.screen().root
            prop = root.get_full_property(d.intern_atom("_NET_CLIENT_LIST_STACKING"), X.AnyPropertyType)
            name_atom, utf8 = d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING")
            out: dict[str, tuple[int, int, int, int]] = {}
            for wid in reversed(list(prop.value) if prop is not None else []):
                win = d.create_resource_object("window", wid)
                title = win.get_full_property(name_atom, utf8)
                if title is None:
                    continue
                g = win.get_geometry()
                at = root.translate_coords(win, 0, 0)
                out.setdefault(bytes(title.value).decode("utf-8", "replace"), (at.x, at.y, g.width, g.height))
            return out
        except Exception:  # no X here, or a window went away meanwhile: the caller falls back
            return {}

    def covers_of(self, title: str) -> list[tuple[int, int, int, int]]:
        """The boxes of the windows stacked above the window `title` (empty when X cannot say)."""
        order, rects = self.order(), self.rects()
        if title not in order:
            return []
        return [rects[t] for t, k in order.items() if k < order[title] and t in rects and t != title]

    def topmost(self, tops: list[Node], x: float, y: float) -> list[Node]:
        """The showing top-level windows at (x, y), the one that shows there first: popups, then
        by stacking order, then the active one. A main window is there by X's geometry when X
        knows it (by title), else by its AT-SPI box."""
        rects = self.rects()

        def there(w: Node) -> bool:
            if w.role in MAIN_WINDOWS and w.name in rects:
                rx, ry, rw, rh = rects[w.name]
                return rx <= x < rx + rw and ry <= y < ry + rh
            return inside(w, x, y)

        here = [w for w in tops if w.showing and there(w)]
        order = self.order()
        here.sort(key=lambda w: (w.role in MAIN_WINDOWS, order.get(w.name, len(order)), "active" not in w.states))
        return here


Rect = tuple[float, float, float, float]  # x, y, w, h in screen pixels


def uncovered_part(box: Rect, covers: list[Rect]) -> Rect | None:
    """The largest strip of `box` that none of `covers` hides (cut cover by cover: of what is left of
    the box beside a cover, the biggest piece is kept); None when the covers hide all of it."""
    x, y, w, h = box
    for cx, cy, cw, ch in covers:
        if cx >= x + w or cx + cw <= x or cy >= y + h or cy + ch <= y:
            continue  # this cover does not reach the box
        strips = [(x, y, cx - x, h), (cx + cw, y, x + w - cx - cw, h),  # left of it, right of it
                  (x, y, w, cy - y), (x, cy + ch, w, y + h - cy - ch)]  # above it, below it
        strips = [s for s in strips if s[2] > 0 and s[3] > 0]
        if not strips:
            return None
        x, y, w, h = max(strips, key=lambda s: s[2] * s[3])
    return x, y, w, h


def inside(node: Node, x: float, y: float) -> bool:
    if node.box is None:
        return False
    bx, by, bw, bh = node.box
    return bx <= x < bx + bw and by <= y < by + bh


_stacking: Stacking | None = None


def window_titles() -> list[str]:
    """The titles of the window manager's client windows on this display (`$DISPLAY`), topmost first."""
    global _stacking
    if _stacking is None:
        _stacking = Stacking()
    order = _stacking.order()
    return sorted(order, key=order.__getitem__)
