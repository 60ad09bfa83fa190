"""Builds the run report: an index page (run summary, the episodes) and one page per episode (a
timeline of its actions over their frames, the cursor path, target boxes, raw events on demand).

Static files, no server: frames stay in the episode folders, referenced by relative paths; each
episode page embeds its raw events as JSON and renders them only when asked.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from cleantrace.errors import CleantraceError, TraceError
from cleantrace.trace.reader import EpisodeTrace, episode_folders, read_episode
from cleantrace.trace.schema import Action, Event

REPORT_NAME = "report.html"
PAGES_DIR = "report"  # next to the index: one page per episode
POINTER_KINDS = ("move", "down", "up", "wheel")


@dataclass
class StepView:
    """One action as the timeline shows it."""

    action: Action
    label: str
    frame_before: str | None
    frame_after: str | None
    path: str  # SVG polyline points of the pointer during the action
    cursor: tuple[int, int] | None  # where the pointer was when the action happened


@dataclass
class EpisodeView:
    trace: EpisodeTrace
    page: str  # the episode's page, relative to the index
    rel: str = ""  # the episode folder, relative to its page
    steps: list[StepView] = field(default_factory=list)
    final_frame: str | None = None
    full_path: str = ""
    events_json: str = "[]"  # [[t_ms, kind, x, y, button, key], …]
    n_events: int = 0

    @property
    def meta(self):
        return self.trace.meta

    @property
    def end_ms(self) -> float:
        times = [e.t_ms for e in self.trace.events[-1:]] + [f.t_ms for f in self.trace.frames[-1:]]
        return max([*times, 1.0])


@dataclass
class Summary:
    episodes: int
    success: int
    statuses: dict[str, int]
    tasks: list[tuple[str, int, int]]  # task, episodes, successful
    skills: list[tuple[str, int, int]]  # skill, episodes, successful
    seconds: dict[str, float]  # mean, median, min, max time per episode
    performers: dict[str, int]

    @property
    def rate(self) -> float:
        return self.success / self.episodes if self.episodes else 0.0


def write_report(run_dir: Path, out: Path | None = None, tasks_dir: Path | None = None) -> Path:
    """Write the HTML report of a run (default: <run>/report.html plus <run>/report/*.html)."""
    run_dir = Path(run_dir)
    out = Path(out) if out else run_dir / REPORT_NAME
    folders = [f for f in episode_folders(run_dir) if (f / "meta.json").exists()]
    if not folders:
        raise TraceError(f"no episodes in {run_dir}", "pass a run folder made by `cleantrace run`")
    pages = out.parent / PAGES_DIR
    pages.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("cleantrace.view"), autoescape=select_autoescape(["html"]))
    episode_page = env.get_template("episode.html")
    episodes = []
    for folder in folders:
        view = episode_view(read_episode(folder), pages, page=f"{PAGES_DIR}/{folder.name}.html")
        (pages / f"{folder.name}.html").write_text(
            episode_page.render(run_id=run_dir.name, ep=view, index=f"../{out.name}"), encoding="utf-8"
        )
        episodes.append(_light(view))
    html = env.get_template("report.html").render(
        run_id=run_dir.name, episodes=episodes, summary=summarize(episodes, _skills_by_task(tasks_dir)),
    )
    out.write_text(html, encoding="utf-8")
    return out


def episode_view(trace: EpisodeTrace, page_dir: Path, page: str = "") -> EpisodeView:
    """What an episode's page shows; frame paths are relative to `page_dir`."""
    rel = _relpath(trace.folder, page_dir)
    frames = {f.i: f"{rel}/{f.file}" for f in trace.frames}
    view = EpisodeView(trace, page, rel)
    for a in trace.actions:
        span = trace.events[a.events[0] : a.events[1] + 1] if a.events is not None else []
        view.steps.append(StepView(
            action=a, label=action_label(a),
            frame_before=frames.get(a.frame_before) if a.frame_before is not None else None,
            frame_after=frames.get(a.frame_after) if a.frame_after is not None else None,
            path=_points(e for e in span if e.kind in POINTER_KINDS),
            cursor=(a.x, a.y) if a.x is not None and a.y is not None else _last_position(span),
        ))
    if trace.frames:
        view.final_frame = frames[trace.frames[-1].i]
    view.full_path = _points(e for e in trace.events if e.kind == "move")
    view.events_json = _events_json(trace.events)
    view.n_events = len(trace.events)
    return view


def _light(view: EpisodeView) -> EpisodeView:
    """The view without what only its own page needs, so a big run's index stays small in memory."""
    trace = EpisodeTrace(view.trace.folder, view.trace.meta, [], view.trace.actions, view.trace.frames)
    return EpisodeView(trace, view.page, n_events=view.n_events)


def action_label(a: Action) -> str:
    """A short human description of an action."""
    if a.kind == "type":
        return f'type "{a.text}"'
    if a.kind in ("hotkey", "key"):
        return f"{a.kind} {'+'.join(a.keys or [])}"
    if a.kind == "scroll":
        return f"scroll dx={a.dx} dy={a.dy}"
    where = f" at ({a.x}, {a.y})" if a.x is not None else ""
    target = f" on {a.target.role} “{a.target.name}”" if a.target and (a.target.role or a.target.name) else ""
    return f"{a.kind}{target}{where}"


def summarize(episodes: list[EpisodeView], skills_by_task: dict[str, tuple[str, ...]]) -> Summary:
    """Counts over a run: outcomes, per task, per skill (a task's skills; unknown tasks have none), time."""
    tasks: Counter[str] = Counter()
    task_ok: Counter[str] = Counter()
    skills: Counter[str] = Counter()
    skill_ok: Counter[str] = Counter()
    for e in episodes:
        ok = bool(e.meta.outcome.success)
        tasks[e.meta.task] += 1
        task_ok[e.meta.task] += ok
        for skill in skills_by_task.get(e.meta.task, ()):
            skills[skill] += 1
            skill_ok[skill] += ok
    durations = [e.meta.duration_ms / 1000 for e in episodes if e.meta.duration_ms is not None]
    seconds = {"mean": statistics.fmean(durations), "median": statistics.median(durations),
               "min": min(durations), "max": max(durations)} if durations else {}
    return Summary(
        episodes=len(episodes), success=sum(task_ok.values()),
        statuses=dict(Counter(e.meta.outcome.status for e in episodes)),
        tasks=[(t, n, task_ok[t]) for t, n in sorted(tasks.items())],
        skills=[(s, n, skill_ok[s]) for s, n in sorted(skills.items())],
        seconds=seconds, performers=dict(Counter(e.meta.performer.kind for e in episodes)),
    )


def _skills_by_task(tasks_dir: Path | None) -> dict[str, tuple[str, ...]]:
    from cleantrace.tasks import load_registry

    try:
        registry = load_registry(tasks_dir)
    except CleantraceError:  # no task library here: the report shows no skills
        return {}
    return {task_id: tuple(task.skills) for task_id, task in registry.tasks.items()}


def _points(events) -> str:
    return " ".join(f"{e.x},{e.y}" for e in events)


def _last_position(span: list[Event]) -> tuple[int, int] | None:
    return (span[-1].x, span[-1].y) if span else None


def _events_json(events: list[Event]) -> str:
    rows = [[round(e.t_ms, 1), e.kind, e.x, e.y, e.button, e.key] for e in events]
    # embedded in a <script> element: no "</script" or "<!--" may end it early
    return json.dumps(rows, separators=(",", ":")).replace("<", "\\u003c")


def _relpath(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
