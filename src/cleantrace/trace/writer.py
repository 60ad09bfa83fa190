"""Streams one episode's trace to its folder: every record is on disk as soon as it is known."""

from __future__ import annotations

import threading
from pathlib import Path

from cleantrace.trace import files
from cleantrace.trace.schema import Action, Event, Frame, Meta


class TraceWriter:
    """Appends events and frames as they come, writes meta atomically, actions when reduced."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        (folder / files.FRAMES_DIR).mkdir(exist_ok=True)
        self._events = files.JsonlAppender(folder / files.EVENTS)
        self._frames = files.JsonlAppender(folder / files.FRAMES)
        self._lock = threading.Lock()

    @property
    def frames_dir(self) -> Path:
        return self.folder / files.FRAMES_DIR

    def write_meta(self, meta: Meta) -> None:
        files.replace_json(self.folder / files.META, meta)

    def append_events(self, events: list[Event]) -> None:
        with self._lock:
            self._events.append(events)

    def append_frame(self, frame: Frame) -> None:
        with self._lock:
            self._frames.append([frame])

    def write_actions(self, actions: list[Action]) -> None:
        path = self.folder / files.ACTIONS
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(files.dumps(a) + "\n" for a in actions), encoding="utf-8")
        tmp.replace(path)

    def close(self) -> None:
        self._events.close()
        self._frames.close()
