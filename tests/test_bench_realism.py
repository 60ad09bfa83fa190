"""bench/realism.py's volunteer comparison and detector, on synthetic run folders."""

import numpy as np
import pytest

from bench.realism import (
    HUMAN_DETECTOR_FEATURES,
    bezier_humanizer,
    detector_auc,
    human_comparison,
    pyautogui_linear,
    ring_boxes,
)
from cleantrace.errors import CleantraceError
from cleantrace.perform.measures import Movement, movement_of
from cleantrace.perform.motion import Box, move_path
from cleantrace.perform.persona import sample_persona
from cleantrace.trace.schema import Action, Clock, Event, Meta, Outcome, Performer, SandboxInfo, Screen, Target
from cleantrace.trace.writer import TraceWriter


def write_run(run_dir, episodes, make_movement, clicks=12):
    """Episodes of clicks on random boxes, each reached by `make_movement(start, box, rng)`."""
    for n in range(episodes):
        folder = run_dir / f"ep{n}"
        writer = TraceWriter(folder)
        writer.write_meta(Meta(
            run_id=run_dir.name, episode_id=folder.name, task="crm/x", task_version=1, seed=n, params={},
            instruction="do it", performer=Performer(kind="volunteer", id=f"v{n}"),
            sandbox=SandboxInfo(backend="local", screen=Screen(w=1280, h=800)),
            clock=Clock(start="2026-01-01T00:00:00Z"), outcome=Outcome(status="success", success=True),
        ))
        rng = np.random.default_rng(n)
        position, t_ms, events, actions = (640, 400), 1000.0, [], []
        for k in range(clicks):
            box = Box(*rng.uniform([50, 50], [1150, 700]), *rng.uniform([20, 16], [160, 40]))
            m = make_movement(position, box, rng)
            first = len(events)
            for t, (x, y) in zip(m.t[1:], m.xy[1:], strict=True):
                events.append(Event(t_ms=t_ms + 1000 * t, kind="move", x=int(x), y=int(y)))
            t_ms += 1000 * m.t[-1] + rng.uniform(60, 150)
            position = (int(m.xy[-1, 0]), int(m.xy[-1, 1]))
            events += [Event(t_ms=t_ms, kind="down", x=position[0], y=position[1], button=1),
                       Event(t_ms=t_ms + 100, kind="up", x=position[0], y=position[1], button=1)]
            actions.append(Action(
                i=k, t0_ms=events[first].t_ms, t1_ms=t_ms + 100, kind="click", x=position[0], y=position[1],
                target=Target(bbox=(box.x, box.y, box.w, box.h)), events=(first, len(events) - 1),
            ))
            t_ms += rng.uniform(500, 1500)
        writer.append_events(events)
        writer.write_actions(actions)
        writer.close()
    return run_dir


def ours(start, box, rng):
    """Our model, moved by one of many sampled volunteers."""
    persona = sample_persona(int(rng.integers(10_000, 20_000)))
    return movement_of(start, move_path(start, box, rng, persona))


def linear(start, box, rng):
    return pyautogui_linear(start, (int(box.x + box.w / 2), int(box.y + box.h / 2)), rng)


def test_a_volunteer_who_moves_like_our_model_is_not_told_apart(tmp_path):
    run = write_run(tmp_path / "run", 6, ours)
    result = human_comparison(run, seed=1)
    assert result["sessions"] == result["people"] == 6 and result["movements"] >= 60
    assert result["auc_human_vs_ours"] < 0.75
    assert result["auc_human_vs_pyautogui_linear"] > 0.9 and result["auc_human_vs_bezier_humanizer"] > 0.9
    assert result["auc_human_vs_human"] is not None and result["auc_human_vs_human"] < 0.8
    assert len(result["telltales"]) == 3 and set(result["telltales"]) <= set(HUMAN_DETECTOR_FEATURES)
    assert 0.1 < result["human_features"]["time_to_peak"]["median"] < 0.3


def test_a_scripted_volunteer_is_caught(tmp_path):
    run = write_run(tmp_path / "run", 6, linear)
    assert human_comparison(run, seed=1)["auc_human_vs_ours"] > 0.9


def test_too_little_volunteer_data_is_one_clear_error(tmp_path):
    with pytest.raises(CleantraceError, match="no episodes"):
        human_comparison(tmp_path, seed=1)
    run = write_run(tmp_path / "run", 1, linear, clicks=3)
    with pytest.raises(CleantraceError, match="movements"):
        human_comparison(run, seed=1)


def test_the_detector_tells_the_bezier_humanizer_from_ours():
    rng = np.random.default_rng(0)
    persona = sample_persona(1)
    starts = [tuple(int(v) for v in rng.uniform([50, 50], [1200, 750])) for _ in range(80)]
    goals = [tuple(int(v) for v in rng.uniform([50, 50], [1200, 750])) for _ in range(80)]
    pairs = list(zip(starts, goals, strict=True))
    mine: list[Movement] = [
        movement_of(s, move_path(s, Box(g[0] - 10, g[1] - 8, 20, 16), rng, persona)) for s, g in pairs
    ]
    fakes = [bezier_humanizer(s, g, rng) for s, g in pairs]
    assert detector_auc(mine, fakes, [n // 8 for n in range(80)]) > 0.9


def test_the_ring_is_iso_9241_9_shaped():
    boxes = ring_boxes(320, 32)
    centres = np.array([(b.x + 16, b.y + 16) for b in boxes])
    assert len(boxes) == 13 and np.allclose(np.linalg.norm(centres - (640, 400), axis=1), 160)
