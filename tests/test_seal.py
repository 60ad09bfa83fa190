"""Sealing an episode cut short keeps what was recorded, whatever its log looks like."""

import json

from cleantrace.spec import EpisodeSpec, placeholder_meta
from cleantrace.trace import files, seal


def test_an_episode_whose_actions_cannot_be_derived_is_still_sealed_with_its_records(tmp_path, monkeypatch):
    """A reducer error while sealing one episode took a 420-episode run down with a traceback."""
    events = [{"t_ms": 10.0, "kind": "move", "x": 5, "y": 5},
              {"t_ms": 20.0, "kind": "down", "x": 5, "y": 5, "button": 1}]
    (tmp_path / files.EVENTS).write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / files.FRAMES).write_text("")

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(seal, "reduce_events", broken)
    spec = EpisodeSpec(run_id="r", episode_id="e", task="crm/set-lead-status", seed=3, tasks_dir="tasks")
    meta = seal.seal_incomplete(tmp_path, "timed out after 120 s", placeholder_meta(spec))

    assert meta.outcome.status == "incomplete"
    assert meta.outcome.message.startswith("timed out after 120 s (its actions could not be derived")
    assert "IndexError" in meta.outcome.message
    assert (tmp_path / files.ACTIONS).read_text() == ""
    assert len(files.read_jsonl(tmp_path / files.EVENTS)) == 2  # the raw record is kept as it was
    assert json.loads((tmp_path / files.META).read_text())["outcome"]["status"] == "incomplete"


def test_a_sealing_that_works_derives_the_actions(tmp_path):
    events = [{"t_ms": 10.0, "kind": "move", "x": 5, "y": 5},
              {"t_ms": 20.0, "kind": "down", "x": 5, "y": 5, "button": 1},
              {"t_ms": 90.0, "kind": "up", "x": 5, "y": 5, "button": 1}]
    (tmp_path / files.EVENTS).write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / files.FRAMES).write_text("")
    spec = EpisodeSpec(run_id="r", episode_id="e", task="crm/set-lead-status", seed=3, tasks_dir="tasks")
    meta = seal.seal_incomplete(tmp_path, "timed out after 120 s", placeholder_meta(spec))
    assert meta.outcome.message == "timed out after 120 s"
    assert [a["kind"] for a in files.read_jsonl(tmp_path / files.ACTIONS)] == ["click"]
