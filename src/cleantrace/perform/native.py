"""The Actor on native apps: the web Actor's verbs, with targets found by meaning (role, name,
label, text, within) in AT-SPI's accessibility tree instead of the page (docs/native.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from cleantrace.errors import PerformError
from cleantrace.perform.actor import WHEEL_DOWN, WHEEL_UP, Actor, _describe, _phrase, announced, rank_targets
from cleantrace.perform.motion import Box
from cleantrace.perform.xinput import BUTTONS
from cleantrace.sandbox.atspi import Atspi, Node
from cleantrace.sandbox.stacking import MAIN_WINDOWS, Stacking, uncovered_part

# the web's ARIA role names a task may use, and the AT-SPI roles they stand for
ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "button": ("push button",), "menuitem": ("menu item", "check menu item", "radio menu item"),
    "textbox": ("text", "entry", "password text"), "checkbox": ("check box",), "tab": ("page tab",),
    "combobox": ("combo box",), "radio": ("radio button",), "listitem": ("list item",),
    "option": ("list item", "menu item", "table cell"), "cell": ("table cell",), "gridcell": ("table cell",),
    "togglebutton": ("toggle button",), "spinbutton": ("spin button",), "tree item": ("tree item", "table cell"),
}
WAIT_POLL_S = 0.1
FOCUS_WAIT_S = 3.0
# what a click gives the keyboard focus to, for typing next
FOCUS_TAKERS = {"text", "entry", "password text", "spin button", "table cell", "paragraph", "document text"}


@dataclass(frozen=True)
class Scope:
    """Where a native locator looks: a window by title (substring) and/or application, or the active window."""

    title: str | None = None
    app: str | None = None

    def __str__(self) -> str:
        if self.title:
            return f"window {self.title!r}" + (f" of {self.app}" if self.app else "")
        return f"the front window of {self.app}" if self.app else "the active window"


def roles_for(role: str | None) -> tuple[str, ...]:
    if role is None:
        return ()
    return ROLE_ALIASES.get(role, (role,))


class NativeActor(Actor):
    """Performs steps on native windows like a person: the web Actor's motion, timing and typing,
    targets from AT-SPI. `actor.native` makes one that shares the Actor's persona, seeded random
    stream and recorder; `window()`/`focus()`/`open_app()` return copies scoped to one window."""

    def __init__(self, actor: Actor, scope: Scope = Scope(), atspi: Atspi | None = None) -> None:
        self.__dict__.update({k: v for k, v in actor.__dict__.items() if k not in ("scope", "atspi")})
        self.scope = scope
        self.atspi = atspi or Atspi()
        self.stacking = Stacking()
        self._web = actor

    # -- scopes ----------------------------------------------------------------------------
    def window(self, title: str | None = None, *, app: str | None = None) -> NativeActor:
        """The same actor looking into one window: the one whose title contains `title`, or the front
        window of application `app` (AT-SPI's name for it: soffice, mousepad, pcmanfm, chromium).
        Waits for the window to be there."""
        scoped = NativeActor(self._web, Scope(title, app), self.atspi)
        scoped._window()
        return scoped

    @announced
    def focus(self, title: str, why: str | None = None) -> NativeActor:
        """Make the window whose title contains `title` the active one with Alt+Tab, as a person
        does: hold Alt, press Tab until it is selected (each press a step), release."""
        scoped = self.window(title)
        window = scoped._window()
        if self._is_active(window):
            return scoped
        for _ in range(3):  # a try that selects another window is corrected from the new order
            presses = self._cycle_place(window.name, title)
            with self._step(f"Switch to the {title} window", why):
                self.observer.probe_focus()
                self.inputs.key("Alt_L", True)
                for _ in range(presses):
                    time.sleep(self._lognormal(0.12))
                    self.inputs.key("Tab", True)
                    time.sleep(self._lognormal(0.08))
                    self.inputs.key("Tab", False)
                time.sleep(self._lognormal(0.15))
                self.inputs.key("Alt_L", False)
            # the window manager switches at once; a loaded app marks itself active later
            if self._until(lambda: self.stacking.active() == window.name or title in (self.stacking.active() or "")
                           or scoped._is_active(scoped._window()), FOCUS_WAIT_S):
                return scoped
        raise PerformError(f"Alt+Tab never brought window {title!r} to the front",
                           "is it minimised or on another desktop?")

    @announced
    def open_app(self, app: str, arg: str | None = None, why: str | None = None) -> NativeActor:
        """The window of a desktop app (`browser`, `calc`, `writer`, `files`, `editor`): brought to the
        front if it is open, else started with a click on its taskbar launcher (with `arg`, a file
        or URL to open, and for the browser, whose page the recorder follows: started as the
        launcher would, without input); scoped to it."""
        from cleantrace.sandbox import desktop  # the desktop profile's running desktop

        running = desktop.current()
        if running is None:
            raise PerformError(f"no desktop to open {app!r} on", "give the task profile = 'desktop'")
        match = running.window_match(app).lower()
        for w in running.windows():
            if match in (w.title + " " + w.wm_class).lower():
                return self.focus(w.title, why=why)
        if arg is None and app != "browser":
            return self._from_taskbar(running, app, why)
        window = running.open(app, arg)  # as the taskbar's launcher starts it; waits for its window
        return self.window(window.title)

    def _from_taskbar(self, running, app: str, why: str | None) -> NativeActor:
        """Click `app`'s launcher on the taskbar (tint2 is not in AT-SPI: the icon is where the desktop
        laid it out) and wait for its window, placed as `open` places it; one step."""
        from cleantrace.sandbox.taskbar import launchers

        launcher = next(x for x in launchers(running.appearance.screen) if x.app == app)
        before = running.windows()
        with self._step(f"Open {launcher.name} from the taskbar", why):
            self._point_into(lambda: Box(*launcher.box))
            self._press(BUTTONS["left"])
            window = running.settle(app, before)
        return self.window(window.title)

    @announced
    def file_dialog(self, path: str, button: str | None = None, browse: bool = False, why: str | None = None) -> None:
        """In the open file dialog (Save As, Open, Attach…): type `path` into its name field and confirm
        (`button`: the confirm button's name when it is not Save/Open/Select/Attach/OK/Insert). A
        relative path is typed from the home folder (`~/Documents/a.ods`), as GTK's dialogs take it;
        an Open dialog's location field is opened with Ctrl+L first. `browse=True`: click through the
        folders instead (Home in the side bar, a double-click on each folder), then type the file's
        name (saving) or double-click the file (opening); the path is then relative to the home."""
        dialog = self._file_dialog()
        scoped = NativeActor(self._web, Scope(dialog.name, dialog.app()), self.atspi)
        if browse:
            parts = PurePosixPath(path).parts
            if not parts or PurePosixPath(path).is_absolute() or path.startswith("~"):
                raise PerformError(f"file_dialog({path!r}, browse=True) takes a path from the home folder",
                                   "e.g. 'Documents/report.ods'")
            scoped._described = "Go to the Home folder"
            scoped.click(role="label", name="Home", why=why)
            for folder in parts[:-1]:
                scoped._described = f"Open the {folder} folder"
                scoped.double_click(role="table cell", name=folder, why=why)
            path = parts[-1]
            if self._name_field(dialog) is None:  # opening: the file itself is double-clicked
                scoped._described = f"Open {path}"
                scoped.double_click(role="table cell", name=path, why=why)
                return
        elif not path.startswith(("/", "~")):
            path = f"~/{path}"
        field = self._name_field(dialog)
        if field is None:  # an Open dialog shows its location field when asked
            scoped._described = "Open the location field"
            scoped.hotkey("ctrl", "l", why=why)
            field = self._one(dialog, lambda n: n.role == "text" and "editable" in n.states, "location field")
        with scoped._step(f"Click into the file name field of the {dialog.name} dialog", why):
            scoped._point(field)
            scoped._press(BUTTONS["left"])
        scoped._described = "Select all the text in the file name field"
        scoped.hotkey("ctrl", "a", why=why)
        scoped._described = f"Type the file {'name' if browse else 'path'} '{path}'"
        scoped.type(path, why=why)
        names = (button,) if button else ("Save", "Open", "Select", "Attach", "OK", "Insert")
        confirm = self._one(dialog, lambda n: n.role == "push button" and n.name.replace("_", "") in names
                            and n.enabled, f"enabled {' / '.join(names)} button")
        scoped._described = f"Click the {confirm.name.replace('_', '')} button"
        scoped.click(role="push button", name=confirm.name, why=why)

    def _name_field(self, dialog: Node) -> Node | None:
        """The file dialog's name field (focused first), if it shows one."""
        fields = [n for n in self.atspi.subtree([dialog]) if n.showing and n.role == "text" and "editable" in n.states]
        return next((n for n in fields if "focused" in n.states), fields[0] if fields else None)

    def drag(self, source: dict, target: dict, why: str | None = None) -> None:
        """The web's drag (a real press, move and release); a drop target `within` another window's
        title is phrased as that window ("Drag 'a.txt' into the Archive window")."""
        within = target.get("within") or {}
        if not self._described and set(within) == {"name"}:
            self._described = f"Drag {_phrase(**source)} into the {within['name']} window"
        super().drag(source, target, why=why)

    @announced
    def menu(self, *path: str, why: str | None = None) -> None:
        """Open the menu bar entry `path[0]`, rest on each submenu in between, click the last item."""
        if not path:
            raise PerformError("menu() needs at least one entry", 'e.g. menu("File", "Save As...")')
        self._described = f"Open the {path[0]} menu"
        self.click(role="menu", name=path[0], why=why)
        for k in range(1, len(path)):
            role = "menuitem" if k == len(path) - 1 else "menu"
            self._approach = True  # the step's pointer goes into the menu by its row, then column
            if role == "menu":
                self._described = f"Open the {path[k]} submenu"
                self.hover(role="menu", name=path[k], why=why)
                self._until_submenu_opens(path[k])
            else:
                self._described = f"Choose {path[k]} in the {path[k - 1]} menu"
                self.click(role="menuitem", name=path[k], why=why)

    def _until_submenu_opens(self, name: str, nudges: int = 4) -> None:
        """Wait for the submenu under the pointer to open; while another one stays open (GTK keeps the
        submenu the pointer seemed to head for, until the pointer moves again), jiggle the pointer
        a few pixels inside the entry, as a person does when a menu does not react."""
        def opened() -> bool:
            entry = self._locate(role="menu", name=name)
            return len(self.atspi.subtree([entry])) > 1

        for _ in range(nudges):
            if self._until(opened, 0.6):
                return
            x, y = self.inputs.position
            for dx in (2, 4, 3):
                time.sleep(float(self.rng.uniform(0.02, 0.05)))
                self.inputs.move(x + dx, y + (1 if dx == 4 else 0))
        raise PerformError(f"the {name!r} submenu did not open", "is it a submenu (role 'menu') of this menu?")

    def _into_menu_row(self, item: Node) -> None:
        """Go into an open (sub)menu the way its entries stay put: first sideways into the menu's
        column within the current row (from the bar or the submenu's opener), then straight up or
        down the column to the entry's row. A path that strays over other entries opens their
        submenus, and one over the menu bar opens another menu (GTK switches on hover): the
        humanlike paths are kept inside the row, then the column."""
        if item.box is None:
            return
        ix, iy, iw, ih = item.box
        x, y = self.inputs.position
        here = self._locate_at(x, y)
        if not ix <= x < ix + iw:
            col = round(ix + min(12, iw / 4) if ix >= x else ix + iw - min(12, iw / 4))
            band = (here.box[1] + 3, here.box[1] + here.box[3] - 3) if here is not None and here.box else (y, y)
            self._move_within(Box(col - 2, y - 1, 4, 2), ys=band)
            x = col
        self._move_within(Box(x - 2, iy + ih * 0.3, 4, ih * 0.4), xs=(ix + 3, ix + iw - 3))

    def _move_within(self, box: Box, xs: tuple[float, float] | None = None,
                     ys: tuple[float, float] | None = None) -> None:
        """A humanlike path to `box`, its points kept within `xs` / `ys` (a menu's column or row)."""
        path = self.motion.move_path(self.inputs.position, box, self.rng, self.persona, self.screen)
        if xs is not None:
            path.points[:, 0] = np.clip(path.points[:, 0], min(xs), max(xs))
        if ys is not None:
            path.points[:, 1] = np.clip(path.points[:, 1], min(ys), max(ys))
        self.inputs.move_along(path)

    def _locate_at(self, x: int, y: int) -> Node | None:
        """The menu entry (or other element) under the pointer, if AT-SPI can say."""
        from cleantrace.record.atspi_grounding import AtspiResolver, pick

        try:
            return pick(AtspiResolver(self.atspi).hit(x, y))
        except Exception:  # best effort: the row is then the pointer's own height
            return None

    @announced
    def type(
        self, text: str, role: str | None = None, name: str | None = None, *, label: str | None = None,
        placeholder: str | None = None, within: dict | None = None, replace: bool = False, why: str | None = None,
    ) -> None:
        """Type `text`, first clicking into the field if one is named (`replace=True`: select all first).
        Without a field it types into whatever has the focus."""
        for ch in set(text):
            self.inputs.keycode(ch)  # fail before acting if a character cannot be typed
        where = _phrase(role, name, label, None, placeholder, within) if label or role or placeholder or name else ""
        if where:
            field = self._locate(role, name, label, None, placeholder, within)
            if field.role == "combo box":  # a label names the combo box; the text goes into its entry
                entry = [n for n in self.atspi.subtree([field]) if n.role == "text" and n.showing]
                field = entry[0] if entry else field
            with self._step(f"Click into {where}", why):
                self._point(field)
                self._press(BUTTONS["left"])
            if replace:
                self._described = f"Select all the text in {where}"
                self.hotkey("ctrl", "a", why=why)
        elif replace:
            self._described = "Select all the text"
            self.hotkey("ctrl", "a", why=why)
        self._type_text(text, where, why)

    @announced
    def select(self, label: str, option: str, why: str | None = None) -> None:
        """Choose `option` in the drop-down list named or labelled `label` (a combo box): open it
        (by its arrow button when it has one, as with an editable combo box), click the option."""
        box = self._first_of(lambda: self._file_type_box(label), dict(role="combo box", name=label), dict(label=label))
        arrow = [n for n in self.atspi.subtree([box]) if n.role in ("toggle button", "push button") and n.showing]
        with self._step(f"Open the {label} list", why):
            self._point(arrow[0] if arrow and box.role == "combo box" and any(
                n.role == "text" for n in self.atspi.subtree([box])) else box)
            self._press(BUTTONS["left"])
        self._described = f"Choose '{option}' in the {label} list"
        self.click(role="option", name=option, why=why)

    def _first_of(self, *ways) -> Node:
        """The first of several ways to find a target that finds it (a locator dict, or a function
        returning a node or None), all tried again until `timeout_ms`; the last way's error else."""
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            for way in ways:
                try:
                    found = way() if callable(way) else self._locate(**way, timeout_s=0)
                except PerformError:
                    found = None
                if found is not None:
                    return found
            if time.monotonic() >= deadline:
                return self._locate(**ways[-1], timeout_s=0)
            time.sleep(WAIT_POLL_S)

    def _file_type_box(self, label: str) -> Node | None:
        """A GTK file dialog's file type list, which no label names (its name is the type chosen):
        the one combo box of the dialog that no label is for, asked for as "File type"."""
        if _plain(label).lower() not in ("file type", "files of type", "type", "filter"):
            return None
        window = self._window()
        if window.role != "file chooser":
            return None
        nodes = [n for n in self.atspi.subtree([window]) if n.showing]
        named = {ref for n in nodes if n.role == "label" for ref in self.atspi.label_targets(n)}
        boxes = [n for n in nodes if n.role == "combo box" and n.ref not in named]
        return boxes[0] if len(boxes) == 1 else None

    # -- how targets are found ---------------------------------------------------------------
    def _locate(
        self, role: str | None = None, name: str | None = None, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
        timeout_s: float | None = None,
    ) -> Node:  # type: ignore[override]
        """The one showing element matching the locator in the scope, waiting up to `timeout_ms`
        (or `timeout_s`)."""
        if not (role or name or label or text or placeholder):
            raise PerformError("no target given", "pass role= and name=, name=, label= or text=")
        what = _describe(role, name, label, text, placeholder) + (f" within {_describe(**within)}" if within else "")
        deadline = time.monotonic() + (self.timeout_ms / 1000 if timeout_s is None else timeout_s)
        while True:
            nodes = self._inside(within) if within else self._nodes()
            # one element may show twice (a GTK combo box lists its open menu, which is also a popup window)
            found = list({(n.role, n.name, n.box): n for n in
                          reversed(self._match(nodes, role, name, label, text, placeholder))}.values())
            if len(found) == 1:
                found[0].locator = {"role": role, "name": name, "label": label, "text": text,
                                    "placeholder": placeholder, "within": within}
                return found[0]
            if len(found) > 1:
                raise PerformError(f"{len(found)} elements match {what} in {self.scope}",
                                   "name the target more precisely (within=…)")
            if time.monotonic() >= deadline:
                near = rank_targets({(n.role, n.name) for n in nodes if n.showing and n.name}, role,
                                    name or label or text or placeholder or "", roles=roles_for(role))
                hint = f"did you mean {' or '.join(near)}? " if near else ""
                raise PerformError(f"no visible element with {what} in {self.scope}",
                                   f"{hint}check the task's solve() against the app")
            time.sleep(WAIT_POLL_S)

    def _inside(self, within: dict) -> list[Node]:
        """The nodes inside `within`: an element of the scope, or another window named by its title
        (`within={"name": "Archive"}`: where a file is dropped in a second file manager window)."""
        if {k for k, v in within.items() if v is not None} <= {"name", "role"} and within.get("name"):
            roles = roles_for(within.get("role"))
            windows = [w for w in self.atspi.windows() if w.showing and w.role in MAIN_WINDOWS
                       and _same(w.name, within["name"]) and (not roles or w.role in roles)]
            if len(windows) == 1 and windows[0].ref != self._window().ref:
                return self.atspi.subtree(windows)
        inner = self._locate(**within)
        return [n for n in self._nodes() if any(a.ref == inner.ref for a in n.ancestors())]

    def _match(self, nodes: list[Node], role, name, label, text, placeholder) -> list[Node]:
        roles = roles_for(role)
        shown = [n for n in nodes if n.showing]
        if label is not None:
            refs = {ref for lab in shown if _plain(lab.name) == _plain(label) and lab.role == "label"
                    for ref in self.atspi.label_targets(lab)}
            shown = [n for n in shown if n.ref in refs or (n.name == label and n.role != "label")]
        if placeholder is not None:
            shown = [n for n in shown if _same(n.name, placeholder)]
        if text is not None:
            shown = [n for n in shown if _same(n.name, text)]
        if roles:
            shown = [n for n in shown if n.role in roles]
        if name is not None:
            shown = [n for n in shown if _same(n.name, name)]
        if not shown and name and "table cell" in roles and label is None and text is None:
            # a spreadsheet lists no cells (2^31 of them): ask each sheet in sight for the cell itself
            sheets = [n for n in nodes if n.showing and n.role == "table" and "manages_descendants" in n.states]
            cells = [self.atspi.cell(t, name) for t in sheets]
            shown = [c for c in cells if c is not None and c.showing and c.name == name.strip().upper()]
        return shown

    def _nodes(self) -> list[Node]:
        """Every node of the scope's window and of its application's popups (menus, drop-down lists)."""
        window = self._window()
        tops = self.atspi.windows()
        popups = [w for w in tops if w.bus == window.bus and w.ref != window.ref and w.showing
                  and w.role not in MAIN_WINDOWS]
        return self.atspi.subtree([window, *popups])

    def _window(self, wait: bool = True) -> Node:
        deadline = time.monotonic() + (self.timeout_ms / 1000 if wait else 0)
        while True:
            tops = [w for w in self.atspi.windows() if w.role in MAIN_WINDOWS or w.role == "window"]
            if self.scope.title is not None:
                tops = [w for w in tops if self.scope.title in w.name]
            if self.scope.app is not None:
                tops = [w for w in tops if w.app() == self.scope.app]
            if self.scope.title is None and self.scope.app is None:
                active = [w for w in tops if "active" in w.states] or [
                    w for w in tops if w.name and w.name == self.stacking.active()]
                if active and active[0].role not in MAIN_WINDOWS:  # a popup has the focus: its window
                    active = [w for w in tops if w.bus == active[0].bus and w.role in MAIN_WINDOWS and w.showing]
                tops = active
            tops.sort(key=lambda w: ("active" not in w.states, "modal" not in w.states, not w.showing))
            if tops and (tops[0].showing or "active" in tops[0].states):
                return tops[0]
            if time.monotonic() >= deadline:
                seen = [w.name for w in self.atspi.windows() if w.showing and w.name]
                raise PerformError(f"no window {self.scope.title!r}" if self.scope.title else f"no {self.scope}",
                                   f"windows open: {', '.join(map(repr, seen)) or 'none'}")
            time.sleep(WAIT_POLL_S)

    def _cycle_place(self, name: str, title: str) -> int:
        """How many Tab presses with Alt held reach the window `name` (title containing `title`): its
        place in the window manager's Alt+Tab order (read from X, which also lists windows AT-SPI
        does not name alike); 1 (the window used before) when the order does not show it."""
        cycle = self.stacking.cycle()
        place = next((k for k, t in enumerate(cycle) if t == name), None)
        if place is None:
            place = next((k for k, t in enumerate(cycle) if title in t), None)
        return place if place else 1

    def _is_active(self, window: Node) -> bool:
        """Whether `window` has the focus: AT-SPI says so, or the window manager does (Chromium
        does not mark its frame active)."""
        return "active" in window.states or (window.name != "" and self.stacking.active() == window.name)

    def _file_dialog(self) -> Node:
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            for w in self.atspi.windows():
                if w.showing and (w.role in ("file chooser", "dialog")):
                    nodes = self.atspi.subtree([w])
                    if any(n.role == "file chooser" for n in nodes) or w.role == "file chooser" \
                            or any(n.role == "text" and n.showing for n in nodes):
                        return w
            if time.monotonic() >= deadline:
                seen = ", ".join(repr(w.name) for w in self.atspi.windows() if w.showing and w.name) or "none"
                raise PerformError(f"no file dialog is open (windows: {seen})",
                                   "open one first (e.g. hotkey('ctrl', 'shift', 's'))")
            time.sleep(WAIT_POLL_S)

    def _one(self, window: Node, pick, what: str) -> Node:
        """The first showing node of `window` that `pick` accepts, waiting up to `timeout_ms` (a
        dialog's confirm button turns sensitive a moment after a name is typed)."""
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            found = [n for n in self.atspi.subtree([window]) if n.showing and pick(n)]
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                raise PerformError(f"the {window.name!r} dialog has no {what}", "is it the dialog the task expects?")
            time.sleep(WAIT_POLL_S)

    # -- acting on them --------------------------------------------------------------------
    def _point(self, target: Node, glance: float | None = None) -> None:  # type: ignore[override]
        """Like the web's, but first bring the target's window to the front (Alt+Tab, a step of its
        own) when another window covers the target: a person cannot click through a window."""
        self._pressed = target
        self._clear_of_menu_arrows(target)
        if getattr(self, "_approach", False):
            self._approach = False
            self._into_menu_row(target)
        window = target.window()
        if window is not None and window.role in MAIN_WINDOWS:
            box = self._screen_box(target)
            cx, cy = box.x + box.w / 2, box.y + box.h / 2
            on_top = self.stacking.topmost(self.atspi.windows(), cx, cy)
            if on_top and on_top[0].bus != window.bus and on_top[0].name != window.name:
                self.focus(window.name)
        super()._point(target, glance)

    def _drop_box(self, drop: Node) -> Box:  # type: ignore[override]
        """The part of the drop target that shows: a window stacked above its window may hide part of
        it (a file manager's pane partly under the other file manager), and a release there drops
        into the window on top. A drop target hidden whole is an error: bring its window forward first."""
        box = self._screen_box(drop)
        window = drop.window()
        if window is None or window.role not in MAIN_WINDOWS or not window.name:
            return box
        part = uncovered_part((box.x, box.y, box.w, box.h), self.stacking.covers_of(window.name))
        if part is None:
            raise PerformError(f"the drop target {drop.role} {drop.name!r} is hidden by the windows above "
                               f"{window.name!r}", "move that window or bring it to the front before the drag")
        return Box(*part)

    def _clear_of_menu_arrows(self, target: Node, max_ticks: int = 40) -> None:
        """A popup menu or drop-down list longer than the screen scrolls: GTK draws an arrow at each
        end and scrolls while the pointer rests on one, so an entry at (or past) an end moves away
        from the pointer heading for it (a file dialog's file type list, opened over its combo box).
        Turn the wheel over the menu, as a person scrolls a long list, until the entry lies clear
        of both ends (an entry's height from each), or until the list stops moving (its end)."""
        scrolling = self._scrolling_menu(target)
        if scrolling is None:
            return
        (mx, my, mw, mh), top, bottom = scrolling
        moved = False
        for _ in range(max_ticks):
            _, ty, _, th = target.box
            if top <= ty and ty + th <= bottom:
                return
            if not moved:  # the wheel turns what is under the pointer: go over the middle of the list
                moved = True
                middle = Box(mx + mw * 0.3, my + mh * 0.4, mw * 0.4, mh * 0.2)
                if not (middle.x <= self.inputs.position[0] <= middle.x + middle.w
                        and middle.y <= self.inputs.position[1] <= middle.y + middle.h):
                    self._move_within(middle, ys=(top, bottom))
            wheel, before = (WHEEL_DOWN if ty + th > bottom else WHEEL_UP), target.box
            time.sleep(float(self.rng.uniform(0.03, 0.08)))
            self.inputs.button(wheel, True)
            self.inputs.button(wheel, False)
            if not self._until(lambda was=before: self._refilled(target) != was, 1.5):
                return  # the list is at its end: no arrow shows on that side
        raise PerformError(f"could not scroll the list to {target.name!r}", "is the entry in the open list?")

    def _scrolling_menu(self, target: Node) -> tuple[tuple, float, float] | None:
        """The box of the scrolling popup menu that holds `target`, and the band between its arrows
        (an entry's height from each end); None when the target lies in that band or nothing scrolls."""
        menu = next((a for a in target.ancestors() if a.role == "menu"), None)
        if menu is None or target.box is None:
            return None
        self.atspi.fill([menu])
        items = self.atspi.children([menu])[0]
        if menu.box is None or not items:
            return None
        self.atspi.fill([items[0], items[-1]])
        mx, my, mw, mh = menu.box
        _, ty, _, th = target.box
        # only a popup's own box holds its entries (a menu bar's entry does not: its menu is not a window here)
        first, last = items[0].box, items[-1].box
        if mh < 3 * th or first is None or last is None or not mx <= first[0] <= first[0] + first[2] <= mx + mw + 1:
            return None
        if first[1] >= my and last[1] + last[3] <= my + mh:
            return None  # the whole list fits: nothing scrolls
        top, bottom = my + th, my + mh - th
        if top <= ty and ty + th <= bottom:
            return None
        return menu.box, top, bottom

    def _in_view(self, target: Node) -> bool:  # type: ignore[override]
        """Whether the target can be pressed where it is: anything but an entry past the arrows of a
        scrolling popup menu (panes are scrolled by `scroll_to`, as the task says)."""
        return self._scrolling_menu(target) is None

    def _bring_into_view(self, target: Node) -> None:  # type: ignore[override]
        self._clear_of_menu_arrows(target)

    def _refilled(self, node: Node):
        self.atspi.fill([node])
        return node.box

    def _screen_box(self, target: Node) -> Box:  # type: ignore[override]
        self.atspi.fill([target])
        if not target.showing and target.locator is not None:  # the app made the element anew: find it again
            again = self._locate(**target.locator)
            target.bus, target.path, target.parent = again.bus, again.path, again.parent
            self.atspi.fill([target])
        if not target.showing:
            raise PerformError(f"the {target.role} {target.name!r} disappeared before it could be reached",
                               "wait for the window first")
        x, y, w, h = target.box  # type: ignore[misc]
        return Box(x, y, w, h)

    def _scroll_into_view(self, target: Node, max_flicks: int = 15,  # type: ignore[override]
                          again=None) -> None:
        """Turn the wheel over the target's scroll pane until the target lies inside it. `again()`
        finds the target anew after a flick (a GTK list's rows out of sight are stand-ins without a
        place: which way to turn comes from the row's index against the rows in sight)."""
        pane = next((a for a in target.ancestors() if a.role in ("scroll pane", "viewport")), None)
        if pane is None:
            return
        for _ in range(max_flicks):
            self.atspi.fill([pane])
            if pane.box is None or target.box is None:
                return
            top, bottom = target.box[1], target.box[1] + target.box[3]
            if target.showing and top >= pane.box[1] and bottom <= pane.box[1] + pane.box[3]:
                return
            view = Box(pane.box[0] + pane.box[2] * 0.2, pane.box[1] + pane.box[3] * 0.2,
                       pane.box[2] * 0.6, pane.box[3] * 0.6)
            if not (view.x <= self.inputs.position[0] <= view.x + view.w
                    and view.y <= self.inputs.position[1] <= view.y + view.h):
                self.inputs.move_along(self.motion.move_path(self.inputs.position, view, self.rng, self.persona,
                                                             self.screen))
            down = bottom > pane.box[1] + pane.box[3] if top > -2 ** 30 else self._row_below(target, pane)
            for _ in range(3):
                time.sleep(float(self.rng.uniform(0.03, 0.08)))
                self.inputs.button(WHEEL_DOWN if down else WHEEL_UP, True)
                self.inputs.button(WHEEL_DOWN if down else WHEEL_UP, False)
            time.sleep(0.15)
            target = again() if again is not None else target
            if again is None:
                self.atspi.fill([target])
        raise PerformError("could not scroll the target into view", "check that its pane can scroll to it")

    def _row_below(self, target: Node, pane: Node) -> bool:
        """Whether a row out of sight lies below the rows in sight (by index in its list)."""
        row = target
        while row.parent is not None and row.parent.role not in ("table", "tree table", "list", "list box",
                                                                  "tree", "layered pane"):
            row = row.parent
        if row.parent is None:
            return True
        siblings = self.atspi.children([row.parent])[0]
        self.atspi.states(siblings)
        shown = [k for k, n in enumerate(siblings) if "showing" in n.states and "transient" not in n.states]
        index = next((k for k, n in enumerate(siblings) if n.ref == row.ref), None)
        return index is None or not shown or index > max(shown)

    @announced
    def scroll_to(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None, why: str | None = None,
    ) -> None:
        """Turn the wheel over the element's scroll pane until the element is in view."""
        target = self._locate_any(role, name, label, text, placeholder)
        with self._step(f"Scroll to {_phrase(role, name, label, text, placeholder, within)}", why):
            self._scroll_into_view(target, again=lambda: self._locate_any(role, name, label, text, placeholder))

    def _locate_any(self, role, name, label, text, placeholder) -> Node:
        """Like `_locate`, but also among elements scrolled out of sight (for scroll_to)."""
        window = self._window()
        nodes = self.atspi.subtree([window], showing_only=False)
        roles = roles_for(role)
        want = " ".join((name or label or text or placeholder or "").split())
        found = [n for n in nodes if (not roles or n.role in roles) and n.name == want]
        if len(found) != 1:
            what = _describe(role, name, label, text, placeholder)
            raise PerformError(f"{len(found) or 'no'} element{'s' if len(found) != 1 else ''} with {what} "
                               f"in {self.scope}", "name the target more precisely")
        return found[0]

    def _wait_for_page(self) -> None:
        """Nothing loads, but an app may take a moment to take a click: after a press into a field
        or a cell, wait (up to FOCUS_WAIT_S) until it has the focus, as a person waits for the caret
        before typing (a loaded LibreOffice moved its cell cursor a second later)."""
        target, self._pressed = getattr(self, "_pressed", None), None
        if target is None or target.role not in FOCUS_TAKERS:
            return
        from cleantrace.record.atspi_grounding import AtspiResolver

        resolver = AtspiResolver(self.atspi)

        def taken() -> bool:
            node = resolver.focused_node()
            return node is not None and (node.ref == target.ref or (node.role, node.name, node.box) == (
                target.role, target.name, target.box) or any(a.ref == target.ref for a in node.ancestors()))

        self._until(taken, FOCUS_WAIT_S)

    def _until(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(WAIT_POLL_S)
        return bool(condition())


def _plain(label: str) -> str:
    """A label as read: without a mnemonic's marker and the closing colon ("_Find:" is "Find")."""
    return " ".join(label.replace("_", "").replace("~", "").split()).rstrip(":").strip()


DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"} | {"\u2026": "..."})


def _same(found: str, wanted: str) -> bool:
    """Names are equal as a person reads them: whitespace collapsed, any dash a hyphen, … as ...
    (LibreOffice names "Excel 2007–365 (.xlsx)" with an en dash)."""
    return " ".join(found.translate(DASHES).split()) == " ".join(wanted.translate(DASHES).split())
