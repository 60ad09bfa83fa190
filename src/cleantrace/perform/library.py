"""A movement-library performer: human movements from recorded traces, retargeted to new points.

`run --motion library:RUN` moves the pointer along movements taken from RUN's traces (volunteer
episodes, or any run): for each new movement the library picks, among the recorded movements
closest in distance and direction, one at random, rotates and scales it so that it starts at the
pointer and ends on the click point, and warps its time by Fitts' law within human limits
(×0.7–1.4). Movements shorter than the library's shortest, and a library without movements, fall
back to the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cleantrace.errors import CleantraceError
from cleantrace.perform.measures import Movement
from cleantrace.perform.motion import (
    DRAG_SLOWDOWN,
    Box,
    click_point,
    fitts_duration,
    path_between,
    sample_trajectory,
    target_width,
)
from cleantrace.perform.motion import (
    Path as MotionPath,
)
from cleantrace.perform.persona import Persona
from cleantrace.spec import DEFAULT_SCREEN

LIBRARY_PREFIX = "library:"
CANDIDATES = 5            # choose at random among this many nearest movements
TIME_WARP = (0.7, 1.4)    # how far a movement's duration may be stretched or squeezed
MIN_DISTANCE = 10.0
LIBRARY_WIDTH = 32.0      # Fitts' W assumed for a recorded movement whose target was not recorded


@dataclass(frozen=True)
class _Entry:
    t: np.ndarray           # times from 0 (s)
    z: np.ndarray           # positions relative to the start, as complex numbers
    distance: float
    angle: float
    width: float


class MovementLibrary:
    """Recorded movements, ready to be retargeted."""

    def __init__(self, movements: list[Movement], widths: list[float | None] | None = None, name: str = "") -> None:
        self.name = name or "library"
        self._entries: list[_Entry] = []
        for m, width in zip(movements, widths or [None] * len(movements), strict=True):
            z = (m.xy[:, 0] - m.xy[0, 0]) + 1j * (m.xy[:, 1] - m.xy[0, 1])
            if abs(z[-1]) >= MIN_DISTANCE and m.t[-1] > m.t[0]:
                self._entries.append(_Entry(m.t - m.t[0], z, float(abs(z[-1])), float(np.angle(z[-1])),
                                            width or LIBRARY_WIDTH))
        if not self._entries:
            raise CleantraceError(f"the movement library {self.name} has no movements",
                                  "record a run with clicks first (volunteer episodes, or a scripted run)")
        self._log_distance = np.log([e.distance for e in self._entries])
        self._angles = np.array([e.angle for e in self._entries])

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def from_run(cls, run_dir: Path) -> MovementLibrary:
        from cleantrace.perform.fit import read_source

        if not Path(run_dir).is_dir():
            raise CleantraceError(f"no run folder {run_dir} for the movement library", "pass --motion library:RUN")
        movements, widths = [], []
        for rec in read_source(Path(run_dir)).values():
            movements += rec.movements
            widths += rec.widths
        return cls(movements, widths, name=str(run_dir))

    def save(self, path: Path) -> None:
        """Write the library to one file (what an episode's sandbox gets, read-only)."""
        ends = np.cumsum([len(e.t) for e in self._entries])
        np.savez_compressed(path, t=np.concatenate([e.t for e in self._entries]),
                            z=np.concatenate([e.z for e in self._entries]), ends=ends,
                            widths=np.array([e.width for e in self._entries]))

    @classmethod
    def load(cls, path: Path) -> MovementLibrary:
        try:
            data = np.load(path)
            starts = np.concatenate([[0], data["ends"][:-1]])
            movements = [Movement(data["t"][a:b], np.column_stack([data["z"][a:b].real, data["z"][a:b].imag]))
                         for a, b in zip(starts, data["ends"], strict=True)]
            return cls(movements, [float(w) for w in data["widths"]], name=str(path))
        except (OSError, KeyError, ValueError) as exc:
            raise CleantraceError(f"cannot read the movement library {path}: {exc}",
                                  "run again: the runner writes it from --motion library:RUN") from None

    # -- the motion-source interface ------------------------------------------------------------
    def move_path(self, start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
                  screen: tuple[int, int] = DEFAULT_SCREEN) -> MotionPath:
        goal = click_point(box, rng, persona, origin=start)
        return self.path_between(start, goal, target_width(box, start), rng, persona, screen)

    def drag_path(self, start: tuple[int, int], box: Box, rng: np.random.Generator, persona: Persona,
                  screen: tuple[int, int] = DEFAULT_SCREEN) -> MotionPath:
        slower = replace(persona, fitts_b=persona.fitts_b * DRAG_SLOWDOWN)
        return self.move_path(start, box, rng, slower, screen)

    def path_between(self, start: tuple[int, int], goal: tuple[int, int], width: float, rng: np.random.Generator,
                     persona: Persona, screen: tuple[int, int] = DEFAULT_SCREEN) -> MotionPath:
        """A recorded movement, retargeted to go from `start` to exactly `goal`."""
        chord = complex(goal[0] - start[0], goal[1] - start[1])
        distance = abs(chord)
        if distance < MIN_DISTANCE:
            return path_between(start, goal, width, rng, persona, screen)
        entry = self.choose(distance, float(np.angle(chord)), rng)
        z = entry.z * (chord / entry.z[-1])  # rotate and scale: starts at 0, ends on the chord
        warp = fitts_duration(distance, width, persona) / fitts_duration(entry.distance, entry.width, persona)
        t = entry.t * float(np.clip(warp, *TIME_WARP))
        xy = np.column_stack([z.real + start[0], z.imag + start[1]])
        xy[-1] = goal
        return sample_trajectory(t, xy, rng, screen)

    def choose(self, distance: float, angle: float, rng: np.random.Generator) -> _Entry:
        """One of the CANDIDATES movements nearest in log distance and direction, at random."""
        turn = np.abs((self._angles - angle + np.pi) % (2 * np.pi) - np.pi) / np.pi
        score = np.abs(self._log_distance - np.log(distance)) / np.log(2) + turn  # a half turn = twice as far
        nearest = np.argsort(score)[:CANDIDATES]
        return self._entries[int(rng.choice(nearest))]


def motion_source(spec: str, library_file: str | None = None):
    """The motion source named by `--motion`: `model` or `library:RUN` (read from `library_file`,
    the library saved by the runner, when given: a sandbox does not see other runs)."""
    from cleantrace.perform.motion import ModelMotion

    if spec in ("", "model"):
        return ModelMotion()
    if spec.startswith(LIBRARY_PREFIX):
        if library_file:
            return MovementLibrary.load(Path(library_file))
        return MovementLibrary.from_run(Path(spec[len(LIBRARY_PREFIX):]))
    raise CleantraceError(f"unknown motion source {spec!r}", "use --motion model or --motion library:RUN")
