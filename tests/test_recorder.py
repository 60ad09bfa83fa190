"""The recorder against a real X server: what the performer injects is what the trace holds."""

import time

import numpy as np

from cleantrace.perform.motion import Box, move_path
from cleantrace.perform.persona import Persona
from cleantrace.perform.typing import chord_timeline, typing_timeline
from cleantrace.perform.xinput import XTestInput
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.recorder import Recorder
from cleantrace.trace import files
from cleantrace.trace.validate import validate_episode
from cleantrace.trace.writer import TraceWriter
from tests.conftest import wait_until

# fast, with many typos and much rollover: the hardest case for capture and reduction
FAST_TYPIST = Persona(iki_mean=0.06, hold_mean=0.05, typo_rate=0.3)


class LoggingInput(XTestInput):
    """XTestInput that also notes, in order, every event it injects."""

    def __init__(self, display_name):
        super().__init__(display_name)
        self.injected = []

    def move(self, x, y):
        if (x, y) != self.position:
            self.injected.append(("move", x, y, None))
        super().move(x, y)

    def button(self, button, down):
        self.injected.append(("down" if down else "up", *self.position, button))
        super().button(button, down)

    def key(self, key, down):
        self.injected.append(("key_down" if down else "key_up", *self.position, key))
        super().key(key, down)


def recorded(events):
    out = []
    for e in events:
        detail = e.key if e.kind.startswith("key") else e.button
        out.append((e.kind, e.x, e.y, detail))
    return out


def test_recorded_events_match_injected_events_in_count_and_order(xvfb, tmp_path):
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0)
    inputs = LoggingInput(xvfb)
    rng, persona = np.random.default_rng(4), FAST_TYPIST
    recorder.start()
    for box in (Box(900, 600, 60, 30), Box(100, 80, 200, 40), Box(640, 400, 20, 20)):
        inputs.move_along(move_path(inputs.position, box, rng, persona))
        inputs.button(1, True)
        inputs.button(1, False)
    inputs.play(typing_timeline("Hello, World! 42", rng, persona))
    inputs.play(chord_timeline(["Control_L", "s"], rng, persona))
    inputs.sync()
    wait_until(lambda: len(recorder.events) >= len(inputs.injected), "every injected event recorded")
    recorder.stop()
    writer.close()

    got = recorded(recorder.events)
    assert len(got) == len(inputs.injected) > 100
    assert got == inputs.injected
    times = [e.t_ms for e in recorder.events]
    assert times == sorted(times)
    on_disk = files.read_jsonl(tmp_path / "ep" / files.EVENTS)
    assert len(on_disk) == len(got)


def test_actions_reduced_from_a_recording_reproduce_what_was_typed(xvfb, tmp_path):
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0)
    inputs = XTestInput(xvfb)
    rng, persona = np.random.default_rng(9), FAST_TYPIST
    recorder.start()
    inputs.move_along(move_path(inputs.position, Box(200, 200, 100, 30), rng, persona))
    inputs.button(1, True)
    time.sleep(0.08)
    inputs.button(1, False)
    inputs.play(typing_timeline("Call back on Friday.", rng, persona))
    inputs.play(chord_timeline(["Control_L", "s"], rng, persona))
    inputs.sync()
    wait_until(lambda: any(e.kind == "key_up" and e.key == "Control_L" for e in recorder.events), "Ctrl released")
    actions = recorder.stop()
    assert [a.kind for a in actions] == ["click", "type", "hotkey"]
    assert actions[1].text == "Call back on Friday."
    assert actions[2].keys == ["ctrl", "s"]


def test_characters_off_the_keyboard_are_typed_and_recorded_as_themselves(xvfb, tmp_path):
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0)
    inputs = XTestInput(xvfb)
    text = "Müller & Söhne, Éloïse Lefèvre, 山田 太郎 œ, 藤井通信株式会社 鈴木一郎佐藤次郎高橋三郎"  # > 19 spare keys
    recorder.start()
    inputs.play(typing_timeline(text, np.random.default_rng(4), Persona(typo_rate=0.0)))
    inputs.sync()
    time.sleep(0.2)
    actions = recorder.stop()
    assert [a.kind for a in actions] == ["type"] and actions[0].text == text


def test_frames_are_stored_once_per_distinct_screen(xvfb, tmp_path):
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0)
    recorder.start()
    first = recorder.observe()
    assert recorder.observe() == first, "an unchanged screen is not stored again"
    recorder.stop()
    writer.close()
    assert len(files.read_jsonl(tmp_path / "ep" / files.FRAMES)) == 1
    assert (tmp_path / "ep" / "frames" / "000000.png").exists()


def test_every_frame_records_where_the_pointer_was(xvfb, tmp_path):
    from cleantrace.perform.xinput import XTestInput

    inputs = XTestInput(xvfb)
    inputs.move(321, 123)
    inputs.sync()
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0)
    recorder.start()
    recorder.stop()
    writer.close()
    inputs.close()
    [frame] = files.read_jsonl(tmp_path / "ep" / files.FRAMES)
    assert frame["pointer"] == [321, 123]


def test_a_recorder_trace_validates(xvfb, tmp_path):
    from cleantrace.trace.schema import Clock, Meta, Outcome, Performer, SandboxInfo, Screen

    folder = tmp_path / "ep"
    writer = TraceWriter(folder)
    writer.write_meta(Meta(
        run_id="r", episode_id="ep", task="crm/x", task_version=1, seed=0, params={}, instruction="x",
        performer=Performer(kind="script", id="s"), sandbox=SandboxInfo(backend="local", screen=Screen(w=1280, h=800)),
        clock=Clock(start="2026-01-01T00:00:00Z"), outcome=Outcome(status="success", success=True),
    ))
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=20)
    inputs = XTestInput(xvfb)
    recorder.start()
    inputs.move_along(move_path(inputs.position, Box(10, 10, 30, 30), np.random.default_rng(1), Persona()))
    inputs.button(1, True)
    inputs.button(1, False)
    inputs.sync()
    wait_until(lambda: any(e.kind == "up" for e in recorder.events), "the release recorded")
    recorder.stop()
    writer.close()
    assert validate_episode(folder).problems == []


def test_a_visual_change_is_captured_without_an_action(xvfb, tmp_path):
    from Xlib import display

    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0, change_fps=10)
    recorder.start()
    wait_until(lambda: len(recorder.frames) >= 1, "the first frame")
    d = display.Display(xvfb)
    root = d.screen().root
    gc = root.create_gc(foreground=0xFF0000)
    root.fill_rectangle(gc, 100, 100, 300, 200)  # something draws on the screen
    d.sync()
    wait_until(lambda: any(f.reason == "change" for f in recorder.frames), "a frame of the change")
    recorder.stop()
    writer.close()
    reasons = [f["reason"] for f in files.read_jsonl(tmp_path / "ep" / files.FRAMES)]
    assert reasons[0] == "interval" and "change" in reasons[1:]


def test_a_recorder_whose_capture_died_says_so(tmp_path):
    from cleantrace.sandbox.display import start_free_xvfb

    server, name = start_free_xvfb("+extension", "RECORD")
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, name, EpisodeClock(), resolver=None, fps=0, change_fps=0)
    recorder.start()
    assert recorder.failure() is None
    server.kill()  # the X server goes away mid-recording
    server.wait()
    wait_until(lambda: "input capture failed" in (recorder.failure() or ""), "the capture failure noticed")
    recorder.stop()  # still seals what was captured
    writer.close()
    assert (tmp_path / "ep" / files.ACTIONS).exists()


def test_nothing_is_recorded_while_paused(xvfb, tmp_path):
    from Xlib import display

    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=20, change_fps=10)
    inputs = XTestInput(xvfb)
    recorder.start()
    inputs.move(10, 10)
    inputs.sync()
    wait_until(lambda: any(e.x == 10 and e.y == 10 for e in recorder.events), "the move recorded")
    wait_until(lambda: len(recorder.frames) >= 1, "the first frame stored")  # PNGs are encoded off the capture thread
    recorder.pause()
    assert recorder.paused
    frames_at_pause = len(recorder.frames)
    inputs.move(20, 20)  # neither this input
    inputs.button(1, True)
    inputs.button(1, False)
    d = display.Display(xvfb)
    root = d.screen().root
    root.fill_rectangle(root.create_gc(foreground=0x00FF00), 0, 0, 400, 300)  # nor this change of screen
    d.sync()
    inputs.sync()
    time.sleep(0.4)  # a window in which nothing may be recorded (a negative check: no condition to wait for)
    assert len(recorder.frames) == frames_at_pause
    recorder.resume()
    inputs.move(30, 30)
    inputs.sync()
    wait_until(lambda: any(e.x == 30 and e.y == 30 for e in recorder.events), "the move after resume recorded")
    recorder.stop()
    writer.close()
    assert recorded(recorder.events) == [("move", 10, 10, None), ("move", 30, 30, None)]
    assert len(files.read_jsonl(tmp_path / "ep" / files.EVENTS)) == 2
    assert len(recorder.frames) > frames_at_pause  # the screen as it is on resume


def test_frames_can_be_stored_as_lossless_webp(xvfb, tmp_path):
    import hashlib

    from PIL import Image

    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0, frame_format="webp")
    recorder.start()
    recorder.stop()
    writer.close()
    [frame] = files.read_jsonl(tmp_path / "ep" / files.FRAMES)
    assert frame["file"] == "frames/000000.webp" and (tmp_path / "ep" / frame["file"]).read_bytes()[8:12] == b"WEBP"
    pixels = Image.open(tmp_path / "ep" / frame["file"]).convert("RGB").tobytes()
    assert hashlib.sha256(pixels).hexdigest() == frame["sha256"]  # lossless: the grabbed pixels exactly


class FixedLabeller:
    """A labeller that always sees the same screen (the recorder's logic is what is tested)."""

    def label(self) -> dict:
        return {"url": "http://127.0.0.1:8000/", "elements": [
            {"role": "button", "name": "Save", "tag": "button", "bbox": [0, 0, 40, 20], "state": {}}],
            "tree": {"columns": [], "nodes": []}}


def test_a_frame_stored_between_labelling_and_the_first_input_shares_the_steps_labels(xvfb, tmp_path):
    """Found by bench/data_quality.py: a caret blink stored a frame after the step was labelled and
    before its input, so the action's frame_before had no labels."""
    from Xlib import display

    from cleantrace.perform.xinput import XTestInput

    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0, change_fps=0, labeller=FixedLabeller())
    inputs = XTestInput(xvfb)
    recorder.start()
    labelled = recorder.observe("action", label=True)
    d = display.Display(xvfb)
    root = d.screen().root
    root.fill_rectangle(root.create_gc(foreground=0x3366CC), 0, 0, 50, 50)  # the caret blinks
    d.sync()
    blink = recorder.observe("change")
    inputs.move(100, 100)
    inputs.button(1, True)
    inputs.button(1, False)
    inputs.sync()
    time.sleep(0.3)
    [click] = recorder.stop()
    writer.close()
    inputs.close()
    assert blink == labelled + 1 and click.frame_before == blink
    rows = {r["frame"]: r for r in files.read_jsonl(tmp_path / "ep" / files.LABELS)}
    assert rows[blink]["file"] == rows[labelled]["file"] and rows[blink]["elements"] == 1
