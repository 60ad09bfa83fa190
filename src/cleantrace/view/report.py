"""Builds the run report: a summary, and per episode its actions over their frames with the
cursor path and target boxes drawn on top."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from cleantrace.errors import TraceError
from cleantrace.trace.reader import EpisodeTrace, episode_folders, read_episode
from cleantrace.trace.schema import Action

REPORT_NAME = "report.html"


@dataclass
class StepView:
    action: Action
    frame: str | None
    path: str  # SVG polyline points of the pointer during the action
    label: str


@dataclass
class EpisodeView:
    trace: EpisodeTrace
    rel: str  # folder relative to the report
    steps: list[StepView] = field(default_factory=list)
    final_frame: str | None = None
    full_path: str = ""


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the HTML report of a run (default: <run>/report.html) and return its path."""
    run_dir = Path(run_dir)
    out = Path(out) if out else run_dir / REPORT_NAME
    folders = episode_folders(run_dir)
    if not folders:
        raise TraceError(f"no episodes in {run_dir}", "pass a run folder made by `cleantrace run`")
    episodes = [_episode_view(read_episode(f), out.parent) for f in folders if (f / "meta.json").exists()]
    env = Environment(loader=PackageLoader("cleantrace.view"), autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        run_id=run_dir.name, episodes=episodes, summary=_summary(episodes),
    )
    out.write_text(html, encoding="utf-8")
    return out


def _episode_view(trace: EpisodeTrace, report_dir: Path) -> EpisodeView:
    rel = _relpath(trace.folder, report_dir)
    frames = {f.i: f"{rel}/{f.file}" for f in trace.frames}
    view = EpisodeView(trace, rel)
    for a in trace.actions:
        moves = trace.events[a.events[0] : a.events[1] + 1]
        view.steps.append(StepView(
            action=a, frame=frames.get(a.frame_before) if a.frame_before is not None else None,
            path=" ".join(f"{e.x},{e.y}" for e in moves if e.kind in ("move", "down", "up")),
            label=_label(a),
        ))
    if trace.frames:
        view.final_frame = frames[trace.frames[-1].i]
    view.full_path = " ".join(f"{e.x},{e.y}" for e in trace.events if e.kind == "move")
    return view


def _label(a: Action) -> str:
    if a.kind == "type":
        return f'type "{a.text}"'
    if a.kind in ("hotkey", "key"):
        return f"{a.kind} {'+'.join(a.keys or [])}"
    if a.kind == "scroll":
        return f"scroll dx={a.dx} dy={a.dy}"
    where = f" at ({a.x}, {a.y})" if a.x is not None else ""
    target = f" on {a.target.role} “{a.target.name}”" if a.target and (a.target.role or a.target.name) else ""
    return f"{a.kind}{target}{where}"


def _summary(episodes: list[EpisodeView]) -> dict:
    tasks: Counter[str] = Counter()
    task_success: Counter[str] = Counter()
    for e in episodes:
        tasks[e.trace.meta.task] += 1
        task_success[e.trace.meta.task] += bool(e.trace.meta.outcome.success)
    durations = [e.trace.meta.duration_ms or 0 for e in episodes]
    return {
        "episodes": len(episodes),
        "success": sum(task_success.values()),
        "statuses": Counter(e.trace.meta.outcome.status for e in episodes),
        "tasks": [(t, n, task_success[t]) for t, n in sorted(tasks.items())],
        "mean_seconds": sum(durations) / len(durations) / 1000 if durations else 0,
    }


def _relpath(path: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
