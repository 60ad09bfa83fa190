"""End to end: the volunteer station serving real sandboxes behind a real TLS proxy; volunteers in real
browsers (Playwright with Debian's Chromium on the station's page and its in-page viewer, real mouse and
keys) and through a real VNC client (vncdotool over the station's own viewer websocket); the waiting room
and the per-address limit seen in a browser; strangers, stolen or stale cookies and wrong origins refused."""

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
    campaign_file = tmp_path_factory.mktemp("campaign") / "e2e.toml"  # the same campaign, for a restarted process
    campaign_file.write_text(f'id = "{CAMPAIGN}"\ntasks = ["{TASK}"]\nseeds = "0-99"\nquota = 1\n'
                             'max_per_volunteer = 20\npay_per_episode = 0.5\n')
    config = StationConfig(campaign=campaign, out=out, run_id="vol", tasks_dir=TASKS_DIR,
                           heartbeat_timeout=HEARTBEAT_TIMEOUT, fps=2.0, public_url=public + "/",
                           max_booths=2, max_per_ip=3)  # a third volunteer waits; a fourth task from one address: no
    app, st = create_station(config)
    st.ca_file, st.test_config = str(cert), config  # for the test's volunteers (they trust the certificate)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    start_proxy(port, f"127.0.0.1:{server.server_port}")
    st.test_server, st.campaign_file = server, campaign_file  # for the restart
    yield public, st
    if not getattr(st, "stopped", False):
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


CHROMIUM = "/usr/lib/chromium/chromium"


def layout_of(seed: int, lead: str, browser=None) -> dict[str, tuple[float, float]]:
    """Screen centres of what the volunteer must click, as a person sees them: the same app with the
    same seeded data, rendered at the sandbox's screen size (kiosk window: page = screen pixels); in
    `browser` when given, else in a browser of its own (its own Playwright, in its own thread)."""
    if browser is None:
        from concurrent.futures import ThreadPoolExecutor

        from playwright.sync_api import sync_playwright

        def own() -> dict[str, tuple[float, float]]:
            with sync_playwright() as pw:
                mine = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    return layout_of(seed, lead, mine)
                finally:
                    mine.close()

        with ThreadPoolExecutor(1) as other:
            return other.submit(own).result()

    import tempfile

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
        # the sandbox's headed window draws a classic 15 px scrollbar on the long list, which
        # narrows the page (a long name wraps, the rows below move down); headless has none
        context = browser.new_context(viewport={"width": 1280 - 15, "height": 800})
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            centres = {"lead": page.get_by_role("link", name=lead).bounding_box()}
            page.get_by_role("link", name=lead).click()
            centres["status"] = page.get_by_label("Status").bounding_box()
            centres["notes"] = page.get_by_label("Notes").bounding_box()
            centres["save"] = page.get_by_role("button", name="Save").bounding_box()
        finally:
            context.close()
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


def test_real_looking_personal_data_blocks_submit_and_can_be_discarded(station):
    from cleantrace.privacy.scan import mask

    pytest.importorskip("cleantrace.privacy", reason="submit runs the privacy scan (cleantrace.privacy)")
    url, st = station
    me, booth, centres = perform_through_vnc(url, st, note="mail jane.doe@gmail.com")
    try:
        # the events are the ones the VNC client sent; none from before Start or while paused
        points = {(e.x, e.y) for e in read_episode(booth.folder).events}
        assert (round(centres["lead"][0]), round(centres["lead"][1])) in points  # where the client pressed
        assert (40, 700) not in points and (1234, 777) not in points
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


TIME_LIMIT = 8.0  # seconds a task may take in the campaign of the third volunteer below


def test_two_volunteers_get_two_sandboxes_discard_deletes_and_a_disconnect_keeps_it_incomplete(station):
    """Two sandboxes at once; closing the screen pauses; Discard deletes; a third volunteer takes the freed sandbox
    and is stopped by the campaign's time limit; a lost heartbeat seals incomplete; late joiners are refused."""
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

    campaign = st.campaign  # carol takes the freed sandbox under a campaign whose time limit is a few seconds
    st.campaign = campaign.model_copy(update={"time_limit": TIME_LIMIT})
    try:
        carol = Volunteer(url, st)
        carol.consent()  # her page keeps beating: only the time limit ends her task
    finally:
        st.campaign = campaign
    c = carol.booth

    bob.stop_heartbeat()  # bob's page goes away mid-task
    bob_state = lambda: b.view().state  # noqa: E731 - the page is gone: ask the booth itself
    deadline = time.monotonic() + HEARTBEAT_TIMEOUT + 30
    while bob_state() != "incomplete" or b.holds_sandbox:  # sealed, cataloged, let go
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

    deadline = time.monotonic() + TIME_LIMIT + 120  # the limit, then the sandbox stopped and the trace sealed
    while c.view().state != "incomplete" or c.holds_sandbox:  # (its catalog row is written before it lets go)
        assert time.monotonic() < deadline, c.view()
        time.sleep(0.2)
    carol.stop_heartbeat()
    meta = json.loads((c.folder / files.META).read_text())
    assert meta["outcome"]["status"] == "incomplete", meta["outcome"]
    assert meta["outcome"]["message"].startswith(f"timed out after {TIME_LIMIT:.0f} s"), meta["outcome"]
    assert not c.control_dir.exists()
    rows = [json.loads(line) for line in (st.run_dir / files.CATALOG).read_text().splitlines()]
    assert any(r["episode_id"] == c.spec.episode_id and r["status"] == "incomplete" for r in rows)


BEFORE_START, WHILE_PAUSED = (40, 700), (1234, 777)  # where a volunteer's pointer goes while nothing records
COMMAND_MS = 30_000  # a command's round trip to the sandbox (x11vnc -remote, the recorder) on a loaded machine


class BrowserVolunteer:
    """A volunteer in a browser of their own (a Playwright context of Debian's Chromium: its own cookies)
    arriving by the campaign's crowd link with their worker id, using the station's page and its in-page
    viewer with the page's real mouse and keyboard."""

    def __init__(self, browser, url: str, worker: str) -> None:
        self.url, self.worker = url, worker
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, ignore_https_errors=True)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # "Discard this recording?", "Delete all …?"

    def consent(self) -> None:
        from playwright.sync_api import expect

        self.page.goto(f"{self.url}/c/{CAMPAIGN}?workerId={self.worker}")
        assert self.page.url == self.url + "/"
        expect(self.page.locator("#consent")).to_contain_text("What is recorded")
        expect(self.page.locator("#consent")).to_contain_text(CONSENT_VERSION)
        self.page.locator("#agree").check()
        self.page.locator("#give-consent").click()

    def wait_ready(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#state")).to_have_attribute("data-state", "ready", timeout=120_000)
        expect(self.page.locator("#screen")).to_have_attribute("data-connected", "yes", timeout=30_000)
        expect(self.page.locator("#overlay")).to_be_hidden()

    def episode(self) -> str:
        return self.page.evaluate("fetch('/api/heartbeat', {method: 'POST'}).then(r => r.json())")["episode"]

    def as_client(self, st) -> Volunteer:
        """Another client holding this browser's cookies (a copy of its session)."""
        me = Volunteer(self.url, st)
        for cookie in self.context.cookies():
            me.http.cookies.set(cookie["name"], cookie["value"])
        return me

    def perform(self, folder: Path, browser, while_viewing=None) -> dict[str, tuple[float, float]]:
        """Start, click the lead, pick the status, Pause (and move over the screen), Resume, Save, Done: with
        the page's mouse and keyboard over the scaled screen; the review page then. Returns the centres."""
        from playwright.sync_api import expect

        page = self.page
        meta = json.loads((folder / files.META).read_text())
        centres = layout_of(meta["seed"], meta["params"]["lead"], browser)
        canvas = page.locator("#screen canvas")
        box = canvas.bounding_box()
        scale = box["width"] / 1280
        on_screen = lambda p: (box["x"] + p[0] * scale, box["y"] + p[1] * scale)  # noqa: E731
        page.mouse.move(*on_screen(BEFORE_START))  # before Start: the sandbox ignores it
        time.sleep(0.3)
        page.locator("#start").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "recording", timeout=COMMAND_MS)
        here = list(on_screen(BEFORE_START))

        def glide_to(point: tuple[float, float]) -> None:  # the volunteer's hand
            target = on_screen(point)
            for k in range(1, 13):
                page.mouse.move(here[0] + (target[0] - here[0]) * k / 12, here[1] + (target[1] - here[1]) * k / 12)
                time.sleep(0.02)
            here[:] = target
            time.sleep(0.4)

        def click_at(point: tuple[float, float]) -> None:
            glide_to(point)
            page.mouse.down()
            page.mouse.up()

        click_at(centres["lead"])
        time.sleep(1.5)  # the lead's page loads
        click_at(centres["status"])  # opens the native list; the status's first letter picks it, Enter takes it
        time.sleep(0.5)
        page.keyboard.press(meta["params"]["status"][0].lower())
        time.sleep(0.3)
        page.keyboard.press("Enter")
        time.sleep(0.5)
        if while_viewing:
            while_viewing()
        page.locator("#pause").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "paused", timeout=COMMAND_MS)
        expect(page.locator("#start")).to_have_text("Resume")
        page.mouse.move(*on_screen(WHILE_PAUSED))  # while paused: not let through, not recorded
        time.sleep(0.5)
        here[:] = on_screen(WHILE_PAUSED)
        page.locator("#start").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "recording", timeout=COMMAND_MS)
        click_at(centres["save"])
        time.sleep(1.0)
        page.locator("#done").click()
        expect(page).to_have_url(re.compile(r"/review$"), timeout=60_000)
        return centres


def _near(points, point, tolerance: float = 3.0) -> bool:
    return any(abs(x - point[0]) <= tolerance and abs(y - point[1]) <= tolerance for x, y in points)


@pytest.fixture(scope="module")
def in_browsers(station):
    """Two crowd workers in their own browsers through the TLS proxy, both sandboxes starting at once; a third
    waits in the waiting room and gets a booth when one frees; a fourth task from the same address is
    refused; the two perform their tasks, review and submit them, and see their receipts. Yields what they did."""
    from types import SimpleNamespace

    from playwright.sync_api import expect, sync_playwright

    url, st = station
    deadline = time.monotonic() + 120
    while any(b.holds_sandbox for b in st.booths.values()):  # the earlier tests' sandboxes are gone
        assert time.monotonic() < deadline, "an earlier booth still holds its sandbox"
        time.sleep(0.2)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        a, b = BrowserVolunteer(browser, url, "browser-a"), BrowserVolunteer(browser, url, "browser-b")
        a.consent()
        expect(a.page.locator("#overlay")).to_contain_text("Starting your sandbox")  # progress, not a black box
        expect(a.page.locator("#overlay")).to_contain_text(re.compile(r"usually takes about \d+ seconds"))
        expect(a.page.locator("#progress")).to_be_visible()
        b.consent()  # both sandboxes start at once: the station is full (two)

        waiting = BrowserVolunteer(browser, url, "browser-c")  # the third: the waiting room
        waiting.consent()
        expect(waiting.page).to_have_url(re.compile(r"/wait$"))
        expect(waiting.page.locator("#waiting")).to_contain_text("Every sandbox is in use")
        expect(waiting.page.locator("#position")).to_have_text("1", timeout=COMMAND_MS)  # its first poll
        assert st.booth_of(st.store.volunteer_of_worker("browser-c")) is None  # no sandbox while waiting

        a.wait_ready()
        page = a.page
        expect(page.locator("#pause")).to_be_disabled()
        expect(page.locator("#rec")).to_be_hidden()
        assert "VNC" not in page.locator("body").inner_text()  # plain words
        box = page.locator("#screen canvas").bounding_box()
        assert box["width"] >= 1000 and abs(box["width"] / box["height"] - 1280 / 800) < 0.02  # fits, unstretched
        pixels = page.locator("#screen canvas").evaluate("c => [c.width, c.height]")
        assert pixels == [1280, 800] and box["width"] <= 1280  # the sandbox's own pixels, scaled down only (sharp)
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1400 and box["y"] + box["height"] <= 900
        a_folder = st.run_dir / a.episode()
        instruction = json.loads((a_folder / files.META).read_text())["instruction"]
        expect(page.locator("#instruction")).to_have_text(instruction)  # the seed's wording of the task

        def watching() -> None:  # while a's own page views the booth
            expect(page.locator("#rec")).to_be_visible()  # the red recording indicator and its timer
            for part in ("#rec", "#rec .dot"):
                style = "color" if part == "#rec" else "backgroundColor"
                red, green, blue = map(int, re.findall(r"\d+", page.locator(part).evaluate(
                    f"e => getComputedStyle(e).{style}"))[:3])
                assert red >= 180 and green < 100 and blue < 100, (part, red, green, blue)
            expect(page.locator("#timer")).not_to_have_text("0:00", timeout=5_000)
            refused_while_viewing(a.as_client(st))  # her cookie again, none, forged, other origins
            assert "403" in refused(b.as_client(st), origin="http://evil.test")

        a_centres = a.perform(a_folder, browser, while_viewing=watching)
        expect(page.locator("#check")).to_have_text("success")  # done in a real browser, through TLS
        expect(page.locator("#verdict")).to_contain_text("done as asked")
        expect(page.locator("figure img").first).to_be_visible()
        assert page.request.get(f"{url}/review/frames/..%2Fmeta.json").status == 404

        # a's booth in review holds no sandbox: the waiting volunteer's page takes the freed one by itself
        expect(waiting.page).to_have_url(re.compile(r"/task$"), timeout=120_000)
        expect(waiting.page.locator("#overlay")).to_contain_text("Starting your sandbox")
        fourth = BrowserVolunteer(browser, url, "browser-d")  # a, b and the third hold three tasks from 127.0.0.1
        fourth.consent()
        expect(fourth.page.locator("h1")).to_have_text("The station is busy")
        expect(fourth.page.locator("body")).to_contain_text("3 tasks are already open from your address")
        assert st.booth_of(st.store.volunteer_of_worker("browser-d")) is None

        b.wait_ready()
        b_folder = st.run_dir / b.episode()
        def stranger_at_b() -> None:  # while b's page views her booth: a client without a session cannot
            assert "403" in refused(Volunteer(url, st))
            assert "403" in refused(Volunteer(url, st), cookie="session=forged.value.sig")
            assert "403" in refused(b.as_client(st), origin="http://evil.test")

        b_centres = b.perform(b_folder, browser, while_viewing=stranger_at_b)
        expect(b.page.locator("#check")).to_have_text("success")

        waiting.wait_ready()  # the third volunteer got a working booth; they press Done without doing the task
        params = json.loads((st.run_dir / waiting.episode() / files.META).read_text())["params"]
        waiting.page.locator("#start").click()
        expect(waiting.page.locator("#state")).to_have_attribute("data-state", "recording", timeout=COMMAND_MS)
        waiting.page.locator("#done").click()
        expect(waiting.page).to_have_url(re.compile(r"/review$"), timeout=60_000)
        verdict = waiting.page.locator("#verdict")  # why, in the task's own terms (its check's reason)
        expect(verdict).to_contain_text("not done as asked")
        expect(verdict).to_contain_text(f"{params['lead']}'s status is")
        expect(verdict).to_contain_text(f"not {params['status']}")
        waiting.page.locator("#discard").click()  # they discard it from the review
        expect(waiting.page).to_have_url(re.compile(r"/ended$"), timeout=60_000)
        expect(waiting.page.locator("h1")).to_have_text("Discarded")

        for who in (a, b):  # the page stays usable and says what happens
            who.page.locator("#submit").click()
            expect(who.page.locator("#checking")).to_be_visible(timeout=COMMAND_MS)
            expect(who.page.locator("#submit")).to_be_disabled()
        receipts = {}
        for who, folder in ((a, a_folder), (b, b_folder)):
            expect(who.page).to_have_url(re.compile(r"/ended$"), timeout=240_000)
            expect(who.page.locator("#state")).to_have_text("submitted")
            expect(who.page.locator("#receipt")).to_contain_text(folder.name)
            expect(who.page.locator("#code")).to_have_text(re.compile(r"^CT-[0-9A-F]{10}$"))
            receipts[who.worker] = who.page.locator("#code").inner_text()
        yield SimpleNamespace(a=a, b=b, folders={"browser-a": a_folder, "browser-b": b_folder}, receipts=receipts,
                              centres={"browser-a": a_centres, "browser-b": b_centres})
        browser.close()


def test_two_volunteers_complete_their_tasks_in_real_browsers_through_tls(station, in_browsers):
    """Each trace is valid, successful and grounded, made of the page's own pointer and keys (none from before
    Start or while paused), privacy-scanned and cataloged; each worker got their own completion code."""
    _, st = station
    catalog = [json.loads(line) for line in (st.run_dir / files.CATALOG).read_text().splitlines()]
    for worker, folder in in_browsers.folders.items():
        assert validate_run(folder)[0].ok, validate_run(folder)[0].problems
        trace = read_episode(folder)
        assert trace.meta.outcome.status == "success" and trace.meta.outcome.success
        assert trace.meta.performer.kind == "volunteer"
        assert trace.meta.performer.id == st.store.volunteer_of_worker(worker)
        assert trace.meta.consent.version == CONSENT_VERSION and trace.meta.consent.time
        points = {(e.x, e.y) for e in trace.events if e.x is not None}
        centres = in_browsers.centres[worker]
        assert _near(points, centres["lead"]) and _near(points, centres["save"])  # where the page pressed
        assert not _near(points, BEFORE_START) and not _near(points, WHILE_PAUSED)
        assert len([e for e in trace.events if e.kind == "move"]) >= 10  # the page's pointer reached the X server
        assert any(e.kind == "key_down" for e in trace.events)  # and its key presses
        clicks = [a for a in trace.actions if a.kind == "click"]
        assert clicks[0].target is not None and clicks[0].target.name == trace.meta.params["lead"]  # grounded (CDP)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [files.META, files.EVENTS, files.ACTIONS, files.FRAMES, files.FRAMES_DIR, files.LABELS,
             files.LABELS_DIR])  # only the trace (the screen labelled at Start and where the volunteer rested)
        assert trace.meta.privacy.scan == "clean"
        assert [(r["status"], r["privacy"]) for r in catalog if r["episode_id"] == folder.name] == [
            ("success", "clean")]
    assert len(set(in_browsers.receipts.values())) == 2  # a completion code per worker
    deadline = time.monotonic() + 60  # the discarded booth's sandbox may still be going away
    while any(b.control_dir.exists() for b in st.booths.values() if b.view().state in ("submitted", "discarded")):
        assert time.monotonic() < deadline, "a control folder is left"
        time.sleep(0.2)


def test_review_ledger_withdrawal_and_a_restart_behind_the_proxy(station, in_browsers):
    """After both browser volunteers' submissions: a stranger cannot open a screen, a reviewer signs in through
    TLS, accepts one episode and rejects the other, the ledger CSV shows both workers, a forger knowing a worker
    id cannot withdraw for them, that volunteer withdraws from their receipt page (their episode deleted
    everywhere), and after a restart (the station stopped, a `cleantrace station` process started on the same
    database and folder, behind the same proxy) all of it is still there; the first volunteer gets her next task
    from it, and Ctrl-C (SIGINT) seals that open episode incomplete and stops everything."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    from click.testing import CliRunner
    from playwright.sync_api import expect

    from cleantrace.cli import cli
    from cleantrace.export.steps import plan_export
    from cleantrace.sandbox.processes import descendants
    from cleantrace.station.store import Store

    url, st = station
    assert "403" in refused(Volunteer(url, st))  # no session: no screen
    submitted = {r["volunteer_id"]: r["id"] for r in st.store.episodes() if r["state"] == "submitted"}
    good = submitted[st.store.volunteer_of_worker("browser-a")]
    bad = submitted[st.store.volunteer_of_worker("browser-b")]
    st.store.set_reviewer("rita", "correct horse")
    admin = requests.Session()
    admin.trust_env, admin.verify = False, st.ca_file
    assert admin.get(url + "/admin").url.endswith("/admin/login")
    assert admin.post(url + "/admin/login", data={"name": "rita", "password": "correct horse"}).ok
    page = admin.get(f"{url}/admin/episode/{good}")
    assert 'id="check">success' in page.text and 'id="privacy">clean' in page.text
    admin.post(f"{url}/admin/episode/{good}/decide", data={"decision": "accepted"})
    admin.post(f"{url}/admin/episode/{bad}/decide", data={"decision": "rejected", "reason": "paused mid-task"})
    db = st.store.engine.url.render_as_string(hide_password=False)
    ledger = CliRunner().invoke(cli, ["station", "ledger", "--csv", "--db", db])
    rows = {line.split(",")[0]: line for line in ledger.output.splitlines()[1:]}
    assert rows["browser-a"].endswith(",1,0,0.5,USD") and rows["browser-b"].endswith(",0,1,0.0,")

    b, folder = in_browsers.b, in_browsers.folders["browser-b"]
    forger = Volunteer(url, st)  # knows browser-b's worker id (it is in crowd links), not their code
    assert forger.http.get(f"{url}/c/{CAMPAIGN}?workerId=browser-b").ok
    forger.http.post(url + "/consent", data={"agree": "yes"}, allow_redirects=False)
    forged = forger.http.post(url + "/withdraw", data={"code": in_browsers.receipts["browser-a"]})
    assert forged.status_code == 403 and "not your completion code" in forged.text
    assert folder.exists() and any(a["action"] == "withdraw-refused" for a in st.store.audit_rows())
    b_cookie = b.as_client(st)
    b.page.locator("#withdraw").click()  # from the receipt page (the confirm dialog accepted)
    expect(b.page.locator("h1")).to_have_text("Consent withdrawn")
    expect(b.page.locator("body")).to_contain_text("1 recording(s) are deleted")
    assert not folder.exists() and folder.name not in (st.run_dir / files.CATALOG).read_text()
    assert "403" in refused(b_cookie)  # the old cookie opens nothing any more
    before = CliRunner().invoke(cli, ["station", "ledger", "--csv", "--db", db]).output

    # a restart: this station stops; a `cleantrace station` process takes over the same database and folder
    config, server = st.test_config, st.test_server
    server.shutdown()
    server.server_close()
    st.close()
    st.stopped = True
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleantrace.cli", "station", "--campaign", str(st.campaign_file), "--host", "127.0.0.1",
         "--port", str(server.server_port), "--public-url", url + "/", "--out", str(config.out), "--run-id",
         config.run_id, "--tasks-dir", str(TASKS_DIR), "--heartbeat-timeout", str(HEARTBEAT_TIMEOUT),
         "--max-volunteers", "2", "--max-per-ip", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()  # "station: http://127.0.0.1:PORT/ …" once it listens
        assert line.startswith("station: "), line + (proc.stderr.read() if proc.poll() is not None else "")
        listing = admin.get(url + "/admin")  # through the proxy; the reviewer's cookie still valid (the same key)
        assert listing.url.endswith("/admin") and good in listing.text and bad not in listing.text  # b's withdrawn
        decision = listing.text.split(good, 2)[2].split('class="decision">', 1)[1].split("</td>", 1)[0]
        assert decision == "accepted"
        assert CliRunner().invoke(cli, ["station", "ledger", "--csv", "--db", db]).output == before  # both workers
        first = in_browsers.a.page  # the first volunteer's browser: still her session, still her code
        first.goto(url + "/finished")
        expect(first.locator("#code")).to_have_text(in_browsers.receipts["browser-a"])
        assert "403" in refused(b_cookie)  # the withdrawn volunteer's cookie still opens nothing
        store = Store(db)
        try:
            assert store.decisions()[bad]["reason"] == "paused mid-task"
            assert not store.consented(store.volunteer_of_worker("browser-b"))
            assert store.consented(store.volunteer_of_worker("browser-a"))
            assert any(a["action"] == "withdraw" and folder.name in a["detail"] for a in store.audit_rows())
        finally:
            store.close()
        exported = plan_export(st.run_dir)  # the accepted episode only: not the withdrawn (nor the incomplete one)
        assert [e.folder.name for e in exported.episodes] == [in_browsers.folders["browser-a"].name]
        assert not folder.exists() and folder.name not in (st.run_dir / files.CATALOG).read_text()

        first.goto(url + "/")  # the restarted station gives her the campaign's next task by itself
        expect(first).to_have_url(re.compile(r"/task$"))
        in_browsers.a.wait_ready()
        episode = in_browsers.a.episode()
        assert episode != in_browsers.folders["browser-a"].name
        first.locator("#start").click()
        expect(first.locator("#state")).to_have_attribute("data-state", "recording", timeout=COMMAND_MS)
        children = descendants(proc.pid)
        controls = _control_dirs(children)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: as SIGTERM, the open episode is sealed and everything stops
        assert proc.wait(timeout=180) == 0
        assert "stopped: the station shut down (SIGINT)" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    meta = json.loads((st.run_dir / episode / files.META).read_text())
    assert meta["outcome"]["status"] == "incomplete" and "the station shut down (SIGINT)" in meta["outcome"]["message"]
    assert [pid for pid in children if _alive(pid)] == []
    assert controls and not any(c.exists() for c in controls)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", server.server_port), timeout=5):
        pass


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


def _listening_ports(pids: list[int]) -> set[int]:
    """The TCP ports on which any of `pids` listens in this network namespace (the host's: a port in a sandbox's
    own namespace is not reachable from here)."""
    import os

    listening = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A":  # LISTEN
                    listening[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    ports = set()
    for pid in pids:
        with suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in listening:
                        ports.add(listening[link[8:-1]])
    return ports


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
        assert _listening_ports([proc.pid, *children]) == {port}  # the station's port only: nothing else reachable

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
