"""The recorder: the same for every performer. It attaches to the sandbox's display only."""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any

from cleantrace.record.changes import ChangeWatcher
from cleantrace.record.clipboard import PasteWatcher, SelectionReader
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.frames import FrameCapture
from cleantrace.record.grounding import TargetResolver
from cleantrace.record.xrecord import XRecordCapture
from cleantrace.spec import DEFAULT_CHANGE_FPS, DEFAULT_FPS
from cleantrace.trace.reduce import TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import Action, Event, Frame
from cleantrace.trace.writer import TraceWriter


class Recorder:
    """Captures raw X input, frames and action targets into a TraceWriter while it is on."""

    def __init__(
        self, writer: TraceWriter, display_name: str, clock: EpisodeClock,
        resolver: TargetResolver | None = None, fps: float = DEFAULT_FPS, change_fps: float = DEFAULT_CHANGE_FPS,
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.resolver = resolver
        self.fps = fps
        self.events: list[Event] = []
        self.frames: list[Frame] = []
        self.probes: list[TargetProbe] = []
        self._input = XRecordCapture(display_name, clock, self._on_events)
        self._pastes = PasteWatcher(SelectionReader(display_name))
        self._frames = FrameCapture(display_name, writer.frames_dir, clock, self._on_frame, writer.failed)
        self._changes = (
            ChangeWatcher(display_name, lambda: self._frames.capture("change"), change_fps) if change_fps > 0 else None
        )
        self._running = False
        self._pause_lock = threading.Lock()
        self._paused_since: float | None = None
        self._pauses: list[tuple[float, float]] = []  # closed pauses [since, until] in t_ms

    def start(self) -> None:
        """Start capturing input, take the first frame, then frames every 1/fps seconds."""
        self._input.start()
        self._running = True
        self._frames.capture("interval")
        self._frames.start_interval(self.fps)
        if self._changes:
            self._changes.start()

    def observe(self, reason: str = "action") -> int:
        """Take a frame now (before or after an action); returns its index.

        Raises the writer's TraceError once the trace can no longer be written (a full disk).
        """
        if self.writer.error is not None:
            raise self.writer.error
        return self._frames.capture(reason)

    def probe(self, x: int, y: int) -> Any:
        """Resolve and remember the element at (x, y): call it right before pressing there."""
        if self.resolver is None:
            return None
        t_ms = self.clock.ms()
        target = self.resolver.at(x, y)
        if target is not None:
            self.probes.append(TargetProbe(t_ms, x, y, target))
        return target

    def probe_focus(self) -> Any:
        """Resolve and remember the focused element: call it right before typing."""
        if self.resolver is None:
            return None
        t_ms = self.clock.ms()
        target = self.resolver.focused()
        if target is not None:
            self.probes.append(TargetProbe(t_ms, None, None, target))
        return target

    def stop(self) -> list[Action]:
        """Stop capture, wait for pending frames, reduce events to actions and write them."""
        if self._running:
            self._running = False
            try:
                self._input.stop()
            except Exception as exc:  # the X server died: what was captured is kept
                self._input.error = self._input.error or exc
            if self._changes:
                self._changes.stop()
        with suppress(Exception):  # the X server may be gone already
            self._pastes.reader.close()
        self._frames.close()
        actions = attach_observations(reduce_events(self.events), self.events, self.frames, self.probes)
        try:
            self.writer.write_actions(actions)
        except OSError as exc:
            self.writer.failed(exc, "actions.jsonl")
        return actions

    def pause(self) -> None:
        """Record nothing from now on until `resume()`: events that happen meanwhile are dropped
        (by their X server time, however late they are delivered) and no frame is taken."""
        with self._pause_lock:
            if self._paused_since is None:
                self._paused_since = self.clock.ms()
                self._frames.paused = True

    def resume(self) -> None:
        """Record again after `pause()`, starting with a frame of the screen as it is now."""
        with self._pause_lock:
            if self._paused_since is None:
                return
            self._pauses.append((self._paused_since, self.clock.ms()))
            self._paused_since = None
            self._frames.paused = False
        self._frames.capture("interval")

    @property
    def paused(self) -> bool:
        return self._paused_since is not None

    def failure(self) -> str | None:
        """Why the recording is not whole, if a capture thread died (a trace missing events or
        frames must not pass as a successful demonstration)."""
        for what, source in (("input capture", self._input), ("frame capture", self._frames),
                             ("change capture", self._changes)):
            if source is not None and source.error is not None:
                return f"{what} failed: {type(source.error).__name__}: {source.error}"
        return None

    def _on_events(self, events: list[Event]) -> None:
        if self._pauses or self._paused_since is not None:
            events = [e for e in events if not self._in_pause(e.t_ms)]
            if not events:
                return
        events = self._pastes.with_pastes(events)
        self.events.extend(events)
        self.writer.append_events(events)

    def _in_pause(self, t_ms: float) -> bool:
        with self._pause_lock:
            if self._paused_since is not None and t_ms >= self._paused_since:
                return True
            return any(since <= t_ms <= until for since, until in self._pauses)

    def _on_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        self.writer.append_frame(frame)
