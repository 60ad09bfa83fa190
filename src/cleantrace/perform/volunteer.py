"""The volunteer performer, inside the sandbox: x11vnc on the display, commands from the station.

A consenting person acts on the sandbox's screen through noVNC; their input reaches the X server
through x11vnc and is captured there by the same recorder as a script's. The station (on the
host) steers the episode through a unix socket in the control folder (bound at `/tmp/control`,
never inside the trace folder): one JSON line in, one JSON line out per connection.

States: ready (recording paused, input blocked) → recording ⇄ paused → done (check, seal) or
discarded / abandoned (sealed incomplete; the station deletes a discarded trace). Input is blocked
with x11vnc's view-only mode whenever nothing is recorded, so the app never changes unseen.

The station (host) imports this module for `send_command`: keep its top-level imports light.
"""

from __future__ import annotations

import json
import socket
import socketserver
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from cleantrace.errors import PerformError
from cleantrace.spec import VolunteerPerformer

INSIDE_CONTROL = "/tmp/control"
CONTROL_SOCKET = "control.sock"
VNC_SOCKET = "vnc.sock"
PROBE_PERIOD = 0.1  # seconds between looks at the pointer, to ground the volunteer's presses
LABEL_WAIT_S = 5.0  # Start waits this long at most for the first screen's labels
COMMANDS = ("status", "start", "pause", "resume", "done", "discard", "abandon")


class EpisodeEnded(PerformError):
    """The volunteer discarded the episode, or their page went away, before Done."""


def volunteer_meta(meta: Any, seat: VolunteerPerformer) -> Any:
    """`meta` with the volunteer as performer and their consent."""
    from cleantrace.trace.schema import Consent, Performer

    return meta.model_copy(update={
        "performer": Performer(kind="volunteer", id=seat.id, persona="human"),
        "consent": Consent(version=seat.consent_version, time=seat.consent_time),
    })


class VolunteerSession:
    """The volunteer performer: `seat` acts through x11vnc on `display_name`, steered through `control`."""

    def __init__(self, seat: VolunteerPerformer, control: Path, display_name: str) -> None:
        self.seat = seat
        self.control = control
        self.display_name = display_name

    def describe(self, meta: Any) -> Any:
        return volunteer_meta(meta, self.seat)

    def perform(self, page: Any, inputs: Any, recorder: Any) -> None:
        perform_as_volunteer(self.control, self.display_name, recorder)


def perform_as_volunteer(control: Path, display_name: str, recorder: Any) -> None:
    """Serve the volunteer (through sockets in the `control` folder) until Done (returns) or Discard /
    disconnect (raises EpisodeEnded).

    The recorder is paused until Start and while paused; on Done, input is blocked and recording
    resumed, so the final frame is taken and nothing can happen after it.
    """
    vnc = VncServer(display_name, control / VNC_SOCKET)
    booth = VolunteerBooth(recorder, vnc)
    recorder.pause()
    vnc.start()
    server = ControlServer(control / CONTROL_SOCKET, booth)
    server.start()
    try:
        booth.serve(display_name)
    finally:
        server.stop()
        vnc.stop()


class VncServer:
    """x11vnc on the sandbox's display, reachable only through a unix socket; view-only at first."""

    def __init__(self, display_name: str, socket_path: Path) -> None:
        self.display_name = display_name
        self.socket_path = socket_path
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.socket_path.unlink(missing_ok=True)
        self._proc = subprocess.Popen(
            ["x11vnc", "-display", self.display_name, "-unixsock", str(self.socket_path), "-rfbport", "0",
             "-shared", "-forever", "-viewonly", "-nopw", "-noxrecord", "-quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.socket_path.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise PerformError("x11vnc did not start", "check that x11vnc is installed (scripts/install.sh)")
            time.sleep(0.02)

    def allow_input(self, allowed: bool) -> None:
        """Let the volunteer's keyboard and mouse through, or make every viewer view-only;
        returns once x11vnc acknowledged it."""
        subprocess.run(
            ["x11vnc", "-display", self.display_name, "-sync", "-remote", "noviewonly" if allowed else "viewonly"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=False,
        )

    def stop(self) -> None:
        from cleantrace.sandbox.processes import stop_process

        stop_process(self._proc)
        self.socket_path.unlink(missing_ok=True)


class VolunteerBooth:
    """The state machine of one volunteer's episode; commands arrive on the control thread."""

    def __init__(self, recorder: Any, vnc: VncServer) -> None:
        self.recorder = recorder
        self.vnc = vnc
        self.state = "ready"
        self.ended: str | None = None  # why the episode ended early (discard / abandon)
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._label_asked = threading.Event()  # the serve thread (Playwright's) labels the screen when asked
        self._label_done = threading.Event()

    def command(self, cmd: str, reason: str = "") -> dict:
        """Apply one command; returns the new state (or an error for a command out of place)."""
        with self._lock:
            if cmd == "status":
                pass
            elif self.state in ("done", "discarded", "abandoned"):
                return {"ok": False, "state": self.state, "error": f"the episode is already {self.state}"}
            elif cmd in ("start", "resume") and self.state in ("ready", "paused"):
                self.recorder.resume()  # first record, then let input through: nothing goes unseen
                self._label_screen()  # the screen the first step starts from
                self.vnc.allow_input(True)
                self.state = "recording"
            elif cmd == "pause" and self.state == "recording":
                self.vnc.allow_input(False)  # first block input, then stop recording
                time.sleep(0.05)  # events already in flight are still recorded
                self.recorder.pause()
                self.state = "paused"
            elif cmd == "done":
                self.vnc.allow_input(False)
                self.recorder.resume()  # input is blocked: only the final frame can follow
                self.state = "done"
            elif cmd in ("discard", "abandon"):
                self.vnc.allow_input(False)
                self.state = "discarded" if cmd == "discard" else "abandoned"
                self.ended = "discarded by the volunteer" if cmd == "discard" else (
                    reason or "the volunteer disconnected")
            else:
                return {"ok": False, "state": self.state, "error": f"cannot {cmd} while {self.state}"}
            if self.state in ("done", "discarded", "abandoned"):
                self._finished.set()
            return {"ok": True, "state": self.state}

    def _label_screen(self) -> None:
        """Have the serve thread label the screen now (before input is let through), waiting LABEL_WAIT_S at most."""
        self._label_done.clear()
        self._label_asked.set()
        self._label_done.wait(LABEL_WAIT_S)

    def serve(self, display_name: str) -> None:
        """Wait for the end, grounding the volunteer's presses meanwhile (on this, the Playwright thread)."""
        from Xlib import display

        pointer_display = display.Display(display_name)
        last: tuple[int, int] | None = None
        seen = 0
        under = None  # the element under the pointer, probed where it came to rest
        hovered: tuple[int, int] | None = None  # where the last hover was recorded
        try:
            while not self._finished.wait(PROBE_PERIOD):
                if self._label_asked.is_set():
                    with suppress(Exception):
                        self.recorder.label_if_new()
                    self._label_asked.clear()
                    self._label_done.set()
                if self.state != "recording":
                    continue
                here = pointer_display.screen().root.query_pointer()
                position, count = (here.root_x, here.root_y), len(self.recorder.events)
                # the element under a resting pointer is where a press will land (the reducer keeps
                # the last probe within 2 px before each press); the focused element is where typing goes
                with suppress(Exception):
                    if position != last:
                        under = self.recorder.probe(*position)
                    if position != last or count != seen:
                        self.recorder.probe_focus()
                    elif self._resting_on_opened_menu(position, under, hovered):
                        self.recorder.probe(*position, kind="hover")  # a hover step of its own
                        hovered = position
                    else:  # at rest: the screen the next step starts from gets its labels
                        self.recorder.label_if_new()
                last, seen = position, count
        finally:
            pointer_display.close()
        if self.ended:
            raise EpisodeEnded(self.ended)


    def _resting_on_opened_menu(self, position: tuple[int, int], under: Any, hovered: tuple[int, int] | None) -> bool:
        """The pointer came to rest here by moving (no press or key since) on a menu item whose submenu is
        open: the volunteer opened it by hovering, a step of its own (as the Actor's `hover`)."""
        events = self.recorder.events
        return (position != hovered and bool(events) and events[-1].kind == "move"
                and self.recorder.popup_opened(under))


class ControlServer:
    """The unix socket the station talks to: `{"cmd": "start"}` → `{"ok": true, "state": "recording"}`."""

    def __init__(self, path: Path, booth: VolunteerBooth) -> None:
        self.path = path
        path.unlink(missing_ok=True)

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    request = json.loads(self.rfile.readline() or b"{}")
                    cmd = request.get("cmd", "")
                    if cmd not in COMMANDS:
                        reply = {"ok": False, "state": booth.state, "error": f"unknown command {cmd!r}"}
                    else:
                        reply = booth.command(cmd, str(request.get("reason", "")))
                except Exception as exc:  # a bad request never stops the episode
                    reply = {"ok": False, "state": booth.state, "error": f"{type(exc).__name__}: {exc}"}
                self.wfile.write((json.dumps(reply) + "\n").encode())

        class Server(socketserver.ThreadingUnixStreamServer):
            request_queue_size = 64  # a full backlog makes a unix connect fail at once (EAGAIN), not wait

        self._server = Server(str(path), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


def send_command(control_dir: Path, cmd: str, timeout: float = 15.0, **fields: str) -> dict:
    """Send one command to the episode behind `control_dir` (from the host); its reply.

    Raises OSError when the episode is not listening (not up yet, or already gone)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(Path(control_dir) / CONTROL_SOCKET))
        sock.sendall((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    try:
        return json.loads(data or b"{}")
    except ValueError:
        raise OSError(f"unreadable reply {data[:120]!r}") from None
