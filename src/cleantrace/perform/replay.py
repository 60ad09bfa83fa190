"""The replay performer: re-executes a recorded episode's raw input in a fresh sandbox.

The source episode's raw events are injected again through XTest, one recorded action at a
time: before each action the replayer waits until the page has loaded and painted (and no
request is in flight) and at least the recorded pause since the previous action has passed;
inside an action the events keep their recorded relative timing. So the replay reproduces the
recording's kinematics without racing a page that is slower this time. Frames and targets are
observed around each action like the scripted performer does, so a replay is a trace like any
other. See docs/replay.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleantrace.errors import PerformError, TraceError
from cleantrace.trace.reader import EpisodeTrace, read_episode
from cleantrace.trace.schema import Action, Event, Performer

AFTER_S = 0.3  # the frame after an action, at most this long after its last event (as the Actor)
SETTLE_TIMEOUT_S = 15.0  # the page must have loaded by then
REQUESTS_TIMEOUT_S = 5.0  # requests still in flight after this long (a slow poll) no longer hold a step back
STREAMING = {"eventsource", "websocket"}  # never "finish": not waited for
REST_GAP_S = 0.1  # a desktop's screen rests when two grabs this far apart differ in at most CARET_PIXELS
CARET_PIXELS = 400  # a blinking text caret (a few px wide, 20 px tall), with room to spare
# resolves once the page has painted twice: input handled, DOM changes on screen
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


@dataclass(frozen=True)
class ReplayStep:
    """The raw events of one recorded action (kind "events" for events after the last action),
    and the recorded pause from the previous step's last event (or the recording's start)."""

    kind: str
    events: tuple[Event, ...]
    gap_ms: float


def plan_steps(events: Sequence[Event], actions: Sequence[Action]) -> list[ReplayStep]:
    """Split the recorded events into steps, one per action, in order (pure)."""
    steps: list[ReplayStep] = []
    start = 0
    last_t = 0.0
    for a in sorted((a for a in actions if a.events is not None), key=lambda a: a.events[0]):
        first, last = a.events
        if first != start or last < first or last >= len(events):
            raise TraceError(
                f"action {a.i} covers events {first}..{last}, expected to start at {start} of {len(events)}",
                "the source's actions.jsonl does not match its events.jsonl",
            )
        span = tuple(events[first : last + 1])
        steps.append(ReplayStep(a.kind, span, max(0.0, span[0].t_ms - last_t)))
        last_t, start = span[-1].t_ms, last + 1
    if start < len(events):
        rest = tuple(events[start:])
        steps.append(ReplayStep("events", rest, max(0.0, rest[0].t_ms - last_t)))
    return steps


@dataclass(frozen=True)
class ReplaySource:
    """A recorded episode to replay: its trace and the steps planned from it."""

    trace: EpisodeTrace
    steps: list[ReplayStep]

    @property
    def performer(self) -> Performer:
        """Who performs the replay: a script whose id names the source episode."""
        m = self.trace.meta
        return Performer(kind="script", id=replay_performer_id(m.run_id, m.episode_id), persona=m.performer.persona)

    def describe(self, meta: Any) -> Any:
        return meta.model_copy(update={"performer": self.performer})

    def perform(self, page: Any, inputs: Any, observer: Any) -> None:
        """Replay the source's input on `page`'s display through `inputs` (an XTestInput); the
        first action's pause counts from the start of the recording when `observer` has a clock."""
        clock = getattr(observer, "clock", None)
        Replayer(page, inputs, observer).play(self.steps, clock.ms() / 1000 if clock is not None else 0.0)


def replay_performer_id(run_id: str, episode_id: str) -> str:
    return f"replay:{run_id}/{episode_id}"


def load_replay_source(folder: Path, task: str, seed: int, version: int | None = None) -> ReplaySource:
    """Read the source episode at `folder`; it must be of the same task, seed and (when given) task version."""
    trace = read_episode(folder)
    if (trace.meta.task, trace.meta.seed) != (task, seed):
        raise PerformError(
            f"the source episode is {trace.meta.task} seed {trace.meta.seed}, not {task} seed {seed}",
            "a replay runs the source's task with the source's seed",
        )
    if version is not None and trace.meta.task_version != version:
        raise PerformError(
            f"the source episode was recorded with {task} version {trace.meta.task_version}, this is version {version}",
            "the same seed gives another world now: record the episode again",
        )
    return ReplaySource(trace, plan_steps(trace.events, trace.actions))


class Replayer:
    """Injects recorded steps into the sandbox's X display, waiting for the page between steps."""

    def __init__(self, page: Any, inputs: Any, observer: Any, settle_timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        self.page = page
        self.inputs = inputs
        self.observer = observer
        self.settle_timeout_s = settle_timeout_s
        self._in_flight: set[Any] = set()
        self._screen: Any = None
        if page is not None:  # a desktop episode without the browser has no page
            page.on("request", self._request_started)
            page.on("requestfinished", self._request_ended)
            page.on("requestfailed", self._request_ended)
        from cleantrace.sandbox import desktop

        self.native = desktop.current() is not None  # native windows: wait for the screen to rest too

    def _request_started(self, request: Any) -> None:
        if request.resource_type not in STREAMING:
            self._in_flight.add(request)

    def _request_ended(self, request: Any) -> None:
        self._in_flight.discard(request)

    def play(self, steps: Sequence[ReplayStep], recording_for_s: float = 0.0) -> None:
        """Inject `steps`; `recording_for_s`: how long the recording has been on already."""
        last_event = time.perf_counter() - recording_for_s  # when the previous step's last event went in
        for n, step in enumerate(steps):
            self.wait_settled()
            _sleep_until(last_event + step.gap_ms / 1000)
            is_action = step.kind != "events"
            if is_action:
                self.observer.observe("action", label=True)
            last_event = self._inject(step)
            if is_action:
                next_gap = steps[n + 1].gap_ms / 1000 if n + 1 < len(steps) else AFTER_S
                _sleep_until(last_event + min(AFTER_S, next_gap))
                self.wait_settled()
                self.observer.observe("action")
        self.inputs.sync()
        if self._screen is not None:
            self._screen.close()

    def _inject(self, step: ReplayStep) -> float:
        """Inject the step's events at their recorded relative times; returns when the last went in.

        Targets are resolved as early as they can be, so that resolving them does not delay the
        input: the focused element before the step's first event (typing), the element under a
        press right after the pointer's last move before it (it may have appeared on hover).
        """
        if step.kind in ("type", "key", "hotkey"):
            self.observer.probe_focus(typing=step.kind == "type")  # typing or a shortcut
        events = step.events
        if events[0].kind == "down":
            self.observer.probe(events[0].x, events[0].y)
        start = time.perf_counter()
        t0 = events[0].t_ms
        for k, e in enumerate(events):
            _sleep_until(start + (e.t_ms - t0) / 1000)
            if e.kind == "move":
                self.inputs.move(e.x, e.y)
            elif e.kind in ("down", "up"):
                self.inputs.button(e.button, e.kind == "down")
            elif e.kind == "wheel":  # recorded as the press; the release carries nothing
                self.inputs.button(e.button, True)
                self.inputs.button(e.button, False)
            elif e.kind in ("key_down", "key_up"):
                self.inputs.key(_key_name(e), e.kind == "key_down")
            following = events[k + 1] if k + 1 < len(events) else None
            if following is not None and following.kind == "down":
                self.observer.probe(following.x, following.y)  # the target under the coming press
        if step.kind == "hover":
            self.observer.probe(events[-1].x, events[-1].y, kind="hover")
        return time.perf_counter()

    def wait_settled(self) -> None:
        """Wait until the page has loaded and painted (else PerformError after SETTLE_TIMEOUT_S), and
        no request is in flight (at most REQUESTS_TIMEOUT_S); on a desktop also until the screen
        rests (native windows have no load event)."""
        if self.page is not None:
            self._wait_page()
        if self.native:
            self._wait_screen_rests()

    def _wait_screen_rests(self) -> None:
        """Until two grabs of the screen REST_GAP_S apart differ in no more than a blinking caret's
        pixels (a dialog opening, a file loading, a list scrolling change far more); at most
        SETTLE_TIMEOUT_S (a screen that keeps changing, e.g. an animation, does not end the replay)."""
        import mss
        import numpy as np

        if self._screen is None:
            self._screen = mss.MSS(display=os.environ.get("DISPLAY"))
        grab = self._screen.grab
        area = self._screen.monitors[1]
        before = np.frombuffer(grab(area).bgra, dtype=np.uint32)
        deadline = time.monotonic() + self.settle_timeout_s
        while time.monotonic() < deadline:
            time.sleep(REST_GAP_S)
            now = np.frombuffer(grab(area).bgra, dtype=np.uint32)
            if int(np.count_nonzero(now != before)) <= CARET_PIXELS:
                return
            before = now

    def _wait_page(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + self.settle_timeout_s
        while True:
            remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
            try:
                self.page.wait_for_load_state("load", timeout=remaining_ms)
                self.page.evaluate(TWO_FRAMES_JS)
                requests_deadline = min(deadline, time.monotonic() + REQUESTS_TIMEOUT_S)
                while self._in_flight and time.monotonic() < requests_deadline:
                    self.page.wait_for_timeout(10)
                return
            except PlaywrightError as exc:  # a navigation replaced the page under us: wait again
                if time.monotonic() >= deadline:
                    raise PerformError(
                        f"the page did not settle within {self.settle_timeout_s:.0f} s: {exc.message}",
                        "check the app server",
                    ) from None
                time.sleep(0.02)


def _key_name(e: Event) -> str:
    if e.key is None:
        raise PerformError(f"a {e.kind} event at {e.t_ms} ms names no key", "the source's events.jsonl is damaged")
    return e.key


def _sleep_until(due: float) -> None:
    remaining = due - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)
