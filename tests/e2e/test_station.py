"""End to end: the volunteer station serving real sandboxes; volunteers played through a real VNC
client (vncdotool over the station's own viewer websocket, as a browser's noVNC) and a real browser
(Playwright on the station page + noVNC); strangers, stolen or stale cookies and wrong origins refused."""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest
import requests

from cleantrace.station.app import StationConfig, create_station
from cleantrace.station.consent import CONSENT_VERSION
from cleantrace.station.relay import Refused, Relay
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.conftest import TASKS_DIR

pytestmark = pytest.mark.e2e
TASK = "crm/set-lead-status"
HEARTBEAT_TIMEOUT = 4.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tls_proxy(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and a way to start Debian's nginx in front of a station."""
    import shutil
    import subprocess

    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed (scripts/install.sh installs it)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    started = []

    def start(port: int, upstream: str) -> None:
        from cleantrace.station.proxy import standalone_config

        conf = folder / "nginx.conf"
        conf.write_text(standalone_config(f"127.0.0.1:{port}", cert, key, upstream, folder))
        proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(folder)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(proc)
        deadline = time.monotonic() + 30
        while True:
            with suppress(requests.RequestException):
                requests.get(f"https://127.0.0.1:{port}/", verify=str(cert), timeout=5)
                return
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not come up"
            time.sleep(0.1)

    yield cert, start
    for proc in started:
        proc.terminate()
        proc.wait(10)


CAMPAIGN = "e2e"


@pytest.fixture(scope="module")
def station(tmp_path_factory, tls_proxy):
    """A campaign station for crm/set-lead-status behind nginx (TLS, a self-signed certificate) on loopback;
    yields (public https url, Station). The station itself listens on another loopback port."""
    from werkzeug.serving import make_server

    from cleantrace.station.campaign import Campaign

    cert, start_proxy = tls_proxy
    out = tmp_path_factory.mktemp("station")
    port = _free_port()
    public = f"https://127.0.0.1:{port}"
    campaign = Campaign(id=CAMPAIGN, tasks=[TASK], seeds="0-99", quota=1, max_per_volunteer=20,
                        pay_per_episode=0.5)
    config = StationConfig(campaign=campaign, out=out, run_id="vol", tasks_dir=TASKS_DIR,
                           heartbeat_timeout=HEARTBEAT_TIMEOUT, fps=2.0, public_url=public + "/", max_per_ip=8)
    app, st = create_station(config)
    st.ca_file, st.test_config = str(cert), config  # for the test's volunteers (they trust the certificate)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    start_proxy(port, f"127.0.0.1:{server.server_port}")
    yield public, st
    server.shutdown()
    st.close()


WORKERS = iter(range(1, 1000))


class Volunteer:
    """A volunteer's browser session against the station's HTTP API, with a heartbeat like the page's;
    through a campaign's crowd link (a new worker id each) when the station serves a campaign."""

    def __init__(self, url: str, station) -> None:
        self.url, self.station = url, station
        self.http = requests.Session()
        self.http.trust_env = False  # else REQUESTS_CA_BUNDLE overrides the session's own certificate
        self.http.verify = getattr(station, "ca_file", True)
        self.worker = f"worker-{next(WORKERS)}" if getattr(station, "campaign", None) else None
        self._beating = threading.Event()
        self._thread: threading.Thread | None = None

    def consent(self) -> None:
        if self.worker:
            assert self.http.get(f"{self.url}/c/{CAMPAIGN}?workerId={self.worker}").status_code == 200
        page = self.http.get(self.url + "/")
        assert CONSENT_VERSION in page.text and "What is not recorded" in page.text
        task = self.http.post(self.url + "/consent", data={"agree": "yes"})  # follows to /task: opens a booth
        assert task.status_code == 200 and "/booth/ws" in task.text
        self.start_heartbeat()

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())

    def viewer(self, origin: str | None = None, cookie: str | None = None) -> Relay:
        """Open the booth's screen as the page does: the station's websocket, this session's cookie."""
        import ssl

        tls = ssl.create_default_context(cafile=self.http.verify) if isinstance(self.http.verify, str) else None
        return Relay(self.url.replace("http", "ws", 1) + "/booth/ws",
                     self.cookie if cookie is None else cookie, self.url if origin is None else origin, tls)

    def start_heartbeat(self) -> None:
        self._beating.set()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:  # the volunteer's page goes away
        self._beating.clear()

    def _beat(self) -> None:
        beat = requests.Session()
        beat.trust_env, beat.verify = False, self.http.verify
        beat.cookies.update(self.http.cookies)
        while self._beating.is_set():
            with suppress(requests.RequestException):  # the station may be shutting down
                beat.post(self.url + "/api/heartbeat")
            time.sleep(0.5)

    @property
    def booth(self):
        episode = self.http.post(self.url + "/api/heartbeat").json()["episode"]
        (booth,) = [b for b in self.station.booths.values() if b.spec.episode_id == episode]
        return booth

    def state(self) -> str:
        return self.http.post(self.url + "/api/heartbeat").json()["state"]

    def wait_state(self, *states: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while (state := self.state()) not in states:
            assert time.monotonic() < deadline, f"still {state}, expected {states}"
            time.sleep(0.2)
        return state

    def press(self, cmd: str) -> dict:
        return self.http.post(f"{self.url}/api/{cmd}").json()


def layout_of(seed: int, lead: str) -> dict[str, tuple[float, float]]:
    """Screen centres of what the volunteer must click, as a person sees them: the same app with the
    same seeded data, rendered at the sandbox's screen size (kiosk window: page = screen pixels)."""
    import tempfile

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from cleantrace.tasks import load_registry
    from cleantrace.world import World

    pack = load_registry(TASKS_DIR).pack_of(load_registry(TASKS_DIR).get(TASK))
    with tempfile.TemporaryDirectory() as tmp:
        world = World(seed, Path(tmp) / "world.sqlite")
        app_module = pack.load_app_module()
        app_module.populate(world)
        world.close()
        server = make_server("127.0.0.1", 0, app_module.create_app(Path(tmp) / "world.sqlite"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                # the sandbox's headed window draws a classic 15 px scrollbar on the long list, which
                # narrows the page (a long name wraps, the rows below move down); headless has none
                page = browser.new_page(viewport={"width": 1280 - 15, "height": 800})
                page.goto(f"http://127.0.0.1:{server.server_port}/")
                centres = {"lead": page.get_by_role("link", name=lead).bounding_box()}
                page.get_by_role("link", name=lead).click()
                centres["status"] = page.get_by_label("Status").bounding_box()
                centres["notes"] = page.get_by_label("Notes").bounding_box()
                centres["save"] = page.get_by_role("button", name="Save").bounding_box()
                browser.close()
        finally:
            server.shutdown()
    return {k: (b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for k, b in centres.items()}


def glide(vnc, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """Move the VNC pointer from start to end in small steps, then rest (as a hand does before a click)."""
    for k in range(1, steps + 1):
        vnc.mouseMove(round(start[0] + (end[0] - start[0]) * k / steps),
                      round(start[1] + (end[1] - start[1]) * k / steps))
        time.sleep(0.02)
    time.sleep(0.4)


def perform_through_vnc(url, st, *, note: str | None = None):
    """A volunteer gives consent, then performs the task through a VNC client: Start, click the lead,
    pick the status, Pause (and try to act), Resume, optionally type a note, Save, Done."""
    from vncdotool import api

    me = Volunteer(url, st)
    me.consent()
    assert me.wait_state("ready") == "ready"
    booth = me.booth
    meta = json.loads((booth.folder / files.META).read_text())
    centres = layout_of(meta["seed"], meta["params"]["lead"])

    screen = me.viewer()
    vnc = api.connect(screen.address, password=None)
    try:
        vnc.mouseMove(40, 700)  # before Start: the sandbox ignores the volunteer's input
        time.sleep(0.3)
        assert me.press("start")["state"] == "recording"
        glide(vnc, (640, 600), centres["lead"])
        vnc.mousePress(1)
        time.sleep(1.5)  # the lead's page loads
        glide(vnc, centres["lead"], centres["status"])
        vnc.mousePress(1)  # opens the native list; typing the first letter picks the status, Enter takes it
        time.sleep(0.5)
        vnc.keyPress(meta["params"]["status"][0].lower())
        time.sleep(0.3)
        vnc.keyPress("enter")
        time.sleep(0.5)
        assert me.press("pause")["state"] == "paused"
        vnc.mouseMove(1234, 777)  # while paused: not let through, not recorded
        time.sleep(0.5)
        assert me.press("resume")["state"] == "recording"
        if note is not None:
            glide(vnc, centres["status"], centres["notes"])
            vnc.mousePress(1)
            time.sleep(0.3)
            for char in note:
                vnc.keyPress(char)
                time.sleep(0.03)
        glide(vnc, centres["status" if note is None else "notes"], centres["save"])
        vnc.mousePress(1)
        time.sleep(1.0)
        refused_while_viewing(me)
    finally:
        vnc.disconnect()
        screen.close()
    assert me.press("done")["state"] == "review"
    return me, booth, centres


def refused(me: Volunteer, **how) -> str:
    """The station's answer to a viewer that must be refused (fails if it is let in)."""
    try:
        relay = me.viewer(**how)
    except Refused as exc:
        return str(exc)
    relay.close()
    raise AssertionError(f"a viewer was let in: {how}")


def refused_while_viewing(me: Volunteer) -> None:
    """While the volunteer watches their booth: a second viewer with their own cookie, a stranger with no
    session, and their cookie from another origin are all refused before any byte reaches x11vnc."""
    refused(me)  # one viewer per booth
    refused(me, cookie="")
    refused(me, cookie="session=forged.value.sig")
    refused(me, origin="http://evil.test")
    refused(me, origin="null")


@pytest.fixture(scope="module")
def performed(station):
    url, st = station
    me, booth, centres = perform_through_vnc(url, st)
    yield me, booth, centres
    me.stop_heartbeat()


def test_the_volunteer_trace_is_valid_successful_and_came_through_vnc(performed):
    me, booth, centres = performed
    reports = validate_run(booth.folder)
    assert reports[0].ok, reports[0].problems
    trace = read_episode(booth.folder)
    assert trace.meta.outcome.status == "success" and trace.meta.outcome.success
    assert trace.meta.performer.kind == "volunteer" and trace.meta.performer.id == booth.spec.performer.id
    assert trace.meta.performer.id.startswith("vol-")
    assert trace.meta.consent.version == CONSENT_VERSION and trace.meta.consent.time
    # the events are the ones the VNC client sent; none from before Start or while paused
    points = {(e.x, e.y) for e in trace.events}
    assert (round(centres["lead"][0]), round(centres["lead"][1])) in points  # where the client pressed
    assert (40, 700) not in points and (1234, 777) not in points
    kinds = [a.kind for a in trace.actions]
    assert kinds.count("click") >= 3 and "key" in kinds, kinds
    clicks = [a for a in trace.actions if a.kind == "click"]
    assert clicks[0].target is not None and clicks[0].target.name == trace.meta.params["lead"]  # grounded (CDP)
    assert sorted(p.name for p in booth.folder.iterdir()) == sorted(
        [files.META, files.EVENTS, files.ACTIONS, files.FRAMES, files.FRAMES_DIR, files.LABELS,
         files.LABELS_DIR])  # only the trace (the screen labelled where the volunteer rested)
    assert not booth.control_dir.exists()


def test_the_review_shows_the_check_and_the_frames(station, performed):
    url, _ = station
    me, booth, _ = performed
    review = me.http.get(url + "/review")
    assert review.status_code == 200 and "check passed" in review.text and "<polyline" in review.text
    frame = review.text.split('src="/review/frames/', 1)[1].split('"', 1)[0]
    shot = me.http.get(f"{url}/review/frames/{frame}")
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert me.http.get(f"{url}/review/frames/..%2Fmeta.json").status_code == 404


def test_submit_runs_the_privacy_scan_and_catalogs_the_trace(station, performed):
    pytest.importorskip("cleantrace.privacy", reason="submit runs the privacy scan (cleantrace.privacy)")
    url, st = station
    me, booth, _ = performed
    me.http.post(url + "/submit")  # returns at once; the scan runs meanwhile
    assert me.wait_state("submitted", timeout=180) == "submitted"
    rows = [json.loads(line) for line in (st.run_dir / files.CATALOG).read_text().splitlines()]
    assert [r["status"] for r in rows if r["episode_id"] == booth.spec.episode_id] == ["success"]
    assert json.loads((booth.folder / files.META).read_text())["privacy"]["scan"] == "clean"


def test_real_looking_personal_data_blocks_submit_and_can_be_discarded(station):
    from cleantrace.privacy.scan import mask

    pytest.importorskip("cleantrace.privacy", reason="submit runs the privacy scan (cleantrace.privacy)")
    url, st = station
    me, booth, _ = perform_through_vnc(url, st, note="mail jane.doe@gmail.com")
    try:
        me.http.post(url + "/submit")
        assert me.wait_state("blocked", "submitted", timeout=180) == "blocked"
        page = me.http.get(url + "/review")
        findings = page.text.split('id="findings"', 1)[1].split("</div>", 1)[0]
        assert "cannot be submitted" in findings and mask("jane.doe@gmail.com") in findings
        assert "jane.doe@gmail.com" not in findings  # the finding is shown masked
        rows = (st.run_dir / files.CATALOG).read_text().splitlines() if (st.run_dir / files.CATALOG).exists() else []
        assert not any(booth.spec.episode_id in row for row in rows)
        me.http.post(url + "/discard")
        assert me.state() == "discarded" and not booth.folder.exists()
    finally:
        me.stop_heartbeat()


def test_two_volunteers_get_two_sandboxes_discard_deletes_and_a_disconnect_keeps_it_incomplete(station):
    url, st = station
    alice, bob = Volunteer(url, st), Volunteer(url, st)
    alice.consent()
    bob.consent()
    alice.wait_state("ready")
    bob.wait_state("ready")
    a, b = alice.booth, bob.booth
    assert a is not b and a.folder != b.folder and a.control_dir != b.control_dir and a.token != b.token
    assert a.spec.seed != b.spec.seed
    assert alice.press("start")["state"] == "recording" and bob.press("start")["state"] == "recording"

    # the moment bob's screen closes, his input is cut and recording pauses
    from vncdotool import api

    screen = bob.viewer()
    vnc = api.connect(screen.address, password=None)
    vnc.mouseMove(300, 300)
    vnc.disconnect()
    screen.close()
    assert bob.wait_state("paused") == "paused" and "screen was closed" in b.view().message
    assert bob.press("resume")["state"] == "recording"

    assert alice.press("discard")["state"] == "discarded"
    assert not a.folder.exists()

    bob.stop_heartbeat()  # bob's page goes away mid-task
    bob_state = lambda: b.view().state  # noqa: E731 - the page is gone: ask the booth itself
    deadline = time.monotonic() + HEARTBEAT_TIMEOUT + 30
    while bob_state() != "incomplete":
        assert time.monotonic() < deadline, bob_state()
        time.sleep(0.2)
    meta = json.loads((b.folder / files.META).read_text())
    assert meta["outcome"]["status"] == "incomplete" and "disconnected" in meta["outcome"]["message"]
    assert meta["performer"]["kind"] == "volunteer"
    assert validate_run(b.folder)[0].ok
    assert not b.control_dir.exists()  # the sandbox and its bridge are gone
    rows = [json.loads(line) for line in (st.run_dir / files.CATALOG).read_text().splitlines()]
    assert any(r["episode_id"] == b.spec.episode_id and r["status"] == "incomplete" for r in rows)
    assert not any(r["episode_id"] == a.spec.episode_id for r in rows)
    # a late joiner after bob left, and bob's own cookie replayed after his booth closed: refused
    assert "403" in refused(bob) or "409" in refused(bob)
    assert "403" in refused(Volunteer(url, st))
    alice.stop_heartbeat()


def test_the_station_page_in_a_browser(station):
    """Through nginx (TLS): a crowd link → consent → the task page with the screen connected → Start → the task
    done with the page's mouse and keyboard (Pause and Resume on the way) → Done → review → Submit with
    progress → a receipt with the completion code."""
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import expect, sync_playwright

    url, st = station
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/lib/chromium/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, ignore_https_errors=True)  # self-signed
        page.goto(f"{url}/c/{CAMPAIGN}?workerId=browser-worker")
        assert page.url == url + "/"
        expect(page.locator("#consent")).to_contain_text("What is recorded")
        expect(page.locator("#consent")).to_contain_text(CONSENT_VERSION)
        page.locator("#agree").check()
        page.locator("#give-consent").click()
        expect(page.locator("#overlay")).to_contain_text("Starting your sandbox")  # progress, not a black box
        expect(page.locator("#state")).to_have_attribute("data-state", "ready", timeout=60_000)
        expect(page.locator("#screen")).to_have_attribute("data-connected", "yes", timeout=20_000)
        expect(page.locator("#overlay")).to_be_hidden()
        canvas = page.locator("#screen canvas")
        expect(canvas).to_be_visible()
        expect(page.locator("#pause")).to_be_disabled()
        expect(page.locator("#rec")).to_be_hidden()
        assert "VNC" not in page.locator("body").inner_text()  # plain words

        page.locator("#start").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "recording")
        expect(page.locator("#rec")).to_be_visible()  # the red recording indicator and its timer
        expect(page.locator("#timer")).not_to_have_text("0:00", timeout=5_000)
        box = canvas.bounding_box()
        assert box["width"] >= 1000 and abs(box["width"] / box["height"] - 1280 / 800) < 0.02  # fits, unstretched
        episode = page.evaluate("fetch('/api/heartbeat', {method: 'POST'}).then(r => r.json())")["episode"]
        folder = st.run_dir / episode
        meta = json.loads((folder / files.META).read_text())
        expect(page.locator("#instruction")).to_have_text(meta["instruction"])  # the seed's wording of the task
        with ThreadPoolExecutor(1) as other:  # its own Playwright, in its own thread
            centres = other.submit(layout_of, meta["seed"], meta["params"]["lead"]).result()
        scale = box["width"] / 1280
        here = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]

        def glide_to(point: tuple[float, float]) -> None:  # the volunteer's hand, over the scaled screen
            target = (box["x"] + point[0] * scale, box["y"] + point[1] * scale)
            for k in range(1, 13):
                page.mouse.move(here[0] + (target[0] - here[0]) * k / 12, here[1] + (target[1] - here[1]) * k / 12)
                time.sleep(0.02)
            here[:] = target
            time.sleep(0.4)

        glide_to(centres["lead"])
        page.mouse.down()
        page.mouse.up()
        time.sleep(1.5)  # the lead's page loads
        glide_to(centres["status"])
        page.mouse.down()  # opens the native list; the status's first letter picks it, Enter takes it
        page.mouse.up()
        time.sleep(0.5)
        page.keyboard.press(meta["params"]["status"][0].lower())
        time.sleep(0.3)
        page.keyboard.press("Enter")
        time.sleep(0.5)
        page.locator("#pause").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "paused")
        expect(page.locator("#start")).to_have_text("Resume")
        page.locator("#start").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "recording")
        glide_to(centres["save"])
        page.mouse.down()
        page.mouse.up()
        time.sleep(1.0)
        page.locator("#done").click()
        expect(page).to_have_url(re.compile(r"/review$"), timeout=60_000)
        expect(page.locator("#check")).to_have_text("success")  # done in a real browser, through TLS
        expect(page.locator("#verdict")).to_contain_text("done as asked")
        expect(page.locator("figure img").first).to_be_visible()

        moves = [e for e in read_episode(folder).events if e.kind == "move"]
        assert len(moves) >= 10  # the page's pointer events reached the X server through noVNC
        assert any(e.kind == "key_down" for e in read_episode(folder).events)  # and its key presses

        page.locator("#submit").click()  # the page stays usable and says what happens
        expect(page.locator("#checking")).to_be_visible()
        expect(page.locator("#submit")).to_be_disabled()
        expect(page).to_have_url(re.compile(r"/ended$"), timeout=180_000)
        expect(page.locator("#state")).to_have_text("submitted")
        expect(page.locator("#receipt")).to_contain_text(episode)
        expect(page.locator("#code")).to_have_text(re.compile(r"^CT-[0-9A-F]{10}$"))
        browser.close()


def test_review_ledger_withdrawal_and_a_restart_behind_the_proxy(station, performed):
    """After the vnc volunteer's and the browser volunteer's submissions: a stranger cannot open the screen, a
    reviewer signs in through TLS, accepts one and rejects the other, the ledger shows both workers, a
    withdrawal deletes one volunteer's episodes, and a restart of the station keeps all of it."""
    from click.testing import CliRunner

    from cleantrace.cli import cli

    url, st = station
    assert "403" in refused(Volunteer(url, st))  # no session: no screen
    me, booth, _ = performed
    submitted = {r["volunteer_id"]: r for r in st.store.episodes() if r["state"] == "submitted"}
    browser_volunteer = st.store.volunteer_of_worker("browser-worker")
    assert set(submitted) >= {booth.spec.performer.id, browser_volunteer}
    st.store.set_reviewer("rita", "correct horse")
    admin = requests.Session()
    admin.trust_env, admin.verify = False, st.ca_file
    assert admin.get(url + "/admin").url.endswith("/admin/login")
    assert admin.post(url + "/admin/login", data={"name": "rita", "password": "correct horse"}).ok
    good, bad = submitted[browser_volunteer]["id"], submitted[booth.spec.performer.id]["id"]
    page = admin.get(f"{url}/admin/episode/{good}")
    assert 'id="check">success' in page.text and 'id="privacy">clean' in page.text
    admin.post(f"{url}/admin/episode/{good}/decide", data={"decision": "accepted"})
    admin.post(f"{url}/admin/episode/{bad}/decide", data={"decision": "rejected", "reason": "paused mid-task"})
    ledger = CliRunner().invoke(cli, ["station", "ledger", "--csv", "--db", st.store.engine.url.render_as_string()])
    rows = {line.split(",")[0]: line for line in ledger.output.splitlines()[1:]}
    assert rows["browser-worker"].endswith(",1,0,0.5,USD") and rows[me.worker].endswith(",0,1,0.0,")

    withdrawn = me.http.post(url + "/withdraw")
    assert withdrawn.ok and "recording(s) are deleted" in withdrawn.text
    assert not booth.folder.exists() and booth.spec.episode_id not in (st.run_dir / files.CATALOG).read_text()
    assert "403" in refused(me)  # their cookie opens nothing any more

    again, restarted = create_station(st.test_config)  # the same database and key, as after a restart
    try:
        assert {r["worker_id"] for r in restarted.store.ledger()} >= {me.worker, "browser-worker"}
        assert restarted.store.decisions()[bad]["reason"] == "paused mid-task"
        assert not restarted.store.consented(booth.spec.performer.id)
        assert any(a["action"] == "withdraw" for a in restarted.store.audit_rows())
    finally:
        restarted.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _control_dirs(pids: list[int]) -> set[Path]:
    """The control folders the station bound into its sandboxes (from the bwrap command lines)."""
    found = set()
    for pid in pids:
        with suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            found |= {Path(argv[i - 1].decode()) for i, a in enumerate(argv) if a == b"/tmp/control" and i > 0}
    return found


def test_sigterm_seals_every_open_episode_stops_every_child_and_closes_the_port(tmp_path):
    """A real `cleantrace station` process with one volunteer recording (screen open) and one whose sandbox
    is still starting gets a real SIGTERM: both episodes sealed incomplete with the reason, nothing left."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    from cleantrace.sandbox.processes import descendants

    proc = subprocess.Popen(
        [sys.executable, "-m", "cleantrace.cli", "station", "--task", TASK, "--port", "0", "--out", str(tmp_path),
         "--run-id", "sig", "--tasks-dir", str(TASKS_DIR), "--heartbeat-timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    volunteers: list[Volunteer] = []
    try:
        line = proc.stdout.readline()  # "station: http://127.0.0.1:PORT/ …" once it listens
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line + (proc.stderr.read() if proc.poll() is not None else "")
        url, port = found.group(0), int(found.group(1))
        alice, bob = volunteers = [Volunteer(url, None), Volunteer(url, None)]  # the station is another process
        alice.consent()
        alice.wait_state("ready")
        assert alice.press("start")["state"] == "recording"
        screen = alice.viewer()
        bob.consent()  # bob's sandbox is starting when the signal comes
        episodes = [v.http.post(url + "/api/heartbeat").json()["episode"] for v in (alice, bob)]
        deadline = time.monotonic() + 30
        while len(controls := _control_dirs(descendants(proc.pid))) < 2:  # both sandboxes exist
            assert time.monotonic() < deadline, controls
            time.sleep(0.1)
        children = descendants(proc.pid)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=180) == 0
        assert "stopped: the station shut down (SIGTERM)" in proc.stderr.read()
    finally:
        for volunteer in volunteers:
            volunteer.stop_heartbeat()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    screen.close()
    run = tmp_path / "sig"
    for episode in episodes:
        meta = json.loads((run / episode / files.META).read_text())
        assert meta["outcome"]["status"] == "incomplete", meta["outcome"]
        assert "the station shut down (SIGTERM)" in meta["outcome"]["message"]
        assert meta["performer"]["kind"] == "volunteer"
    rows = [json.loads(line) for line in (run / files.CATALOG).read_text().splitlines()]
    assert sorted(r["episode_id"] for r in rows) == sorted(episodes)
    assert [pid for pid in children if _alive(pid)] == []  # no sandbox process, no x11vnc, no browser
    assert controls and not any(c.exists() for c in controls)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
