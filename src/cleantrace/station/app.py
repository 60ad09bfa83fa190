"""The station's web app (Flask, loopback only): consent → task page with noVNC → review → submit.

Each volunteer (a random id in a signed cookie, never a name) gets their own booth: a fresh
sandbox with its own episode folder, control folder and websockify port.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, render_template, request, send_from_directory, session, url_for

from cleantrace.errors import CleantraceError
from cleantrace.privacy import scan_sealed
from cleantrace.spec import (
    DEFAULT_BACKEND,
    DEFAULT_CHANGE_FPS,
    DEFAULT_FPS,
    HEARTBEAT_TIMEOUT_S,
    VOLUNTEER_TIMEOUT_S,
    EpisodeSpec,
    RecordingSettings,
    VolunteerPerformer,
)
from cleantrace.station import consent
from cleantrace.station.booth import NOVNC_DIR, Booth
from cleantrace.trace import files
from cleantrace.trace.schema import Meta
from cleantrace.trace.seal import catalog_row

DEFAULT_PORT = 8600
ENDED = ("submitted", "discarded", "incomplete")


@dataclass
class StationConfig:
    """What a station serves and where its traces go."""

    task: str
    out: Path = Path("runs")
    seed: int = 0
    run_id: str | None = None
    tasks_dir: Path | None = None
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT_S  # seconds without a heartbeat before an episode is abandoned
    max_seconds: float = VOLUNTEER_TIMEOUT_S  # an episode's sandbox is freed after this long, whatever happens
    max_booths: int = 4  # sandboxes at once (one per volunteer)
    fps: float = DEFAULT_FPS
    change_fps: float = DEFAULT_CHANGE_FPS
    backend: str = DEFAULT_BACKEND  # a backend whose capabilities include the volunteer station
    image: str | None = None  # its container image, for a backend that uses one


class Station:
    """The booths of one station run, one per volunteer at a time, and the run's catalog."""

    def __init__(self, config: StationConfig) -> None:
        from cleantrace.sandbox.backends import backend_named
        from cleantrace.tasks import load_registry

        self.config = config
        self.registry = load_registry(config.tasks_dir)
        self.task = self.registry.get(config.task)
        self.backend = backend_named(config.backend, config.image)
        if not self.backend.capabilities.volunteer:
            raise CleantraceError(f"the {config.backend} backend cannot host the volunteer station",
                                  "use the local backend")
        self.backend.check()
        require_station_tools()
        self.run_dir = _prepare_run_dir(Path(config.out), config.run_id or time.strftime("station-%Y%m%d-%H%M%S"))
        self.booths: dict[str, Booth] = {}
        self._next_seed = config.seed
        self._lock = threading.Lock()

    def booth_of(self, volunteer: str) -> Booth | None:
        return self.booths.get(volunteer)

    def open_booth(self, volunteer: str, consent_time: str) -> Booth:
        """A fresh sandbox for `volunteer` on the next seed (their previous booth must have ended)."""
        with self._lock:
            old = self.booths.get(volunteer)
            if old is not None and old.view().state not in ENDED:
                return old
            if sum(b.holds_sandbox for b in self.booths.values()) >= self.config.max_booths:
                raise CleantraceError("every sandbox of this station is in use", "try again in a few minutes")
            seed = self._next_seed
            self._next_seed += 1
        spec = EpisodeSpec(
            run_id=self.run_dir.name, episode_id=f"{self.task.id.replace('/', '--')}--s{seed}--{volunteer}",
            task=self.task.id, seed=seed, tasks_dir=str(self.registry.root.resolve()),
            settings=RecordingSettings(fps=self.config.fps, change_fps=self.config.change_fps,
                                       backend=self.config.backend),
            performer=VolunteerPerformer(id=volunteer, consent_version=consent.CONSENT_VERSION,
                                         consent_time=consent_time),
        )
        booth = Booth(spec, self.run_dir, self.backend, heartbeat_timeout=self.config.heartbeat_timeout,
                      max_seconds=self.config.max_seconds, on_sealed=self._catalog)
        booth.open()
        self.booths[volunteer] = booth
        return booth

    def close(self) -> None:
        """Abandon live episodes (kept as incomplete) and free every sandbox."""
        for booth in list(self.booths.values()):
            booth.close()

    def _catalog(self, booth: Booth, meta: Meta) -> None:
        """The catalog row of a kept episode (submitted, or incomplete after a disconnect: scanned here)."""
        row = catalog_row(booth.folder, meta)
        if meta.privacy.scan == "not_run":
            row = scan_sealed(booth.folder, row)
        else:
            row = row.model_copy(update={"privacy": meta.privacy.scan})
        with self._lock, open(self.run_dir / files.CATALOG, "a", encoding="utf-8") as f:
            f.write(files.dumps(row) + "\n")


def require_station_tools() -> None:
    """Raise a CleantraceError naming what the station needs and is missing."""
    import shutil

    for tool, package in (("x11vnc", "x11vnc"), ("websockify", "websockify")):
        if shutil.which(tool) is None:
            raise CleantraceError(f"{tool} is not installed", f"install it: apt-get install -y {package}")
    if not (NOVNC_DIR / "vnc_lite.html").exists():
        raise CleantraceError("noVNC is not installed", "install it: apt-get install -y novnc")


def create_station(config: StationConfig) -> tuple[Flask, Station]:
    """The station's Flask app and the Station behind it (call `station.close()` when done)."""
    station = Station(config)
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True)

    def volunteer() -> str | None:
        return session.get("volunteer") if session.get("consent") == consent.CONSENT_VERSION else None

    def booth_or_404() -> Booth:
        who = volunteer()
        booth = station.booth_of(who) if who else None
        if booth is None:
            abort(404)
        return booth

    @app.get("/")
    def index():
        if volunteer():
            return redirect(url_for("task_page"))
        return render_template("consent.html", consent=consent, task=station.task)

    @app.post("/consent")
    def give_consent():
        if request.form.get("agree") != "yes":
            return redirect(url_for("index"))
        session["volunteer"] = session.get("volunteer") or f"vol-{secrets.token_hex(6)}"
        session["consent"] = consent.CONSENT_VERSION
        session["consent_time"] = datetime.now(UTC).isoformat(timespec="seconds")
        return redirect(url_for("task_page"))

    @app.get("/task")
    def task_page():
        who = volunteer()
        if not who:
            return redirect(url_for("index"))
        booth = station.booth_of(who)
        if booth is None:
            try:
                booth = station.open_booth(who, session["consent_time"])
            except CleantraceError as exc:
                return render_template("ended.html", state="busy", message=str(exc)), 503
        state = booth.view().state
        if state in ("review", "blocked"):
            return redirect(url_for("review_page"))
        if state in ENDED:
            return redirect(url_for("ended_page"))
        host = request.host.rsplit(":", 1)[0]
        return render_template("task.html", booth=booth, host=host, instruction=_instruction(booth),
                               heartbeat_ms=max(200, int(config.heartbeat_timeout * 1000 / 4)))

    @app.post("/api/heartbeat")
    def heartbeat():
        booth = booth_or_404()
        view = booth.heartbeat()
        return jsonify({"state": view.state, "message": view.message, "instruction": _instruction(booth),
                        "episode": booth.spec.episode_id})

    @app.post("/api/<cmd>")
    def command(cmd: str):
        booth = booth_or_404()
        try:
            view = booth.command(cmd)
        except CleantraceError as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify({"state": view.state, "message": view.message})

    @app.get("/review")
    def review_page():
        from cleantrace.station.review import review_of

        booth = booth_or_404()
        view = booth.view()
        if view.state not in ("review", "blocked"):
            return redirect(url_for("ended_page" if view.state in ENDED else "task_page"))
        return render_template("review.html", view=view, review=review_of(booth.folder))

    @app.get("/review/frames/<name>")
    def review_frame(name: str):
        booth = booth_or_404()
        if booth.view().state not in ("review", "blocked"):
            abort(404)
        return send_from_directory(booth.folder / files.FRAMES_DIR, name)

    @app.post("/submit")
    def submit():
        booth_or_404().submit()
        return redirect(url_for("review_page" if booth_or_404().view().state == "blocked" else "ended_page"))

    @app.post("/discard")
    def discard():
        booth_or_404().command("discard")
        return redirect(url_for("ended_page"))

    @app.get("/ended")
    def ended_page():
        view = booth_or_404().view()
        if view.state not in ENDED:
            return redirect(url_for("task_page"))
        return render_template("ended.html", state=view.state, message=view.message)

    @app.post("/next")
    def next_task():
        who = volunteer()
        if not who:
            return redirect(url_for("index"))
        try:
            station.open_booth(who, session["consent_time"])
        except CleantraceError as exc:
            return render_template("ended.html", state="busy", message=str(exc)), 503
        return redirect(url_for("task_page"))

    return app, station


def serve_station(config: StationConfig, port: int = DEFAULT_PORT, on_ready=None) -> None:
    """Serve the station on 127.0.0.1:`port` until Ctrl-C; live episodes are then kept as incomplete."""
    from werkzeug.serving import make_server

    app, station = create_station(config)
    try:
        server = make_server("127.0.0.1", port, app, threaded=True)
    except OSError as exc:
        raise CleantraceError(f"cannot serve on 127.0.0.1:{port} ({exc.strerror or exc})",
                              "choose another --port") from None
    if on_ready:
        on_ready(f"http://127.0.0.1:{server.server_port}/", station)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        station.close()


def _instruction(booth: Booth) -> str:
    try:
        return Meta.model_validate_json((booth.folder / files.META).read_text()).instruction
    except (OSError, ValueError):  # not written yet, or being replaced right now
        return ""


def _prepare_run_dir(out: Path, run_id: str) -> Path:
    run_dir = out / run_id
    try:
        (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CleantraceError(f"output folder {out} is not writable ({exc.strerror or exc})",
                              "choose another --out") from None
    return run_dir.resolve()
