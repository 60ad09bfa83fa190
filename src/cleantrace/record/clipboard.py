"""What a paste puts into the sandbox: the X selection's text at the moment of a paste.

Text pasted (from a volunteer's own clipboard through the viewer, or copied inside the sandbox)
reaches the app with no keystrokes, so the recorder notes it as a `paste` event that the privacy
scan reads. A paste is Ctrl+V or Shift+Insert (the CLIPBOARD selection) or a middle click (PRIMARY).
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator, Sequence

from Xlib import X, Xatom, display

from cleantrace.trace.reduce import MODIFIER_NAMES
from cleantrace.trace.schema import Event

READ_TIMEOUT_S = 0.5  # the selection's owner (the browser, x11vnc) answers in milliseconds
MAX_PASTE_BYTES = 1 << 20
PASTE_KEYS = {"v": "ctrl", "V": "ctrl", "Insert": "shift", "KP_Insert": "shift"}  # key: the modifier it needs


class SelectionReader:
    """Reads the text of an X selection through its own connection and a private window."""

    def __init__(self, display_name: str) -> None:
        self._display = display.Display(display_name)
        self._window = self._display.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        self._utf8 = self._display.intern_atom("UTF8_STRING")
        self._property = self._display.intern_atom("CLEANTRACE_PASTE")

    def read(self, selection: str) -> str | None:
        """The selection's text, or None when nobody owns it or its owner does not answer in time."""
        atom = self._display.intern_atom(selection)
        if self._display.get_selection_owner(atom) == X.NONE:
            return None
        self._window.convert_selection(atom, self._utf8, self._property, X.CurrentTime)
        self._display.flush()
        deadline = time.monotonic() + READ_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            if not self._display.pending_events():
                select.select([self._display.fileno()], [], [], left)
                continue
            event = self._display.next_event()
            if event.type != X.SelectionNotify or event.selection != atom:
                continue
            if event.property == X.NONE:
                return None
            prop = self._window.get_full_property(self._property, X.AnyPropertyType, sizehint=MAX_PASTE_BYTES)
            self._window.delete_property(self._property)
            if prop is None or prop.property_type not in (self._utf8, Xatom.STRING):
                return None
            raw = prop.value if isinstance(prop.value, bytes) else bytes(prop.value)
            return raw.decode("utf-8" if prop.property_type == self._utf8 else "latin-1", errors="replace")
        return None

    def close(self) -> None:
        self._display.close()


class PasteWatcher:
    """Follows the modifier state of an event stream and adds a `paste` event after each paste."""

    def __init__(self, reader: SelectionReader) -> None:
        self.reader = reader
        self._held: set[str] = set()

    def with_pastes(self, events: Sequence[Event]) -> list[Event]:
        out: list[Event] = []
        for e in events:
            out.append(e)
            for selection in self._pastes(e):
                try:
                    text = self.reader.read(selection)
                except Exception:  # noqa: BLE001 - a broken X connection must not stop the recording
                    text = None
                out.append(Event(t_ms=e.t_ms, kind="paste", x=e.x, y=e.y, text=text))
        return out

    def _pastes(self, e: Event) -> Iterator[str]:
        if e.kind == "key_down" and e.key:
            modifier = MODIFIER_NAMES.get(e.key)
            if modifier:
                self._held.add(modifier)
            elif PASTE_KEYS.get(e.key) in self._held:
                yield "CLIPBOARD"
        elif e.kind == "key_up" and e.key:
            self._held.discard(MODIFIER_NAMES.get(e.key, ""))
        elif e.kind == "down" and e.button == 2:
            yield "PRIMARY"
