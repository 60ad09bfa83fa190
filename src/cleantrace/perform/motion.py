"""Humanlike pointer motion (pure numpy, seeded).

A movement to a target box, built the way the motor-control literature describes one
(docs/realism.md gives the sources):
- the click point scatters inside the box like people's clicks (SD ≈ W/4.133 along the movement);
- the duration follows Fitts' law, Shannon form: MT = a + b·log2(D/W + 1);
- the velocity is a sum of sigma-lognormal strokes (asymmetric bells, peak before mid-stroke): a
  primary submovement that lands short or long of the point, then 0–2 overlapping corrective
  submovements when it lands outside the target (the optimised-submovement account of Fitts' law);
- the primary stroke bends off the straight line; 8–12 Hz physiological tremor is added;
- samples come at an irregular, hardware-like 60–125 Hz, and sub-pixel steps report nothing.
Button holds, double clicks, drags and wheel scrolling have timing models here too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from cleantrace.spec import DEFAULT_SCREEN

if TYPE_CHECKING:  # a type only: persona → fit → measures → motion must not circle back
    from cleantrace.perform.persona import Persona

EFFECTIVE_WIDTH = 4.133  # ISO 9241-9: We = 4.133·SD of the endpoints (4 % outside the target)
SCATTER_CAP = 100.0      # people aim at a label, not anywhere along a wide row
DRAG_SLOWDOWN = 1.3      # Fitts slope of dragging relative to pointing


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Path:
    """Integer screen points and the delay (s) before moving to each of them."""

    points: np.ndarray  # (n, 2) int
    delays: np.ndarray  # (n,) float seconds

    @property
    def end(self) -> tuple[int, int]:
        return int(self.points[-1, 0]), int(self.points[-1, 1])

    @property
    def duration(self) -> float:
        return float(self.delays.sum())


@dataclass(frozen=True)
class DragTiming:
    """Pauses of a drag (s): before pressing, pressed before moving, after stopping before releasing."""

    before_press: float
    before_move: float
    before_release: float


# -- where and how long -------------------------------------------------------------------------------
def click_point(
    box: Box, rng: np.random.Generator, persona: Persona | None = None, origin: tuple[float, float] | None = None
) -> tuple[int, int]:
    """A point inside `box`, never on its edge, scattered around its centre like human clicks.

    The SD along the movement from `origin` (or along each axis without one) is the box's extent
    that way / 4.133, times the persona's precision; draws outside the ellipse inscribed in the box
    are drawn again: a rounded or round control (a pill button, a "›" arrow) does not take a press
    in its box's corners.
    """
    precision = persona.precision if persona else 1.0
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    along = _direction(origin, (cx, cy))
    across = np.array([-along[1], along[0]])
    sd_along = min(_extent(box, along), SCATTER_CAP) / EFFECTIVE_WIDTH * precision
    sd_across = min(_extent(box, across), SCATTER_CAP) / EFFECTIVE_WIDTH * precision
    corner, size, centre = np.array([box.x, box.y]), np.array([box.w, box.h]), np.array([cx, cy])
    margin = np.minimum(1.0, size / 4)
    lo = np.ceil(corner + margin)  # the first and last whole pixels clear of the edges
    hi = np.ceil(corner + size - margin) - 1
    tiny = lo > hi  # too small for a margin: the pixel nearest the centre
    lo[tiny] = hi[tiny] = np.clip(np.floor(centre), np.ceil(corner), np.ceil(corner + size) - 1)[tiny]
    middle, radii = (lo + hi + 1) / 2, np.maximum((hi - lo + 1) / 2, 0.5)
    for _ in range(20):
        p = np.floor(centre + along * rng.normal(0, sd_along) + across * rng.normal(0, sd_across))
        if (p >= lo).all() and (p <= hi).all() and (((p + 0.5 - middle) / radii) ** 2).sum() <= 1:
            break  # inside the inscribed ellipse: a round button's corners are not the button
    else:
        p = np.clip(np.floor(centre), lo, hi)
    return int(p[0]), int(p[1])


def target_width(box: Box, origin: tuple[float, float]) -> float:
    """The box's extent along the movement from `origin`: the W of Fitts' law."""
    return max(1.0, _extent(box, _direction(origin, (box.x + box.w / 2, box.y + box.h / 2))))


def fitts_duration(distance: float, width: float, persona: Persona) -> float:
    """Movement time (s) by Fitts' law, Shannon form."""
    return persona.fitts_a + persona.fitts_b * np.log2(distance / max(width, 1.0) + 1.0)


# -- movements ---------------------------------------------------------------------------------------
def move_path(
    start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
    screen: tuple[int, int] = DEFAULT_SCREEN,
) -> Path:
    """The whole movement from `start` to a click point inside `box`."""
    goal = click_point(box, rng, persona, origin=start)
    return path_between(start, goal, target_width(box, start), rng, persona, screen)


def drag_path(
    start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
    screen: tuple[int, int] = DEFAULT_SCREEN,
) -> Path:
    """A movement with a button held: like `move_path`, slower (dragging has a steeper Fitts slope)."""
    return move_path(start, box, rng, replace(persona, fitts_b=persona.fitts_b * DRAG_SLOWDOWN), screen)


def path_between(
    start: tuple[int, int], goal: tuple[int, int], width: float, rng: np.random.Generator, persona: Persona,
    screen: tuple[int, int] = DEFAULT_SCREEN,
) -> Path:
    """A movement from `start` ending exactly on `goal`, for a target `width` pixels wide."""
    origin, end = np.array(start, dtype=float), np.array(goal, dtype=float)
    distance = float(np.linalg.norm(end - origin))
    if distance < 1.0:
        return Path(np.array([goal], dtype=int), np.array([0.02]))
    duration = fitts_duration(distance, width, persona) * float(rng.lognormal(0.0, persona.mt_spread))
    strokes = plan_strokes(origin, end, distance, width, duration, rng, persona)
    times = np.cumsum(_sample_delays(duration, rng))
    times[-1] = duration
    points = origin + sum(_stroke(s, times) for s in strokes)
    points = points + _velocity_noise(times, strokes, rng, persona) + _tremor(times, rng, persona)
    points[-1] = end  # the last sample is exactly the click point
    limit = np.array(screen) - 1
    return _dedupe(np.clip(np.rint(points), 0, limit).astype(int), np.diff(times, prepend=0.0))


def sample_trajectory(
    t: np.ndarray, xy: np.ndarray, rng: np.random.Generator, screen: tuple[int, int] = DEFAULT_SCREEN
) -> Path:
    """A continuous trajectory (times from 0, positions) as a mouse reports it: sampled at a
    hardware-like irregular rate, integer pixels, the last sample exactly its end."""
    duration = float(t[-1])
    times = np.cumsum(_sample_delays(duration, rng))
    times[-1] = duration
    points = np.column_stack([np.interp(times, t, xy[:, 0]), np.interp(times, t, xy[:, 1])])
    points[-1] = xy[-1]
    limit = np.array(screen) - 1
    return _dedupe(np.clip(np.rint(points), 0, limit).astype(int), np.diff(times, prepend=0.0))


class ModelMotion:
    """The movement model as a motion source (what the Actor moves with by default)."""

    name = "model"

    def move_path(self, start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
                  screen: tuple[int, int] = DEFAULT_SCREEN) -> Path:
        return move_path(start, box, rng, persona, screen)

    def drag_path(self, start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
                  screen: tuple[int, int] = DEFAULT_SCREEN) -> Path:
        return drag_path(start, box, rng, persona, screen)


@dataclass(frozen=True)
class _Stroke:
    """One submovement: displacement `vector`, from `t0` lasting `span` seconds, with a sideways `bend`."""

    vector: np.ndarray
    t0: float
    span: float
    bend: float  # sideways bulge at mid-stroke, as a share of the stroke's length
    skew: float  # > 1: the stroke accelerates a little faster than it decelerates


def plan_strokes(
    origin: np.ndarray, goal: np.ndarray, distance: float, width: float, duration: float,
    rng: np.random.Generator, persona: Persona,
) -> list[_Stroke]:
    """A fast primary stroke that lands short and to one side, then 0-3 slower corrections to the goal.

    The primary covers most of the distance in the first third of the time; the rest of the time
    is the homing phase: corrective submovements, each removing most of the error left, the last
    ending on the goal, now and then after a stop.
    """
    axis = (goal - origin) / distance
    normal = np.array([-axis[1], axis[0]])
    corrections = int(rng.choice(4, p=_correction_odds(distance, width, persona)))
    if corrections == 0:
        return [_Stroke(goal - origin, 0.0, duration, float(rng.normal(0, persona.bend_sd)),
                        float(rng.uniform(1.0, 1.15)))]
    short = float(rng.normal(persona.primary_short, persona.primary_short_sd))
    miss = float(rng.normal(0, persona.primary_miss_sd))
    aim = goal - axis * short * distance + normal * miss * distance
    primary = duration * float(np.clip(rng.normal(persona.primary_share, 0.07), 0.18, 0.6))
    strokes = [_Stroke(aim - origin, 0.0, primary, float(rng.normal(0, persona.bend_sd)),
                       float(rng.uniform(1.0, 1.15)))]
    # the homing phase: corrections share what is left of the time, some after a stop
    left = duration - primary * 0.8
    weights = rng.uniform(0.6, 1.4, corrections)
    spans = left * weights / weights.sum()
    t0, here = primary * 0.8, aim
    for n in range(corrections):
        last = n == corrections - 1
        target = goal if last else goal + (here - goal) * rng.uniform(0.1, 0.4) * rng.choice([-1.0, 1.0], p=[0.3, 0.7])
        stop = float(rng.uniform(0.05, 0.12)) if rng.random() < persona.stop_rate else 0.0
        stop = min(stop, spans[n] * 0.4)
        start_at = t0 + stop
        span = (duration - start_at) if last else spans[n] - stop
        strokes.append(_Stroke(target - here, start_at, max(span, 0.03), float(rng.normal(0, 0.05)),
                               float(rng.uniform(0.9, 1.2))))
        t0 = start_at + span * float(rng.uniform(0.6, 0.85))
        here = target
    return strokes


def _correction_odds(distance: float, width: float, persona: Persona) -> np.ndarray:
    """Chances of 0, 1, 2, 3 corrective submovements: more for harder targets (Fitts' index)."""
    difficulty = np.log2(distance / max(width, 1.0) + 1.0)
    if distance < 20:
        return np.array([1.0, 0.0, 0.0, 0.0])
    base = np.array(persona.correction_odds, dtype=float)
    shift = np.clip((difficulty - 3.5) * 0.05, -0.1, 0.1)  # easy targets: fewer corrections
    odds = base + np.array([-shift, -shift / 2, shift, shift / 2])
    odds = np.clip(odds, 0.01, None)
    return odds / odds.sum()


def _stroke(s: _Stroke, times: np.ndarray) -> np.ndarray:
    """Displacement of one stroke at `times`: minimum-jerk progress, warped so it peaks a little early,
    along a chord bent sideways."""
    u = np.clip((times - s.t0) / s.span, 0.0, 1.0)
    warped = 1 - (1 - u) ** s.skew  # skew > 1: earlier peak, sharper acceleration
    progress = warped**3 * (10 - 15 * warped + 6 * warped**2)
    normal = np.array([-s.vector[1], s.vector[0]])
    return progress[:, None] * s.vector + (s.bend * np.sin(np.pi * progress))[:, None] * normal


def _velocity_noise(
    times: np.ndarray, strokes: list[_Stroke], rng: np.random.Generator, persona: Persona
) -> np.ndarray:
    """Pointer noise that grows with speed: a smooth random wander of the velocity's direction and size.

    Zero at the start and end, and zero while the hand is still (stops stay still).
    """
    fine = np.arange(0.0, times[-1] + 0.004, 0.002)
    velocity = np.gradient(sum(_stroke(s, fine) for s in strokes), fine, axis=0)
    kernel = np.exp(-0.5 * (np.arange(-40, 41) * 0.002 / persona.noise_time) ** 2)
    white = rng.normal(0, 1, (len(fine) + len(kernel) - 1, 2))
    wander = np.column_stack([np.convolve(white[:, i], kernel, mode="valid") for i in range(2)])
    wander /= max(float(wander.std()), 1e-9)
    speed = np.linalg.norm(velocity, axis=1)[:, None]
    drift = np.cumsum(wander * speed * persona.noise_gain * 0.002, axis=0)
    travelled = np.cumsum(speed[:, 0]) / max(float(speed.sum()), 1e-9)
    drift -= travelled[:, None] * drift[-1]  # the noise cancels out by the end
    return np.column_stack([np.interp(times, fine, drift[:, i]) for i in range(2)])


def _tremor(times: np.ndarray, rng: np.random.Generator, persona: Persona) -> np.ndarray:
    """8-12 Hz physiological tremor of a fraction of a pixel, faded in and out at the ends."""
    freq = rng.uniform(8, 12, 2)
    phase = rng.uniform(0, 2 * np.pi, 2)
    amplitude = persona.tremor_px * rng.uniform(0.6, 1.4, 2)
    fade = np.sin(np.pi * np.clip(times / max(float(times[-1]), 1e-9), 0, 1))[:, None]
    return fade * amplitude * np.sin(2 * np.pi * freq * times[:, None] + phase)


def _sample_delays(duration: float, rng: np.random.Generator) -> np.ndarray:
    """Irregular sample intervals at a hardware-like rate (mean 8–16 ms) covering `duration`.

    Intervals jitter around the device's period, and now and then a report is late or missed.
    """
    mean = rng.uniform(1 / 125, 1 / 60)
    n = max(2, int(np.ceil(duration / mean)))
    delays = rng.gamma(shape=10.0, scale=mean / 10.0, size=n)
    delays *= np.where(rng.random(n) < 0.05, 2.0, 1.0)
    return delays * (duration / delays.sum())


def _dedupe(points: np.ndarray, delays: np.ndarray) -> Path:
    """Drop samples that do not move the pointer (X reports no motion for them).

    The path ends when the pointer reaches its last pixel, as a recording of it would; the slow
    sub-pixel creep after that is the hand at rest on the target.
    """
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    times = np.cumsum(delays)
    return Path(points[keep], np.diff(times[keep], prepend=0.0))


def _direction(origin: tuple[float, float] | None, to: tuple[float, float]) -> np.ndarray:
    if origin is None:
        return np.array([1.0, 0.0])
    d = np.array(to, dtype=float) - np.array(origin, dtype=float)
    n = float(np.linalg.norm(d))
    return d / n if n >= 1.0 else np.array([1.0, 0.0])


def _extent(box: Box, direction: np.ndarray) -> float:
    """Length of the line through the box's centre along `direction`, inside the box."""
    dx, dy = abs(float(direction[0])), abs(float(direction[1]))
    return min(box.w / dx if dx > 1e-9 else np.inf, box.h / dy if dy > 1e-9 else np.inf)


# -- buttons, drags, wheel ---------------------------------------------------------------------------
def button_hold(rng: np.random.Generator, persona: Persona) -> float:
    """How long (s) a click holds the button down: right-skewed around the persona's mean."""
    return float(np.clip(_lognormal(rng, persona.click_hold_mean, 0.25), 0.04, 0.3))


def double_click_gap(rng: np.random.Generator, persona: Persona) -> float:
    """Release-to-press gap (s) between the two clicks of a double click (well under the 400 ms limit)."""
    return float(np.clip(_lognormal(rng, 0.09, 0.3), 0.04, 0.25))


def drag_timing(rng: np.random.Generator, persona: Persona) -> DragTiming:
    """Pauses of a drag: a glance before pressing, a hold before moving, a settle before releasing."""
    return DragTiming(
        before_press=float(np.clip(_lognormal(rng, 0.12, 0.4), 0.04, 0.4)),
        before_move=float(np.clip(_lognormal(rng, 0.15, 0.4), 0.06, 0.5)),
        before_release=float(np.clip(_lognormal(rng, 0.12, 0.4), 0.05, 0.4)),
    )


def scroll_ticks(ticks: int, rng: np.random.Generator, persona: Persona) -> np.ndarray:
    """Delays (s) before each of `ticks` wheel ticks: flicks of 1–8 quick ticks, pauses between flicks."""
    delays = np.empty(max(ticks, 0))
    left_in_flick = 0
    for i in range(len(delays)):
        if left_in_flick == 0:
            left_in_flick = int(np.clip(1 + rng.poisson(3), 1, 8))
            delays[i] = _lognormal(rng, 0.25, 0.4) if i else 0.0  # the finger goes back up the wheel
        else:
            delays[i] = _lognormal(rng, 0.035, 0.35)
        left_in_flick -= 1
    return delays


def _lognormal(rng: np.random.Generator, mean: float, cv: float) -> float:
    sigma2 = np.log(1 + cv**2)
    return float(rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))
