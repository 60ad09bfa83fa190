"""Replay planning (pure) and the choice of episodes to replay; real sandboxes in tests/e2e/test_replay.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleantrace.errors import CleantraceError, PerformError, TraceError
from cleantrace.fleet.replay import Replayed, ReplayResult, replay, replay_sources
from cleantrace.perform.replay import load_replay_source, plan_steps
from cleantrace.trace import files
from cleantrace.trace.reduce import reduce_events
from cleantrace.trace.schema import (
    CatalogRow,
    Clock,
    Event,
    Meta,
    Outcome,
    Performer,
    SandboxInfo,
    Screen,
)
from tests.test_reduce import Stream


def demo_events() -> list[Event]:
    s = Stream().move(100, 100).click().wait(700).move(300, 200).click().wait(500)
    s.tap("H").tap("i").wait(400).key("key_down", "Control_L").tap("s").key("key_up", "Control_L")
    return s.move(320, 240).events  # trailing moves after the last action


def test_steps_follow_the_actions_and_keep_every_event_in_order():
    events = demo_events()
    actions = reduce_events(events)
    steps = plan_steps(events, actions)
    assert [s.kind for s in steps] == ["click", "click", "type", "hotkey", "events"]
    assert [e for s in steps for e in s.events] == events
    assert steps[0].gap_ms == events[0].t_ms
    # the pause before the second click is the recorded time from the first click's release
    assert steps[1].gap_ms == pytest.approx(steps[1].events[0].t_ms - steps[0].events[-1].t_ms)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["click", "tap", "wheel", "wait"]), min_size=1, max_size=12))
def test_any_recording_splits_into_steps_that_rebuild_it(ops):
    s = Stream()
    for n, op in enumerate(ops):
        if op == "click":
            s.move(10 * n + 5, 7 * n + 5).click()
        elif op == "tap":
            s.tap("a")
        elif op == "wheel":
            s.button("wheel", 5)
        else:
            s.wait(300)
    events = s.events
    steps = plan_steps(events, reduce_events(events))
    assert [e for st_ in steps for e in st_.events] == events
    assert all(st_.gap_ms >= 0 for st_ in steps)


def test_actions_that_do_not_cover_the_events_are_refused():
    events = demo_events()
    actions = reduce_events(events)
    broken = [actions[0], *actions[2:]]  # the second click's events are unaccounted for
    with pytest.raises(TraceError, match="expected to start at"):
        plan_steps(events, broken)


def test_a_recording_without_actions_replays_as_one_step():
    events = demo_events()
    steps = plan_steps(events, [])
    assert [s.kind for s in steps] == ["events"] and list(steps[0].events) == events


def write_episode(run_dir: Path, name: str, status: str, kind: str = "script", task: str = "crm/set-lead-status"):
    folder = run_dir / name
    folder.mkdir(parents=True)
    meta = Meta(
        run_id=run_dir.name, episode_id=name, task=task, task_version=1, seed=3, params={}, instruction="x",
        performer=Performer(kind=kind, id=f"{kind}:x"), clock=Clock(start="2026-01-01T00:00:00+00:00"),
        sandbox=SandboxInfo(backend="local", screen=Screen(w=1280, h=800)),
        outcome=Outcome(status=status, success={"success": True, "failure": False}.get(status)),
    )
    files.replace_json(folder / files.META, meta)
    events = demo_events()
    (folder / files.EVENTS).write_text("".join(files.dumps(e) + "\n" for e in events))
    (folder / files.ACTIONS).write_text("".join(files.dumps(a) + "\n" for a in reduce_events(events)))
    with open(run_dir / files.CATALOG, "a") as f:
        f.write(files.dumps({"episode_id": name}) + "\n")
    return folder


def test_a_run_replays_its_successful_scripted_episodes(tmp_path):
    run_dir = tmp_path / "run"
    ok = write_episode(run_dir, "a", "success")
    write_episode(run_dir, "b", "failure")
    write_episode(run_dir, "c", "incomplete")
    write_episode(run_dir, "d", "success", kind="volunteer")
    ok2 = write_episode(run_dir, "e", "success")
    assert replay_sources(run_dir) == [ok, ok2]
    assert replay_sources(run_dir / "b") == [run_dir / "b"], "one episode is replayed whatever its outcome"


def test_nothing_to_replay_is_a_clear_error(tmp_path):
    run_dir = tmp_path / "run"
    write_episode(run_dir, "b", "failure")
    with pytest.raises(CleantraceError, match="no successful scripted episode"):
        replay_sources(run_dir)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CleantraceError, match="neither an episode folder nor a run"):
        replay_sources(tmp_path / "empty")


def test_the_source_must_be_of_the_replayed_task_and_seed(tmp_path):
    folder = write_episode(tmp_path / "run", "a", "success")
    source = load_replay_source(folder, "crm/set-lead-status", 3)
    assert source.performer.id == "replay:run/a" and source.performer.kind == "script"
    with pytest.raises(PerformError, match="not crm/set-lead-status seed 4"):
        load_replay_source(folder, "crm/set-lead-status", 4)
    with pytest.raises(PerformError, match="recorded with crm/set-lead-status version 1, this is version 2"):
        load_replay_source(folder, "crm/set-lead-status", 3, version=2)


def test_rates_overall_and_per_task(tmp_path):
    folder = write_episode(tmp_path / "run", "a", "success")
    meta = Meta.model_validate_json((folder / files.META).read_text())
    other = meta.model_copy(update={"task": "crm/add-lead-note"})

    def row(success):
        return CatalogRow(episode_id="r", task=meta.task, seed=3, performer="script",
                          status="success" if success else "failure", success=success)

    result = ReplayResult(tmp_path, [Replayed(meta, row(True)), Replayed(meta, row(False)), Replayed(other, row(True))])
    assert result.rate == pytest.approx(2 / 3)
    assert result.per_task() == {"crm/add-lead-note": (1, 1), "crm/set-lead-status": (1, 2)}
    assert ReplayResult(tmp_path).rate == 0.0


def test_the_cli_names_bad_input_in_one_line(tmp_path):
    from tests.test_cli import cleantrace, error_line

    (tmp_path / "empty").mkdir()
    line = error_line(cleantrace("replay", str(tmp_path / "empty")))
    assert line.startswith("error:") and "neither an episode folder nor a run" in line
    folder = write_episode(tmp_path / "run", "a", "success", task="crm/no-such-task")
    line = error_line(cleantrace("replay", str(folder), "--out", str(tmp_path / "out")))
    assert "unknown task 'crm/no-such-task'" in line
    assert not (tmp_path / "out").exists(), "nothing starts before the input is checked"


def test_a_replay_never_writes_into_its_source(tmp_path):
    folder = write_episode(tmp_path / "run", "a", "success")
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(CleantraceError, match="overlaps its source"):
        replay(folder, out=folder, run_id="inside")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_desktop_replay_waits_until_the_screen_rests(xvfb, monkeypatch):
    """Native windows have no load event: between steps a desktop replay waits until the screen stops
    changing (a window still drawing), without a page (no browser in the episode)."""
    import threading
    import time

    from Xlib import display as xdisplay

    from cleantrace.perform.replay import Replayer

    monkeypatch.setenv("DISPLAY", xvfb)
    replayer = Replayer(None, None, None)
    replayer.native = True  # as inside a desktop episode (desktop.current() is set there)
    conn = xdisplay.Display(xvfb)
    root = conn.screen().root
    stop = threading.Event()

    def flicker() -> None:  # the whole screen takes a new colour every 5 ms until stopped
        n = 0
        while not stop.is_set():
            n += 1
            root.change_attributes(background_pixel=(n * 0x0B1D37) & 0xFFFFFF)
            root.clear_area()
            conn.sync()
            time.sleep(0.005)

    painter = threading.Thread(target=flicker)
    painter.start()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    try:
        replayer.wait_settled()
        assert stop.is_set()  # it waited for the flicker to end
        replayer.wait_settled()  # a still screen: back at once
    finally:
        stop.set()
        painter.join()
        replayer._screen.close()
        conn.close()
