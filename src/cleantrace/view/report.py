"""Builds the run report: an index page (the episodes as a sortable, filterable table with a
thumbnail and the instruction per row, then the run's summary) and one page per episode (playback
of its frames with the cursor moving, per-action timing, each action over its frame with the cursor
path and target box, raw events on demand, links to the previous and next episode).

Static files, no server: frames stay in the episode folders, referenced by relative paths; each
episode page embeds its raw events and frame times as JSON and renders rows only when asked.
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
    gap_ms: float | None = None  # since the previous action ended (None for the first)

    @property
    def duration_ms(self) -> float:
        return self.action.t1_ms - self.action.t0_ms


@dataclass
class EpisodeView:
    trace: EpisodeTrace
    page: str  # the episode's page, relative to the index
    rel: str = ""  # the episode folder, relative to its page
    steps: list[StepView] = field(default_factory=list)
    final_frame: str | None = None
    full_path: str = ""
    events_json: str = "[]"  # [[t_ms, kind, x, y, button, key], …]
    frames_json: str = "[]"  # [[t_ms, src], …] for playback
    n_events: int = 0
    thumb: str | None = None  # the final frame, relative to the index
    skills: tuple[str, ...] = ()
    prev: str | None = None  # neighbouring episode pages, relative to this page
    next: str | None = None
    withheld: bool = False  # blocked by the privacy scan: no frame, typed text or key shown

    @property
    def app(self) -> str:
        return self.meta.task.split("/", 1)[0]

    @property
    def performer(self) -> str:
        return performer_label(self.meta.performer)

    @property
    def appearance(self) -> str:
        return self.meta.appearance.summary()

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
    folders = _in_order([f for f in episode_folders(run_dir) if (f / "meta.json").exists()])
    if not folders:
        raise TraceError(f"no episodes in {run_dir}", "pass a run folder made by `cleantrace run`")
    pages = out.parent / PAGES_DIR
    pages.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("cleantrace.view"), autoescape=select_autoescape(["html"]))
    episode_page = env.get_template("episode.html")
    skills_by_task = _skills_by_task(tasks_dir)
    episodes = []
    for n, folder in enumerate(folders):
        view = episode_view(read_episode(folder), pages, page=f"{PAGES_DIR}/{folder.name}.html")
        view.skills = skills_by_task.get(view.meta.task, ())
        view.prev = f"{folders[n - 1].name}.html" if n > 0 else None
        view.next = f"{folders[n + 1].name}.html" if n + 1 < len(folders) else None
        if view.trace.frames and not withheld(view.meta):
            view.thumb = _relpath(folder / view.trace.frames[-1].file, out.parent)
        (pages / f"{folder.name}.html").write_text(
            episode_page.render(run_id=run_dir.name, ep=view, index=f"../{out.name}", position=(n + 1, len(folders))),
            encoding="utf-8",
        )
        episodes.append(_light(view))
    html = env.get_template("report.html").render(
        run_id=run_dir.name, episodes=episodes, summary=summarize(episodes, skills_by_task),
        filters=_filters(episodes), has_appearance=any(e.appearance for e in episodes),
    )
    out.write_text(html, encoding="utf-8")
    return out


def withheld(meta) -> bool:
    """An episode the privacy scan blocked: its page shows no frame, typed text or key."""
    return meta.privacy.scan == "findings"


def _withheld_action(a: Action) -> Action:
    if a.kind != "type":
        return a
    return a.model_copy(update={"text": f"{len(a.text or '')} characters, withheld", "description": WITHHELD_TEXT})


WITHHELD_TEXT = "Type text (withheld: the privacy scan found personal data in this episode)"


def episode_view(trace: EpisodeTrace, page_dir: Path, page: str = "") -> EpisodeView:
    """What an episode's page shows; frame paths are relative to `page_dir`.

    An episode the privacy scan blocked (`withheld`) is shown without its frames, typed text and key
    names: the report must not become a copy of what the scan blocked (its findings show masked)."""
    rel = _relpath(trace.folder, page_dir)
    hide = withheld(trace.meta)
    frames = {} if hide else {f.i: f"{rel}/{f.file}" for f in trace.frames}
    view = EpisodeView(trace, page, rel, withheld=hide)
    previous: Action | None = None
    for a in (_withheld_action(a) for a in trace.actions) if hide else trace.actions:
        span = trace.events[a.events[0] : a.events[1] + 1] if a.events is not None else []
        view.steps.append(StepView(
            action=a, label=action_label(a),
            frame_before=frames.get(a.frame_before) if a.frame_before is not None else None,
            frame_after=frames.get(a.frame_after) if a.frame_after is not None else None,
            path=_points(e for e in span if e.kind in POINTER_KINDS),
            cursor=(a.x, a.y) if a.x is not None and a.y is not None else _last_position(span),
            gap_ms=a.t0_ms - previous.t1_ms if previous is not None else None,
        ))
        previous = a
    if trace.frames and not hide:
        view.final_frame = frames[trace.frames[-1].i]
    view.full_path = _points(e for e in trace.events if e.kind == "move")
    view.events_json = _events_json(trace.events, hide_keys=hide)
    view.frames_json = _script_json([[round(f.t_ms, 1), frames[f.i]] for f in trace.frames if f.i in frames])
    view.n_events = len(trace.events)
    return view


def _light(view: EpisodeView) -> EpisodeView:
    """The view without what only its own page needs, so a big run's index stays small in memory."""
    trace = EpisodeTrace(view.trace.folder, view.trace.meta, [], view.trace.actions, view.trace.frames)
    return EpisodeView(trace, view.page, n_events=view.n_events, thumb=view.thumb, skills=view.skills)


def _in_order(folders: list[Path]) -> list[Path]:
    """Episode folders by task, seed and persona (the report's default order and its previous/next)."""

    def key(folder: Path) -> tuple[str, int, str]:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return meta.get("task", ""), meta.get("seed", 0), (meta.get("performer") or {}).get("persona") or ""

    return sorted(folders, key=lambda f: (*key(f), f.name))


def performer_label(performer) -> str:
    """`script (default)`, `volunteer v-1a2b (human)`: the id only when it says more than the kind."""
    who = performer.kind
    if performer.id and not performer.id.startswith(f"{performer.kind}:"):
        who += f" {performer.id}"
    return f"{who} ({performer.persona})" if performer.persona else who


def _filters(episodes: list[EpisodeView]) -> dict[str, list[str]]:
    """The values each filter of the episode table offers."""
    values: dict[str, set[str]] = {k: set() for k in ("task", "app", "skill", "outcome", "performer", "privacy",
                                                       "appearance")}
    for e in episodes:
        values["task"].add(e.meta.task)
        values["app"].add(e.app)
        values["skill"].update(e.skills)
        values["outcome"].add(e.meta.outcome.status)
        values["performer"].add(e.performer)
        values["privacy"].add(e.meta.privacy.scan)
        if e.appearance:
            values["appearance"].add(e.appearance)
    return {k: sorted(v) for k, v in values.items() if v}


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


def _events_json(events: list[Event], hide_keys: bool = False) -> str:
    def key(e: Event) -> str | None:
        return "•" if hide_keys and e.key and e.kind in ("key_down", "key_up") else e.key

    return _script_json([[round(e.t_ms, 1), e.kind, e.x, e.y, e.button, key(e)] for e in events])


def _script_json(rows: list) -> str:
    # embedded in a <script> element: no "</script" or "<!--" may end it early
    return json.dumps(rows, separators=(",", ":")).replace("<", "\\u003c")


def _relpath(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
