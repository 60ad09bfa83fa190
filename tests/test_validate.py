import json

import numpy as np
import pytest
from PIL import Image

from cleantrace.trace import files
from cleantrace.trace.reduce import reduce_events
from cleantrace.trace.schema import Clock, Event, Frame, Meta, Outcome, Performer, SandboxInfo, Screen
from cleantrace.trace.validate import validate_episode
from cleantrace.trace.writer import TraceWriter


def make_episode(folder, status="success"):
    import hashlib

    writer = TraceWriter(folder)
    meta = Meta(
        run_id="r", episode_id=folder.name, task="crm/x", task_version=1, seed=0, params={}, instruction="do it",
        performer=Performer(kind="script", id="s"), sandbox=SandboxInfo(backend="local", screen=Screen(w=64, h=48)),
        clock=Clock(start="2026-01-01T00:00:00Z"), outcome=Outcome(status=status, success=status == "success"),
    )
    writer.write_meta(meta)
    events = [Event(t_ms=float(t), kind="move", x=t, y=t) for t in range(1, 10)]
    events += [Event(t_ms=11.0, kind="down", x=9, y=9, button=1), Event(t_ms=12.0, kind="up", x=9, y=9, button=1)]
    writer.append_events(events)
    pixels = np.zeros((48, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(writer.frames_dir / "000000.png")
    sha = hashlib.sha256(pixels.tobytes()).hexdigest()
    writer.append_frame(Frame(i=0, t_ms=0.5, file="frames/000000.png", sha256=sha, reason="action"))
    writer.write_actions(reduce_events(events))
    writer.close()
    return folder


def rewrite_jsonl(path, edit):
    rows = files.read_jsonl(path)
    edit(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_well_formed_episode_is_valid(tmp_path):
    assert validate_episode(make_episode(tmp_path / "ep")).problems == []


def test_time_going_backwards_is_reported(tmp_path):
    ep = make_episode(tmp_path / "ep")
    rewrite_jsonl(ep / files.EVENTS, lambda rows: rows[3].update(t_ms=0.1))
    assert any("time goes backwards" in p for p in validate_episode(ep).problems)


def test_a_missing_or_altered_frame_is_reported(tmp_path):
    ep = make_episode(tmp_path / "ep")
    Image.fromarray(np.full((48, 64, 3), 9, dtype=np.uint8)).save(ep / "frames" / "000000.png")
    assert any("does not match its sha256" in p for p in validate_episode(ep).problems)
    (ep / "frames" / "000000.png").unlink()
    assert any("does not exist" in p for p in validate_episode(ep).problems)


def test_actions_that_skip_events_or_leave_the_screen_are_reported(tmp_path):
    ep = make_episode(tmp_path / "ep")
    rewrite_jsonl(ep / files.ACTIONS, lambda rows: rows[0].update(events=[2, 10], x=500))
    problems = validate_episode(ep).problems
    assert any("do not continue" in p for p in problems)
    assert any("off the screen" in p for p in problems)


def test_a_bad_record_is_named_by_file_and_line(tmp_path):
    ep = make_episode(tmp_path / "ep")
    rewrite_jsonl(ep / files.EVENTS, lambda rows: rows[4].update(kind="teleport"))
    problems = validate_episode(ep).problems
    assert len(problems) == 1 and problems[0].startswith("events.jsonl:5: kind")


def test_a_crash_torn_last_line_is_ignored_and_an_unsealed_episode_reads_as_an_incomplete_prefix(tmp_path):
    ep = make_episode(tmp_path / "ep", status="running")
    (ep / files.ACTIONS).unlink()  # killed before the recorder could reduce
    with open(ep / files.EVENTS, "a") as f:
        f.write('{"t_ms": 99.0, "kind": "mo')
    report = validate_episode(ep)
    assert report.problems == []
    assert report.status == "incomplete" and "never sealed" in report.notes[0]


def test_the_published_json_schema_is_current_and_checks_records():
    import jsonschema as js

    from cleantrace.trace.jsonschema import dumps_trace_json_schema, trace_json_schema
    from tests.conftest import REPO

    published = (REPO / "docs" / "trace-schema.json").read_text()
    assert published == dumps_trace_json_schema(), "run: cleantrace schema --out docs/trace-schema.json"
    schema = trace_json_schema()
    event = {"$ref": "#/$defs/event", "$defs": schema["$defs"]}
    js.validate({"t_ms": 1.5, "kind": "move", "x": 3, "y": 4}, event)
    with pytest.raises(js.ValidationError):
        js.validate({"t_ms": 1.5, "kind": "teleport", "x": 3, "y": 4}, event)
