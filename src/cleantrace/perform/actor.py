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
from cleantrace.perform.motion import Box, move_path
from cleantrace.perform.persona import Persona
from cleantrace.perform.typing import chord_timeline, typing_timeline
from cleantrace.perform.xinput import BUTTONS, XTestInput, x_key_name
from cleantrace.sandbox.browser import page_screen_origin

WHEEL_UP, WHEEL_DOWN = 4, 5


class Observer(Protocol):
    """What the actor tells the recorder: when to take a frame, and where it is about to press."""

    def observe(self, reason: str = "action") -> int: ...

    def probe(self, x: int, y: int) -> Any: ...

    def probe_focus(self) -> Any: ...


class Actor:
    """Performs a task's steps in the sandbox's browser like a person would."""

    def __init__(
        self, page: Page, inputs: XTestInput, observer: Observer, seed: int, persona: Persona,
        screen: tuple[int, int] = (1280, 800), timeout_ms: float = 5000,
    ) -> None:
        self.page = page
        self.inputs = inputs
        self.observer = observer
        self.persona = persona
        self.screen = screen
        self.timeout_ms = timeout_ms
        self.rng = np.random.default_rng(seed)

    # -- the verbs a task uses -------------------------------------------------------------
    def click(
        self, role: str | None = None, name: str | None = None, *, label: str | None = None,
        text: str | None = None, button: str = "left",
    ) -> None:
        """Click the element with this role and accessible name (or label, or text)."""
        target = self._locate(role=role, name=name, label=label, text=text)
        with self._step():
            self._point_and_press(target, BUTTONS[button])

    def select(self, label: str, option: str) -> None:
        """Choose `option` in the dropdown labelled `label`: a native <select> or an ARIA combobox."""
        dropdown = self._locate(label=label)
        if dropdown.evaluate("e => e.localName") == "select":
            self._select_native(dropdown, label, option)
        else:
            with self._step():
                self._point_and_press(dropdown, BUTTONS["left"])
            self.click(role="option", name=option)

    def type(
        self, text: str, *, label: str | None = None, role: str | None = None, name: str | None = None
    ) -> None:
        """Type `text`, first clicking into the field labelled `label` (or with role/name) if given."""
        for ch in set(text):
            self.inputs.keycode(ch)  # fail before acting if a character cannot be typed
        if label or role:
            field = self._locate(role=role, name=name, label=label)
            with self._step():
                self._point_and_press(field, BUTTONS["left"])
            if field.input_value():
                self.hotkey("ctrl", "End")  # append after what is there
        with self._step():
            self.observer.probe_focus()
            self.inputs.play(typing_timeline(text, self.rng, self.persona))

    def hotkey(self, *keys: str) -> None:
        """Press a shortcut chord, e.g. hotkey("ctrl", "s")."""
        with self._step():
            self.inputs.play(chord_timeline([x_key_name(k) for k in keys], self.rng, self.persona))

    def press(self, key: str, times: int = 1) -> None:
        """Press and release one key (e.g. "Enter", "Tab", "Down"), `times` times."""
        with self._step():
            for n in range(times):
                if n:
                    time.sleep(self._lognormal(self.persona.iki_mean * 1.3))
                self.inputs.play(chord_timeline([x_key_name(key)], self.rng, self.persona))

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

    def _select_native(self, dropdown: Locator, label: str, option: str) -> None:
        options: list[str] = dropdown.evaluate("e => [...e.options].map(o => o.label)")
        if option not in options:
            raise PerformError(
                f"dropdown {label!r} has no option {option!r}", f"options are: {', '.join(options)}"
            )
        current = dropdown.evaluate("e => e.selectedIndex")
        wanted = options.index(option)
        with self._step():  # a click opens the popup, then the keyboard picks the option
            self._point_and_press(dropdown, BUTTONS["left"])
        if wanted != current:
            self.press("Down" if wanted > current else "Up", times=abs(wanted - current))
        self.press("Return")
        if dropdown.evaluate("e => e.value") != option:
            raise PerformError(f"dropdown {label!r} did not take option {option!r}", "check the page by hand")

    def _point_and_press(self, target: Locator, button: int) -> None:
        box = self._screen_box(target)
        self.inputs.move_along(move_path(self.inputs.position, box, self.rng, self.persona, self.screen))
        time.sleep(float(self.rng.uniform(0.05, 0.15)))  # a glance to confirm before pressing
        self.observer.probe(*self.inputs.position)
        self.inputs.button(button, True)
        time.sleep(float(np.clip(self.rng.normal(0.095, 0.02), 0.05, 0.2)))
        self.inputs.button(button, False)

    def _locate(
        self, role: str | None = None, name: str | None = None, label: str | None = None,
        text: str | None = None,
    ) -> Locator:
        page = self.page
        if role:
            found, what = page.get_by_role(role, name=name, exact=True), f"role={role!r} name={name!r}"
        elif label:
            found, what = page.get_by_label(label, exact=True), f"label={label!r}"
        elif text:
            found, what = page.get_by_text(text, exact=True), f"text={text!r}"
        else:
            raise PerformError("no target given", "pass role= and name=, label= or text=")
        visible = found.filter(visible=True)
        try:
            visible.first.wait_for(state="visible", timeout=self.timeout_ms)
        except PlaywrightError:
            raise PerformError(
                f"no visible element with {what} on {page.url}", "check the task's solve() against the app"
            ) from None
        if (count := visible.count()) > 1:
            raise PerformError(f"{count} elements match {what} on {page.url}", "name the target more precisely")
        return visible.first

    def _screen_box(self, target: Locator) -> Box:
        self._scroll_into_view(target)
        bbox = target.bounding_box()
        if bbox is None:
            raise PerformError("the target disappeared before it could be reached", "wait for the page first")
        ox, oy, scale = page_screen_origin(self.page)
        return Box(ox + bbox["x"] * scale, oy + bbox["y"] * scale, bbox["width"] * scale, bbox["height"] * scale)

    def _scroll_into_view(self, target: Locator, max_ticks: int = 60) -> None:
        """Turn the wheel over the page until the target is inside the viewport."""
        for _ in range(max_ticks):
            bbox = target.bounding_box()
            height = self.page.evaluate("innerHeight")
            if bbox is None or (bbox["y"] >= 0 and bbox["y"] + bbox["height"] <= height):
                return
            self.inputs.button(WHEEL_DOWN if bbox["y"] > 0 else WHEEL_UP, True)
            self.inputs.button(WHEEL_DOWN if bbox["y"] > 0 else WHEEL_UP, False)
            time.sleep(float(self.rng.uniform(0.04, 0.1)))
        raise PerformError("could not scroll the target into view", "check that the page can scroll to it")

    def _wait_for_page(self) -> None:
        try:
            self.page.wait_for_load_state("load", timeout=self.timeout_ms)
        except PlaywrightError as exc:
            raise PerformError(f"the page did not finish loading: {exc.message}", "check the app server") from None

    def _lognormal(self, mean: float, cv: float = 0.4) -> float:
        sigma2 = np.log(1 + cv**2)
        return float(self.rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))
