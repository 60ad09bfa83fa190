"""Humanlike pointer motion (pure numpy, seeded).

A movement to a target box: the click point scatters inside the box like people's clicks
(SD ≈ W/4.133 along each axis); the duration follows Fitts' law (MT = a + b·log2(D/W + 1));
a primary submovement along a curved path with a right-skewed (lognormal) speed profile lands
near the point, often under- or overshooting, then a short corrective submovement lands on it;
a little tremor is added and the path is sampled at an irregular, hardware-like 60–125 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf

import numpy as np

from cleantrace.perform.persona import Persona

SQRT2 = np.sqrt(2.0)
_erf = np.vectorize(erf)


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


def click_point(box: Box, rng: np.random.Generator) -> tuple[int, int]:
    """A point inside `box`, scattered around its centre like human clicks, never on its edge."""
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    px = cx + rng.normal(0, box.w / 4.133 / 2)
    py = cy + rng.normal(0, box.h / 4.133 / 2)
    mx, my = min(3.0, box.w / 4), min(3.0, box.h / 4)
    px = np.clip(px, box.x + mx, box.x + box.w - mx - 1)
    py = np.clip(py, box.y + my, box.y + box.h - my - 1)
    return int(np.floor(px)), int(np.floor(py))


def fitts_duration(distance: float, width: float, persona: Persona) -> float:
    """Movement time (s) by Fitts' law, Shannon form."""
    return persona.fitts_a + persona.fitts_b * np.log2(distance / max(width, 1.0) + 1.0)


def move_path(
    start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
    screen: tuple[int, int] = (1280, 800),
) -> Path:
    """The whole movement from `start` to a click point inside `box`."""
    goal = np.array(click_point(box, rng), dtype=float)
    origin = np.array(start, dtype=float)
    distance = float(np.linalg.norm(goal - origin))
    if distance < 1.0:
        return Path(np.array([goal], dtype=int), np.array([0.02]))
    width = min(box.w, box.h)
    duration = fitts_duration(distance, width, persona) * rng.uniform(0.9, 1.1)
    # primary submovement: lands short or long along the movement axis
    axis = (goal - origin) / distance
    miss = rng.normal(-0.02, 0.05) * distance if distance > 30 else 0.0
    landing = goal + axis * miss + rng.normal(0, width / 8, 2)
    primary = _submovement(origin, landing, duration * 0.8, rng, curvature=rng.normal(0, 0.12))
    parts = [primary]
    if np.linalg.norm(landing - goal) >= 1.0:
        parts.append(_submovement(landing, goal, duration * 0.2 + 0.05, rng, curvature=0.0))
    points = np.vstack([p[0] for p in parts])
    delays = np.concatenate([p[1] for p in parts])
    points[-1] = goal  # the last sample is exactly the click point
    limit = np.array(screen) - 1
    return _dedupe(np.clip(np.rint(points), 0, limit).astype(int), delays)


def _submovement(
    a: np.ndarray, b: np.ndarray, duration: float, rng: np.random.Generator, curvature: float
) -> tuple[np.ndarray, np.ndarray]:
    delays = _sample_delays(duration, rng)
    t = np.cumsum(delays) / duration
    progress = _lognormal_progress(np.clip(t, 1e-6, 1.0), sigma=rng.uniform(0.28, 0.42))
    chord = b - a
    normal = np.array([-chord[1], chord[0]])
    bend = curvature * np.sin(np.pi * progress)[:, None] * normal  # zero at both ends
    tremor = rng.normal(0, 0.35, (len(t), 2))
    tremor[-1] = 0
    points = a + progress[:, None] * chord + bend + tremor
    return points, delays


def _lognormal_progress(t: np.ndarray, sigma: float) -> np.ndarray:
    """Share of the distance covered at normalised time t: a lognormal CDF, reaching 1 at t = 1."""
    mu = np.log(0.42)
    cdf = 0.5 * (1 + _erf((np.log(t) - mu) / (sigma * SQRT2)))
    return cdf / cdf[-1]


def _sample_delays(duration: float, rng: np.random.Generator) -> np.ndarray:
    """Irregular sample intervals at a hardware-like rate (mean 8–16 ms) covering `duration`."""
    mean = rng.uniform(1 / 125, 1 / 60)
    n = max(2, int(np.ceil(duration / mean)))
    delays = rng.gamma(shape=12.0, scale=mean / 12.0, size=n)
    return delays * (duration / delays.sum())


def _dedupe(points: np.ndarray, delays: np.ndarray) -> Path:
    """Drop samples that do not move the pointer (X reports no motion for them); keep the time."""
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    times = np.cumsum(delays)
    kept_times = times[keep]
    kept_times[-1] = times[-1]  # the movement still lasts its whole duration
    return Path(points[keep], np.diff(kept_times, prepend=0.0))
