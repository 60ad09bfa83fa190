"""Fit personas to human recordings: `cleantrace personas fit SOURCE --out personas.json`.

SOURCE is a run folder (volunteer episodes recorded by cleantrace; one person per performer id)
or a CSV of raw logs (one person per `person` column value, else per file): pointer rows
`timestamp, x, y, button, state` (state move / press / release) and key rows `timestamp, key,
state` (press / release); timestamps in seconds.

Fitting is by the method of simulated moments: each parameter has a statistic of the recorded
movements (or keystrokes) that moves with it (Fitts' a and b: a regression of movement time on the
index of difficulty); the model is simulated with the current estimates over the same start and
end points (same draws every round), and each parameter moves 70 % of the way its statistic lands
off the human one, ROUNDS rounds.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from cleantrace.errors import CleantraceError
from cleantrace.perform.measures import Movement, movement_features, movement_of, segment_movements, typing_features
from cleantrace.perform.motion import path_between
from cleantrace.perform.persona import Persona
from cleantrace.perform.typing import KeyEvent

ASSUMED_WIDTH = 32.0   # Fitts' W when the recording does not say what was clicked
MIN_MOVEMENTS = 20
ROUNDS = 5
TYPING_PAUSE_S = 2.0   # a pause this long between keys ends one text and starts the next


@dataclass
class Recording:
    """One person's recorded movements (with their sessions and, when recorded, the clicked element's
    Fitts width) and typing timelines."""

    movements: list[Movement] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    widths: list[float | None] = field(default_factory=list)
    typing: list[tuple[str, list[KeyEvent]]] = field(default_factory=list)


@dataclass(frozen=True)
class _Event:
    t_ms: float
    kind: str
    x: float = 0.0
    y: float = 0.0
    key: str | None = None


# -- reading a source --------------------------------------------------------------------------------
def read_source(source: Path) -> dict[str, Recording]:
    """Recordings per person from a run folder or a CSV file (or a folder of CSV files)."""
    if source.is_file():
        return _read_csv(source)
    if source.is_dir():
        from cleantrace.trace.reader import episode_folders

        if episode_folders(source):
            return _read_run(source)
        people: dict[str, Recording] = {}
        for path in sorted(source.glob("*.csv")):
            for person, rec in _read_csv(path).items():
                _merge(people.setdefault(person, Recording()), rec)
        if people:
            return people
    raise CleantraceError(f"no episodes or CSV logs in {source}",
                          "pass a run folder of volunteer episodes or a CSV of pointer/key logs")


def _read_run(run_dir: Path) -> dict[str, Recording]:
    from cleantrace.trace.reader import episode_folders, read_episode

    people: dict[str, Recording] = {}
    for folder in episode_folders(run_dir):
        episode = read_episode(folder)
        performer = episode.meta.performer
        person = performer.id if performer.kind == "volunteer" else performer.persona
        rec = people.setdefault(person, Recording())
        before = len(rec.movements)
        _add_events(rec, episode.events, folder.name)
        targets = [(a.events, a.target.bbox) for a in episode.actions if a.target and a.target.bbox]
        for n in range(before, len(rec.movements)):
            rec.widths[n] = _width_of(targets, rec.movements[n])
    return people


def _width_of(targets: list, m: Movement) -> float | None:
    """Fitts' W of the element the movement's press landed on (the click action's target), if recorded."""
    from cleantrace.perform.motion import Box, target_width

    for (first, last), bbox in targets:
        if first <= m.press <= last:
            return target_width(Box(*bbox), (float(m.xy[0, 0]), float(m.xy[0, 1])))
    return None


def _read_csv(path: Path) -> dict[str, Recording]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = {h.strip().lower() for h in reader.fieldnames or []}
        if "timestamp" not in header or "state" not in header or not ({"x", "y"} <= header or "key" in header):
            raise CleantraceError(f"{path}: the CSV needs columns timestamp, state and x, y (pointer) or key",
                                  "see docs/realism.md for the log format")
        rows: dict[tuple[str, str], list[_Event]] = defaultdict(list)
        for n, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            row["key"] = next((v or "" for k, v in raw.items() if k and k.strip().lower() == "key"), "")  # " " is a key
            try:
                event = _csv_event(row)
            except ValueError as exc:
                raise CleantraceError(f"{path}:{n}: {exc}", "fix or remove that row") from None
            if event:
                person = row.get("person") or path.stem
                rows[(person, row.get("session") or person)].append(event)
    people: dict[str, Recording] = {}
    for (person, session), events in rows.items():
        _add_events(people.setdefault(person, Recording()), sorted(events, key=lambda e: e.t_ms), session)
    return people


def _csv_event(row: dict[str, str]) -> _Event | None:
    t_ms = float(row["timestamp"]) * 1000
    state = row["state"].lower()
    if row.get("key"):
        if state not in ("press", "release", "down", "up"):
            raise ValueError(f"key state {row['state']!r} is not press or release")
        return _Event(t_ms, "key_down" if state in ("press", "down") else "key_up", key=row["key"])
    x, y = float(row["x"]), float(row["y"])
    if state in ("move", "drag"):
        return _Event(t_ms, "move", x, y)
    if state in ("press", "pressed", "down"):
        return _Event(t_ms, "wheel" if row.get("button", "").lower() == "scroll" else "down", x, y)
    if state in ("release", "released", "up"):
        return _Event(t_ms, "up", x, y)
    raise ValueError(f"pointer state {row['state']!r} is not move, press or release")


def _add_events(rec: Recording, events, session: str) -> None:
    events = list(events)
    found = segment_movements(events)
    rec.movements += found
    rec.sessions += [session] * len(found)
    rec.widths += [None] * len(found)
    timeline = [KeyEvent(e.t_ms / 1000, e.key, e.kind == "key_down") for e in events
                if e.kind in ("key_down", "key_up") and e.key]
    bursts: list[list[KeyEvent]] = []
    for e in timeline:  # a pause of TYPING_PAUSE_S starts a new text
        if not bursts or e.t - bursts[-1][-1].t > TYPING_PAUSE_S:
            bursts.append([])
        bursts[-1].append(e)
    for burst in bursts:
        presses = [e.key for e in burst if e.down and len(e.key) == 1]
        if len(presses) >= 5:
            rec.typing.append(("".join(presses), burst))


def _merge(into: Recording, other: Recording) -> None:
    into.movements += other.movements
    into.sessions += other.sessions
    into.widths += other.widths
    into.typing += other.typing


# -- statistics the parameters move ------------------------------------------------------------------
def movement_stats(movements: list[Movement]) -> dict[str, float]:
    """The statistics of recorded movements that the fitted parameters are matched on."""
    rows = [movement_features(m) for m in movements]
    peaks = np.clip(np.array([r["speed_peaks"] for r in rows]) - 1, 0, 3)
    a, b, spread = _fitts_line(movements)
    return {
        "fitts_a": a, "fitts_b": b, "mt_spread": spread,
        "primary_share": float(np.median([r["time_to_peak"] for r in rows])),     # the primary peaks mid-stroke
        "primary_short": float(np.median([1 - 2 * r["progress_at_peak"] for r in rows])),  # ...half-way there
        "primary_miss_sd": float(np.median([r["first_stroke_sideways"] for r in rows])),
        "bend_sd": float(np.median([r["curvature"] for r in rows])),
        "stop_rate": float(np.mean([r["internal_stop"] for r in rows])),
        "noise_gain": float(np.median([r["heading_change_sd"] for r in rows])),
        "corrections_mean": float(peaks.mean()),
    }


def _fitts_line(movements: list[Movement]) -> tuple[float, float, float]:
    """Fitts' a, b (s, s/bit) of the movements' durations at ASSUMED_WIDTH, and the log-time spread around them."""
    distance = np.array([np.linalg.norm(m.xy[-1] - m.xy[0]) for m in movements])
    duration = np.array([m.t[-1] - m.t[0] for m in movements])
    index = np.log2(distance / ASSUMED_WIDTH + 1)
    if index.std() < 0.1:
        return float(duration.mean()), 0.0, float(np.std(np.log(duration)))
    b, a = np.polyfit(index, duration, 1, w=1 / duration)  # the spread is proportional to the time
    spread = float(np.std(np.log(duration / np.maximum(a + b * index, 0.02))))
    return float(a), float(b), spread


def typing_stats(typing: list[tuple[str, list[KeyEvent]]]) -> dict[str, float]:
    f = typing_features(typing)
    return {"iki_mean": f["iki_mean_ms"] / 1000, "iki_cv": f["iki_cv"], "hold_mean": f["hold_mean_ms"] / 1000,
            "shift_lead": f["shift_lead_ms"] / 1000}


# -- fitting ---------------------------------------------------------------------------------------
def fit_persona(name: str, rec: Recording, seed: int = 0, base: Persona | None = None) -> tuple[Persona, dict]:
    """A persona whose simulated movements and typing match `rec`'s statistics; also a fit report."""
    persona = replace(base or Persona(), name=name)
    report: dict = {"movements": len(rec.movements), "texts": len(rec.typing)}
    if len(rec.movements) >= MIN_MOVEMENTS:
        persona = _fit_fitts(persona, rec.movements)
        target = movement_stats(rec.movements)
        for n in range(ROUNDS):
            simulated = movement_stats(simulate(persona, rec, seed))  # the same draws each round
            persona = _correct(persona, target, simulated, odds=n >= ROUNDS // 2)
        report["movement_stats"] = target
    if rec.typing:
        target_t = typing_stats(rec.typing)
        persona = replace(persona, iki_mean=target_t["iki_mean"], hold_mean=target_t["hold_mean"],
                          shift_lead=target_t["shift_lead"] or persona.shift_lead)
        for _ in range(ROUNDS):
            simulated_t = typing_stats(_simulate_typing(persona, rec.typing, seed))
            persona = _correct_typing(persona, target_t, simulated_t)
        report["typing_stats"] = target_t
    if len(rec.movements) < MIN_MOVEMENTS and not rec.typing:
        raise CleantraceError(f"too little data for {name!r}: {len(rec.movements)} movements and no typing",
                              f"record at least {MIN_MOVEMENTS} clicks")
    return persona, report


def _fit_fitts(persona: Persona, movements: list[Movement]) -> Persona:
    a, b, spread = _fitts_line(movements)
    return replace(persona, fitts_a=float(max(a, 0.0)), fitts_b=float(max(b, 0.02)),
                   mt_spread=float(np.clip(spread, 0.02, 1.0)))


BOUNDS = {
    "fitts_a": (0.0, 1.0), "fitts_b": (0.02, 1.0), "mt_spread": (0.02, 1.0),
    "primary_share": (0.15, 0.8), "primary_short": (-0.2, 0.5), "primary_miss_sd": (0.0, 0.4),
    "bend_sd": (0.0, 0.4), "stop_rate": (0.0, 1.0), "noise_gain": (0.0, 2.0),
}


def _correct(
    persona: Persona, target: dict[str, float], simulated: dict[str, float], step: float = 0.7, odds: bool = True,
) -> Persona:
    """Move each parameter by `step` of the way its statistic says it is off (a damped fixed point);
    the chances of corrections only with `odds` (once the rest has settled)."""
    changes = {}
    for name, (low, high) in BOUNDS.items():
        value = getattr(persona, name)
        if name in ("primary_short", "stop_rate", "fitts_a"):
            new = value + step * (target[name] - simulated[name])
        else:
            new = value * (max(target[name], 1e-6) / max(simulated[name], 1e-6)) ** step
        changes[name] = float(np.clip(new, low, high))
    if not odds:
        return replace(persona, **changes)
    chances = np.array(persona.correction_odds)
    off = target["corrections_mean"] - simulated["corrections_mean"]
    towards = np.array([0.0, 0.0, 0.4, 0.6]) if off > 0 else np.array([0.8, 0.2, 0.0, 0.0])
    mix = min(0.8, step * abs(off) / max(simulated["corrections_mean"], target["corrections_mean"], 0.1))
    chances = np.clip((1 - mix) * chances + mix * towards, 0.01, None)
    changes["correction_odds"] = tuple(float(v) for v in chances / chances.sum())
    return replace(persona, **changes)


def _correct_typing(persona: Persona, target: dict[str, float], simulated: dict[str, float]) -> Persona:
    return replace(
        persona,
        iki_mean=persona.iki_mean * target["iki_mean"] / max(simulated["iki_mean"], 1e-6),
        iki_cv=float(np.clip(persona.iki_cv * target["iki_cv"] / max(simulated["iki_cv"], 1e-6), 0.1, 2.0)),
        hold_mean=persona.hold_mean * target["hold_mean"] / max(simulated["hold_mean"], 1e-6),
        shift_lead=persona.shift_lead * target["shift_lead"] / max(simulated["shift_lead"], 1e-6)
        if target["shift_lead"] and simulated["shift_lead"] else persona.shift_lead,
    )


def simulate(persona: Persona, rec: Recording, seed: int) -> list[Movement]:
    """The model's movements over the recording's start and end points (and target widths)."""
    rng = np.random.default_rng([seed, 0xF17])
    out = []
    for m, width in zip(rec.movements, rec.widths, strict=True):
        start = (int(m.xy[0, 0]), int(m.xy[0, 1]))
        goal = (int(m.xy[-1, 0]), int(m.xy[-1, 1]))
        path = path_between(start, goal, width or ASSUMED_WIDTH, rng, persona, (100000, 100000))
        out.append(movement_of(start, path))
    return out


def _simulate_typing(persona: Persona, typing: list[tuple[str, list[KeyEvent]]], seed: int):
    from cleantrace.perform.typing import typing_timeline

    rng = np.random.default_rng([seed, 0x7E7])
    texts = [text for text, _ in typing]
    return [(text, typing_timeline(text, rng, persona)) for text in texts for _ in range(max(1, 40 // len(texts)))]


# -- the personas file ---------------------------------------------------------------------------------
def fit_source(source: Path, seed: int = 0) -> dict:
    """Per-person and pooled personas fitted to `source`, as the personas file holds them."""
    people = read_source(source)
    pooled = Recording()
    for rec in people.values():
        _merge(pooled, rec)
    fitted: dict[str, dict] = {}
    reports: dict[str, dict] = {}
    for name, rec in [*sorted(people.items()), ("pooled", pooled)]:
        if name == "pooled" and len(people) == 1:
            continue
        if len(rec.movements) < MIN_MOVEMENTS and not rec.typing:
            reports[name] = {"skipped": f"{len(rec.movements)} movements, no typing"}
            continue
        persona, reports[name] = fit_persona(_safe(name), rec, seed)
        fitted[_safe(name)] = _to_json(persona)
    if not fitted:
        raise CleantraceError(f"too little data in {source} to fit anyone",
                              f"record at least {MIN_MOVEMENTS} clicks per person")
    return {"source": str(source), "personas": fitted, "fit": reports}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or "person"


def _to_json(persona: Persona) -> dict:
    data = asdict(persona)
    data.pop("name")
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}
