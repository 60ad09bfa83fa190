"""Raw events → actions, as a pipeline of small named passes (docs/trace-format.md, "actions.jsonl").

Rules:
- a button press+release of the left button that moved ≤ DRAG_MIN_PX is a click, else a drag;
  the right button gives right_click; two clicks ≤ DOUBLE_CLICK_MS apart and ≤ DRAG_MIN_PX apart
  give one double_click;
- wheel ticks (buttons 4–7) of one scroll merge into one `scroll` (dy > 0: down, dx > 0: right): for a
  performer that announces its steps (the Actor), every tick of one step, however long it looked
  between flicks, and never ticks of two steps; otherwise (a volunteer) ticks the same way round, with
  no other input and the pointer still (≤ DRAG_MIN_PX) in between, ≤ SCROLL_GAP_MS apart;
- a click (or drag) made while modifiers are held carries them in `keys` (e.g. ["ctrl"] for a
  ctrl-click);
- a key pressed while Control, Alt or Super is held is a hotkey (`keys` = modifiers + key), and so
  is a non-printable key pressed with Shift (e.g. ["shift", "Down"] to extend a selection);
- printable keys (with or without Shift) in a row merge into one `type` whose `text` has
  BackSpace corrections applied, unless the focus (probed just before the key) is not a text
  field: then each printable key is a single-key shortcut, its own `key` action; any other key is
  a `key` action;
- a pointer rest the performer declared (a hover probe) ends a `hover` action made of the moves
  leading to it, so a press that follows starts from the screen the hover opened;
- every event belongs to exactly one action: an action's range starts right after the previous
  action's range (so the pointer moves leading to a click belong to the click) and ends at its own
  last event (for a hotkey, the release of its modifiers). Events after the last action belong to none.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from cleantrace.trace.schema import Action, Event, Frame, Reduction, Target


@dataclass(frozen=True)
class TargetProbe:
    """The element found under (x, y) at t_ms just before a press there, or (x = y = None) the
    element that had the keyboard focus just before typing. `kind` "hover" marks a deliberate
    pointer rest, "drop" the element under a drag's release point, "typing" a focus probe of a
    performer that means to enter text (a grid cell that edits on typing is no text field). A probe that found nothing
    says why in `error` (never dropped: the action then records the reason)."""

    t_ms: float
    x: int | None
    y: int | None
    target: Target | None
    error: str | None = None
    kind: str = "press"  # press | hover | drop (x, y given); focus | typing (x = y = None)

DRAG_MIN_PX = 5
DOUBLE_CLICK_MS = 500.0
SCROLL_GAP_MS = 700.0  # above a finger's return between flicks, below a look and a new decision
REDUCTION = Reduction(drag_min_px=DRAG_MIN_PX, double_click_ms=DOUBLE_CLICK_MS, scroll_gap_ms=SCROLL_GAP_MS)
WHEEL_STEPS = {4: (0, -1), 5: (0, 1), 6: (-1, 0), 7: (1, 0)}
MODIFIER_NAMES = {
    "Control_L": "ctrl", "Control_R": "ctrl", "Alt_L": "alt", "Alt_R": "alt", "Meta_L": "meta",
    "Meta_R": "meta", "Super_L": "super", "Super_R": "super", "Shift_L": "shift", "Shift_R": "shift",
    "ISO_Level3_Shift": "altgr",
}
CHORD_MODIFIERS = {"ctrl", "alt", "meta", "super"}


@dataclass
class Gesture:
    """An action in the making: its kind, its own events and its fields."""

    kind: str
    own: list[int]
    fields: dict = field(default_factory=dict)



def reduce_events(
    events: Sequence[Event], probes: Sequence[TargetProbe] = (), steps: Sequence[float] = (),
) -> list[Action]:
    """Reduce raw events to actions (without frames or targets; see `attach_observations`).

    `probes` (what the recorder grounded while recording) split single-key shortcuts from typing
    and mark hovers; without them printable keys in a row are one `type`. `steps`: when the
    performer announced each of its steps (t_ms), which bound its scrolls (`merge_scrolls`).
    """
    gestures = collect_gestures(events)
    if probes:
        gestures = split_shortcuts(gestures, events, probes)
        gestures = insert_hovers(gestures, events, probes)
    gestures = detect_double_clicks(gestures, events)
    gestures = merge_scrolls(gestures, events, steps)
    gestures = merge_keystrokes(gestures, events)
    return to_actions(gestures, events)


def collect_gestures(events: Sequence[Event]) -> list[Gesture]:
    """One gesture per button press/release, wheel tick and non-modifier keystroke."""
    gestures: list[Gesture] = []
    pressed: dict[int, tuple[int, list[str]]] = {}
    keys_down: dict[str, int] = {}
    held: list[str] = []
    for i, e in enumerate(events):
        if e.kind == "down" and e.button is not None:
            pressed[e.button] = (i, list(held))
        elif e.kind == "up" and e.button in pressed:
            down, modifiers = pressed.pop(e.button)
            gestures.append(_press_gesture(events, down, i, modifiers))
        elif e.kind == "wheel" and e.button in WHEEL_STEPS:
            dx, dy = WHEEL_STEPS[e.button]
            gestures.append(Gesture("scroll", [i], {"x": e.x, "y": e.y, "dx": dx, "dy": dy}))
        elif e.kind == "key_down" and e.key:
            modifier = MODIFIER_NAMES.get(e.key)
            if modifier:
                if modifier not in held:
                    held.append(modifier)
            else:
                keys_down[e.key] = i
                gestures.append(_key_gesture(e, i, held))
        elif e.kind == "key_up" and e.key:
            modifier = MODIFIER_NAMES.get(e.key)
            if modifier in held:
                held.remove(modifier)
                _extend_chords(gestures, modifier, i)
            elif e.key in keys_down:
                _extend_last_with_key(gestures, keys_down.pop(e.key), i)
    return gestures


def _press_gesture(events: Sequence[Event], down: int, up: int, modifiers: list[str]) -> Gesture:
    d, u = events[down], events[up]
    travel = max(abs(events[k].x - d.x) + abs(events[k].y - d.y) for k in range(down, up + 1))
    fields: dict = {"x": d.x, "y": d.y}
    if modifiers:
        fields.update(keys=modifiers, open=list(modifiers))
    if d.button == 3:
        kind = "right_click"
    elif travel > DRAG_MIN_PX:
        kind = "drag"
        fields.update(x2=u.x, y2=u.y)
    else:
        kind = "click"
    return Gesture(kind, [down, up], fields)


def _key_gesture(e: Event, i: int, held: list[str]) -> Gesture:
    chord = [m for m in held if m in CHORD_MODIFIERS]
    key = e.key or ""
    if chord:
        shift = ["shift"] if "shift" in held else []
        return Gesture("hotkey", [i], {"keys": chord + shift + [key.lower() if len(key) == 1 else key],
                                       "open": chord + shift})
    if len(key) == 1:  # a shifted character owns the Shift release, as a chord does
        return Gesture("type", [i], {"text": key, **({"open": ["shift"]} if "shift" in held else {})})
    if key == "BackSpace":
        return Gesture("type", [i], {"text": "\b"})
    if "shift" in held:
        return Gesture("hotkey", [i], {"keys": ["shift", key], "open": ["shift"]})
    return Gesture("key", [i], {"keys": [key]})


def _extend_chords(gestures: list[Gesture], modifier: str, up: int) -> None:
    """A hotkey's (or modified click's) range ends with the release of its modifiers."""
    for g in reversed(gestures):
        if modifier in g.fields.get("open", []):
            g.fields["open"].remove(modifier)
            g.own.append(up)
            return


def _extend_last_with_key(gestures: list[Gesture], down: int, up: int) -> None:
    for g in reversed(gestures):
        if down in g.own:
            g.own.append(up)
            return


TEXT_ROLES = {"textbox", "searchbox", "combobox", "spinbutton"}
# AT-SPI's: fields, and what types on a keypress (a Calc sheet and its cells, a Writer paragraph)
NATIVE_TEXT_ROLES = {"text", "entry", "password text", "spin button", "combo box", "table cell", "table",
                     "paragraph", "document text", "terminal"}


def is_text_field(target: Target | None) -> bool:
    """Whether keys typed into `target` become text (an input, textarea or editable element)."""
    if target is None or target.tag == "select":
        return False
    if target.source == "atspi":
        return target.role in NATIVE_TEXT_ROLES and bool((target.state or {}).get("editable", True))
    return target.role in TEXT_ROLES or target.tag == "textarea"


def split_shortcuts(gestures: list[Gesture], events: Sequence[Event], probes: Sequence[TargetProbe]) -> list[Gesture]:
    """A printable key pressed while the focus is known to be outside a text field, and the
    performer did not say it types, is a shortcut: its own `key` action (`j`, `e`, `/`), never
    merged into typed text.

    The focus is the last focus probe before the key, unless a press came in between (a click moves
    the focus): then it is unknown and the key stays typing.
    """
    focus = sorted((p for p in probes if p.x is None), key=lambda p: p.t_ms)
    presses = [e.t_ms for e in events if e.kind == "down"]
    for g in gestures:
        if g.kind != "type" or g.fields["text"] == "\b":
            continue
        t = events[g.own[0]].t_ms
        known = [p for p in focus if p.t_ms <= t]
        if not known or any(known[-1].t_ms < press <= t for press in presses):
            continue
        if known[-1].kind != "typing" and known[-1].error is None and not is_text_field(known[-1].target):
            g.kind = "key"
            g.fields = {"keys": [events[g.own[0]].key or g.fields["text"]]}
    return gestures


def insert_hovers(gestures: list[Gesture], events: Sequence[Event], probes: Sequence[TargetProbe]) -> list[Gesture]:
    """A hover probe (the performer rested the pointer to open something) ends a `hover` action at
    the last pointer move before it; its target is the element probed there."""
    out = list(gestures)
    for p in probes:
        if p.kind != "hover":
            continue
        moves = [i for i, e in enumerate(events) if e.kind == "move" and e.t_ms <= p.t_ms]
        if not moves:
            continue
        last = moves[-1]
        if any(i >= last and events[i].t_ms <= p.t_ms for g in out for i in g.own):
            continue  # the pointer has not moved since the last action: nothing new to hover
        if any(min(g.own) < last < max(g.own) for g in out):
            continue  # a move while a button or key is held (a drag) is that gesture's, not a hover
        fields: dict = {"x": events[last].x, "y": events[last].y, "target": p.target, "target_error": p.error}
        out.append(Gesture("hover", [last], fields))
    return sorted(out, key=lambda g: min(g.own))


def detect_double_clicks(gestures: list[Gesture], events: Sequence[Event]) -> list[Gesture]:
    """Two close clicks in quick succession are one double_click."""
    out: list[Gesture] = []
    for g in gestures:
        prev = out[-1] if out else None
        if (
            g.kind == "click" and prev is not None and prev.kind == "click"
            and events[g.own[0]].t_ms - events[prev.own[-1]].t_ms <= DOUBLE_CLICK_MS
            and abs(g.fields["x"] - prev.fields["x"]) + abs(g.fields["y"] - prev.fields["y"]) <= DRAG_MIN_PX
        ):
            prev.kind = "double_click"
            prev.own += g.own
        else:
            out.append(g)
    return out


def merge_scrolls(gestures: list[Gesture], events: Sequence[Event], steps: Sequence[float] = ()) -> list[Gesture]:
    """The wheel ticks of one scroll become one `scroll` with summed dx, dy.

    With the performer's announced step starts (`steps`), a scroll is every tick of one step: an
    Actor's scroll_to turns one tick, looks how far it went, then flicks the rest (a pause longer
    than any gap), and two scroll steps stay two however close. Without them (a volunteer: nobody
    says where a decision starts), a tick continues the scroll before it if it goes the same way
    round, no other action came in between, the pointer stayed within DRAG_MIN_PX and the pause is
    ≤ SCROLL_GAP_MS: a finger going back up the wheel, not a look at the result and a new decision.
    """
    marks = sorted(steps)
    out: list[Gesture] = []
    for g in gestures:
        prev = out[-1] if out else None
        if g.kind == "scroll" and prev is not None and prev.kind == "scroll" and (
            _same_step(marks, events[prev.own[-1]].t_ms, events[g.own[0]].t_ms) if marks
            else _continues(events[prev.own[-1]], events[g.own[0]])
        ):
            prev.fields["dx"] += g.fields["dx"]
            prev.fields["dy"] += g.fields["dy"]
            prev.own += g.own
        else:
            out.append(g)
    return out


def _same_step(marks: Sequence[float], t0: float, t1: float) -> bool:
    """No step was announced in (t0, t1]."""
    return bisect_right(marks, t0) == bisect_right(marks, t1)


def _continues(last: Event, tick: Event) -> bool:
    """`tick` goes on the scroll whose last tick was `last` (see `merge_scrolls`, without steps)."""
    return (
        tick.button == last.button and tick.t_ms - last.t_ms <= SCROLL_GAP_MS
        and abs(tick.x - last.x) + abs(tick.y - last.y) <= DRAG_MIN_PX
    )


def merge_keystrokes(gestures: list[Gesture], events: Sequence[Event]) -> list[Gesture]:
    """Printable keystrokes in a row become one `type`, BackSpace corrections applied."""
    out: list[Gesture] = []
    for g in gestures:
        prev = out[-1] if out else None
        if g.kind == "type" and prev is not None and prev.kind == "type":
            prev.fields["text"] += g.fields["text"]
            prev.own += g.own
        else:
            out.append(g)
    for g in out:
        if g.kind == "type":
            g.fields["text"] = apply_backspaces(g.fields["text"])
    return out


def apply_backspaces(keys: str) -> str:
    """The text left after typing `keys`, where '\\b' deletes the character before it."""
    text: list[str] = []
    for ch in keys:
        if ch == "\b":
            if text:
                text.pop()
        else:
            text.append(ch)
    return "".join(text)


def to_actions(gestures: list[Gesture], events: Sequence[Event]) -> list[Action]:
    """Number the gestures in order and give each a contiguous range of events."""
    actions: list[Action] = []
    last = -1
    for g in sorted(gestures, key=lambda g: min(g.own)):
        first = last + 1
        if first >= len(events):  # every event is taken already (a log cut short): nothing is left for it
            break
        last = max(max(g.own), first)
        i = len(actions)
        fields = {k: v for k, v in g.fields.items() if k != "open"}
        actions.append(Action(
            i=i, kind=g.kind, t0_ms=events[first].t_ms, t1_ms=events[last].t_ms,
            events=(first, last), **fields,
        ))
    return actions


POINTER_KINDS = {"click", "double_click", "right_click", "drag"}


def attach_observations(
    actions: list[Action], events: Sequence[Event], frames: Sequence[Frame], probes: Sequence[TargetProbe],
    captures: Sequence[float] = (),
) -> list[Action]:
    """Give each action its frame before/after; pointer actions the target under the press (and a
    drag its drop element), and `type` actions the element that had the focus when typing started.

    `captures` are the times of every screen capture, also those not stored because the screen was
    unchanged: such a capture after an action shows the last stored frame, so it is a frame after.
    A pointer or typing action without a target gets `target_error`, the reason.
    """
    seen = sorted([f.t_ms for f in frames] + list(captures))
    out = []
    for k, a in enumerate(actions):
        if a.events is None:
            out.append(a)
            continue
        start = events[a.events[0]].t_ms
        before = [f.i for f in frames if f.t_ms <= start]
        nxt = actions[k + 1] if k + 1 < len(actions) else None
        next_start = events[nxt.events[0]].t_ms if nxt is not None and nxt.events is not None else float("inf")
        # identical screens are stored once, so the screen after the action is the last frame
        # stored before the next action starts (possibly the frame before, if nothing changed)
        after = [f.i for f in frames if f.t_ms <= next_start]
        observed = any(a.t1_ms <= t <= next_start for t in seen)
        update: dict = {"frame_before": before[-1] if before else None,
                        "frame_after": after[-1] if after and observed else None}
        if a.kind in POINTER_KINDS:
            press_t = _press_time(a, events)
            hits = [p for p in probes if p.x is not None and p.kind == "press" and p.t_ms <= press_t
                    and abs(p.x - a.x) <= 2 and abs(p.y - a.y) <= 2]
            update.update(_grounded(hits, "no element was probed under the press point"))
            if a.kind == "drag":
                drops = [p for p in probes if p.x is not None and p.kind == "drop" and press_t <= p.t_ms <= a.t1_ms
                         and abs(p.x - a.x2) <= 2 and abs(p.y - a.y2) <= 2]
                update["drop_target"] = drops[-1].target if drops else None
        elif a.kind == "type":
            first_key = _first_key_time(a, events)
            prev = actions[k - 1] if k else None
            since = events[prev.events[1]].t_ms if prev is not None and prev.events is not None else float("-inf")
            focus = [p for p in probes if p.x is None and since <= p.t_ms <= first_key]
            update.update(_grounded(focus, "the focused element was not probed before typing"))
        out.append(a.model_copy(update=update))
    return out


def _grounded(probes: Sequence[TargetProbe], missing: str) -> dict:
    """The target of the last probe, or the reason there is none."""
    if not probes:
        return {"target": None, "target_error": missing}
    last = probes[-1]
    if last.target is None:
        return {"target": None, "target_error": last.error or "nothing found there"}
    return {"target": last.target, "target_error": None}


def _first_key_time(a: Action, events: Sequence[Event]) -> float:
    for e in events[a.events[0] : a.events[1] + 1]:
        if e.kind == "key_down":
            return e.t_ms
    return a.t0_ms


def _press_time(a: Action, events: Sequence[Event]) -> float:
    for e in events[a.events[0] : a.events[1] + 1]:
        if e.kind == "down":
            return e.t_ms
    return a.t0_ms
