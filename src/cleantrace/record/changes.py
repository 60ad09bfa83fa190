"""Frames on visual change: the X server's DAMAGE extension says when the screen was drawn on."""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from Xlib import display
from Xlib.ext import damage

from cleantrace.spec import DEFAULT_CHANGE_FPS


class ChangeWatcher:
    """Calls `on_change` after the screen changed, at most `max_fps` times a second.

    After a change it waits out the rest of the interval, clears the damage and then calls
    `on_change`, so the frame shows the latest state and a burst of drawing gives one frame.
    """

    def __init__(self, display_name: str, on_change: Callable[[], object], max_fps: float = DEFAULT_CHANGE_FPS) -> None:
        self.display_name = display_name
        self.on_change = on_change
        self.interval = 1.0 / max_fps
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="changes", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        try:
            d = display.Display(self.display_name)
            if not d.has_extension("DAMAGE"):
                return  # the interval and action frames still cover the episode
            d.damage_query_version()
            # python-xlib registers a copy of the event class per display: match by event code
            damage_notify = d.query_extension("DAMAGE").first_event + damage.DamageNotifyCode
            watched = d.screen().root.damage_create(damage.DamageReportNonEmpty)
            d.sync()
            last = 0.0
            while not self._stop.is_set():
                if not d.pending_events() and not select.select([d.fileno()], [], [], 0.1)[0]:
                    continue
                changed = False
                while d.pending_events():
                    changed |= d.next_event().type == damage_notify
                if not changed:
                    continue
                wait = last + self.interval - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    break
                d.damage_subtract(watched)
                d.sync()
                last = time.monotonic()
                self.on_change()
            with suppress(Exception):
                d.close()
        except Exception as exc:  # the display went away: the episode reports it
            self.error = exc
