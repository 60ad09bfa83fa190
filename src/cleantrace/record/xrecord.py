"""Raw input capture at the X server through the RECORD extension (python-xlib)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress

from Xlib import X, display
from Xlib.ext import record
from Xlib.protocol import rq

from cleantrace.errors import SandboxError
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.keys import key_label
from cleantrace.trace.schema import Event

SHIFT_KEYSYMS = {0xFFE1, 0xFFE2}  # Shift_L, Shift_R
WHEEL_BUTTONS = {4, 5, 6, 7}


class XRecordCapture:
    """Captures every device event (keys, buttons, motion) of a display on a background thread.

    Wheel ticks arrive as press+release of buttons 4–7: the press is kept as a `wheel` event, the
    release carries nothing and is dropped. Keys are named for the keysym they produce with the
    Shift state at the time (a shifted '1' is '!', also on release).

    Timing: the RECORD extension sends its data only when the server flushes output to some
    client, so delivery can lag by many milliseconds on a quiet server. An event's time is
    therefore taken from the server's own timestamp (whole milliseconds on CLOCK_MONOTONIC),
    bounded above by the time it was received: exact to 1 ms however late it arrives.
    """

    def __init__(self, display_name: str, clock: EpisodeClock, sink: Callable[[list[Event]], None]) -> None:
        self.clock = clock
        self.sink = sink
        self._data = display.Display(display_name)
        self._control = display.Display(display_name)
        if not self._data.has_extension("RECORD"):
            raise SandboxError(f"X display {display_name} has no RECORD extension", "run Xvfb with +extension RECORD")
        self._keymap = _keymap(self._control)
        self._spare = {code for code, (base, _) in self._keymap.items() if not base}  # the injector remaps these
        self._display_name = display_name
        self._lookup: display.Display | None = None  # the record thread's own connection for keymap changes
        self._shift_down = 0
        self._pressed_as: dict[int, int] = {}
        self._last_t = 0.0
        self._context = self._data.record_create_context(
            0,
            [record.AllClients],
            [{
                "core_requests": (0, 0), "core_replies": (0, 0),
                "ext_requests": (0, 0, 0, 0), "ext_replies": (0, 0, 0, 0),
                "delivered_events": (0, 0), "device_events": (X.KeyPress, X.MotionNotify),
                "errors": (0, 0), "client_started": False, "client_died": False,
            }],
        )
        self._thread = threading.Thread(target=self._loop, name="xrecord", daemon=True)
        self._enabled = threading.Event()
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        # RECORD is live once the first (StartOfData) reply arrived.
        if not self._enabled.wait(5):
            raise SandboxError("XRecord did not start within 5 s", "check the X server (cleantrace doctor)")

    def stop(self) -> None:
        """Stop capturing; every event the server sent before this call is delivered to the sink."""
        self._control.record_disable_context(self._context)
        self._control.sync()
        self._thread.join(5)
        self._control.record_free_context(self._context)
        self._control.close()
        if self._lookup is not None:
            with suppress(Exception):
                self._lookup.close()

    def _loop(self) -> None:
        try:
            self._data.record_enable_context(self._context, self._on_reply)
        except BaseException as exc:  # surfaced by the recorder
            self.error = exc
        finally:
            self._enabled.set()
            with suppress(Exception):  # the X server may be gone already
                self._data.close()

    def _on_reply(self, reply) -> None:
        if reply.category == record.StartOfData:
            self._enabled.set()
            return
        if reply.category != record.FromServer or reply.client_swapped or not reply.data:
            return
        received = self.clock.ms()
        data = reply.data
        events: list[Event] = []
        while data:
            xevent, data = rq.EventField(None).parse_binary_value(data, self._data.display, None, None)
            happened = min(received, self.clock.from_server_ms(xevent.time) + 1.0)
            self._last_t = max(self._last_t, happened)  # keep time monotonic within the stream
            event = self._convert(xevent, self._last_t)
            if event is not None:
                events.append(event)
        if events:
            self.sink(events)

    def _convert(self, xe, t_ms: float) -> Event | None:
        x, y = xe.root_x, xe.root_y
        if xe.type == X.MotionNotify:
            return Event(t_ms=t_ms, kind="move", x=x, y=y)
        if xe.type == X.ButtonPress:
            kind = "wheel" if xe.detail in WHEEL_BUTTONS else "down"
            return Event(t_ms=t_ms, kind=kind, x=x, y=y, button=xe.detail)
        if xe.type == X.ButtonRelease:
            return None if xe.detail in WHEEL_BUTTONS else Event(t_ms=t_ms, kind="up", x=x, y=y, button=xe.detail)
        if xe.type == X.KeyPress:
            base, shifted = self._keymap.get(xe.detail, (0, 0))
            if xe.detail in self._spare:  # remapped on the fly by the injector (é, ß, 山…): look it up now
                base, shifted = self._refresh(xe.detail)
            keysym = shifted if self._shift_down and shifted else base
            self._pressed_as[xe.detail] = keysym
            self._shift_down += base in SHIFT_KEYSYMS
            return Event(t_ms=t_ms, kind="key_down", x=x, y=y, key=key_label(keysym), keysym=keysym)
        if xe.type == X.KeyRelease:
            base, _ = self._keymap.get(xe.detail, (0, 0))
            keysym = self._pressed_as.pop(xe.detail, base)  # released under the name it was pressed with
            if base in SHIFT_KEYSYMS:
                self._shift_down = max(0, self._shift_down - 1)
            return Event(t_ms=t_ms, kind="key_up", x=x, y=y, key=key_label(keysym), keysym=keysym)
        return None

    def _refresh(self, keycode: int) -> tuple[int, int]:
        """The keycode's keysyms as the server maps them now (the injector remaps a spare keycode only after
        every other spare was used since, so the press and this lookup see the same mapping)."""
        try:
            if self._lookup is None:
                self._lookup = display.Display(self._display_name)
            syms = self._lookup.get_keyboard_mapping(keycode, 1)[0]
        except Exception:  # the display is going away: the key stays unnamed
            return 0, 0
        entry = (syms[0], syms[1] if len(syms) > 1 and syms[1] else syms[0])
        self._keymap[keycode] = entry
        return entry


def _keymap(d: display.Display) -> dict[int, tuple[int, int]]:
    first = d.display.info.min_keycode
    count = d.display.info.max_keycode - first + 1
    return {
        first + i: (syms[0], syms[1] if len(syms) > 1 and syms[1] else syms[0])
        for i, syms in enumerate(d.get_keyboard_mapping(first, count))
    }
