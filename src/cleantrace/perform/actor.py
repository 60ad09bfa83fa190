"""The Actor API: what a task's `solve` uses. Targets are named by meaning (role, name, label,
text), found through the browser, and acted on with real X input along humanlike paths."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

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
from cleantrace.sandbox.browser import page_screen_origin
from cleantrace.spec import DEFAULT_SCREEN, seed_stream

WHEEL_UP, WHEEL_DOWN = 4, 5

# The element's nearest scrollable ancestor's visible box (CSS px, clipped to the viewport).
SCROLL_BOX_JS = """
e => {
  let n = e.parentElement;
  for (; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
    const s = getComputedStyle(n);
    if (/(auto|scroll)/.test(s.overflowY) && n.scrollHeight > n.clientHeight + 1) break;
  }
  const r = (n && n !== document.body && n !== document.documentElement)
    ? n.getBoundingClientRect() : {x: 0, y: 0, width: innerWidth, height: innerHeight};
  const x = Math.max(r.x, 0), y = Math.max(r.y, 0);
  return [x, y, Math.min(r.x + r.width, innerWidth) - x, Math.min(r.y + r.height, innerHeight) - y];
}
"""


class Observer(Protocol):
    """What the actor tells the recorder: when to take a frame, and where it is about to press."""

    def observe(self, reason: str = "action") -> int: ...

    def probe(self, x: int, y: int) -> Any: ...

    def probe_focus(self) -> Any: ...


class Actor:
    """Performs a task's steps in the sandbox's browser like a person would.

    Every verb that acts on an element takes a locator by meaning: `role` + `name` (accessible role
    and exact accessible name), or `label`, `text` or `placeholder`; `within` (a dict of the same
    keys) scopes the search to one container, e.g. a table row or a dialog.
    """

    def __init__(
        self, page: Page, inputs: XTestInput, observer: Observer, seed: int, persona: Persona,
        screen: tuple[int, int] = DEFAULT_SCREEN, timeout_ms: float = 5000, motion: Any = None,
    ) -> None:
        self.page = page
        self.motion = motion or ModelMotion()  # where pointer paths come from: the model or a movement library
        self.inputs = inputs
        self.observer = observer
        self.persona = persona
        self.screen = screen
        self.timeout_ms = timeout_ms
        self.rng = seed_stream(seed, "actor")

    # -- the verbs a task uses -------------------------------------------------------------
    def click(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
        button: str = "left", hold: tuple[str, ...] = (),
    ) -> None:
        """Click the element (`button="right"` for a right click; `hold=("ctrl",)` for a ctrl-click)."""
        target = self._locate(role, name, label, text, placeholder, within)
        with self._step():
            self._point(target)
            with self._held(hold):
                self._press(BUTTONS[button])

    def double_click(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> None:
        """Double-click the element."""
        target = self._locate(role, name, label, text, placeholder, within)
        with self._step():
            self._point(target)
            self._press(BUTTONS["left"])
            time.sleep(double_click_gap(self.rng, self.persona))
            self._press(BUTTONS["left"], probe=False)

    def hover(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> None:
        """Move the pointer onto the element and rest there (e.g. to open a submenu)."""
        target = self._locate(role, name, label, text, placeholder, within)
        self._point(target)
        time.sleep(float(self.rng.uniform(0.3, 0.6)))

    def drag(self, source: dict, target: dict) -> None:
        """Press on `source`, move with the button held, release on `target` (each a locator dict)."""
        grabbed, drop = self._locate(**source), self._locate(**target)
        timing = drag_timing(self.rng, self.persona)
        with self._step():
            self._point(grabbed, glance=timing.before_press)
            self.observer.probe(*self.inputs.position)
            self.inputs.button(BUTTONS["left"], True)
            time.sleep(timing.before_move)
            box = self._screen_box(drop)
            self.inputs.move_along(self.motion.drag_path(self.inputs.position, box, self.rng, self.persona,
                                                         self.screen))
            time.sleep(timing.before_release)
            self.inputs.button(BUTTONS["left"], False)

    def scroll_to(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> None:
        """Turn the wheel over the element's scrollable container until the element is in view."""
        target = self._locate(role, name, label, text, placeholder, within)
        with self._step():
            self._scroll_into_view(target)

    def wait_for(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, placeholder: str | None = None, within: dict | None = None,
    ) -> None:
        """Wait until the element is visible (e.g. after the page updates itself); no input."""
        self._locate(role, name, label, text, placeholder, within)

    def select(self, label: str, option: str) -> None:
        """Choose `option` in the dropdown labelled `label`: a native <select> or an ARIA combobox."""
        dropdown = self._locate(label=label)
        if dropdown.evaluate("e => e.localName") == "select":
            self._select_native(dropdown, label, option)
        else:
            with self._step():
                self._point(dropdown)
                self._press(BUTTONS["left"])
            self.click(role="option", name=option)

    def type(
        self, text: str, role: str | None = None, name: str | None = None, *, label: str | None = None,
        placeholder: str | None = None, within: dict | None = None, replace: bool = False,
    ) -> None:
        """Type `text`, first clicking into the field if one is named (`replace=True`: select all first).

        Without a field it types into whatever has the focus.
        """
        for ch in set(text):
            self.inputs.keycode(ch)  # fail before acting if a character cannot be typed
        if label or role or placeholder:
            field = self._locate(role, name, label, None, placeholder, within)
            with self._step():
                self._point(field)
                self._press(BUTTONS["left"])
            if replace:
                self.hotkey("ctrl", "a")
            elif field.evaluate("e => typeof e.value === 'string' && e.value.length > 0"):
                self.hotkey("ctrl", "End")  # append after what is there
        elif replace:
            self.hotkey("ctrl", "a")
        with self._step():
            self.observer.probe_focus()
            self.inputs.play(typing_timeline(text, self.rng, self.persona))

    def hotkey(self, *keys: str) -> None:
        """Press a shortcut chord, e.g. hotkey("ctrl", "s")."""
        with self._step():
            self.inputs.play(chord_timeline([x_key_name(k) for k in keys], self.rng, self.persona))

    def press(self, key: str, times: int = 1) -> None:
        """Press and release one key (e.g. "Enter", "Tab", "Down", "e", "#"), `times` times."""
        chord = ["Shift_L", key] if key in SHIFTED else [x_key_name(key)]
        with self._step():
            for n in range(times):
                if n:
                    time.sleep(self._lognormal(self.persona.iki_mean * 1.3))
                self.inputs.play(chord_timeline(chord, self.rng, self.persona))

    def prefers_keyboard(self) -> bool:
        """Whether this performer goes the keyboard way here (shortcut, Tab) rather than the mouse
        way; seeded, so the same episode always decides the same."""
        return bool(self.rng.random() < self.persona.keyboard_preference)

    # -- how the verbs are carried out ------------------------------------------------------
    @contextmanager
    def _step(self) -> Iterator[None]:
        """Think, take the frame before, act, let the page settle, take the frame after."""
        time.sleep(self._lognormal(self.persona.think_mean))
        self.observer.observe("action")
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

    def _select_native(self, dropdown: Locator, label: str, option: str) -> None:
        options: list[str] = dropdown.evaluate("e => [...e.options].map(o => o.label)")
        if option not in options:
            raise PerformError(
                f"dropdown {label!r} has no option {option!r}", f"options are: {', '.join(options)}"
            )
        current = dropdown.evaluate("e => e.selectedIndex")
        wanted = options.index(option)
        with self._step():  # a click opens the popup, then the keyboard picks the option
            self._point(dropdown)
            self._press(BUTTONS["left"])
        if wanted != current:
            self.press("Down" if wanted > current else "Up", times=abs(wanted - current))
        self.press("Return")
        if dropdown.evaluate("e => e.value") != option:
            raise PerformError(f"dropdown {label!r} did not take option {option!r}", "check the page by hand")

    def _point(self, target: Locator, glance: float | None = None) -> None:
        """Move the pointer along a humanlike path to a point inside the target, then glance."""
        box = self._screen_box(target)
        self.inputs.move_along(self.motion.move_path(self.inputs.position, box, self.rng, self.persona, self.screen))
        time.sleep(float(self.rng.uniform(0.05, 0.15)) if glance is None else glance)  # confirm before pressing

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
            raise PerformError(
                f"no visible element with {what} on {self.page.url}", "check the task's solve() against the app"
            ) from None
        if (count := visible.count()) > 1:
            raise PerformError(f"{count} elements match {what} on {self.page.url}", "name the target more precisely")
        return visible.first

    def _screen_box(self, target: Locator) -> Box:
        self._scroll_into_view(target)
        bbox = target.bounding_box()
        if bbox is None:
            raise PerformError("the target disappeared before it could be reached", "wait for the page first")
        return self._to_screen(bbox["x"], bbox["y"], bbox["width"], bbox["height"])

    def _to_screen(self, x: float, y: float, w: float, h: float) -> Box:
        ox, oy, scale = page_screen_origin(self.page)
        return Box(ox + x * scale, oy + y * scale, w * scale, h * scale)

    def _scroll_into_view(self, target: Locator, max_flicks: int = 15) -> None:
        """Turn the wheel over the target's scrollable container until the target is inside it.

        Like a person: a flick of as many ticks as the distance seems to need (learned from how far
        the first tick went), a look once the content comes to rest, and another flick if needed.
        """
        per_tick: float | None = None
        for flick in range(max_flicks):
            bbox = target.bounding_box()
            if bbox is None:
                return
            vx, vy, vw, vh = target.evaluate(SCROLL_BOX_JS)
            top, bottom = bbox["y"], bbox["y"] + bbox["height"]
            if top >= vy and bottom <= vy + vh:
                return
            if flick == 0:  # the wheel scrolls what is under the pointer: go over the container first
                view = self._to_screen(vx + vw * 0.2, vy + vh * 0.2, vw * 0.6, vh * 0.6)
                if not _inside(self.inputs.position, view):
                    self.inputs.move_along(
                        self.motion.move_path(self.inputs.position, view, self.rng, self.persona, self.screen))
            down = bottom > vy + vh
            distance = bottom - (vy + vh) if down else vy - top
            ticks = 1 if not per_tick else max(1, int(np.ceil(distance / per_tick)))
            for delay in scroll_ticks(ticks, self.rng, self.persona):
                time.sleep(float(delay))
                self.inputs.button(WHEEL_DOWN if down else WHEEL_UP, True)
                self.inputs.button(WHEEL_DOWN if down else WHEEL_UP, False)
            self._wait_until_still(target)
            moved = abs((target.bounding_box() or bbox)["y"] - top)
            if per_tick is None and moved > 0:
                per_tick = moved / ticks
            elif moved == 0 and per_tick is not None:
                break  # the container cannot scroll further
        raise PerformError("could not scroll the target into view", "check that the page can scroll to it")

    def _wait_until_still(self, target: Locator, timeout: float = 2.0) -> None:
        """Wait for a smooth scroll to come to rest: the target in the same place twice in a row."""
        deadline = time.monotonic() + timeout
        last = target.bounding_box()
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


def _inside(point: tuple[int, int], box: Box) -> bool:
    return box.x <= point[0] <= box.x + box.w and box.y <= point[1] <= box.y + box.h
