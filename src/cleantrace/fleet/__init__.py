"""Many episodes: task selection × seeds, each episode in its own sandbox."""

from cleantrace.fleet.runner import RunResult, episode_id_for, run

__all__ = ["RunResult", "episode_id_for", "run"]
