"""A sandbox killed with SIGKILL at any moment leaves a trace that reads as a valid incomplete prefix."""

from __future__ import annotations

import pytest

from cleantrace.sandbox.local import run_sandboxed
from cleantrace.spec import EpisodeSpec
from cleantrace.trace import files
from cleantrace.trace.validate import validate_episode
from tests.conftest import TASKS_DIR

pytestmark = pytest.mark.e2e
KILL_AFTER_S = (0.2, 0.9, 1.4, 1.8, 2.3, 3.1, 4.2, 5.5, 7.0, 9.0)


@pytest.mark.parametrize("kill_after", KILL_AFTER_S)
def test_a_killed_episode_is_a_valid_incomplete_prefix(tmp_path, kill_after):
    folder = tmp_path / "run" / "ep"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="run", episode_id="ep", task="crm/add-lead-note", seed=kill_after.__hash__() % 97,
                       tasks_dir=str(TASKS_DIR))
    ended = run_sandboxed(spec, folder, tmp_path / "log", timeout=kill_after)  # SIGKILL of the whole sandbox
    assert ended.timed_out
    report = validate_episode(folder)
    assert report.problems == [], report.problems
    assert report.status == "incomplete"
    if (folder / files.META).exists() and kill_after >= 3:
        assert (folder / files.EVENTS).stat().st_size > 0, "events were on disk before the kill"
