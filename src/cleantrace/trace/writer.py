"""Streams one episode's trace to its folder: every record is on disk as soon as it is known."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import threading
from pathlib import Path

from cleantrace.errors import TraceError
from cleantrace.trace import files
from cleantrace.trace.schema import Action, Event, Frame, Meta


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
        self._labels: files.JsonlAppender | None = None
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

    def write_labels(
        self, frame: int, t_ms: float, labels: dict | None, error: str | None = None, same_as: dict | None = None,
    ) -> dict:
        """Store the screen's labels at `frame` (gzipped JSON, content-addressed: identical labels are
        stored once) and index them in labels.jsonl; a labelling that failed is indexed with its reason.
        `same_as` (an earlier row) indexes that row's labels for `frame` too. Returns the row."""
        row: dict = {"frame": frame, "t_ms": round(t_ms, 3)}
        if same_as is not None:
            row.update({k: same_as[k] for k in ("file", "elements", "error") if k in same_as})
        elif labels is not None:
            data = json.dumps(labels, separators=(",", ":"), ensure_ascii=False).encode()
            name = f"{files.LABELS_DIR}/{hashlib.sha256(data).hexdigest()[:20]}.json.gz"
            row.update(file=name, elements=len(labels["elements"]))
        else:
            row["error"] = error or "unknown"
        with self._lock:
            try:
                path = self.folder / row["file"] if "file" in row and same_as is None else None
                if path is not None and not path.exists():
                    path.parent.mkdir(exist_ok=True)
                    tmp = path.with_name(path.name + ".tmp")
                    tmp.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
                    tmp.replace(path)
                if self._labels is None:
                    self._labels = files.JsonlAppender(self.folder / files.LABELS)
                self._labels.append([row])
            except OSError as exc:
                self.failed(exc, files.LABELS)
        return row

    def write_actions(self, actions: list[Action]) -> None:
        path = self.folder / files.ACTIONS
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(files.dumps(a) + "\n" for a in actions), encoding="utf-8")
        tmp.replace(path)

    def close(self) -> None:
        for appender in (self._events, self._frames, self._labels):
            if appender is None:
                continue
            try:
                appender.close()
            except OSError as exc:
                self.failed(exc, appender.path.name)
