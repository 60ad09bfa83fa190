"""Schema version 3 of a trace (DESIGN.md, "Trace format"): one pydantic model per record.

Version 3 adds to version 2: a target's `source` (cdp | atspi), `app`, `window` and `state`, and
native (AT-SPI) screen labels (`source`, an element's `app` and `window`), for desktop episodes.

Version 2 adds to version 1 (whose traces stay readable and valid): the `hover` and `done` action
kinds, an action's `description`, `why`, `target_error` and `drop_target`, `missing_targets`
in catalog rows, `decisions` in meta, a frame's `pointer` position, and the screen labels of each action's frame_before
(labels.jsonl, labels/); single-key shortcuts typed outside a text field are `key` actions, one per key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cleantrace.appearance import Appearance

SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

EventKind = Literal["move", "down", "up", "wheel", "key_down", "key_up", "paste"]
ActionKind = Literal[
    "click", "double_click", "right_click", "drag", "scroll", "type", "hotkey", "key", "hover", "done",
]
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
    """The element an action acted on; `bbox` is [x, y, w, h] in screen pixels. `source` says where
    it was read: `cdp` (a web page's DOM and accessibility tree), `atspi` (a native app: `app` and
    `window` name its application and window title, `state` what is set of focused, editable…) or
    `taskbar` (a desktop's taskbar launcher, from the layout the desktop gave it: no AT-SPI there)."""

    role: str = ""
    name: str = ""
    tag: str = ""
    text: str = ""
    selector: str = ""
    bbox: tuple[float, float, float, float] | None = None
    source: Literal["cdp", "atspi", "taskbar"] | None = None  # absent in traces before schema version 3
    app: str | None = None
    window: str | None = None
    state: dict[str, object] | None = None


class Action(Record):
    """A reduced action covering raw events `events[0]..events[1]` (inclusive); the closing `done`
    action of a successful episode covers none (`events` is null)."""

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
    target_error: str | None = None  # why a pointer or typing action has no target
    drop_target: Target | None = None  # a drag's drop element, under (x2, y2)
    frame_before: int | None = None
    frame_after: int | None = None
    events: tuple[int, int] | None = None
    description: str | None = None  # a short plain-language instruction for this step
    why: str | None = None  # the reason for the step, when the task gives one


class Frame(Record):
    """One stored screenshot; identical consecutive screens are stored once."""

    i: int
    t_ms: float
    file: str
    sha256: str
    reason: FrameReason
    pointer: tuple[int, int] | None = None  # where the pointer was (screenshots do not show it)


class Element(Record):
    """A visible interactive element of a labelled screen: `bbox` is [x, y, w, h] in screen pixels;
    `state` holds what is set of focused, checked, selected, expanded, disabled, pressed, value…"""

    role: str
    name: str = ""
    tag: str = ""
    bbox: tuple[float, float, float, float]
    state: dict[str, object] = Field(default_factory=dict)
    backend_node_id: int | None = None  # the DOM node, as in the tree's rows
    app: str | None = None  # AT-SPI labels: the application and window title the element is in
    window: str | None = None


class ScreenLabels(Record):
    """labels/<hash>.json.gz: the screen at a frame, as the browser structures it. `tree` is the
    accessibility tree without ignored nodes: rows [id, parent, role, name, backend_node_id]."""

    url: str = ""
    source: Literal["cdp", "atspi"] | None = None  # absent before schema version 3: cdp
    elements: list[Element]
    tree: dict[str, object]


class LabelRow(Record):
    """One row of labels.jsonl: the labels of frame `frame` (taken at t_ms), or why there are none."""

    frame: int
    t_ms: float
    file: str | None = None
    elements: int | None = None
    error: str | None = None


class Screen(Record):
    w: int
    h: int
    device_scale_factor: float = 1.0


class SandboxInfo(Record):
    backend: str
    screen: Screen
    profile: str = "kiosk"  # kiosk | desktop (docs/desktop.md)
    windows: dict[str, tuple[int, int, int, int]] | None = None  # desktop: app → x, y, w, h its window opens at


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
    scroll_gap_ms: float  # a volunteer's wheel ticks closer in time (same way, pointer still) merge into one scroll


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
    decisions: int | None = None  # steps the performer announced (Actor verbs); None when unknown
    appearance: Appearance = Field(default_factory=Appearance)  # the look it was recorded in (absent: the default)


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
    missing_targets: int = 0  # pointer and typing actions recorded without a target
    privacy: Literal["not_run", "clean", "findings"] = "not_run"
    appearance: Appearance | None = None
