"""The steps of a run, streamed one episode at a time: what every exporter reads.

A step is one reduced action with what a model sees before it (the instruction and the frame
before the action) and the episode's labels (task, skills, performer, success, screen size).
Only one episode's actions are in memory at a time; frames are passed as file paths.
"""

from __future__ import annotations

import fnmatch
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cleantrace.appearance import DEFAULT, Appearance
from cleantrace.errors import CleantraceError
from cleantrace.trace import files
from cleantrace.trace.reader import episode_folders
from cleantrace.trace.schema import Action, Meta, Screen, ScreenLabels
from cleantrace.trace.validate import validate_episode


@dataclass(frozen=True)
class Step:
    episode_id: str
    task: str
    skills: tuple[str, ...]
    performer: str  # script | volunteer
    success: bool
    instruction: str
    index: int  # the action's number in its episode
    action: Action  # absolute screen pixels, as recorded
    frame_before: Path | None  # the screenshot the action was decided on
    screen: Screen
    frame_after: Path | None = None  # the screen once the action took effect
    previous: tuple[str, ...] = ()  # the descriptions of the episode's earlier steps, in order
    labels: Path | None = None  # the screen labels of frame_before (labels/<hash>.json.gz), if recorded
    frame_sha256: str = ""  # of frame_before's pixels
    pointer_before: tuple[int, int] | None = None  # where the pointer was in frame_before
    pointer_after: tuple[int, int] | None = None
    appearance: Appearance = DEFAULT  # the look the episode was recorded in

    def screen_labels(self) -> ScreenLabels | None:
        """The labelled screen of frame_before (elements and accessibility tree), or None."""
        return read_labels(self.labels) if self.labels is not None else None

    @property
    def description(self) -> str:
        """The step's plain-language instruction (made from the action for schema-1 traces)."""
        from cleantrace.trace.describe import describe_action

        return self.action.description or describe_action(self.action)


@dataclass(frozen=True)
class StepFilter:
    """Which episodes to export; None/False means no restriction."""

    only_success: bool = False
    task: str | None = None  # a glob over task ids, e.g. 'crm/*'
    skill: str | None = None
    performer: str | None = None  # script | volunteer
    unreviewed_volunteers: bool = False  # also volunteer episodes not accepted in the station's review


@dataclass
class EpisodePlan:
    folder: Path
    meta: Meta
    skills: tuple[str, ...]
    steps: int


@dataclass
class ExportPlan:
    """The selected episodes, their step count, and what was left out and why."""

    episodes: list[EpisodePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # "<episode>: <first problem>", left out

    @property
    def steps(self) -> int:
        return sum(e.steps for e in self.episodes)


def plan_export(
    run_dir: Path, selection: StepFilter | None = None, skills_of: dict[str, tuple[str, ...]] | None = None
) -> ExportPlan:
    """Select a run's episodes (reading only their meta.json) and count their steps.

    Episodes whose privacy scan has findings, or whose folder holds a file the trace format does not
    name, are always left out, and so are episodes that do not validate (a damaged frame, a truncated
    log: named in `invalid`); when none is left, CleantraceError.
    `skills_of` maps task ids to skills (default: the shipped task packs); a task missing from it has
    no skills, said once in the notes.
    """
    folders = [f for f in episode_folders(run_dir) if (f / files.META).exists()]
    if not folders:
        raise CleantraceError(f"no episodes in {run_dir}", "give a run folder made by `cleantrace run`")
    skills_of = task_skills() if skills_of is None else skills_of
    selection = selection or StepFilter()
    plan = ExportPlan()
    unknown: set[str] = set()
    leaks = strays = unaccepted = 0
    reviews = _reviews(run_dir)
    for folder in folders:
        try:
            meta = Meta.model_validate_json((folder / files.META).read_text(encoding="utf-8"))
        except ValueError as exc:
            plan.invalid.append(f"{folder.name}: meta.json does not follow the trace schema ({_first_line(exc)})")
            continue
        if meta.task not in skills_of:
            unknown.add(meta.task)
        skills = skills_of.get(meta.task, ())
        if meta.privacy.scan == "findings":
            leaks += 1
            continue
        if files.unexpected_files(folder):
            strays += 1
            continue
        if not _selected(meta, skills, selection):
            continue
        if meta.performer.kind == "volunteer" and not selection.unreviewed_volunteers and (
                reviews.get(meta.episode_id) != "accepted"):
            unaccepted += 1
            continue
        report = validate_episode(folder)
        if not report.ok:
            plan.invalid.append(f"{folder.name}: {report.problems[0]}")
            continue
        plan.episodes.append(EpisodePlan(folder, meta, skills, _count_lines(folder / files.ACTIONS)))
    if unknown:
        plan.notes.append(f"tasks not in the task packs, exported without skills: {', '.join(sorted(unknown))}")
    if plan.invalid:
        plan.notes.append(f"{len(plan.invalid)} episode(s) left out as invalid (cleantrace validate RUN)")
    if unaccepted:
        plan.notes.append(f"{unaccepted} volunteer episode(s) left out: not accepted in the station's review "
                          "(--include-unreviewed exports them)")
    if leaks:
        plan.notes.append(f"{leaks} episode(s) left out: their privacy scan has findings (cleantrace scan RUN)")
    if strays:
        plan.notes.append(f"{strays} episode(s) left out: their folder holds files that are no part of a trace "
                          "(cleantrace validate RUN)")
    if not plan.episodes:
        hint = "; ".join(plan.invalid + plan.notes) or "loosen --only-success/--task/--skill/--performer"
        raise CleantraceError(f"no episode of {run_dir} matches the filters", hint)
    return plan


def iter_steps(plan: ExportPlan) -> Iterator[Step]:
    """Every step of the planned episodes, in order, reading one episode at a time."""
    for episode in plan.episodes:
        meta = episode.meta
        rows = files.read_jsonl(episode.folder / files.FRAMES)
        frames = {row["i"]: episode.folder / row["file"] for row in rows}
        shas = {row["i"]: row["sha256"] for row in rows}
        pointers = {row["i"]: tuple(row["pointer"]) for row in rows if row.get("pointer")}
        labels = {row["frame"]: episode.folder / row["file"]
                  for row in files.read_jsonl(episode.folder / files.LABELS) if row.get("file")}
        previous: list[str] = []
        with open(episode.folder / files.ACTIONS, encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    action = Action.model_validate_json(line)
                except ValueError:
                    break  # a torn last line of an episode killed mid-way
                step = Step(
                    episode_id=meta.episode_id, task=meta.task, skills=episode.skills, performer=meta.performer.kind,
                    success=bool(meta.outcome.success), instruction=meta.instruction, index=action.i, action=action,
                    frame_before=frames.get(action.frame_before) if action.frame_before is not None else None,
                    screen=meta.sandbox.screen, appearance=meta.appearance,
                    frame_after=frames.get(action.frame_after) if action.frame_after is not None else None,
                    previous=tuple(previous), labels=labels.get(action.frame_before),
                    frame_sha256=shas.get(action.frame_before, ""),
                    pointer_before=pointers.get(action.frame_before), pointer_after=pointers.get(action.frame_after),
                )
                previous.append(step.description)
                yield step


@lru_cache(maxsize=8)
def read_labels(path: Path) -> ScreenLabels:
    """A labels file (gzipped JSON), cached: consecutive steps often share a screen."""
    return ScreenLabels.model_validate_json(gzip.decompress(path.read_bytes()))


def _reviews(run_dir: Path) -> dict[str, str]:
    """The station's review decisions for a run (`reviews.json`: episode id → accepted | rejected)."""
    import json

    path = Path(run_dir) / "reviews.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise CleantraceError(f"cannot read {path} ({exc})", "restore it, or pass --include-unreviewed") from None


def task_skills() -> dict[str, tuple[str, ...]]:
    """Skills of every task of the shipped task packs."""
    from cleantrace.tasks import load_registry

    return {task_id: tuple(task.skills) for task_id, task in load_registry().tasks.items()}


def _selected(meta: Meta, skills: tuple[str, ...], s: StepFilter) -> bool:
    return (
        (not s.only_success or meta.outcome.success is True)
        and (s.task is None or fnmatch.fnmatchcase(meta.task, s.task))
        and (s.skill is None or s.skill in skills)
        and (s.performer is None or meta.performer.kind == s.performer)
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())
