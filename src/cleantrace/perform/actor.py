"""The Actor API: what a task's `solve` uses. Targets are named by meaning (role, name, label,
text), found through the browser, and acted on with real X input along humanlike paths."""

from __future__ import annotations

import difflib
import functools
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import numpy as np
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from cleantrace.errors import PerformError
from cleantrace.perform.motion import (
    Box,
    ModelMotion,
    button_hold,
    double_click_gap,
    drag_timing,
    scroll_ticks,
)
from cleantrace.perform.persona import Persona
from cleantrace.perform.typing import SHIFTED, chord_timeline, typing_timeline
from cleantrace.perform.xinput import BUTTONS, XTestInput, x_key_name
from cleantrace.sandbox.browser import front_page, page_screen_origin
from cleantrace.spec import DEFAULT_SCREEN, seed_stream
from cleantrace.trace.describe import element_phrase, key_phrase

WHEEL_UP, WHEEL_DOWN = 4, 5

MAX_CORRECTIONS = 2  # corrective sub-movements when a target moved while the pointer travelled to it
WHEEL_LEFT, WHEEL_RIGHT = 6, 7  # the horizontal wheel (a tilt wheel or a touchpad's sideways swipe)
# The element's line boxes (CSS px): a link wrapped over two lines has two, and the corner of their
# common bounding box between them belongs to the row beneath, not to the link.
LINE_BOXES_JS = "e => Array.from(e.getClientRects(), r => [r.x, r.y, r.width, r.height])"
# The visible box (CSS px, clipped to the viewport, below a sticky header) of the element's nearest
# ancestor that scrolls along `axis` ("y" or "x"; the page itself when none does).
SCROLL_BOX_JS = """
(e, axis) => {
  const vert = axis !== 'x';
  let n = e.parentElement;
  for (; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
    const s = getComputedStyle(n);
    if (/(auto|scroll)/.test(vert ? s.overflowY : s.overflowX) &&
        (vert ? n.scrollHeight > n.clientHeight + 1 : n.scrollWidth > n.clientWidth + 1)) break;
  }
  // client areas: without scroll bars (a horizontal one appears when a wide table overflows a small page)
  const W = document.documentElement.clientWidth, H = document.documentElement.clientHeight;
  let r = {x: 0, y: 0, width: W, height: H};
  if (n && n !== document.body && n !== document.documentElement) {
    const b = n.getBoundingClientRect();
    r = {x: b.x + n.clientLeft, y: b.y + n.clientTop, width: n.clientWidth, height: n.clientHeight};
  }
  const x = Math.max(r.x, 0), y = Math.max(r.y, 0), w = Math.min(r.x + r.width, W) - x;
  const bottom = Math.min(r.y + r.height, H);
  // a sticky or fixed header over the top of that box (a grid's column headers) hides what is under it
  const eb = e.getBoundingClientRect();
  const cx = Math.min(Math.max(eb.x + eb.width / 2, x + 1), x + w - 1);
  let top = y;
  for (let o = document.elementFromPoint(cx, y + 1); o && o !== n && o !== document.body; o = o.parentElement) {
    const pos = getComputedStyle(o).position;
    if ((pos === 'sticky' || pos === 'fixed') && !o.contains(e)) {
      top = Math.min(Math.max(top, o.getBoundingClientRect().bottom), bottom);
      break;
    }
  }
  return [x, top, w, bottom - top];
}
"""


F = TypeVar("F", bound=Callable[..., Any])
ARIA_LINE = re.compile(r'^\s*-\s+([a-z]+)\s+"((?:[^"\\]|\\.)*)"', re.MULTILINE)


def announced(verb: F) -> F:
    """Log each call of a verb, with the task's file:line, to the sandbox's log (never the trace): a
    timeout then names the action that was under way."""

    @functools.wraps(verb)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items() if v not in (None, (), False)]
        print(f"actor: {verb.__name__}({', '.join(shown)}) at {call_site()}", file=sys.stderr, flush=True)
        if isinstance(self, Actor):
            self.page = front_page(self.page)  # the tab the person sees now (a desktop browser has tabs)
        return verb(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def call_site() -> str:
    """file:line of the innermost caller outside this module (the task's solve, or its helper)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


def nearest_targets(aria_snapshot: str, role: str | None, name: str | None, label: str | None = None,
                    text: str | None = None, placeholder: str | None = None, n: int = 3) -> list[str]:
    """The targets on the page (from Playwright's ARIA snapshot) closest to the one asked for, as
    locators a task can use: same role first, then by name similarity."""
    found = {(r, nm.replace('\\"', '"')) for r, nm in ARIA_LINE.findall(aria_snapshot) if nm}
    return rank_targets(found, role, name or label or text or placeholder or "", n)


def rank_targets(found: set[tuple[str, str]], role: str | None, wanted: str, n: int = 3,
                 roles: tuple[str, ...] = ()) -> list[str]:
    """(role, name) pairs closest to the one asked for, as locators: same role (or one of `roles`)
    first, then by name similarity."""
    wanted = wanted.lower()
    same = {role, *roles} - {None}

    def score(item: tuple[str, str]) -> float:
        similar = difflib.SequenceMatcher(None, wanted, item[1].lower()).ratio()
        return similar + (0.5 if item[0] in same else 0.0)

    ranked = sorted(found, key=lambda item: (-score(item), item))
    return [f"role={r!r} name={nm!r}" for r, nm in ranked[:n] if score((r, nm)) >= 0.5]


class Observer(Protocol):
    """What the actor tells the recorder: when to take a frame, and where it is about to press."""

    def observe(self, reason: str = "action", label: bool = False) -> int: ...

    def probe(self, x: int, y: int, kind: str = "press", skip: str = "") -> Any: ...

    def probe_focus(self, typing: bool = False) -> Any: ...

    def note(self, description: str, why: str | None = None) -> None: ...


class Actor:
    """Performs a task's steps in the sandbox's browser like a person would.

    Every verb that acts on an element takes a locator by meaning: `role` + `name` (accessible role
    and exact accessible name), or `label`, `text` or `placeholder`; `within` (a dict of the same
    keys) scopes the search to one container, e.g. a table row or a dialog. Every verb also takes
    `why`, the reason for the step, kept with the step's description in the trace.
    """

    def __init__(
        self, page: Page, inputs: XTestInput, observer: Observer, seed: int, persona: Persona,
        screen: tuple[int, int] = DEFAULT_SCREEN, timeout_ms: float = 5000, motion: Any = None,
        device_scale: float = 1.0, native: Callable[[Actor], Any] | None = None,
    ) -> None:
        self.page = page
        self._native_factory = native  # makes `actor.native` (perform/native.NativeActor on a desktop)
        self.motion = motion or ModelMotion()  # where pointer paths come from: the model or a movement library
        self.device_scale = device_scale  # screen pixels per DIP (the appearance's device scale factor)
        self.inputs = inputs
        self.observer = observer
        self.persona = persona
        self.screen = screen
        self.timeout_ms = timeout_ms
        self.rng = seed_stream(seed, "actor")
        self._described: str | None = None  # the description of the next step, set by a verb using another

    # -- the verbs a task uses -------------------------------------------------------------
    @announced
    def click(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
        button: str = "left", hold: tuple[str, ...] = (), why: str | None = None,
    ) -> None:
        """Click the element (`button="right"` for a right click; `hold=("ctrl",)` for a ctrl-click)."""
        target = self._locate(role, name, label, text, placeholder, within)
        what = _phrase(role, name, label, text, placeholder, within)
        self._reveal(target, what, why)
        verb = "Right-click" if button == "right" else f"{key_phrase(hold)}-click" if hold else "Click"
        with self._step(f"{verb} {what}", why):
            self._point(target)
            with self._held(hold):
                self._press(BUTTONS[button])

    @announced
    def double_click(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None, why: str | None = None,
    ) -> None:
        """Double-click the element."""
        target = self._locate(role, name, label, text, placeholder, within)
        what = _phrase(role, name, label, text, placeholder, within)
        self._reveal(target, what, why)
        with self._step(f"Double-click {what}", why):
            self._point(target)
            self._press(BUTTONS["left"])
            time.sleep(double_click_gap(self.rng, self.persona))
            self._press(BUTTONS["left"], probe=False)

    @announced
    def hover(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None, why: str | None = None,
    ) -> None:
        """Move the pointer onto the element and rest there (e.g. to open a submenu): a step of its
        own, a `hover` action with its own frames, so the next step sees what the hover opened."""
        target = self._locate(role, name, label, text, placeholder, within)
        what = _phrase(role, name, label, text, placeholder, within)
        self._reveal(target, what, why)
        with self._step(f"Hover over {what}", why):
            self._point(target)
            self.observer.probe(*self.inputs.position, kind="hover")
            time.sleep(float(self.rng.uniform(0.3, 0.6)))

    @announced
    def drag(self, source: dict, target: dict, why: str | None = None) -> None:
        """Press on `source`, move with the button held, release on `target` (each a locator dict).

        The recorder notes the dragged element under the press and the drop element under the release.
        """
        grabbed, drop = self._locate(**source), self._locate(**target)
        self._reveal(grabbed, _phrase(**source), why)
        timing = drag_timing(self.rng, self.persona)
        with self._step(f"Drag {_phrase(**source)} to {_phrase(**target)}", why):
            self._point(grabbed, glance=timing.before_press)
            dragged = self.observer.probe(*self.inputs.position)
            self.inputs.button(BUTTONS["left"], True)
            time.sleep(timing.before_move)
            box = self._drop_box(drop)
            self.inputs.move_along(self.motion.drag_path(self.inputs.position, box, self.rng, self.persona,
                                                         self.screen))
            time.sleep(timing.before_release)
            self.observer.probe(*self.inputs.position, kind="drop", skip=getattr(dragged, "selector", "") or "")
            self.inputs.button(BUTTONS["left"], False)

    def _drop_box(self, drop) -> Box:
        """Where a drag may release over `drop`: its box on screen (a page has no other window over it)."""
        return self._screen_box(drop)

    @announced
    def scroll_to(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None, why: str | None = None,
    ) -> None:
        """Turn the wheel over the element's scrollable container until the element is in view (a
        step only when it is out of view: nothing is decided about an element already in sight)."""
        target = self._locate(role, name, label, text, placeholder, within)
        if self._in_view(target):
            self._described = None
            return
        with self._step(f"Scroll to {_phrase(role, name, label, text, placeholder, within)}", why):
            self._scroll_into_view(target)

    @announced
    def wait_for(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> None:
        """Wait until the element is visible (e.g. after the page updates itself); no input."""
        self._locate(role, name, label, text, placeholder, within)

    @announced
    def select(self, label: str, option: str, why: str | None = None) -> None:
        """Choose `option` in the dropdown labelled `label`: a native <select> or an ARIA combobox."""
        dropdown = self._locate(label=label)
        self._reveal(dropdown, f"the {label} list", why)
        if dropdown.evaluate("e => e.localName") == "select":
            self._select_native(dropdown, label, option, why)
        else:
            with self._step(f"Open the {label} list", why):
                self._point(dropdown)
                self._press(BUTTONS["left"])
            self._described = f"Choose '{option}' in the {label} list"
            self.click(role="option", name=option, why=why)

    @announced
    def type(
        self, text: str, role: str | None = None, name: str | None = None, *, label: str | None = None,
        placeholder: str | None = None, within: dict | None = None, replace: bool = False, why: str | None = None,
    ) -> None:
        """Type `text`, first clicking into the field if one is named (`replace=True`: select all first).

        Without a field it types into whatever has the focus.
        """
        for ch in set(text):
            self.inputs.keycode(ch)  # fail before acting if a character cannot be typed
        where = _phrase(role, name, label, None, placeholder, within) if label or role or placeholder else ""
        if where:
            field = self._locate(role, name, label, None, placeholder, within)
            self._reveal(field, where, why)
            with self._step(f"Click into {where}", why):
                self._point(field)
                self._press(BUTTONS["left"])
            if replace:
                self._described = f"Select all the text in {where}"
                self.hotkey("ctrl", "a", why=why)
            elif field.evaluate("e => typeof e.value === 'string' && e.value.length > 0"):
                self._described = f"Move to the end of {where}"
                self.hotkey("ctrl", "End", why=why)  # append after what is there
        elif replace:
            self._described = "Select all the text"
            self.hotkey("ctrl", "a", why=why)
        self._type_text(text, where, why)

    def _type_text(self, text: str, where: str, why: str | None) -> None:
        """Type `text` into what has the focus, as one step (its description names `where`, if known)."""
        shown = text if len(text) <= 60 else text[:57] + "..."
        with self._step(f"Type '{shown}'" + (f" into {where}" if where else ""), why):
            self.observer.probe_focus(typing=True)
            self.inputs.play(typing_timeline(text, self.rng, self.persona))

    @announced
    def hotkey(self, *keys: str, why: str | None = None) -> None:
        """Press a shortcut chord, e.g. hotkey("ctrl", "s")."""
        with self._step(f"Press {key_phrase(keys)}", why):
            self.observer.probe_focus()
            self.inputs.play(chord_timeline([x_key_name(k) for k in keys], self.rng, self.persona))

    @announced
    def press(self, key: str, times: int = 1, why: str | None = None) -> None:
        """Press and release one key (e.g. "Enter", "Tab", "Down", "e", "#"), `times` times: each
        press is a step of its own (a decision with its own frames), the repeats without a pause to think."""
        chord = ["Shift_L", key] if key in SHIFTED else [x_key_name(key)]
        for n in range(times):
            think = self._lognormal(self.persona.iki_mean * 1.3) if n else None
            with self._step(f"Press {key_phrase([key])}", why, think=think):
                self.observer.probe_focus()
                self.inputs.play(chord_timeline(chord, self.rng, self.persona))

    @property
    def native(self) -> Any:
        """The same performer on native windows, targets from AT-SPI (a NativeActor: docs/native.md)."""
        if getattr(self, "_native", None) is None:
            if self._native_factory is None:
                raise PerformError("this Actor drives no native apps", "native apps are for desktop-profile tasks "
                                   "(profile = \"desktop\"; docs/desktop.md)")
            self._native = self._native_factory(self)
        return self._native

    def prefers_keyboard(self) -> bool:
        """Whether this performer goes the keyboard way here (shortcut, Tab) rather than the mouse
        way; seeded, so the same episode always decides the same."""
        return bool(self.rng.random() < self.persona.keyboard_preference)

    # -- how the verbs are carried out ------------------------------------------------------
    @contextmanager
    def _step(self, description: str, why: str | None = None, think: float | None = None) -> Iterator[None]:
        """Think, take the frame before, say what the step does, act, let the page settle, take the
        frame after. A verb carried out through another one names the step (`_described`)."""
        description, self._described = self._described or description, None
        time.sleep(self._lognormal(self.persona.think_mean) if think is None else think)
        self.observer.observe("action", label=True)
        self.observer.note(description, why)
        yield
        time.sleep(float(self.rng.uniform(0.25, 0.4)))
        self._wait_for_page()
        self.observer.observe("action")

    @contextmanager
    def _held(self, keys: tuple[str, ...]) -> Iterator[None]:
        """Hold modifier keys down around a press, with a person's lead and lag."""
        names = [x_key_name(k) for k in keys]
        for name in names:
            self.inputs.key(name, True)
            time.sleep(self._lognormal(0.12))
        yield
        for name in reversed(names):
            time.sleep(self._lognormal(0.08))
            self.inputs.key(name, False)

    def _select_native(self, dropdown: Locator, label: str, option: str, why: str | None) -> None:
        options: list[str] = dropdown.evaluate("e => [...e.options].map(o => o.label)")
        if option not in options:
            raise PerformError(
                f"dropdown {label!r} has no option {option!r}", f"options are: {', '.join(options)}"
            )
        current = dropdown.evaluate("e => e.selectedIndex")
        wanted = options.index(option)
        with self._step(f"Open the {label} list", why):  # a click opens the popup, the keyboard picks
            self._point(dropdown)
            self._press(BUTTONS["left"])
        for _ in range(abs(wanted - current)):
            self._described = f"Move to the next option towards '{option}'" if wanted > current else \
                f"Move to the previous option towards '{option}'"
            self.press("Down" if wanted > current else "Up", why=why)
        self._described = f"Choose '{option}' in the {label} list"
        self.press("Return", why=why)
        if dropdown.evaluate("e => e.value") != option:
            raise PerformError(f"dropdown {label!r} did not take option {option!r}", "check the page by hand")

    def _reveal(self, target: Locator, what: str, why: str | None) -> None:
        """Scroll a target out of view into view as a step of its own, before the step that presses
        on it: finding the target is a decision, and the press's frame_before (and its labels) then
        shows the target. Nothing happens when it is in view."""
        if self._in_view(target):
            return
        described, self._described = self._described, None  # that names the press's step, not this one
        with self._step(f"Scroll to {what}", why):
            self._bring_into_view(target)
        self._described = described

    def _bring_into_view(self, target: Locator) -> None:
        self._scroll_into_view(target)

    def _in_view(self, target: Locator) -> bool:
        """Whether the target shows in its scrollable containers along both axes (as `_scroll_along` judges)."""
        bbox = target.bounding_box()
        return bbox is None or all(_seen(bbox, target.evaluate(SCROLL_BOX_JS, axis), axis) for axis in ("y", "x"))

    def _point(self, target: Locator, glance: float | None = None) -> None:
        """Move the pointer along a humanlike path to a point inside the target, then glance."""
        self._point_into(lambda: self._screen_box(target), glance)

    def _point_into(self, measure: Callable[[], Box], glance: float | None = None) -> None:
        """Move the pointer into the box `measure()` gives, glance, and correct (at most MAX_CORRECTIONS
        times) while the box is found elsewhere once the pointer got there."""
        box = measure()
        for _ in range(MAX_CORRECTIONS + 1):
            path = self.motion.move_path(self.inputs.position, box, self.rng, self.persona, self.screen)
            self.inputs.move_along(path)
            time.sleep(float(self.rng.uniform(0.05, 0.15)) if glance is None else glance)  # confirm before pressing
            box = measure()  # a page still laying out (slow on a loaded machine) moves targets
            if _inside(self.inputs.position, box):
                return
        raise PerformError("the target kept moving away from the pointer", "wait for the page to settle first")

    def _press(self, button: int, probe: bool = True) -> None:
        """Press and release a button where the pointer is; the recorder first notes the element there."""
        if probe:
            self.observer.probe(*self.inputs.position)
        self.inputs.button(button, True)
        time.sleep(button_hold(self.rng, self.persona))
        self.inputs.button(button, False)

    def _locate(
        self, role: str | None = None, name: str | None = None, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> Locator:
        """The one visible element matching the locator, waiting for it up to `timeout_ms`."""
        scope: Page | Locator = self.page
        where = ""
        if within:
            scope = self._locate(**within)
            where = f" within {_describe(**within)}"
        if role:
            found = scope.get_by_role(role, name=name, exact=True)  # type: ignore[arg-type]
        elif label:
            found = scope.get_by_label(label, exact=True)
        elif text:
            found = scope.get_by_text(text, exact=True)
        elif placeholder:
            found = scope.get_by_placeholder(placeholder, exact=True)
        else:
            raise PerformError("no target given", "pass role= and name=, label=, text= or placeholder=")
        what = _describe(role, name, label, text, placeholder) + where
        visible = found.filter(visible=True)
        try:
            visible.first.wait_for(state="visible", timeout=self.timeout_ms)
        except PlaywrightError:
            near = self._nearest(scope, role, name, label, text, placeholder)
            hint = f"did you mean {' or '.join(near)}? " if near else ""
            raise PerformError(f"no visible element with {what} on {self.page.url}",
                               f"{hint}check the task's solve() against the app (`cleantrace inspect`)") from None
        if (count := visible.count()) > 1:
            raise PerformError(f"{count} elements match {what} on {self.page.url}", "name the target more precisely")
        return visible.first

    def _nearest(self, scope: Page | Locator, role, name, label, text, placeholder) -> list[str]:
        """What is on the page instead (best effort: the page may be gone)."""
        try:
            root = scope.locator("body") if scope is self.page else scope
            snapshot = root.aria_snapshot(timeout=2000)  # type: ignore[union-attr]
        except PlaywrightError:
            return []
        return nearest_targets(snapshot, role, name, label, text, placeholder)

    def _screen_box(self, target: Locator) -> Box:
        self._scroll_into_view(target)
        bbox = target.bounding_box()
        if bbox is None:
            raise PerformError("the target disappeared before it could be reached", "wait for the page first")
        x, y, w, h = largest_line_box(bbox, target.evaluate(LINE_BOXES_JS))
        vx, vy, vw, vh = target.evaluate(SCROLL_BOX_JS, "y")
        if h > vh:  # taller than what shows of it (a board lane on a small page): aim at the part in sight
            y, h = max(y, vy), min(y + h, vy + vh) - max(y, vy)
        if w > vw:  # wider than what shows of it (a wide table in a small window): the part in sight
            x, w = max(x, vx), min(x + w, vx + vw) - max(x, vx)
        return self._to_screen(x, y, w, h)

    def _to_screen(self, x: float, y: float, w: float, h: float) -> Box:
        ox, oy, scale = page_screen_origin(self.page, self.device_scale)
        return Box(ox + x * scale, oy + y * scale, w * scale, h * scale)

    def _scroll_into_view(self, target: Locator, max_flicks: int = 15) -> None:
        """Turn the wheel over the target's scrollable container until the target is inside it: down
        or up first, then sideways (the horizontal wheel) when the page is wider than its window.

        Like a person: a flick of as many ticks as the distance seems to need (learned from how far
        the first tick went), a look once the content comes to rest, and another flick if needed.
        """
        self._scroll_along(target, "y", max_flicks)
        self._scroll_along(target, "x", max_flicks)

    def _scroll_along(self, target: Locator, axis: str, max_flicks: int) -> None:
        """Scroll along one axis ("y": buttons 4/5, "x": buttons 6/7) until the target is in view on it."""
        per_tick: float | None = None
        buttons = (WHEEL_UP, WHEEL_DOWN) if axis == "y" else (WHEEL_LEFT, WHEEL_RIGHT)
        for flick in range(max_flicks):
            bbox = target.bounding_box()
            if bbox is None:
                return
            vx, vy, vw, vh = view_box = target.evaluate(SCROLL_BOX_JS, axis)
            if _seen(bbox, view_box, axis):
                return
            start, size, lo, room = _span(bbox, view_box, axis)
            end = start + size
            if flick == 0:  # the wheel scrolls what is under the pointer: go over the container first
                view = self._to_screen(vx + vw * 0.2, vy + vh * 0.2, vw * 0.6, vh * 0.6)
                if not _inside(self.inputs.position, view):
                    self.inputs.move_along(
                        self.motion.move_path(self.inputs.position, view, self.rng, self.persona, self.screen))
            forward = end > lo + room
            distance = end - (lo + room) if forward else lo - start
            ticks = 1 if not per_tick else max(1, int(np.ceil(distance / per_tick)))
            for delay in scroll_ticks(ticks, self.rng, self.persona):
                time.sleep(float(delay))
                self.inputs.button(buttons[forward], True)
                self.inputs.button(buttons[forward], False)
            self._wait_until_still(target, before=bbox)
            moved = abs(_span(target.bounding_box() or bbox, view_box, axis)[0] - start)
            if per_tick is None and moved > 0:
                per_tick = moved / ticks
            elif moved == 0 and per_tick is not None:
                break  # the container cannot scroll further
        raise PerformError("could not scroll the target into view", "check that the page can scroll to it")

    def _wait_until_still(self, target: Locator, timeout: float = 2.0, before: dict | None = None) -> None:
        """Wait for a smooth scroll to come to rest: the target in the same place twice in a row.

        With `before` (the target's box before the wheel turned), first wait for it to move at all:
        on a loaded machine the browser may handle the wheel later than one look takes, and a page
        that starts to scroll after the Actor measured it would move the target from under the press.
        """
        deadline = time.monotonic() + timeout
        last = target.bounding_box()
        if before is not None:
            while last == before and time.monotonic() < deadline:  # at the end of the page it never moves
                time.sleep(0.03)
                last = target.bounding_box()
            deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.08)
            now = target.bounding_box()
            if now == last:
                return
            last = now

    def _wait_for_page(self) -> None:
        try:
            self.page.wait_for_load_state("load", timeout=self.timeout_ms)
        except PlaywrightError as exc:
            raise PerformError(f"the page did not finish loading: {exc.message}", "check the app server") from None

    def _lognormal(self, mean: float, cv: float = 0.4) -> float:
        sigma2 = np.log(1 + cv**2)
        return float(self.rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))


def _describe(
    role: str | None = None, name: str | None = None, label: str | None = None, text: str | None = None,
    placeholder: str | None = None, within: dict | None = None,
) -> str:
    given = {"role": role, "name": name, "label": label, "text": text, "placeholder": placeholder}
    return " ".join(f"{k}={v!r}" for k, v in given.items() if v is not None) or "no locator"


def _phrase(
    role: str | None = None, name: str | None = None, label: str | None = None, text: str | None = None,
    placeholder: str | None = None, within: dict | None = None,
) -> str:
    """How a person names the located element: 'the Save button', 'the Status field', "'Zone A'"."""
    if role:
        what = element_phrase(role, name or "")
    elif label:
        what = f"the {label} field"
    elif placeholder:
        what = f"the {placeholder} field"
    else:
        what = f"'{text}'"
    return f"{what} in {_phrase(**within)}" if within else what


def _span(bbox: dict, view: list[float], axis: str) -> tuple[float, float, float, float]:
    """Along `axis`: the element's start and size, the view's start and size (CSS px)."""
    vx, vy, vw, vh = view
    if axis == "y":
        return bbox["y"], bbox["height"], vy, vh
    return bbox["x"], bbox["width"], vx, vw


def _seen(bbox: dict, view: list[float], axis: str) -> bool:
    """Whether the element is in view along `axis`: inside the view, or larger than the view and
    filling half of it (as much as can be seen at once)."""
    start, size, lo, room = _span(bbox, view, axis)
    end = start + size
    return (start >= lo and end <= lo + room) or (size > room and min(end, lo + room) - max(start, lo) >= room / 2)


def largest_line_box(bbox: dict, lines: list[list[float]]) -> tuple[float, float, float, float]:
    """The largest of an element's line boxes, placed like its bounding box `bbox` (which Playwright
    gives in the top page's coordinates; the line boxes are in the element's own frame); the bounding
    box itself when the element is one box."""
    lines = [line for line in lines if line[2] > 0 and line[3] > 0]
    if len(lines) < 2:
        return bbox["x"], bbox["y"], bbox["width"], bbox["height"]
    dx, dy = bbox["x"] - min(line[0] for line in lines), bbox["y"] - min(line[1] for line in lines)
    x, y, w, h = max(lines, key=lambda line: line[2] * line[3])
    return x + dx, y + dy, w, h


def _inside(point: tuple[int, int], box: Box) -> bool:
    return box.x <= point[0] <= box.x + box.w and box.y <= point[1] <= box.y + box.h
