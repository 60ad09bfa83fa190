"""What a run is to record: task selection × seeds × personas, as a list of planned episodes.

Pure: the task registry and option values in, a `RunPlan` out. The plan is stored as the run's
`run.json`, so `--resume` can continue the same run without its command line.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from cleantrace.errors import CleantraceError, TaskError
from cleantrace.spec import RecordingSettings
from cleantrace.tasks.loader import TaskRegistry

__all__ = ["PLAN_FILE", "PlannedEpisode", "RecordingSettings", "RunPlan", "episode_id_for", "parse_seeds",
           "plan_episodes", "select_tasks"]

PLAN_FILE = "run.json"
SEEDS_HINT = "write seeds like 7, 0-9 or 1,5,7 (ranges include both ends)"
_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")


class PlannedEpisode(BaseModel):
    """One episode of the plan; its id is a stable function of (task, seed, persona)."""

    episode_id: str
    task: str
    seed: int
    persona: str


class RunPlan(BaseModel):
    """The run's episodes, in the order they are started, and its recording settings."""

    run_id: str
    settings: RecordingSettings
    episodes: list[PlannedEpisode]


def episode_id_for(task_id: str, seed: int, persona: str) -> str:
    """Stable id of the episode of (task, seed, persona); a fitted persona is named by its person."""
    if persona.startswith("fitted:"):
        persona = "fitted-" + (persona.partition("#")[2] or Path(persona[len("fitted:"):]).stem)
    return f"{task_id.replace('/', '--')}--s{seed}--{persona}"


def parse_seeds(spec: str | int | list[int] | range) -> list[int]:
    """Seeds from `7`, `0-9`, `1,5,7` or `0-3,10` (ranges inclusive), each once, in the given order."""
    if isinstance(spec, int):
        spec = str(spec)
    if not isinstance(spec, str):
        values = [int(s) for s in spec]
    else:
        values = []
        for part in (p.strip() for p in spec.split(",")):
            if part.isdigit():
                values.append(int(part))
            elif m := _RANGE.match(part):
                first, last = int(m.group(1)), int(m.group(2))
                if last < first:
                    raise CleantraceError(f"seed range {part!r} runs backwards", SEEDS_HINT)
                values.extend(range(first, last + 1))
            else:
                raise CleantraceError(f"cannot read seeds {spec!r} (at {part!r})", SEEDS_HINT)
    if any(v < 0 for v in values):
        raise CleantraceError(f"seeds must not be negative: {spec!r}", SEEDS_HINT)
    if not values:
        raise CleantraceError("no seeds given", SEEDS_HINT)
    return list(dict.fromkeys(values))


def select_tasks(
    registry: TaskRegistry, patterns: list[str] | None = None, skills: list[str] | None = None,
    apps: list[str] | None = None,
) -> list[str]:
    """Task ids chosen by ids/globs, then narrowed to those of any of `apps` having any of `skills`.

    No patterns means every task (so `--skill typing` alone selects every typing task).
    """
    chosen = [t.id for t in registry.select(patterns)] if patterns else sorted(registry.tasks)
    if apps:
        chosen = [t for t in chosen if registry.tasks[t].app in apps]
    if skills:
        chosen = [t for t in chosen if set(registry.tasks[t].skills) & set(skills)]
    if not chosen:
        known_skills = sorted({s for t in registry.tasks.values() for s in t.skills})
        known_apps = sorted({t.app for t in registry.tasks.values()})
        raise TaskError(
            f"no task matches {' '.join(patterns or ['*'])} with app {apps or 'any'} and skill {skills or 'any'}",
            f"apps: {', '.join(known_apps) or 'none'}; skills: {', '.join(known_skills) or 'none'}",
        )
    return chosen


def plan_episodes(task_ids: list[str], seeds: list[int], personas: list[str]) -> list[PlannedEpisode]:
    """Every (task, seed, persona), seeds outermost so that an interrupted run has covered all tasks evenly."""
    if not personas:
        raise CleantraceError("no persona given", "pass --persona default (or fast, careful)")
    return [
        PlannedEpisode(episode_id=episode_id_for(t, s, p), task=t, seed=s, persona=p)
        for s in seeds for p in dict.fromkeys(personas) for t in task_ids
    ]
