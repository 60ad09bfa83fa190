"""What the volunteer reviews after Done: each action over its frame with the cursor path, the check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.trace.reader import EpisodeTrace, read_episode

POINTER_KINDS = ("move", "down", "up")


@dataclass
class ReviewStep:
    label: str
    frame: str | None  # file name under frames/
    path: str  # SVG polyline points of the pointer during the action
    x: int | None = None
    y: int | None = None


@dataclass
class Review:
    trace: EpisodeTrace
    steps: list[ReviewStep] = field(default_factory=list)
    final_frame: str | None = None
    full_path: str = ""


def review_of(folder: Path) -> Review:
    """The review of a sealed episode: one step per action, the final frame with the whole cursor path."""
    trace = read_episode(folder)
    frames = {f.i: Path(f.file).name for f in trace.frames}
    review = Review(trace)
    for a in trace.actions:
        moves = trace.events[a.events[0] : a.events[1] + 1] if a.events is not None else []
        review.steps.append(ReviewStep(
            label=_label(a), frame=frames.get(a.frame_before) if a.frame_before is not None else None,
            path=_points(moves), x=a.x, y=a.y,
        ))
    if trace.frames:
        review.final_frame = frames[trace.frames[-1].i]
    review.full_path = _points(trace.events)
    return review


def _points(events) -> str:
    return " ".join(f"{e.x},{e.y}" for e in events if e.kind in POINTER_KINDS)


def _label(a) -> str:
    if a.kind == "type":
        return f'typed "{a.text}"'
    if a.kind in ("hotkey", "key"):
        return f"{a.kind} {'+'.join(a.keys or [])}"
    if a.kind == "scroll":
        return f"scroll {a.dx}, {a.dy}"
    target = a.target
    on = f" on {target.role or target.tag} “{target.name}”" if target and (target.name or target.role) else ""
    return f"{a.kind.replace('_', ' ')}{on}"
