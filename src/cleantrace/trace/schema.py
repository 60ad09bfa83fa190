"""Schema version 1 of a trace (DESIGN.md, "Trace format"): one pydantic model per record."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

EventKind = Literal["move", "down", "up", "wheel", "key_down", "key_up", "paste"]
ActionKind = Literal["click", "double_click", "right_click", "drag", "scroll", "type", "hotkey", "key"]
OutcomeStatus = Literal["running", "success", "failure", "incomplete"]
FrameReason = Literal["action", "interval", "change", "final"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Event(Record):
    """One raw input event as the X server saw it; `t_ms` counts from the episode's clock start.

    A `paste` event is no input of its own: it holds the clipboard's `text` at the moment a paste
    (Ctrl+V, Shift+Insert, a middle click) was pressed, at that press's time and place, so that text
    that reached the sandbox without keystrokes is in the trace (and in the privacy scan).
    """

    t_ms: float
    kind: EventKind
    x: int
    y: int
    button: int | None = None
    key: str | None = None
    keysym: int | None = None
    text: str | None = None


class Target(Record):
    """The DOM element an action acted on; `bbox` is [x, y, w, h] in screen pixels."""

    role: str = ""
    name: str = ""
    tag: str = ""
    text: str = ""
    selector: str = ""
    bbox: tuple[float, float, float, float] | None = None


class Action(Record):
    """A reduced action covering raw events `events[0]..events[1]` (inclusive)."""

    i: int
    t0_ms: float
    t1_ms: float
    kind: ActionKind
    x: int | None = None
    y: int | None = None
    x2: int | None = None
    y2: int | None = None
    dx: int | None = None
    dy: int | None = None
    text: str | None = None
    keys: list[str] | None = None
    target: Target | None = None
    frame_before: int | None = None
    frame_after: int | None = None
    events: tuple[int, int]


class Frame(Record):
    """One stored screenshot; identical consecutive screens are stored once."""

    i: int
    t_ms: float
    file: str
    sha256: str
    reason: FrameReason


class Screen(Record):
    w: int
    h: int
    device_scale_factor: float = 1.0


class SandboxInfo(Record):
    backend: str
    screen: Screen


class Performer(Record):
    kind: Literal["script", "volunteer"]
    id: str
    persona: str = "default"


class Consent(Record):
    version: str
    time: str


class Clock(Record):
    """Wall-clock time of t_ms = 0 (ISO 8601, UTC) and the time source of t_ms."""

    start: str
    source: str = "monotonic"


class Outcome(Record):
    status: OutcomeStatus
    success: bool | None = None
    message: str = ""


class Reduction(Record):
    """The thresholds raw events were reduced to actions with (trace/reduce.py)."""

    drag_min_px: float  # a press+release that moved further is a drag, not a click
    double_click_ms: float  # two clicks closer in time (and within drag_min_px) are a double_click
    scroll_gap_ms: float  # wheel ticks closer in time merge into one scroll


class Privacy(Record):
    scan: Literal["not_run", "clean", "findings"] = "not_run"
    findings: list[str] = Field(default_factory=list)  # blocking, each masked
    review: list[str] = Field(default_factory=list)  # typed text the task doesn't explain, for a reviewer
    notes: list[str] = Field(default_factory=list)  # what the scan could not look at (e.g. no OCR)


class Meta(Record):
    """meta.json: who did what, where, and how it ended."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    episode_id: str
    task: str
    task_version: int
    seed: int
    seed_derivation: str | None = None  # how each consumer's random stream comes from `seed` (spec.SEED_DERIVATION)
    params: dict[str, object]
    instruction: str
    performer: Performer
    sandbox: SandboxInfo
    consent: Consent | None = None
    clock: Clock
    outcome: Outcome
    privacy: Privacy = Field(default_factory=Privacy)
    reduction: Reduction | None = None  # absent in traces recorded before it was recorded
    duration_ms: float | None = None


class CatalogRow(Record):
    """One row of a run's catalog.jsonl."""

    episode_id: str
    task: str
    seed: int
    performer: str
    status: OutcomeStatus
    success: bool | None = None
    message: str = ""
    events: int = 0
    actions: int = 0
    frames: int = 0
    bytes: int = 0
    privacy: Literal["not_run", "clean", "findings"] = "not_run"
