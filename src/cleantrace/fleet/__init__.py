"""Many episodes: task selection × seeds × personas, several at once, each in its own sandbox."""

from cleantrace.fleet.episodes import execute_episode
from cleantrace.fleet.plan import episode_id_for, parse_seeds, select_tasks
from cleantrace.fleet.runner import RunResult, RunStart, run
from cleantrace.fleet.sizing import machine_workers

__all__ = [
    "RunResult", "RunStart", "episode_id_for", "execute_episode", "machine_workers", "parse_seeds", "run",
    "select_tasks",
]
