"""The recorder: the same for every performer. It attaches to the sandbox's display only."""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any

from cleantrace.errors import GroundingError
from cleantrace.record.changes import ChangeWatcher
from cleantrace.record.clipboard import PasteWatcher, SelectionReader
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.frames import FrameCapture
from cleantrace.record.grounding import TargetResolver
from cleantrace.record.labels import ScreenLabeller
from cleantrace.record.xrecord import XRecordCapture
from cleantrace.spec import DEFAULT_CHANGE_FPS, DEFAULT_FPS
from cleantrace.trace.describe import StepNote, attach_descriptions, done_action
from cleantrace.trace.reduce import TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import Action, Event, Frame
from cleantrace.trace.writer import TraceWriter


class Recorder:
    """Captures raw X input, frames and action targets into a TraceWriter while it is on."""

    def __init__(
        self, writer: TraceWriter, display_name: str, clock: EpisodeClock,
        resolver: TargetResolver | None = None, fps: float = DEFAULT_FPS, change_fps: float = DEFAULT_CHANGE_FPS,
        labeller: ScreenLabeller | None = None, frame_format: str = "png",
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.resolver = resolver
        self.fps = fps
        self.events: list[Event] = []
        self.frames: list[Frame] = []
        self.probes: list[TargetProbe] = []
        self.notes: list[StepNote] = []
        self.labeller = labeller
        self._labelled: dict[int, dict] = {}  # frame → its labels.jsonl row
        self._input = XRecordCapture(display_name, clock, self._on_events)
        self._pastes = PasteWatcher(SelectionReader(display_name))
        self._frames = FrameCapture(display_name, writer.frames_dir, clock, self._on_frame, writer.failed, frame_format)
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

    def observe(self, reason: str = "action", label: bool = False) -> int:
        """Take a frame now (before or after an action); returns its index. `label`: the frame is an
        action's frame_before: also store the screen's labels (once per distinct frame).

        Raises the writer's TraceError once the trace can no longer be written (a full disk).
        """
        if self.writer.error is not None:
            raise self.writer.error
        if not label or self.labeller is None:
            return self._frames.capture(reason)
        # label first, then take the frame: labelling takes a while (~0.1-0.4 s), and a frame taken
        # before it could be superseded meanwhile (a caret blinks), leaving the action's frame_before unlabelled
        t_ms = self.clock.ms()
        try:
            labels, error = self.labeller.label(), None
        except GroundingError as exc:  # kept with its reason, never dropped
            labels, error = None, exc.message
        index = self._frames.capture(reason)
        if index >= 0 and index not in self._labelled:
            self._labelled[index] = self.writer.write_labels(index, t_ms, labels, error)
        return index

    def label_if_new(self) -> bool:
        """Label the screen when its newest stored frame has no labels yet; True if it did. For a performer
        whose steps come unannounced (a volunteer): called while the pointer rests, so the frame_before of
        the next step is labelled (or shares the labels of the screen it rested on, see `stop`)."""
        if self.labeller is None or self.paused or self._frames.newest in self._labelled:
            return False
        self.observe("change", label=True)
        return True

    def popup_opened(self, target: Any) -> bool:
        """The element `target` (a probed Target) is, or is inside, a menu item whose menu is open."""
        if self.resolver is None or target is None or not getattr(target, "selector", ""):
            return False
        try:
            return self.resolver.opened(target.selector)
        except GroundingError:
            return False

    def probe(self, x: int, y: int, kind: str = "press", skip: str = "") -> Any:
        """Resolve and remember the element at (x, y): call it right before pressing there
        (`kind` "hover" for a deliberate rest, "drop" before releasing a drag, whose dragged
        element `skip`, a CSS selector, is looked through). A failure is kept with its reason."""
        if self.resolver is None:
            return None
        t_ms = self.clock.ms()
        try:
            target = self.resolver.at(x, y, skip=skip) if skip else self.resolver.at(x, y)
            error = None
        except GroundingError as exc:
            target, error = None, exc.message
        self._remember(TargetProbe(t_ms, x, y, target, error, kind))
        return target

    def probe_focus(self, typing: bool = False) -> Any:
        """Resolve and remember the focused element: call it right before typing (`typing`: the
        performer means to enter text, e.g. into a grid cell that edits on typing) or a key."""
        if self.resolver is None:
            return None
        t_ms = self.clock.ms()
        try:
            target, error = self.resolver.focused(), None
        except GroundingError as exc:
            target, error = None, exc.message
        self._remember(TargetProbe(t_ms, None, None, target, error, "typing" if typing else "focus"))
        return target

    def _remember(self, probe: TargetProbe) -> None:
        """Keep a probe, and put it on disk at once: a sandbox killed later still has its targets."""
        self.probes.append(probe)
        self.writer.append_target(probe)

    def note(self, description: str, why: str | None = None) -> None:
        """The performer's plain-language description of the step it starts now."""
        self.notes.append(StepNote(self.clock.ms(), description, why))

    def stop(self, done: bool = False) -> list[Action]:
        """Stop capture, wait for pending frames, reduce events to actions and write them;
        `done` (the task's check passed) closes them with a `done` action."""
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
        steps = [n.t_ms for n in self.notes]  # the performer's announced steps bound its scrolls
        actions = attach_observations(
            reduce_events(self.events, self.probes, steps), self.events, self.frames, self.probes,
            self._frames.capture_times,
        )
        actions = attach_descriptions(actions, self.events, self.notes)
        self._label_unlabelled_frames_before(actions)
        if done:
            actions.append(done_action(actions, self.frames))
        try:
            self.writer.write_actions(actions)
        except OSError as exc:
            self.writer.failed(exc, "actions.jsonl")
        return actions

    def _label_unlabelled_frames_before(self, actions: list[Action]) -> None:
        """An action's frame_before may be a frame stored after its step was labelled but before its
        first input (a caret blinked while the pointer set off): no input came in between, so the
        step's labels are that frame's too, indexed for it (labels.jsonl rows share the file)."""
        rows = sorted(self._labelled.values(), key=lambda r: r["t_ms"])
        since = float("-inf")
        for a in actions:
            if a.events is None:
                continue
            first = self.events[a.events[0]].t_ms
            if a.frame_before is not None and a.frame_before not in self._labelled:
                mine = [r for r in rows if since <= r["t_ms"] <= first]
                if mine:
                    self._labelled[a.frame_before] = self.writer.write_labels(
                        a.frame_before, mine[-1]["t_ms"], None, same_as=mine[-1])
            since = self.events[a.events[1]].t_ms

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
