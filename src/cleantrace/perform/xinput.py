"""Real OS-level input: pointer and keyboard events injected into the X server through XTest."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
from Xlib import X, display
from Xlib.ext import xtest

from cleantrace.errors import PerformError
from cleantrace.perform.motion import Path
from cleantrace.perform.typing import KeyEvent
from cleantrace.record.keys import keysym_of

KEY_ALIASES = {
    "ctrl": "Control_L", "control": "Control_L", "shift": "Shift_L", "alt": "Alt_L", "meta": "Meta_L",
    "super": "Super_L", "enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape",
    "tab": "Tab", "backspace": "BackSpace", "delete": "Delete", "space": "space", "up": "Up",
    "down": "Down", "left": "Left", "right": "Right", "home": "Home", "end": "End",
    "pageup": "Prior", "pagedown": "Next",
}
BUTTONS = {"left": 1, "middle": 2, "right": 3}
SETTLE_S = 0.25  # after a spare keycode is remapped, before its key goes down (measured: 20 ms was not enough)
MIN_GAP_S = 0.004  # pointer points go out at least this far apart (a mouse reports at ≤ 250 Hz)


def x_key_name(key: str) -> str:
    """The X name of a key given as a character, an alias ('ctrl', 'enter') or an X name."""
    return KEY_ALIASES.get(key.lower(), key) if len(key) > 1 else key


class XTestInput:
    """Injects input into one X display and remembers where the pointer is."""

    def __init__(self, display_name: str) -> None:
        self._d = display.Display(display_name)
        if not self._d.has_extension("XTEST"):
            raise PerformError(f"X display {display_name} has no XTEST extension", "run Xvfb with XTEST enabled")
        self._spare: list[int] | None = None  # keycodes without keysyms, for characters not on the keyboard
        self._bound: OrderedDict[int, int] = OrderedDict()  # keysym -> the spare keycode it is mapped to, LRU first
        self._held: set[int] = set()  # keycodes pressed and not yet released
        self._binds = 0  # how many times a spare keycode was (re)mapped
        pointer = self._d.screen().root.query_pointer()
        self.position = (pointer.root_x, pointer.root_y)

    def move_along(self, path: Path) -> list[float]:
        """Move the pointer through the path's points, each at its due time; returns when each was sent.

        Paced by the clock: a point that can no longer go out before the next one is due (the
        machine was busy) is dropped rather than sent in a burst with it; each point waits until
        the X server has taken the previous one and then MIN_GAP_S more; the last point, where the
        click lands, is always sent.
        """
        points = path.points.tolist()
        due = time.perf_counter() + np.cumsum(path.delays)
        sent: list[float] = []
        for i, (x, y) in enumerate(points):
            at = max(float(due[i]), sent[-1] + MIN_GAP_S if sent else 0.0)
            if i + 1 < len(points) and max(at, time.perf_counter()) >= due[i + 1]:
                continue  # late: the next point is already due
            _sleep_until(at)
            self.move(x, y)
            self._d.sync()  # the server has taken it: the next point cannot join it in a burst there
            sent.append(time.perf_counter())
        return sent

    def move(self, x: int, y: int) -> None:
        if (x, y) == self.position:
            return  # X reports no motion for it
        xtest.fake_input(self._d, X.MotionNotify, x=x, y=y)
        self._d.flush()
        self.position = (x, y)

    def button(self, button: int, down: bool) -> None:
        xtest.fake_input(self._d, X.ButtonPress if down else X.ButtonRelease, button)
        self._d.flush()

    def key(self, key: str, down: bool) -> None:
        bound = self._binds
        keycode = self.keycode(key)
        if self._binds != bound:
            time.sleep(SETTLE_S)  # the browser re-reads the keyboard mapping (MappingNotify) before the key comes
        if down:
            self._held.add(keycode)
        else:
            self._held.discard(keycode)
        xtest.fake_input(self._d, X.KeyPress if down else X.KeyRelease, keycode)
        self._d.flush()

    def play(self, timeline: Iterable[KeyEvent]) -> None:
        """Press and release keys at the timeline's times.

        Characters off the keyboard get their spare keys first (as many as there are spare keys), and
        the browser a moment to take the new keyboard mapping: it reads it some time after the change.
        """
        timeline = list(timeline)
        bound = self._binds
        for key in dict.fromkeys(e.key for e in timeline if e.down):
            if len(self._bound) >= len(self._spares()) or self._binds - bound >= len(self._spares()):
                break
            self.keycode(key)
        if self._binds != bound:
            time.sleep(SETTLE_S)
        start = time.perf_counter()
        for event in timeline:
            _sleep_until(start + event.t)
            self.key(event.key, event.down)

    def keycode(self, key: str) -> int:
        """The keycode of a character or key name; shifted characters use their key's keycode."""
        name = x_key_name(key)
        try:
            keysym = keysym_of(name)
        except KeyError:
            raise PerformError(f"unknown key {key!r}", "use a character or an X key name like 'Return'") from None
        if keysym in self._bound:
            self._bound.move_to_end(keysym)  # least recently used spare keys are remapped first
            return self._bound[keysym]
        keycode = self._d.keysym_to_keycode(keysym)
        if keycode and keycode not in self._spares():
            return keycode
        if len(name) != 1:
            raise PerformError(f"key {key!r} is not on the sandbox keyboard", "use an X key name like 'Return'")
        return self._bind(keysym)

    def _spares(self) -> list[int]:
        """Keycodes without keysyms in the sandbox's keyboard map (looked up once)."""
        if self._spare is None:
            first = self._d.display.info.min_keycode
            count = self._d.display.info.max_keycode - first + 1
            mapping = self._d.get_keyboard_mapping(first, count)
            self._spare = [first + i for i, syms in enumerate(mapping) if not any(syms)]
        return self._spare

    def _bind(self, keysym: int) -> int:
        """Map a character missing from the keyboard (é, ß, 山…) to a spare keycode, as xdotool does.

        A free spare if there is one, else the least recently used one that is not held down.
        """
        taken = set(self._bound.values())
        free = [k for k in self._spares() if k not in taken]
        if free:
            keycode = free[0]
        else:
            old = next((s for s, k in self._bound.items() if k not in self._held), None)
            if old is None:
                raise PerformError("the sandbox keyboard has no spare key for a non-ASCII character", "type ASCII text")
            keycode = self._bound.pop(old)
        self._d.change_keyboard_mapping(keycode, [(keysym, keysym)])
        self._d.sync()
        self._bound[keysym] = keycode
        self._binds += 1
        return keycode

    def sync(self) -> None:
        self._d.sync()

    def close(self) -> None:
        self._d.close()


def _sleep_until(due: float) -> None:
    remaining = due - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)
