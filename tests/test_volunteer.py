"""The volunteer performer against a real X server, a real x11vnc and a real VNC client (vncdotool)."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import pytest
from Xlib import display

from cleantrace.perform.volunteer import EpisodeEnded, perform_as_volunteer, send_command
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.recorder import Recorder
from cleantrace.trace.writer import TraceWriter
from tests.conftest import wait_until


@pytest.fixture
def booth(xvfb, tmp_path):
    """perform_as_volunteer running on a thread; yields (control dir, recorder, outcome dict)."""
    control = Path(tempfile.mkdtemp(prefix="ct-test-"))  # short: unix socket paths
    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, xvfb, EpisodeClock(), resolver=None, fps=0, change_fps=0)
    recorder.start()
    outcome: dict = {}

    def perform() -> None:
        try:
            perform_as_volunteer(control, xvfb, recorder)
            outcome["ended"] = "done"
        except EpisodeEnded as exc:
            outcome["ended"] = exc.message

    thread = threading.Thread(target=perform, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (control / "control.sock").exists():
        assert time.monotonic() < deadline and thread.is_alive(), "the control socket did not appear"
        time.sleep(0.05)
    yield control, recorder, outcome, thread
    if thread.is_alive():
        send_command(control, "discard")
    thread.join(10)
    recorder.stop()
    writer.close()


def pointer(xvfb) -> tuple[int, int]:
    d = display.Display(xvfb)
    here = d.screen().root.query_pointer()
    d.close()
    return here.root_x, here.root_y


def pointer_reaches(xvfb, spot: tuple[int, int], timeout: float = 90.0) -> tuple[int, int]:
    """Where the pointer is once it reached `spot`, or when `timeout` is over (x11vnc may take a
    moment to leave view-only mode after Start or resume)."""
    deadline = time.monotonic() + timeout
    while (here := pointer(xvfb)) != spot and time.monotonic() < deadline:
        time.sleep(0.05)
    return here


def test_vnc_input_is_blocked_and_unrecorded_unless_recording(booth, xvfb):
    from vncdotool import api

    control, recorder, outcome, thread = booth
    vnc = api.connect(str(control / "vnc.sock"), password=None)
    try:
        vnc.mouseMove(111, 222)
        time.sleep(0.4)  # a negative check (nothing may arrive): a window, not a wait for a condition
        assert pointer(xvfb) != (111, 222), "before Start the volunteer's input must not reach the display"
        assert send_command(control, "start") == {"ok": True, "state": "recording"}
        vnc.mouseMove(300, 310)
        assert pointer_reaches(xvfb, (300, 310)) == (300, 310)
        assert send_command(control, "pause")["state"] == "paused"
        vnc.mouseMove(500, 510)
        time.sleep(0.4)
        assert pointer(xvfb) == (300, 310), "while paused the volunteer's input must not reach the display"
        assert send_command(control, "resume")["state"] == "recording"
        vnc.mouseMove(700, 710)
        assert pointer_reaches(xvfb, (700, 710)) == (700, 710)
        vnc.mousePress(1)
        wait_until(lambda: any(e.kind == "down" and (e.x, e.y) == (700, 710) for e in recorder.events),
                   "the press recorded")
    finally:
        vnc.disconnect()
    assert send_command(control, "done") == {"ok": True, "state": "done"}
    thread.join(10)
    assert outcome["ended"] == "done"
    points = [(e.kind, e.x, e.y) for e in recorder.events]
    assert ("move", 300, 310) in points and ("move", 700, 710) in points and ("down", 700, 710) in points
    assert all((x, y) not in ((111, 222), (500, 510)) for _, x, y in points)
    assert not recorder.paused  # the final frame can be taken
    assert not (control / "vnc.sock").exists() and not (control / "control.sock").exists()


def test_commands_out_of_place_are_refused(booth):
    control, _, outcome, thread = booth
    assert send_command(control, "pause") == {"ok": False, "state": "ready", "error": "cannot pause while ready"}
    assert send_command(control, "dance")["error"] == "unknown command 'dance'"
    assert send_command(control, "status") == {"ok": True, "state": "ready"}
    assert thread.is_alive()


@pytest.mark.parametrize(("cmd", "ended"), [
    ("discard", "discarded by the volunteer"),
    ("abandon", "no heartbeat for 5 s"),
])
def test_discard_and_abandon_end_the_episode_with_their_reason(booth, cmd, ended):
    control, _, outcome, thread = booth
    send_command(control, "start")
    reply = send_command(control, cmd, reason="no heartbeat for 5 s")
    assert reply["ok"] and reply["state"] == ("discarded" if cmd == "discard" else "abandoned")
    thread.join(10)
    assert outcome["ended"] == ended


def test_the_control_socket_answers_many_commands_at_once(tmp_path):
    """A burst of commands (the page, the watchdog, a closing screen) is answered, none refused for a full backlog."""

    from cleantrace.perform.volunteer import CONTROL_SOCKET, ControlServer, send_command

    class Booth:
        state = "recording"

        def command(self, cmd: str, reason: str = "") -> dict:
            time.sleep(0.01)
            return {"ok": True, "state": self.state}

    server = ControlServer(tmp_path / CONTROL_SOCKET, Booth())
    server.start()
    answers: list[object] = []

    def burst() -> None:
        for _ in range(30):
            try:
                answers.append(send_command(tmp_path, "status"))
            except OSError as exc:
                answers.append(exc)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.stop()
    assert answers == [{"ok": True, "state": "recording"}] * 240
