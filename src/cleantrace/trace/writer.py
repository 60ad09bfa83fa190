"""Streams one episode's trace to its folder: every record is on disk as soon as it is known."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

from cleantrace.errors import TraceError
from cleantrace.trace import files
from cleantrace.trace.schema import Action, Event, Frame, Meta, Target


class TraceWriter:
    """Appends events and frames as they come, writes meta atomically, actions when reduced.

    A write that fails (a full disk) is remembered in `error` instead of raised on the capture
    threads; the episode checks it between steps and ends with a clear reason.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        (folder / files.FRAMES_DIR).mkdir(exist_ok=True)
        self._events = files.JsonlAppender(folder / files.EVENTS)
        self._frames = files.JsonlAppender(folder / files.FRAMES)
        self._targets = files.JsonlAppender(folder / files.TARGETS)
        self._lock = threading.Lock()
        self.error: TraceError | None = None

    def failed(self, exc: OSError, what: str) -> None:
        """Remember the first write error, as a TraceError naming the file and the fix."""
        if self.error is None:
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
            self.error = TraceError(
                f"cannot write {what}: {reason}", "free disk space or choose another --out"
            )

    @property
    def frames_dir(self) -> Path:
        return self.folder / files.FRAMES_DIR

    def write_meta(self, meta: Meta) -> None:
        files.replace_json(self.folder / files.META, meta)

    def append_events(self, events: list[Event]) -> None:
        with self._lock:
            try:
                self._events.append(events)
            except OSError as exc:
                self.failed(exc, files.EVENTS)

    def append_frame(self, frame: Frame) -> None:
        with self._lock:
            try:
                self._frames.append([frame])
            except OSError as exc:
                self.failed(exc, files.FRAMES)

    def append_target(self, t_ms: float, x: int | None, y: int | None, target: Target) -> None:
        """One resolved action target, on disk at once: a sandbox killed later still has it."""
        with self._lock:
            try:
                self._targets.append([{"t_ms": t_ms, "x": x, "y": y, "target": target.model_dump(exclude_none=True)}])
            except OSError as exc:
                self.failed(exc, files.TARGETS)

    def write_actions(self, actions: list[Action]) -> None:
        path = self.folder / files.ACTIONS
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(files.dumps(a) + "\n" for a in actions), encoding="utf-8")
        tmp.replace(path)
        (self.folder / files.TARGETS).unlink(missing_ok=True)  # the actions carry the targets now

    def close(self) -> None:
        for appender in (self._events, self._frames, self._targets):
            try:
                appender.close()
            except OSError as exc:
                self.failed(exc, appender.path.name)
