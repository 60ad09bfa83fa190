"""The station's web app (Flask): consent → task page with the sandbox's screen → review → submit.

Each volunteer (a random id in a signed cookie, never a name) gets their own booth: a fresh
sandbox with its own episode folder and control folder. The screen is a websocket on the station's
own origin (`/booth/ws`, bridged to the booth's x11vnc socket), so one port serves everything and a
TLS reverse proxy in front covers it all.
"""

from __future__ import annotations

import secrets
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Flask,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

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
from cleantrace.station.admin import register_admin
from cleantrace.station.booth import NOVNC_DIR, Booth
from cleantrace.station.campaign import WORKER_ID, Campaign, completion_code, read_invite
from cleantrace.station.store import Store, default_url
from cleantrace.station.viewer import bridge, check_public_url, origin_of
from cleantrace.trace import files
from cleantrace.trace.schema import Meta
from cleantrace.trace.seal import catalog_row, discard_targets

DEFAULT_PORT = 8600
ENDED = ("submitted", "discarded", "incomplete")
GONE = ("discarded", "withdrawn", "deleted")  # episodes no longer on disk
SWEEP_EVERY = 600.0  # seconds between two retention sweeps
WORKER_PARAMS = ("workerId", "PROLIFIC_PID", "worker_id", "participant")  # what crowd platforms append


@dataclass
class StationConfig:
    """What a station serves and where its traces go: one task (seeds counting up), or a campaign."""

    task: str | None = None
    out: Path = Path("runs")
    seed: int = 0
    run_id: str | None = None
    tasks_dir: Path | None = None
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT_S  # seconds without a heartbeat before an episode is abandoned
    max_seconds: float = VOLUNTEER_TIMEOUT_S  # an episode's sandbox is freed after this long, whatever happens
    max_booths: int = 4  # sandboxes at once (one per volunteer)
    max_per_ip: int = 2  # live booths from one address
    invite_hours: float = 72.0  # an invitation link is valid this long
    retention_hours: float = 24.0  # blocked, abandoned (incomplete) and rejected episodes are deleted after this
    fps: float = DEFAULT_FPS
    change_fps: float = DEFAULT_CHANGE_FPS
    backend: str = DEFAULT_BACKEND  # a backend whose capabilities include the volunteer station
    image: str | None = None  # its container image, for a backend that uses one
    public_url: str | None = None  # what volunteers open (e.g. https://station.example.com/ behind a TLS proxy)
    db_url: str | None = None  # SQLAlchemy URL of the station's database (default: sqlite <out>/station.sqlite)
    campaign: Campaign | None = None


class Waiting(Exception):
    """Every sandbox is in use: the volunteer is in the waiting room, at `position` (1 = next)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"waiting: position {position}")
        self.position = position


class NothingLeft(Exception):
    """The campaign has no more tasks for this volunteer (their quota is done, or the campaign's)."""


class Station:
    """The booths of one station run, one per volunteer at a time, the waiting room, and the run's catalog."""

    def __init__(self, config: StationConfig) -> None:
        from cleantrace.sandbox.backends import backend_named
        from cleantrace.tasks import load_registry

        if (config.task is None) == (config.campaign is None):
            raise CleantraceError("a station serves one task or one campaign", "pass --task TASK or --campaign FILE")
        if config.public_url:
            check_public_url(config.public_url)
        self.config = config
        self.registry = load_registry(config.tasks_dir)
        self.campaign = config.campaign
        if self.campaign is not None:
            self.slots = self.campaign.slots(sorted(self.registry.tasks))
            for task_id in {t for t, _ in self.slots}:
                self.registry.get(task_id)
        else:
            self.registry.get(config.task)
        self.backend = backend_named(config.backend, config.image)
        if not self.backend.capabilities.volunteer:
            raise CleantraceError(f"the {config.backend} backend cannot host the volunteer station",
                                  "use the local backend")
        self.backend.check(volunteer=True)
        require_station_tools()
        self.run_dir = _prepare_run_dir(Path(config.out), config.run_id or time.strftime("station-%Y%m%d-%H%M%S"))
        self.store = Store(config.db_url or default_url(Path(config.out)))
        if self.campaign is not None:
            self.store.add_campaign(self.campaign.id, self.campaign.model_dump_json())
        self.recovered = self._recover()
        self.booths: dict[str, Booth] = {}
        self.queue: dict[str, float] = {}  # the waiting room: volunteer → when they last asked (in order of arrival)
        self._next_seed = config.seed
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._sweeper, name="retention", daemon=True).start()

    def _sweeper(self) -> None:
        """Apply the retention now and every few minutes until the station closes."""
        while True:
            with suppress(Exception):  # a failed sweep is retried at the next round
                self.sweep()
            if self._closed.wait(SWEEP_EVERY):
                return

    def expected_start(self) -> int:
        """Seconds a sandbox took to come up here (median of this run's booths; 20 before the first)."""
        import statistics

        seen = [b.ready_after for b in self.booths.values() if b.ready_after is not None]
        return round(statistics.median(seen)) if seen else 20

    def position(self, volunteer: str) -> int:
        """Where `volunteer` is in the waiting room (1 = next), 0 when not waiting."""
        with self._lock:
            order = list(self.queue)
        return order.index(volunteer) + 1 if volunteer in order else 0

    def booth_of(self, volunteer: str) -> Booth | None:
        return self.booths.get(volunteer)

    def key(self, booth: Booth) -> str:
        """The episode's id in the database: run and episode (unique across restarts)."""
        return f"{self.run_dir.name}/{booth.spec.episode_id}"

    def open_booth(self, volunteer: str, consent_time: str, ip: str = "") -> Booth:
        """A fresh sandbox for `volunteer` on their next task and seed (their previous booth must have ended).

        Raises Waiting when every sandbox is in use (the volunteer joins the waiting room), NothingLeft when
        the campaign has nothing more for them, CleantraceError when their address already holds its booths."""
        with self._lock:
            old = self.booths.get(volunteer)
            if old is not None and old.view().state not in ENDED:
                return old
            live_here = [b for who, b in self.booths.items() if who != volunteer and b.ip == ip
                         and (b.holds_sandbox or b.view().state not in ENDED)]
            if ip and len(live_here) >= self.config.max_per_ip:
                raise CleantraceError(f"{len(live_here)} tasks are already open from your address",
                                      "finish one of them first")
            task_id, seed = self._next_task(volunteer)
            self._admit(volunteer)
        spec = EpisodeSpec(
            **self.registry.get(task_id).sandbox_fields(),
            run_id=self.run_dir.name, episode_id=f"{task_id.replace('/', '--')}--s{seed}--{volunteer}",
            task=task_id, seed=seed, tasks_dir=str(self.registry.root.resolve()),
            settings=RecordingSettings(fps=self.config.fps, change_fps=self.config.change_fps,
                                       backend=self.config.backend),
            performer=VolunteerPerformer(id=volunteer, consent_version=consent.CONSENT_VERSION,
                                         consent_time=consent_time),
        )
        limit = self.campaign.time_limit if self.campaign else self.config.max_seconds
        booth = Booth(spec, self.run_dir, self.backend, heartbeat_timeout=self.config.heartbeat_timeout,
                      max_seconds=limit, on_sealed=self._catalog, on_change=self._changed)
        booth.ip = ip
        self.store.open_episode(booth.token, self.key(booth), booth.folder, volunteer, spec.task, seed)
        if self.campaign is not None:
            self.store.assign(self.campaign.id, volunteer, task_id, seed, self.key(booth))
        with self._lock:
            self.booths[volunteer] = booth
        booth.open()
        return booth

    def _admit(self, volunteer: str) -> None:
        """Take a sandbox for `volunteer` if one is free and nobody waits before them; else raise Waiting."""
        now = time.monotonic()
        stale = [who for who, seen in self.queue.items() if now - seen > 2 * self.config.heartbeat_timeout]
        for who in stale:  # their page went away
            del self.queue[who]
        self.queue.setdefault(volunteer, now)
        self.queue[volunteer] = now
        order = list(self.queue)
        free = self.config.max_booths - sum(b.holds_sandbox for b in self.booths.values())
        position = order.index(volunteer) + 1
        if position > free:
            raise Waiting(position - max(free, 0))
        del self.queue[volunteer]

    def _next_task(self, volunteer: str) -> tuple[str, int]:
        """The task and seed `volunteer` performs next (a campaign's first open slot they have not done)."""
        if self.campaign is None:
            seed = self._next_seed
            self._next_seed += 1
            return self.config.task, seed
        rows = self.store.assignments(self.campaign.id)
        counting = [r for r in rows if r["state"] not in ("discarded", "incomplete") and r["decision"] != "rejected"]
        mine = [r for r in rows if r["volunteer_id"] == volunteer and r["state"] != "discarded"]
        if len(mine) >= self.campaign.max_per_volunteer:
            raise NothingLeft(f"you did the {self.campaign.max_per_volunteer} tasks one person may do")
        done_by_me = {(r["task"], r["seed"]) for r in mine}
        for slot in self.slots:
            taken = sum((r["task"], r["seed"]) == slot for r in counting)
            if taken < self.campaign.quota and slot not in done_by_me:
                return slot
        raise NothingLeft("every task of this campaign is done")

    def _changed(self, booth: Booth) -> None:
        self.store.set_state(self.key(booth), booth.state, booth.message, booth.seconds_recorded)

    def _recover(self) -> list[str]:
        """Seal what a previous station process left live (killed without a chance to), and mark what it left
        awaiting the volunteer's Submit as abandoned (then the retention deletes it); those episodes."""
        from cleantrace.spec import DEFAULT_SCREEN, PlaceholderMeta
        from cleantrace.trace.seal import seal_incomplete

        why = "the station stopped before the episode was sealed (found at the next start)"
        found = []
        for row in self.store.interrupted():
            folder = Path(row["folder"])
            meta = folder / files.META
            running = not meta.exists() or Meta.model_validate_json(meta.read_text()).outcome.status == "running"
            if folder.is_dir() and running:
                seal_incomplete(folder, why, PlaceholderMeta(
                    run_id=folder.parent.name, episode_id=folder.name, task=row["task"], seed=row["seed"],
                    persona="human", performer="volunteer", performer_id=row["volunteer_id"],
                    backend=self.config.backend, screen=DEFAULT_SCREEN))
            self.store.set_state(row["id"], "incomplete", why)
            found.append(row["id"])
        unsent = "the station stopped before the volunteer submitted it (deleted after the retention time)"
        for row in self.store.episodes():  # sealed, never submitted: nobody can submit them any more
            if row["state"] in ("review", "checking"):
                self.store.set_state(row["id"], "incomplete", unsent)
                found.append(row["id"])
        return found

    def withdraw(self, volunteer: str) -> list[str]:
        """The volunteer withdrew consent: end their booth, delete every episode of theirs (folders, catalog
        rows, review decisions), close their consent, and write an audit row; the deleted episodes."""
        booth = self.booths.get(volunteer)
        if booth is not None:
            booth.close("the volunteer withdrew consent")
        deleted = [row["id"] for row in self.store.episodes(volunteer) if row["state"] not in GONE]
        for key in deleted:
            self._delete(key, "withdrawn")
        self.store.withdraw(volunteer, deleted)
        return deleted

    def sweep(self) -> list[str]:
        """Delete blocked, abandoned (incomplete) and rejected episodes older than the retention time."""
        from datetime import timedelta

        cutoff = (datetime.now(UTC) - timedelta(hours=self.config.retention_hours)).isoformat(timespec="seconds")
        decided = self.store.decisions()
        live = {self.key(b) for b in self.booths.values() if b.view().state not in ENDED + ("blocked",)}
        old = [row for row in self.store.episodes() if row["updated"] <= cutoff and row["id"] not in live]
        expired = [row["id"] for row in old if row["state"] in ("blocked", "incomplete") or (
            row["state"] == "submitted" and decided.get(row["id"], {}).get("decision") == "rejected")]
        for key in expired:
            self._delete(key, "deleted")
            self.store.log("station", "retention", key, f"older than {self.config.retention_hours:g} h")
        return expired

    def _delete(self, key: str, state: str) -> None:
        """Remove an episode everywhere on disk (its folder, its catalog row, its review) and mark it `state`."""
        import json
        import shutil

        from cleantrace.station.admin import write_reviews

        row = self.store.episode(key)
        folder = Path(row["folder"])
        shutil.rmtree(folder, ignore_errors=True)
        catalog = folder.parent / files.CATALOG
        with self._lock:
            if catalog.exists():
                kept = [line for line in catalog.read_text(encoding="utf-8").splitlines()
                        if line.strip() and json.loads(line).get("episode_id") != folder.name]
                tmp = catalog.with_name(catalog.name + ".tmp")
                tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
                tmp.replace(catalog)
        self.store.set_state(key, state, "")
        if folder.parent.exists():
            write_reviews(folder.parent, self.store, dropped=folder.name)

    def close(self, reason: str = "the station shut down") -> None:
        """Abandon live episodes (sealed `incomplete` with `reason`) and free every sandbox, all at once."""
        closers = [threading.Thread(target=booth.close, args=(reason,), daemon=True) for booth in self.booths.values()]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(120)
        self._closed.set()
        self.store.close()

    def _catalog(self, booth: Booth, meta: Meta) -> None:
        """The catalog row of a kept episode (submitted, or incomplete after a disconnect: scanned here)."""
        discard_targets(booth.folder)
        row = catalog_row(booth.folder, meta)
        if meta.privacy.scan == "not_run":
            row = scan_sealed(booth.folder, row)
        else:
            row = row.model_copy(update={"privacy": meta.privacy.scan})
        with self._lock, open(self.run_dir / files.CATALOG, "a", encoding="utf-8") as f:
            f.write(files.dumps(row) + "\n")


def require_station_tools() -> None:
    """Raise a CleantraceError naming what the station itself needs and is missing (x11vnc is the backend's:
    `Backend.check(volunteer=True)`)."""
    if not (NOVNC_DIR / "core" / "rfb.js").exists():
        raise CleantraceError("noVNC is not installed", "install it: apt-get install -y novnc")


def create_station(config: StationConfig) -> tuple[Flask, Station]:
    """The station's Flask app and the Station behind it (call `station.close()` when done)."""
    station = Station(config)
    app = Flask(__name__)
    app.secret_key = station.store.signing_key()  # the same at every start: sessions survive a restart
    if config.public_url:  # behind one reverse proxy: its X-Forwarded-For is the volunteer's address
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    secure = bool(config.public_url and config.public_url.startswith("https:"))
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=secure)

    def volunteer() -> str | None:
        """The session's volunteer, if their consent stands (it may have been withdrawn since)."""
        who = session.get("volunteer") if session.get("consent") == consent.CONSENT_VERSION else None
        return who if who and station.store.consented(who) else None

    def my_booth() -> Booth | None:
        """The booth this session was given (its token must match: an older cookie opens nothing)."""
        who = volunteer()
        booth = station.booth_of(who) if who else None
        if booth is None or not secrets.compare_digest(session.get("booth", ""), booth.token):
            return None
        return booth

    def booth_or_404() -> Booth:
        booth = my_booth()
        if booth is None:
            abort(404)
        return booth

    def open_booth(who: str):
        """The volunteer's next booth (then its token goes into their session), or where to send them. A booth
        still live for this volunteer in another browser stays that browser's: a worker id in a link is no
        secret, so knowing it must not let anyone into the screen, commands or recording of that booth."""
        live = station.booth_of(who)
        if live is not None and live.view().state not in ENDED:
            return make_response(render_template("ended.html", state="busy", message="your task is open in another "
                                                 "browser or tab: please finish it there (or wait until it ends)"), 409)
        try:
            booth = station.open_booth(who, session["consent_time"], request.remote_addr or "")
        except Waiting:
            return redirect(url_for("waiting_room"))
        except NothingLeft as exc:
            session["finished"] = str(exc)
            return redirect(url_for("finished_page"))
        except CleantraceError as exc:
            return make_response(render_template("ended.html", state="busy", message=str(exc)), 429)
        session["booth"] = booth.token
        session["worked"] = who  # this browser did work as them: it may see their completion code
        return booth

    def shown_code(who: str) -> str | None:
        """The volunteer's completion code, shown only to a browser that worked as them: a worker id in a link
        is no secret, so opening the link must not reveal the code that proves who they are."""
        if station.campaign is None or session.get("worked") != who:
            return None
        return completion_code(app.secret_key, station.campaign.id, who)

    def proves_withdrawal(who: str) -> bool:
        """Whether this request may withdraw the volunteer's consent: a crowd or invited worker (whose id anyone
        may know) proves it with their completion code, shown only to them; a browser volunteer's id is a
        random one only their own session holds."""
        if station.campaign is None or not station.store.worker_of(who):
            return True
        typed = request.form.get("code", "").strip().upper()
        return secrets.compare_digest(typed, completion_code(app.secret_key, station.campaign.id, who))

    def allowed_origin() -> str:
        if config.public_url:
            return origin_of(config.public_url)
        return f"{request.environ['wsgi.url_scheme']}://{request.host}".lower()  # (host_url says ws:// here)

    register_admin(app, station)
    app.context_processor(lambda: {"needs_code": station.campaign is not None})  # withdrawing asks for the code

    @app.get("/")
    def index():
        if volunteer():
            return redirect(url_for("task_page"))
        if station.campaign is not None and not session.get("worker"):
            return render_template("ended.html", state="link", message="Please open the link you were given "
                                   "(it carries your worker id)."), 403
        return render_template("consent.html", consent=consent, what=_what(station))

    @app.get("/c/<campaign_id>")
    def crowd_link(campaign_id: str):
        """A crowd platform's link: /c/<campaign>?workerId=… (or PROLIFIC_PID, worker_id, participant)."""
        if station.campaign is None or campaign_id != station.campaign.id:
            return render_template("ended.html", state="link", message=f"unknown campaign {campaign_id!r}: "
                                   "please check the link you were given"), 404
        worker = next((request.args[k] for k in WORKER_PARAMS if request.args.get(k)), "")
        if not WORKER_ID.fullmatch(worker):
            return render_template("ended.html", state="link", message="this link has no valid worker id: "
                                   "please open it from the platform that sent you"), 400
        if session.get("worker") != worker:  # another worker in this browser: start over as them
            session.clear()
            session["worker"] = worker
        return redirect(url_for("index"))

    @app.get("/i/<token>")
    def invite_link(token: str):
        """An invitation made with `cleantrace station invite`: signed by the station, valid for a while."""
        try:
            campaign_id, worker = read_invite(app.secret_key, token, config.invite_hours * 3600)
        except CleantraceError as exc:
            return render_template("ended.html", state="link", message=str(exc)), 403
        if not WORKER_ID.fullmatch(worker):  # signed by this station, so only an older cleantrace made it
            return render_template("ended.html", state="link", message="this invitation has no valid worker id: "
                                   "please ask for a new link"), 400
        if station.campaign is None or campaign_id != station.campaign.id:
            return render_template("ended.html", state="link", message=f"unknown campaign {campaign_id!r}"), 404
        if session.get("worker") != worker:
            session.clear()
            session["worker"] = worker
        return redirect(url_for("index"))

    @app.post("/consent")
    def give_consent():
        if request.form.get("agree") != "yes":
            return redirect(url_for("index"))
        worker = session.get("worker")
        if station.campaign is not None and not worker:
            return redirect(url_for("index"))
        known = station.store.volunteer_of_worker(worker) if worker else None
        session["volunteer"] = known or session.get("volunteer") or new_volunteer_id()
        session["consent"] = consent.CONSENT_VERSION
        session["consent_time"] = datetime.now(UTC).isoformat(timespec="seconds")
        station.store.add_volunteer(session["volunteer"], "crowd" if worker else "browser", worker)
        station.store.add_consent(session["volunteer"], consent.CONSENT_VERSION, session["consent_time"])
        return redirect(url_for("task_page"))

    @app.get("/wait")
    def waiting_room():
        if not volunteer():
            return redirect(url_for("index"))
        return render_template("wait.html", heartbeat_ms=max(500, int(config.heartbeat_timeout * 1000 / 4)))

    @app.post("/api/wait")
    def waiting_turn():
        """The waiting room's poll: a booth once it is this volunteer's turn, else their position."""
        who = volunteer()
        if not who:
            abort(404)
        booth = my_booth()
        if booth is not None and booth.view().state not in ENDED:
            return jsonify({"go": url_for("task_page")})
        opened = open_booth(who)
        if isinstance(opened, Booth):
            return jsonify({"go": url_for("task_page")})
        if opened.status_code == 302 and opened.location.endswith("/finished"):
            return jsonify({"go": url_for("finished_page")})
        if opened.status_code in (409, 429):  # refused: the task page says why
            return jsonify({"go": url_for("task_page")})
        return jsonify({"position": station.position(who), "expected_start": station.expected_start()})

    @app.post("/withdraw")
    def withdraw():
        """The volunteer withdraws consent: every episode of theirs is deleted, everywhere."""
        who = volunteer()
        if not who:
            return redirect(url_for("index"))
        if not proves_withdrawal(who):
            station.store.log(who, "withdraw-refused", who, f"no matching completion code (from "
                              f"{request.remote_addr or 'unknown address'}): nothing deleted")
            return render_template("ended.html", state="refused", code=shown_code(who), message=(
                "error: that is not your completion code — type the code shown on your receipt (the one you "
                "pasted into the platform that sent you); nothing was deleted")), 403
        deleted = station.withdraw(who)
        session.clear()
        return render_template("ended.html", state="withdrawn",
                               message=f"Your consent is withdrawn and your {len(deleted)} recording(s) are deleted.")

    @app.get("/finished")
    def finished_page():
        who = volunteer()
        if not who or station.campaign is None:
            return redirect(url_for("index"))
        return render_template("finished.html", code=shown_code(who), why=session.get("finished", ""))

    @app.get("/task")
    def task_page():
        who = volunteer()
        if not who:
            return redirect(url_for("index"))
        booth = my_booth()
        if booth is None:
            booth = open_booth(who)
            if not isinstance(booth, Booth):
                return booth
        state = booth.view().state
        if state in ("review", "blocked"):
            return redirect(url_for("review_page"))
        if state in ENDED:
            return redirect(url_for("ended_page"))
        return render_template("task.html", booth=booth, instruction=_instruction(booth),
                               expected_start=station.expected_start(),
                               heartbeat_ms=max(200, int(config.heartbeat_timeout * 1000 / 4)))

    @app.route("/booth/ws", websocket=True)
    def viewer_socket():
        """The booth's screen: refused (403) without this booth's session, from another Origin, for a
        second viewer or a booth that is not live; otherwise bridged to x11vnc until it closes."""
        if request.headers.get("Origin", "").lower() != allowed_origin():
            return Response("refused: wrong origin", 403)
        booth = my_booth()
        if booth is None or not station.store.session_open(booth.token):
            return Response("refused: no booth for this session", 403)
        why = booth.attach_viewer()
        if why:
            return Response(f"refused: {why}", 409)
        try:
            bridge(request.environ, booth.vnc_socket)
        except OSError:
            return Response("refused: the booth's screen is not up", 409)
        finally:
            booth.detach_viewer()
        return Response()

    @app.get("/novnc/<path:name>")
    def novnc(name: str):
        if not name.startswith(("core/", "vendor/")):
            abort(404)
        return send_from_directory(NOVNC_DIR, name)

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
        if view.state not in ("review", "blocked", "checking"):
            return redirect(url_for("ended_page" if view.state in ENDED else "task_page"))
        return render_template("review.html", view=view, review=review_of(booth.folder))

    @app.get("/review/frames/<name>")
    def review_frame(name: str):
        booth = booth_or_404()
        if booth.view().state not in ("review", "blocked", "checking"):
            abort(404)
        return send_from_directory(booth.folder / files.FRAMES_DIR, name)

    @app.post("/submit")
    def submit():
        """Start the privacy scan and return at once: the review page shows its progress."""
        view = booth_or_404().submit_in_background()
        if request.headers.get("Accept") == "application/json":
            return jsonify({"state": view.state, "message": view.message})
        return redirect(url_for("review_page"))

    @app.post("/discard")
    def discard():
        booth_or_404().command("discard")
        return redirect(url_for("ended_page"))

    @app.get("/ended")
    def ended_page():
        booth = booth_or_404()
        view = booth.view()
        if view.state not in ENDED:
            return redirect(url_for("task_page"))
        return render_template("ended.html", state=view.state, message=view.message, receipt=booth.spec.episode_id,
                               code=shown_code(volunteer() or ""))

    @app.post("/next")
    def next_task():
        who = volunteer()
        if not who:
            return redirect(url_for("index"))
        opened = open_booth(who)
        return redirect(url_for("task_page")) if isinstance(opened, Booth) else opened

    return app, station


def serve_station(config: StationConfig, port: int = DEFAULT_PORT, on_ready=None, host: str = "127.0.0.1") -> str:
    """Serve the station on `host`:`port` until SIGTERM or SIGINT (Ctrl-C), then seal every live episode
    `incomplete` with the signal as the reason, stop every sandbox, close the port; returns the reason."""
    import signal

    from werkzeug.serving import make_server

    _check_bindable(host, port)
    app, station = create_station(config)
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug prints its own message and exits on some bind errors
        station.close()
        raise CleantraceError(f"cannot serve on {host}:{port} ({getattr(exc, 'strerror', None) or exc})",
                              "choose another --port or --host") from None
    server.daemon_threads = True
    stopped: list[str] = []

    def stop(signum, _frame) -> None:
        if not stopped:
            stopped.append(f"the station shut down ({signal.Signals(signum).name})")
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    if on_ready:
        on_ready(f"http://{host}:{server.server_port}/", station)
    try:
        server.serve_forever()
    finally:
        server.server_close()  # no listening port from here on
        station.close(stopped[0] if stopped else "the station shut down")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return stopped[0] if stopped else ""


def new_volunteer_id() -> str:
    """A pseudonymous `vol-<hex>` the privacy scan cannot take for personal data: about 1 in 140 random ids
    reads as a street address or postcode (`vol-09bffb667eaa`), which would block every episode of that
    volunteer (the id is in meta.json); such an id is drawn again."""
    from cleantrace.privacy.canaries import canary_pattern, host_canaries
    from cleantrace.privacy.detect import find_identifiers

    canaries = canary_pattern(host_canaries())
    while True:
        candidate = f"vol-{secrets.token_hex(6)}"
        if not any(find_identifiers(text, canaries) for text in (candidate, f"task--s0--{candidate}")):
            return candidate


def _check_bindable(host: str, port: int) -> None:
    """A one-line error, before any sandbox or database is touched, when `host`:`port` cannot be listened on."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:
        raise CleantraceError(f"cannot serve on {host}:{port} ({exc.strerror or exc})",
                              "choose another --port, or a --host this machine has (e.g. 127.0.0.1)") from None


def _what(station: Station) -> str:
    """What the consent page says the volunteer will do."""
    if station.campaign is None:
        return f"a short task ({station.config.task})"
    tasks = sorted({t for t, _ in station.slots})
    shown = ", ".join(tasks[:5]) + ("…" if len(tasks) > 5 else "")
    return f"up to {station.campaign.max_per_volunteer} short tasks ({shown})"


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
