"""Browser shortcuts that would leave the kiosk page never reach the browser.

Alt+F4, Ctrl+W and friends close the kiosk window (and so end the browser); Ctrl+N, Ctrl+T open a
window with an address bar; Ctrl+U shows the page source; F12 opens DevTools. A small X client
grabs these chords on the root window, as a window manager would, so that they are delivered to it
instead of the browser, and drops them. The recorder still captures the key presses (XRecord sees
the device events), so a trace shows what was tried. Chords the task apps use (Ctrl+S, Ctrl+F,
Ctrl+Z…) are left alone.
"""

from __future__ import annotations

import select
import sys
import threading
from contextlib import suppress

BLOCKED = (  # (modifiers, key)
    (("alt",), "F4"), (("ctrl",), "w"), (("ctrl",), "F4"), (("ctrl", "shift"), "w"), (("ctrl", "shift"), "q"),
    (("ctrl",), "q"), (("ctrl",), "n"), (("ctrl",), "t"), (("ctrl", "shift"), "n"), (("ctrl", "shift"), "t"),
    (("ctrl",), "o"), (("ctrl",), "p"), (("ctrl", "shift"), "p"), (("ctrl",), "u"), (("ctrl",), "h"),
    (("ctrl",), "j"), (("ctrl", "shift"), "o"), (("ctrl", "shift"), "b"), (("ctrl", "shift"), "Delete"),
    (("ctrl", "shift"), "i"), (("ctrl", "shift"), "j"), (("ctrl", "shift"), "c"), (("ctrl", "shift"), "m"),
    ((), "F12"), (("shift",), "Escape"), (("alt",), "Home"), (("alt",), "f"), (("alt",), "e"), ((), "F11"),
    (("ctrl",), "l"), (("alt",), "d"), ((), "F6"),
)
# a desktop (docs/desktop.md): tabs, windows, the address bar and Alt+Tab are the work itself; what stays
# out is the browser's internals (DevTools, page source, task manager) and the chords that end the X session
DESKTOP_BLOCKED = (
    ((), "F12"), (("ctrl", "shift"), "i"), (("ctrl", "shift"), "j"), (("ctrl", "shift"), "c"), (("ctrl",), "u"),
    (("shift",), "Escape"), (("ctrl", "alt"), "BackSpace"), (("ctrl", "alt"), "Delete"),
)

POLL_S = 0.1


class ShortcutBlock:
    """Holds the grabs of `chords` (the kiosk's by default) on display `display_name` until `close()`;
    logs each chord it kept from `who`."""

    def __init__(self, display_name: str, chords: tuple = BLOCKED, who: str = "the browser") -> None:
        from Xlib import XK, X
        from Xlib.display import Display

        self._display = Display(display_name)
        root = self._display.screen().root
        masks = {"ctrl": X.ControlMask, "shift": X.ShiftMask, "alt": X.Mod1Mask}
        self._names: dict[tuple[int, int], str] = {}
        self._who = who
        for modifiers, key in chords:
            keycode = self._display.keysym_to_keycode(XK.string_to_keysym(key))
            if not keycode:
                continue
            mask = 0
            for modifier in modifiers:
                mask |= masks[modifier]
            for locks in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):  # with Caps/Num Lock on too
                root.grab_key(keycode, mask | locks, False, X.GrabModeAsync, X.GrabModeAsync)
            self._names[(keycode, mask)] = "+".join((*modifiers, key))
        self._display.sync()
        self.blocked: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="shortcut-block", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        from Xlib import X

        relevant = X.ControlMask | X.ShiftMask | X.Mod1Mask
        with suppress(Exception):  # the display went away
            while not self._stop.is_set():
                if not select.select([self._display.fileno()], [], [], POLL_S)[0]:
                    continue
                while self._display.pending_events():
                    event = self._display.next_event()
                    if event.type == X.KeyPress:
                        name = self._names.get((event.detail, event.state & relevant), f"keycode {event.detail}")
                        self.blocked.append(name)
                        print(f"keys: kept {name} from {self._who}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Release the grabs (by closing the connection)."""
        self._stop.set()
        self._thread.join(POLL_S * 4)
        with suppress(Exception):
            self._display.close()
