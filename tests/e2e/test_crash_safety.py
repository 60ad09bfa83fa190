"""A sandbox killed with SIGKILL at any moment leaves a trace that reads as a valid incomplete prefix.

The kill moments are defined by what the episode has recorded (meta written, the k-th event, the
k-th action target), not by wall time, so they mean the same on an idle and on a loaded machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cleantrace.sandbox.local import run_sandboxed
from cleantrace.spec import EpisodeSpec, placeholder_meta
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from cleantrace.trace.seal import seal_incomplete
from cleantrace.trace.validate import validate_episode
from tests.conftest import TASKS_DIR

pytestmark = pytest.mark.e2e
DEADLINE_S = 300  # only for a sandbox that never gets there; every kill below comes from a condition


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


KILL_WHEN = {  # name: (condition on the episode folder, recorded files that must then be non-empty)
    "at-start": (lambda f: True, ()),
    "meta-written": (lambda f: (f / files.META).exists(), (files.META,)),
    "first-frame": (lambda f: lines(f / files.FRAMES) >= 1, (files.FRAMES,)),
    "event-1": (lambda f: lines(f / files.EVENTS) >= 1, (files.EVENTS,)),
    "event-60": (lambda f: lines(f / files.EVENTS) >= 60, (files.EVENTS,)),
    "target-1": (lambda f: lines(f / files.TARGETS) >= 1, (files.EVENTS, files.TARGETS)),
    "target-2": (lambda f: lines(f / files.TARGETS) >= 2, (files.EVENTS, files.TARGETS)),
    "target-3": (lambda f: lines(f / files.TARGETS) >= 3, (files.EVENTS, files.TARGETS)),
}


@pytest.mark.parametrize("when", list(KILL_WHEN))
def test_a_killed_episode_is_a_valid_incomplete_prefix(tmp_path, when):
    condition, recorded = KILL_WHEN[when]
    folder = tmp_path / "run" / "ep"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="run", episode_id="ep", task="crm/add-lead-note", seed=len(when),
                       tasks_dir=str(TASKS_DIR))
    ended = run_sandboxed(spec, folder, tmp_path / "log", timeout=DEADLINE_S, stop=lambda: condition(folder))
    assert ended.stopped, f"the sandbox ended before {when} was seen killed ({ended})"  # SIGKILL of the whole sandbox
    for name in recorded:
        assert (folder / name).stat().st_size > 0, f"{name} was on disk before the kill"
    report = validate_episode(folder)
    assert report.problems == [], report.problems
    assert report.status == "incomplete"
    if when in ("target-2", "target-3"):  # the first click (found at target-1) was done by then
        seal_incomplete(folder, "killed", placeholder_meta(spec))
        clicks = [a for a in read_episode(folder).actions if a.kind == "click"]
        assert clicks and clicks[0].target is not None and clicks[0].target.role == "link", (
            "the target of the click done before the kill is kept")
