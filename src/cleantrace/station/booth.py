"""One volunteer's episode on the host: its sandbox, its control channel, its one viewer, its fate.

A booth owns two places: the episode folder (the trace, and nothing else) and a control folder
(x11vnc's and the episode's unix sockets; mode 0700, bound into the sandbox at /tmp/control, removed
when the booth closes). The volunteer's screen reaches x11vnc only through the station's own
websocket (`station/viewer.py`), one viewer at a time, authorised by the booth's token.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.perform.volunteer import VNC_SOCKET, send_command
from cleantrace.privacy import Finding, record_scan, scan_episode
from cleantrace.sandbox.backends import Backend
from cleantrace.sandbox.local import SandboxExit
from cleantrace.spec import HEARTBEAT_TIMEOUT_S, VOLUNTEER_TIMEOUT_S, EpisodeSpec, placeholder_meta
from cleantrace.trace import files
from cleantrace.trace.schema import Meta

NOVNC_DIR = Path("/usr/share/novnc")
ACTING = ("ready", "recording", "paused")  # the volunteer is in the sandbox and can steer it
SANDBOX_COMMANDS = ("start", "pause", "resume", "done", "discard")


@dataclass
class BoothView:
    """What the station page shows about a booth."""

    state: str
    message: str = ""
    findings: list[Finding] = field(default_factory=list)


class Booth:
    """The host side of one volunteer episode: start, steer, watch the heartbeat, seal, submit or discard.

    States: starting → ready → recording ⇄ paused → finishing → review → submitted | blocked | discarded;
    a missing heartbeat or a sandbox that dies makes it `incomplete` (the partial trace is kept).
    """

    def __init__(
        self, spec: EpisodeSpec, run_dir: Path, backend: Backend, *, heartbeat_timeout: float = HEARTBEAT_TIMEOUT_S,
        max_seconds: float = VOLUNTEER_TIMEOUT_S, on_sealed: Callable[[Booth, Meta], None] | None = None,
        on_change: Callable[[Booth], None] | None = None,
    ) -> None:
        self.control_dir = Path(tempfile.mkdtemp(prefix="ct-booth-"))  # short: unix socket paths ≤ 107 bytes
        self.spec = spec.model_copy(update={
            "performer": spec.performer.model_copy(update={"control_dir": str(self.control_dir)}),
        })
        self.run_dir = run_dir
        self.backend = backend
        self.folder = run_dir / spec.episode_id
        self.heartbeat_timeout = heartbeat_timeout
        self.max_seconds = max_seconds
        self.on_sealed = on_sealed  # called with (booth, meta) when a kept trace is final (catalog row)
        self.on_change = on_change  # called with the booth after each change of state (set the message first)
        self.ip = ""  # the volunteer's address (limits booths per address)
        self.token = secrets.token_urlsafe(18)  # in the volunteer's signed session: this booth, no other
        self.message = ""
        self._state = "starting"
        self._recording_since: float | None = None
        self.seconds_recorded = 0.0  # time on task: how long the volunteer was recording
        self.meta: Meta | None = None
        self.findings: list[Finding] = []
        self._last_heartbeat = time.monotonic()
        self._lock = threading.RLock()
        self._sandbox_done = threading.Event()
        self._threads: list[threading.Thread] = []
        self._viewer = False  # a viewer websocket is open (one at a time)
        self._opened = time.monotonic()
        self.ready_after: float | None = None  # seconds from open() until the volunteer could press Start

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, new: str) -> None:
        old, self._state = self._state, new
        if old == "recording" and new != "recording" and self._recording_since is not None:
            self.seconds_recorded += time.monotonic() - self._recording_since
            self._recording_since = None
        elif new == "recording" and old != "recording":
            self._recording_since = time.monotonic()
        if new != old and self.on_change is not None:
            self.on_change(self)

    @property
    def vnc_socket(self) -> Path:
        """x11vnc's unix socket (an RFB endpoint: what the station's viewer websocket bridges to)."""
        return self.control_dir / VNC_SOCKET

    def open(self) -> None:
        """Start the sandbox and the heartbeat watchdog."""
        if self.folder.exists():
            raise CleantraceError(f"episode {self.folder} already exists", "use another --out")
        self.folder.mkdir(parents=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        self._opened = time.monotonic()
        for target, name in ((self._run_sandbox, "sandbox"), (self._watch, "watchdog")):
            thread = threading.Thread(target=target, name=f"booth-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def holds_sandbox(self) -> bool:
        """Its sandbox is running (from open() until the episode is sealed and torn down)."""
        return bool(self._threads) and not self._sandbox_done.is_set()

    def attach_viewer(self) -> str | None:
        """Take the booth's one viewer seat; why not, if it cannot be taken."""
        with self._lock:
            if self.state not in ACTING:
                return f"the booth is {self.state}"
            if self._viewer:
                return "the booth already has a viewer"
            self._viewer = True
            return None

    def detach_viewer(self) -> None:
        """The viewer's websocket closed (its RFB connection is already cut): recording pauses, so nothing
        reaches the trace until the volunteer is back and resumes."""
        with self._lock:
            self._viewer = False
            if self.state == "recording":
                view = self.command("pause")
                self.message = "paused: the screen was closed" if view.state == "paused" else (
                    f"the screen was closed; pausing failed: {view.message}")

    @property
    def has_viewer(self) -> bool:
        return self._viewer

    def heartbeat(self) -> BoothView:
        """The volunteer's page is still there; returns the booth's state."""
        self._last_heartbeat = time.monotonic()
        return self.view()

    def view(self) -> BoothView:
        with self._lock:
            return BoothView(self.state, self.message, list(self.findings))

    def command(self, cmd: str) -> BoothView:
        """Start, pause, resume, done or discard; a command out of place leaves the state as it is."""
        if cmd not in SANDBOX_COMMANDS:
            raise CleantraceError(f"unknown command {cmd!r}", f"use one of {', '.join(SANDBOX_COMMANDS)}")
        with self._lock:
            if cmd == "discard" and self.state in ("review", "blocked"):
                self._delete("discarded by the volunteer")
                return self.view()
            if self.state not in ACTING:
                self.message = f"cannot {cmd} while {self.state}"
                return self.view()
            reply = self._send(cmd)
            if reply.get("ok"):
                state = reply["state"]
                self.message = ""
                self.state = {"done": "finishing", "discarded": "discarding"}.get(state, state)
            else:
                self.message = reply.get("error", "the sandbox did not answer")
        if cmd in ("done", "discard"):
            self._sandbox_done.wait(60)
        return self.view()

    def submit_in_background(self, scan=None) -> BoothView:
        """Start submitting (state `checking` while the privacy scan runs); returns at once."""
        with self._lock:
            if self.state not in ("review", "blocked"):
                self.message = f"cannot submit while {self.state}"
                return self.view()
            self.message = "checking the recording for personal data"
            self.state = "checking"
        threading.Thread(target=self.submit, args=(scan,), name="booth-submit", daemon=True).start()
        return self.view()

    def submit(self, scan=None) -> BoothView:
        """Submit a reviewed trace: the privacy scan runs first and blocks it on any finding."""
        with self._lock:
            if self.state not in ("review", "blocked", "checking"):
                self.message = f"cannot submit while {self.state}"
                return self.view()
            try:
                findings = (scan or privacy_findings)(self.folder)
            except Exception as exc:  # no scan, no submission
                self.message = f"not submitted: the privacy scan failed ({type(exc).__name__}: {exc})"
                self.state = "review"
                return self.view()
            if findings:
                self.findings = findings
                self.message = "not submitted: the trace holds data that looks real"
                self.state = "blocked"
            else:
                self.findings = []
                self.message = "submitted, thank you"
                self.state = "submitted"
                self._sealed_and_kept()
            return self.view()

    def close(self, reason: str = "the station shut down") -> None:
        """Abandon a live episode (sealed `incomplete` with `reason`) and free everything."""
        if self.holds_sandbox and self.view().state == "starting":
            with suppress(CleantraceError):
                self.wait_ready()  # then it can be told to end
        with self._lock:
            if self.state in ACTING:
                self._abandon(reason)
        self._sandbox_done.wait(60)
        self._remove_control()

    def _run_sandbox(self) -> None:
        log = self.run_dir / "logs" / f"{self.spec.episode_id}.log"
        ended: SandboxExit | None = None
        try:
            ended = self.backend.run(self.spec, self.folder, log, self.max_seconds)
        finally:
            self._remove_control()
            with self._lock:
                self._after_sandbox(ended)
            self._sandbox_done.set()

    def _after_sandbox(self, ended: SandboxExit | None) -> None:
        from cleantrace.trace.seal import seal_incomplete

        meta_path = self.folder / files.META
        meta = Meta.model_validate_json(meta_path.read_text()) if meta_path.exists() else None
        if self.state == "discarding" or (meta and "discarded by the volunteer" in meta.outcome.message):
            self._delete("discarded by the volunteer")
            return
        if meta is None or meta.outcome.status == "running":
            why = f"timed out after {self.max_seconds:.0f} s" if ended and ended.timed_out else (
                self.message or "the sandbox ended before the episode was sealed")
            meta = seal_incomplete(self.folder, why, placeholder_meta(self.spec))
        self.meta = meta
        if meta.outcome.status == "incomplete":
            self.message, self.state = meta.outcome.message, "incomplete"
            self._sealed_and_kept()  # kept without the volunteer's review: scanned when cataloged
        else:
            self.message, self.state = meta.outcome.message, "review"

    def _watch(self) -> None:
        """Abandon the episode when the volunteer's page stopped sending heartbeats."""
        while not self._sandbox_done.wait(min(1.0, self.heartbeat_timeout / 4)):
            silent = time.monotonic() - self._last_heartbeat
            with self._lock:
                if self.state in ACTING and silent > self.heartbeat_timeout:
                    self._abandon(f"the volunteer disconnected: no heartbeat from their page for {silent:.0f} s")
                elif self.state == "ready" or self.state == "starting":
                    self._poll_ready()

    def _poll_ready(self) -> None:
        if self.state == "starting":
            try:
                reply = send_command(self.control_dir, "status", timeout=2)
            except OSError:
                return  # the episode is not listening yet
            if reply.get("state") == "ready":
                self.state = "ready"
                self.ready_after = time.monotonic() - self._opened
                self._last_heartbeat = time.monotonic()  # the page could not act before: count from now

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the volunteer can press Start (the sandbox is up and x11vnc listens)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                self._poll_ready()
                if self.state != "starting":
                    return
            if self._sandbox_done.is_set():
                return
            time.sleep(0.1)
        raise CleantraceError(f"the sandbox of {self.spec.episode_id} did not come up in {timeout:.0f} s",
                              "see the episode's log under logs/")

    def _abandon(self, reason: str) -> None:
        self.message = reason
        try:
            self._send("abandon", reason=reason, timeout=5)
            self.state = "finishing"
        except OSError:
            pass  # the sandbox ends by itself (or by its time limit); it is sealed incomplete then

    def _send(self, cmd: str, timeout: float = 15.0, **fields: str) -> dict:
        try:
            return send_command(self.control_dir, cmd, timeout=timeout, **fields)
        except OSError as exc:
            if cmd == "abandon":
                raise
            return {"ok": False, "error": f"the sandbox did not answer ({exc.strerror or exc})"}

    def _delete(self, reason: str) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.message, self.meta, self.state = reason, None, "discarded"

    def _sealed_and_kept(self) -> None:
        meta = Meta.model_validate_json((self.folder / files.META).read_text())
        self.meta = meta
        if self.on_sealed:
            self.on_sealed(self, meta)

    def _remove_control(self) -> None:
        shutil.rmtree(self.control_dir, ignore_errors=True)


def privacy_findings(folder: Path) -> list[Finding]:
    """Run the privacy scan on an episode folder, store its result in meta.json; the findings."""
    scan = scan_episode(folder)
    record_scan(folder, scan)
    return scan.findings
