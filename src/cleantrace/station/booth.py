"""One volunteer's episode on the host: its sandbox, its noVNC bridge, its control channel, its fate.

A booth owns three places: the episode folder (the trace, and nothing else), a control folder
(x11vnc's and the episode's unix sockets; bound into the sandbox at /tmp/control, removed when the
booth closes) and a websockify process on a loopback port that bridges noVNC to x11vnc's socket.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
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
from cleantrace.sandbox.processes import stop_process
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
        self.ws_port = _free_port()
        self.state = "starting"
        self.message = ""
        self.meta: Meta | None = None
        self.findings: list[Finding] = []
        self._last_heartbeat = time.monotonic()
        self._lock = threading.RLock()
        self._sandbox_done = threading.Event()
        self._websockify: subprocess.Popen | None = None
        self._threads: list[threading.Thread] = []

    @property
    def vnc_socket(self) -> Path:
        """x11vnc's unix socket (an RFB endpoint: what websockify bridges, and what tests may speak to)."""
        return self.control_dir / VNC_SOCKET

    def open(self) -> None:
        """Start the sandbox, websockify and the heartbeat watchdog."""
        if self.folder.exists():
            raise CleantraceError(f"episode {self.folder} already exists", "use another --out")
        self.folder.mkdir(parents=True)
        logs = self.run_dir / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / f"{self.spec.episode_id}.websockify.log", "ab") as log:
            self._websockify = subprocess.Popen(
                ["websockify", "--web", str(NOVNC_DIR), f"127.0.0.1:{self.ws_port}",
                 f"--unix-target={self.vnc_socket}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        for target, name in ((self._run_sandbox, "sandbox"), (self._watch, "watchdog")):
            thread = threading.Thread(target=target, name=f"booth-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def holds_sandbox(self) -> bool:
        """Its sandbox is running (from open() until the episode is sealed and torn down)."""
        return bool(self._threads) and not self._sandbox_done.is_set()

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
                self.state = {"done": "finishing", "discarded": "discarding"}.get(state, state)
                self.message = ""
            else:
                self.message = reply.get("error", "the sandbox did not answer")
        if cmd in ("done", "discard"):
            self._sandbox_done.wait(60)
        return self.view()

    def submit(self, scan=None) -> BoothView:
        """Submit a reviewed trace: the privacy scan runs first and blocks it on any finding."""
        with self._lock:
            if self.state not in ("review", "blocked"):
                self.message = f"cannot submit while {self.state}"
                return self.view()
            try:
                findings = (scan or privacy_findings)(self.folder)
            except Exception as exc:  # no scan, no submission
                self.message = f"not submitted: the privacy scan failed ({type(exc).__name__}: {exc})"
                return self.view()
            if findings:
                self.findings = findings
                self.state = "blocked"
                self.message = "not submitted: the trace holds data that looks real"
            else:
                self.findings = []
                self.state = "submitted"
                self.message = "submitted, thank you"
                self._sealed_and_kept()
            return self.view()

    def close(self) -> None:
        """Abandon a live episode and free everything (the station is shutting down)."""
        if self.holds_sandbox and self.view().state == "starting":
            with suppress(CleantraceError):
                self.wait_ready()  # then it can be told to end
        with self._lock:
            if self.state in ACTING:
                self._abandon("the station shut down")
        self._sandbox_done.wait(30)
        self._stop_bridge()

    def _run_sandbox(self) -> None:
        log = self.run_dir / "logs" / f"{self.spec.episode_id}.log"
        ended: SandboxExit | None = None
        try:
            ended = self.backend.run(self.spec, self.folder, log, self.max_seconds)
        finally:
            self._stop_bridge()
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
            self.state, self.message = "incomplete", meta.outcome.message
            self._sealed_and_kept()  # kept without the volunteer's review: scanned when cataloged
        else:
            self.state, self.message = "review", meta.outcome.message

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
        self.state, self.message, self.meta = "discarded", reason, None

    def _sealed_and_kept(self) -> None:
        meta = Meta.model_validate_json((self.folder / files.META).read_text())
        self.meta = meta
        if self.on_sealed:
            self.on_sealed(self, meta)

    def _stop_bridge(self) -> None:
        stop_process(self._websockify)
        shutil.rmtree(self.control_dir, ignore_errors=True)


def privacy_findings(folder: Path) -> list[Finding]:
    """Run the privacy scan on an episode folder, store its result in meta.json; the findings."""
    scan = scan_episode(folder)
    record_scan(folder, scan)
    return scan.findings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

