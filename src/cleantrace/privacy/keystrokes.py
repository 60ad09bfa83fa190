"""Everything a person typed or pasted, rebuilt from the raw events for the privacy scan.

The reduced actions keep only the text that was left after BackSpace corrections, and a key pressed
with no field focused may never show on screen. Personal data must be found in every form it is
stored, so this works on `events.jsonl` itself:
- printable keys are collected into a buffer, BackSpace deletes from it, and the buffer is kept
  *before* each run of at least MIN_ERASED deletions (text typed and erased is still text typed;
  a typo fixed with one or two BackSpaces is not: what is kept after it is scanned anyway) and at every break
  (a click, Enter, Tab, a hotkey, a paste);
- a `paste` event (the clipboard's text at the moment of a paste) is its own span.
Keys pressed with Control, Alt or Super held are shortcuts, not text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cleantrace.trace.reduce import CHORD_MODIFIERS, MODIFIER_NAMES
from cleantrace.trace.schema import Event

BREAK_KEYS = {"Return", "KP_Enter", "Tab", "ISO_Left_Tab", "Escape"}
MIN_ERASED = 3  # deletions in a row that make what stood before them a span of its own


@dataclass(frozen=True)
class TypedSpan:
    """Text that reached the sandbox between raw events `first` and `last` (0-based, inclusive)."""

    text: str
    first: int
    last: int
    how: str  # typed | erased | pasted

    @property
    def record(self) -> str:
        return f"events.jsonl:{self.first + 1}-{self.last + 1} {self.how}"


def typed_spans(events: Sequence[Event]) -> list[TypedSpan]:
    """Every stretch of typed text (kept or erased) and every pasted text, in order."""
    spans: list[TypedSpan] = []
    buffer: list[str] = []
    first = last = -1
    erased_from: int | None = None  # the buffer was snapshotted at this length before deleting
    snapshot, deleted = "", 0
    held: set[str] = set()

    def flush(how: str = "typed") -> None:
        nonlocal buffer, first, erased_from
        text = "".join(buffer).strip()
        if text:
            spans.append(TypedSpan(text, first, last, how))
        buffer, first, erased_from = [], -1, None

    for i, e in enumerate(events):
        if e.kind == "paste":
            flush()
            if e.text and e.text.strip():
                spans.append(TypedSpan(e.text.strip(), i, i, "pasted"))
        elif e.kind == "key_down" and e.key:
            modifier = MODIFIER_NAMES.get(e.key)
            if modifier:
                held.add(modifier)
            elif held & CHORD_MODIFIERS or e.key in BREAK_KEYS:
                flush()
            elif e.key == "BackSpace":
                if buffer and erased_from is None:
                    erased_from, snapshot, deleted = len(buffer), "".join(buffer).strip(), 0
                if buffer:
                    buffer.pop()
                    deleted += 1
                    if deleted == MIN_ERASED and snapshot:
                        spans.append(TypedSpan(snapshot, first, i, "erased"))
                last = i
            elif len(e.key) == 1:
                if first < 0:
                    first = i
                buffer.append(e.key)
                last = i
                erased_from = None
        elif e.kind == "key_up" and e.key:
            held.discard(MODIFIER_NAMES.get(e.key, ""))
            if first >= 0 and (len(e.key) == 1 or e.key == "BackSpace"):
                last = i  # a span ends with the release of its last key
        elif e.kind in ("down", "wheel"):
            flush()
    flush()
    return _without_repeats(spans)


def _without_repeats(spans: list[TypedSpan]) -> list[TypedSpan]:
    """An erased snapshot that the kept text still contains whole says nothing new."""
    kept = [s for s in spans if s.how != "erased"]
    return [s for s in spans if s.how != "erased" or not any(s.text in k.text for k in kept)]
