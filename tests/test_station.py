"""The station's pages that need no sandbox: consent, and refusing everything without it."""

from __future__ import annotations

import pytest
from markupsafe import escape

from cleantrace.errors import CleantraceError
from cleantrace.station.app import StationConfig, create_station
from cleantrace.station.consent import CONSENT_VERSION, NOT_RECORDED, RECORDED, USE


@pytest.fixture
def client(tmp_path, tasks_dir):
    app, station = create_station(StationConfig(task="crm/set-lead-status", out=tmp_path, tasks_dir=tasks_dir))
    yield app.test_client(), station
    station.close()


def test_the_consent_page_says_what_is_recorded_what_not_how_it_is_used_and_its_version(client):
    http, _ = client
    page = http.get("/").get_data(as_text=True)
    for line in (*RECORDED, *NOT_RECORDED, *USE):
        assert str(escape(line)) in page
    assert CONSENT_VERSION in page and "crm/set-lead-status" in page


def test_nothing_starts_without_consent(client):
    http, station = client
    assert http.post("/consent", data={}).headers["Location"] == "/"
    assert http.get("/task").headers["Location"] == "/"
    assert http.post("/api/heartbeat").status_code == 404
    assert http.post("/api/start").status_code == 404
    assert http.get("/review").status_code == 404
    assert station.booths == {}


def test_consent_gives_a_pseudonymous_volunteer_id(client):
    http, _ = client
    assert http.post("/consent", data={"agree": "yes"}).headers["Location"] == "/task"
    with http.session_transaction() as session:
        assert session["volunteer"].startswith("vol-") and len(session["volunteer"]) == 16
        assert session["consent"] == CONSENT_VERSION and session["consent_time"]


def test_an_unknown_task_is_one_clear_error(tmp_path, tasks_dir):
    with pytest.raises(CleantraceError, match="unknown task"):
        create_station(StationConfig(task="crm/nope", out=tmp_path, tasks_dir=tasks_dir))


UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def test_the_screen_websocket_is_refused_without_a_session_or_from_another_origin(client):
    http, station = client
    assert http.get("/booth/ws", headers={**UPGRADE, "Origin": "http://localhost"}).status_code == 403
    http.post("/consent", data={"agree": "yes"})  # consent alone opens no booth
    refused = http.get("/booth/ws", headers={**UPGRADE, "Origin": "http://localhost"})
    assert refused.status_code == 403 and b"no booth" in refused.data
    for origin in ("http://evil.test", "null", "http://localhost:1", "https://localhost"):
        refused = http.get("/booth/ws", headers={**UPGRADE, "Origin": origin})
        assert refused.status_code == 403 and b"wrong origin" in refused.data, origin
    assert http.get("/booth/ws", headers=UPGRADE).status_code == 403  # no Origin at all
    assert station.booths == {}


def test_only_the_public_url_origin_is_accepted_behind_a_proxy(tmp_path, tasks_dir):
    app, station = create_station(StationConfig(task="crm/set-lead-status", out=tmp_path, tasks_dir=tasks_dir,
                                                public_url="https://station.example.com/"))
    http = app.test_client()
    assert app.config["SESSION_COOKIE_SECURE"]
    same_host = http.get("/booth/ws", headers={**UPGRADE, "Origin": "http://localhost"})
    assert same_host.status_code == 403 and b"wrong origin" in same_host.data
    public = http.get("/booth/ws", headers={**UPGRADE, "Origin": "https://station.example.com"})
    assert public.status_code == 403 and b"no booth" in public.data  # past the origin check
    station.close()


def test_the_viewer_code_is_served_on_the_same_origin_and_nothing_else_of_novnc(client):
    http, _ = client
    rfb = http.get("/novnc/core/rfb.js")
    assert rfb.status_code == 200 and "javascript" in rfb.headers["Content-Type"]
    assert http.get("/novnc/vnc.html").status_code == 404
    assert http.get("/novnc/core/../../../etc/passwd").status_code == 404
