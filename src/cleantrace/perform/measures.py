"""Measures of how humanlike input is (pure numpy): per-movement kinematics, per-text typing statistics,
and the segmentation of recorded events into movements. Used by bench/realism.py on our performer,
on baselines and on volunteer traces alike, so all are measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cleantrace.perform.motion import Box, Path
from cleantrace.perform.typing import KeyEvent, hand_of

RESAMPLE_S = 0.005     # kinematics are computed on a uniform 200 Hz resampling...
SMOOTH_S = 0.02        # ...smoothed by a Gaussian of this SD (s)
PEAK_PROMINENCE = 0.1  # a speed peak must stand out by 10 % of the top speed
PAUSE_S = 0.3          # a pointer still for longer than this starts a new movement
MODIFIERS = {"Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Meta_L", "Super_L"}


@dataclass(frozen=True)
class Movement:
    """Pointer samples of one movement: times (s, from 0) and positions, the first being the start."""

    t: np.ndarray   # (n,)
    xy: np.ndarray  # (n, 2) float
    press: int = -1  # index of the button press that ends it, for movements cut from recorded events


def movement_of(start: tuple[int, int], path: Path) -> Movement:
    """A performer path as a recording shows it (see `_recorded`)."""
    return _recorded(start, np.cumsum(path.delays), path.points.astype(float))


def segment_movements(events: Iterable, pause_s: float = PAUSE_S, min_distance: float = 10.0) -> list[Movement]:
    """The pointer movements that end in a button press, from recorded events (t_ms, kind, x, y).

    A movement starts where the pointer rested (still for `pause_s`, or where a button, wheel or key
    event left it) and ends at the press.
    """
    movements: list[Movement] = []
    moves: list[tuple[float, float, float]] = []
    rest: tuple[float, float] | None = None
    for i, e in enumerate(events):
        t = e.t_ms / 1000.0
        if e.kind == "move":
            if moves and t - moves[-1][0] > pause_s:
                rest, moves = moves[-1][1:], []
            if rest is None:
                rest = (float(e.x), float(e.y))
            else:
                moves.append((t, float(e.x), float(e.y)))
            continue
        if e.kind == "down" and rest is not None and len(moves) >= 3:
            arr = np.array(moves)
            if np.hypot(arr[-1, 1] - rest[0], arr[-1, 2] - rest[1]) >= min_distance:
                movements.append(_recorded(rest, arr[:, 0], arr[:, 1:], press=i))
        moves, rest = [], (float(e.x), float(e.y))
    return movements


def _recorded(start: tuple[float, float], times: np.ndarray, points: np.ndarray, press: int = -1) -> Movement:
    """A movement as recorded: the rest position one (median) sample interval before the first move."""
    first = times[0] - (float(np.median(np.diff(times))) if len(times) > 1 else 0.01)
    return Movement(np.concatenate([[first], times]) - first, np.vstack([np.array(start, float), points]), press)


# -- one movement ---------------------------------------------------------------------------------
def movement_features(m: Movement, box: Box | None = None) -> dict[str, float]:
    """Kinematic and accuracy measures of one movement (MacKenzie et al. 2001 for tac..mo)."""
    t, xy = m.t, m.xy
    start, end = xy[0], xy[-1]
    chord = end - start
    distance = float(np.linalg.norm(chord))
    axis = chord / max(distance, 1e-9)
    along, across = (xy - start) @ axis, (xy - start) @ np.array([-axis[1], axis[0]])
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    moving = steps > 0
    intervals = np.diff(t)[moving]
    duration = float(t[-1] - t[0])
    ts, speed = _speed_profile(t, xy)
    peak = int(np.argmax(speed))
    features = {
        "duration_s": duration,
        "distance_px": distance,
        "path_efficiency": distance / max(float(steps.sum()), 1e-9),
        "speed_peaks": float(len(peaks := _prominent_peaks(speed))),
        "time_to_peak": float(ts[peak] / max(duration, 1e-9)),
        "peak_speed_ratio": float(speed[peak] * duration / max(distance, 1e-9)),
        "curvature": float(np.abs(across).max() / max(distance, 1e-9)),
        "ldlj": _log_dimensionless_jerk(ts, speed),
        "task_axis_crossings": float(_sign_changes(across[1:-1])),
        "movement_direction_changes": float(_sign_changes(np.diff(across))),
        "orthogonal_direction_changes": float(_sign_changes(np.diff(along))),
        "movement_variability_px": float(np.std(across[1:-1], ddof=1)) if len(xy) > 3 else 0.0,
        "movement_error_px": float(np.abs(across[1:-1]).mean()) if len(xy) > 2 else 0.0,
        "movement_offset_px": float(across[1:-1].mean()) if len(xy) > 2 else 0.0,
        "sample_interval_ms": float(intervals.mean() * 1000) if len(intervals) else 0.0,
        "sample_interval_cv": float(intervals.std() / intervals.mean()) if len(intervals) > 1 else 0.0,
    }
    features.update(shape_features(m, ts, speed, peaks))
    if box is not None:
        features["target_reentries"] = float(_reentries(xy, box))
    return features


def shape_features(
    m: Movement, ts: np.ndarray | None = None, speed: np.ndarray | None = None, peaks: list[int] | None = None,
) -> dict[str, float]:
    """The structure of one movement: its first stroke, homing phase, stops and noise.

    The first stroke ends at the first speed valley after the first prominent speed peak (or, with
    one peak, where the speed falls under 5 % of the peak); the homing phase is the rest. An internal
    stop is the pointer still for ≥ 50 ms between its first and last move, seen by polling it at
    60 Hz; the heading change is measured on a 60 Hz resampling, steps under half a pixel skipped.
    """
    if ts is None or speed is None:
        ts, speed = _speed_profile(m.t, m.xy)
    t, xy = m.t - m.t[0], m.xy
    duration = max(float(t[-1]), 1e-9)
    chord = xy[-1] - xy[0]
    distance = max(float(np.linalg.norm(chord)), 1e-9)
    axis = chord / distance
    along = (xy - xy[0]) @ axis / distance
    across = (xy - xy[0]) @ np.array([-axis[1], axis[0]]) / distance
    reached = np.nonzero(along >= 0.1)[0]
    t10 = float(t[reached[0]]) if len(reached) else duration
    end = _first_stroke_end(speed, _prominent_peaks(speed) if peaks is None else peaks)
    t_end = float(ts[end])
    accel = np.gradient(speed[: end + 1], RESAMPLE_S) if end >= 2 else np.array([0.0, 0.0])
    return {
        "time_to_10pct": min(t10 / duration, 1.0),
        "homing_share": max(0.0, 1.0 - t_end / duration),
        "internal_stop": float(_longest_still(resample(m, 60.0)) >= 0.05 - 1e-9),
        "first_stroke_short": float(1.0 - np.interp(t_end, t, along)),
        "progress_at_peak": float(np.interp(ts[int(np.argmax(speed))], t, along)),
        "first_stroke_sideways": float(abs(np.interp(t_end, t, across))),
        "accel_decel_ratio": float(max(accel.max(), 0.0) / max(-accel.min(), 1e-9)),
        "heading_change_sd": _heading_change_sd(t, xy),
    }


def resample(m: Movement, rate: float = 60.0) -> Movement:
    """The movement as a poll of the pointer at `rate` Hz would see it (the last reported position)."""
    ts = np.arange(m.t[0], m.t[-1] + 0.5 / rate, 1 / rate)
    ts[-1] = max(ts[-1], m.t[-1]) if len(ts) else m.t[-1]
    idx = np.clip(np.searchsorted(m.t, ts, side="right") - 1, 0, len(m.t) - 1)
    idx[-1] = len(m.t) - 1
    return Movement(ts - ts[0], m.xy[idx].astype(float), m.press)


def _longest_still(m: Movement) -> float:
    """The longest time (s) the pointer stays on one point between its first and its last move."""
    moved = np.nonzero(np.any(np.diff(m.xy, axis=0) != 0, axis=1))[0]
    if len(moved) < 2:
        return 0.0
    return float(np.diff(m.t[moved + 1]).max() - (m.t[1] - m.t[0]))


def _first_stroke_end(speed: np.ndarray, peaks: list[int]) -> int:
    """Index where the first stroke ends on a smoothed speed profile (see `shape_features`)."""
    top = float(speed.max())
    if not peaks:
        return len(speed) - 1
    first = peaks[0]
    if len(peaks) > 1:
        return first + int(np.argmin(speed[first : peaks[1] + 1]))
    low = np.nonzero(speed[first:] < 0.05 * top)[0]
    return first + int(low[0]) if len(low) else len(speed) - 1


def _heading_change_sd(t: np.ndarray, xy: np.ndarray, rate: float = 60.0) -> float:
    ts = np.arange(t[0], t[-1] + 0.5 / rate, 1 / rate)
    pos = np.column_stack([np.interp(ts, t, xy[:, 0]), np.interp(ts, t, xy[:, 1])])
    steps = np.diff(pos, axis=0)
    steps = steps[np.linalg.norm(steps, axis=1) >= 0.5]
    if len(steps) < 3:
        return 0.0
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    turns = (np.diff(heading) + np.pi) % (2 * np.pi) - np.pi
    return float(np.std(turns))


def _speed_profile(t: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speed (px/s) on a uniform, Gaussian-smoothed resampling of the path."""
    ts = np.arange(t[0], t[-1] + RESAMPLE_S / 2, RESAMPLE_S)
    if len(ts) < 3:
        return np.array([0.0, t[-1]]), np.array([0.0, 0.0])
    pos = np.column_stack([np.interp(ts, t, xy[:, 0]), np.interp(ts, t, xy[:, 1])])
    half = int(3 * SMOOTH_S / RESAMPLE_S)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * RESAMPLE_S / SMOOTH_S) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(pos, ((half, half), (0, 0)), mode="edge")
    smooth = np.column_stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(2)])
    speed = np.linalg.norm(np.gradient(smooth, RESAMPLE_S, axis=0), axis=1)
    return ts - ts[0], speed


def _count_peaks(speed: np.ndarray) -> int:
    """Local maxima of the speed that stand out by PEAK_PROMINENCE of the top speed (topographic prominence)."""
    return len(_prominent_peaks(speed))


def _prominent_peaks(speed: np.ndarray) -> list[int]:
    top = float(speed.max())
    if top <= 0:
        return []
    found = []
    for i in range(1, len(speed) - 1):
        if not (speed[i] > speed[i - 1] and speed[i] >= speed[i + 1]):
            continue
        # of peaks of equal height, only the first stands out: an earlier one as high ends its left side
        base_left = _base(speed[:i][::-1], lambda v, h=speed[i]: v >= h)
        base_right = _base(speed[i + 1 :], lambda v, h=speed[i]: v > h)
        if speed[i] - max(base_left, base_right) >= PEAK_PROMINENCE * top:
            found.append(i)
    return found


def _base(side: np.ndarray, ends) -> float:
    """Lowest point on one side of a peak before the side reaches a point that `ends` it."""
    stops = np.nonzero(ends(side))[0]
    stop = stops[0] if len(stops) else len(side)
    return float(side[:stop].min()) if stop else float("inf")


def _log_dimensionless_jerk(ts: np.ndarray, speed: np.ndarray) -> float:
    """LDLJ of the speed profile (Balasubramanian et al. 2015): lower is less smooth."""
    duration = ts[-1] - ts[0]
    peak = speed.max()
    if duration <= 0 or peak <= 0 or len(speed) < 5:
        return 0.0
    jerk = np.gradient(np.gradient(speed, ts), ts)
    integral = float(np.sum(jerk**2) * (ts[1] - ts[0]))
    return float(-np.log(max(integral * duration**3 / peak**2, 1e-12)))


def _sign_changes(values: np.ndarray, tolerance: float = 0.5) -> int:
    """How often `values` changes sign, ignoring values within `tolerance` of zero."""
    signs = np.sign(values[np.abs(values) > tolerance])
    return int(np.count_nonzero(np.diff(signs)))


def _reentries(xy: np.ndarray, box: Box) -> int:
    inside = (xy[:, 0] >= box.x) & (xy[:, 0] < box.x + box.w) & (xy[:, 1] >= box.y) & (xy[:, 1] < box.y + box.h)
    return max(0, int(np.count_nonzero(np.diff(inside.astype(int)) == 1)) - 1)


# -- typing ---------------------------------------------------------------------------------------
def typing_features(timelines: Sequence[tuple[str, list[KeyEvent]]]) -> dict[str, float]:
    """Typing statistics over (text, timeline) pairs, defined as in Dhakal et al. 2018.

    IKI: between consecutive presses of non-modifier keys; hold: press to release; KSPC: all key
    presses (Shift and BackSpace included) per character of the text; rollover: share of key presses
    made while the previous non-modifier key is still down.
    """
    ikis, holds, rolled, alternating, same_hand, shift_leads = [], [], [], [], [], []
    presses = modifier_presses = chars = backspaces = 0
    for text, timeline in timelines:
        chars += len(text)
        down_at: dict[str, float] = {}
        prev: tuple[str, float] | None = None
        shift_down: float | None = None
        for e in timeline:
            if not e.down:
                if e.key in down_at:
                    holds.append(e.t - down_at.pop(e.key))  # modifiers are never in down_at
                continue
            presses += 1
            backspaces += e.key == "BackSpace"
            if e.key in MODIFIERS:
                modifier_presses += 1
                shift_down = e.t if e.key.startswith("Shift") else shift_down
                continue
            if shift_down is not None:
                shift_leads.append(e.t - shift_down)
                shift_down = None
            if prev:
                ikis.append(e.t - prev[1])
                rolled.append(prev[0] in down_at)
                hands = hand_of(prev[0]), hand_of(e.key)
                if None not in hands and " " not in (prev[0], e.key):
                    (alternating if hands[0] != hands[1] else same_hand).append(e.t - prev[1])
            down_at[e.key] = e.t
            prev = (e.key, e.t)
    iki = np.array(ikis)
    return {
        "iki_mean_ms": float(iki.mean() * 1000),
        "iki_sd_ms": float(iki.std() * 1000),
        "iki_skew": _skew(iki),
        "iki_cv": float(iki.std() / iki.mean()),
        "shift_lead_ms": float(np.median(shift_leads) * 1000) if shift_leads else 0.0,
        "hold_mean_ms": float(np.mean(holds) * 1000),
        "hold_sd_ms": float(np.std(holds) * 1000),
        "kspc": presses / max(chars, 1),
        "kspc_without_modifiers": (presses - modifier_presses) / max(chars, 1),
        "corrections": backspaces / max(presses, 1),
        "rollover": float(np.mean(rolled)),
        "iki_alternating_hands_ms": float(np.mean(alternating) * 1000) if alternating else 0.0,
        "iki_same_hand_ms": float(np.mean(same_hand) * 1000) if same_hand else 0.0,
    }


def _skew(x: np.ndarray) -> float:
    sd = x.std()
    return float(((x - x.mean()) ** 3).mean() / sd**3) if sd > 0 else 0.0
