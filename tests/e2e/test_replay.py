"""End to end: a recorded episode's input, re-executed in a fresh sandbox, passes the check again;
the same recording without its decisive click does not (so the replay really drives the app)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.fleet.replay import replay
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.e2e.test_episode import cleantrace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """One recorded crm/set-lead-status episode (its last action is the click on Save)."""
    result = run(["crm/set-lead-status"], episodes=1, seed=2, out=tmp_path_factory.mktemp("runs"), run_id="src")
    assert result.rows[0].status == "success", result.rows[0].message
    return result.run_dir / result.rows[0].episode_id


def test_a_recorded_episode_replays_to_success_in_a_fresh_sandbox(recorded, tmp_path):
    done = cleantrace("replay", str(recorded.parent), "--out", str(tmp_path), "--run-id", "rep")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replay success rate: 1/1 (100.0 %)" in done.stdout
    source = read_episode(recorded)
    again = read_episode(tmp_path / "rep" / f"{source.meta.episode_id}--replay")
    assert again.meta.outcome.status == "success", again.meta.outcome.message
    assert again.meta.performer.id == f"replay:src/{source.meta.episode_id}"
    assert (again.meta.task, again.meta.seed, again.meta.params) == (source.meta.task, 2, source.meta.params)
    assert [(e.kind, e.x, e.y, e.key) for e in again.events] == [(e.kind, e.x, e.y, e.key) for e in source.events]
    assert [(a.kind, a.target and a.target.name) for a in again.actions] == [
        (a.kind, a.target and a.target.name) for a in source.actions]
    assert all(r.ok for r in validate_run(tmp_path / "rep")), [r.problems for r in validate_run(tmp_path / "rep")]
    assert (tmp_path / "rep" / "report.html").exists()
    assert sorted(p.name for p in recorded.iterdir()) == sorted(["meta.json", "events.jsonl", "actions.jsonl",
                                                                 "frames.jsonl", "frames", "labels.jsonl",
                                                                 "labels"]), "source untouched"


def test_a_replay_without_the_decisive_click_fails_the_check(recorded, tmp_path):
    tampered = tmp_path / "tampered" / recorded.name
    shutil.copytree(recorded, tampered)
    actions = files.read_jsonl(tampered / files.ACTIONS)
    save = actions[-2]  # the last is the closing done step
    assert save["target"]["name"] == "Save" and actions[-1]["kind"] == "done"
    events = files.read_jsonl(tampered / files.EVENTS)[: save["events"][0]]  # Save's moves and click dropped
    (tampered / files.EVENTS).write_text("".join(json.dumps(e) + "\n" for e in events))
    (tampered / files.ACTIONS).write_text("".join(json.dumps(a) + "\n" for a in actions[:-2]))

    result = replay(tampered, out=tmp_path / "out", run_id="rep")
    row = result.replays[0].row
    assert row.status == "failure" and row.success is False, row.message
    assert result.rate == 0.0
    again = read_episode(result.run_dir / row.episode_id)
    assert [a.kind for a in again.actions] == [a["kind"] for a in actions[:-2]]  # no Save, no done step
