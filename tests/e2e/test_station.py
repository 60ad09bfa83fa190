"""End to end: the volunteer station serving real sandboxes; volunteers played through a real VNC
client (vncdotool on x11vnc's socket) and a real browser (Playwright on the station page + noVNC)."""

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
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.conftest import TASKS_DIR

pytestmark = pytest.mark.e2e
TASK = "crm/set-lead-status"
HEARTBEAT_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    """A station for crm/set-lead-status served on a free loopback port; yields (url, Station)."""
    from werkzeug.serving import make_server

    out = tmp_path_factory.mktemp("station")
    app, st = create_station(StationConfig(task=TASK, out=out, run_id="vol", tasks_dir=TASKS_DIR,
                                           heartbeat_timeout=HEARTBEAT_TIMEOUT, fps=2.0))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", st
    server.shutdown()
    st.close()


class Volunteer:
    """A volunteer's browser session against the station's HTTP API, with a heartbeat like the page's."""

    def __init__(self, url: str, station) -> None:
        self.url, self.station = url, station
        self.http = requests.Session()
        self._beating = threading.Event()
        self._thread: threading.Thread | None = None

    def consent(self) -> None:
        page = self.http.get(self.url + "/")
        assert CONSENT_VERSION in page.text and "What is not recorded" in page.text
        task = self.http.post(self.url + "/consent", data={"agree": "yes"})  # follows to /task: opens a booth
        assert task.status_code == 200 and "vnc_lite.html" in task.text
        self.start_heartbeat()

    def start_heartbeat(self) -> None:
        self._beating.set()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:  # the volunteer's page goes away
        self._beating.clear()

    def _beat(self) -> None:
        beat = requests.Session()
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
                page = browser.new_page(viewport={"width": 1280, "height": 800})
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

    vnc = api.connect(str(booth.vnc_socket), password=None)
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
    finally:
        vnc.disconnect()
    assert me.press("done")["state"] == "review"
    return me, booth, centres


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
        [files.META, files.EVENTS, files.ACTIONS, files.FRAMES, files.FRAMES_DIR])  # only the trace
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
    me.http.post(url + "/submit")
    assert me.state() == "submitted"
    rows = [json.loads(line) for line in (st.run_dir / files.CATALOG).read_text().splitlines()]
    assert [r["status"] for r in rows if r["episode_id"] == booth.spec.episode_id] == ["success"]
    assert json.loads((booth.folder / files.META).read_text())["privacy"]["scan"] == "clean"


def test_real_looking_personal_data_blocks_submit_and_can_be_discarded(station):
    pytest.importorskip("cleantrace.privacy", reason="submit runs the privacy scan (cleantrace.privacy)")
    url, st = station
    me, booth, _ = perform_through_vnc(url, st, note="mail jane.doe@gmail.com")
    try:
        page = me.http.post(url + "/submit")
        assert me.state() == "blocked"
        assert "cannot be submitted" in page.text and "jane.doe@gmail.com" in page.text
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
    assert a is not b and a.folder != b.folder and a.control_dir != b.control_dir and a.ws_port != b.ws_port
    assert a.spec.seed != b.spec.seed
    assert alice.press("start")["state"] == "recording" and bob.press("start")["state"] == "recording"

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
    alice.stop_heartbeat()


def test_the_station_page_in_a_browser(station):
    """Consent → task page with the noVNC canvas connected → Start, Pause, Resume, Done → review → Discard."""
    from playwright.sync_api import expect, sync_playwright

    url, st = station
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/")
        expect(page.locator("#consent")).to_contain_text("What is recorded")
        expect(page.locator("#consent")).to_contain_text(CONSENT_VERSION)
        page.locator("#agree").check()
        page.locator("#give-consent").click()
        expect(page.locator("#state")).to_have_text("ready", timeout=60_000)
        expect(page.locator("#instruction")).to_contain_text("status")
        screen = page.frame_locator("#screen")
        expect(screen.locator("#status")).to_contain_text("Connected", timeout=20_000)
        expect(screen.locator("canvas")).to_be_visible()
        expect(page.locator("#pause")).to_be_disabled()

        page.locator("#start").click()
        expect(page.locator("#state")).to_have_text("recording")
        box = page.locator("#screen").bounding_box()
        for k in range(20):  # the volunteer's mouse over the noVNC canvas
            page.mouse.move(box["x"] + 100 + 20 * k, box["y"] + 100 + 10 * k)
            time.sleep(0.03)
        time.sleep(0.5)
        page.locator("#pause").click()
        expect(page.locator("#state")).to_have_text("paused")
        expect(page.locator("#start")).to_have_text("Resume")
        page.locator("#start").click()
        expect(page.locator("#state")).to_have_text("recording")
        episode = page.evaluate("fetch('/api/heartbeat', {method: 'POST'}).then(r => r.json())")["episode"]
        page.locator("#done").click()
        expect(page).to_have_url(re.compile(r"/review$"), timeout=60_000)
        expect(page.locator("#check")).to_have_text("failure")  # the mouse wandered; the lead is unchanged
        expect(page.locator("figure img").first).to_be_visible()

        folder = st.run_dir / episode
        moves = [e for e in read_episode(folder).events if e.kind == "move"]
        assert len(moves) >= 10  # the page's pointer events reached the X server through noVNC

        page.locator("#discard").click()
        expect(page).to_have_url(re.compile(r"/ended$"))
        expect(page.locator("#state")).to_have_text("discarded")
        assert not folder.exists()
        browser.close()
