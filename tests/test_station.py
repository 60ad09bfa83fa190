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


def test_bad_station_options_are_one_clear_error_before_anything_starts(tmp_path, tasks_dir):
    import socket

    from cleantrace.station.app import serve_station

    def config(**fields):
        return StationConfig(task="crm/set-lead-status", out=tmp_path / "out", tasks_dir=tasks_dir, **fields)

    for url in ("ftp://station.example.com/", "https://station.example.com/app", "https://x.example.com:99999/",
                "station.example.com", "https:///"):
        with pytest.raises(CleantraceError, match="--public-url") as err:
            create_station(config(public_url=url))
        assert "\n" not in str(err.value)
    from click.testing import CliRunner

    from cleantrace.cli import cli

    for option in ("--max-per-ip", "--max-volunteers"):
        zero = CliRunner().invoke(cli, ["station", "--task", "crm/set-lead-status", option, "0", "--out",
                                        str(tmp_path / "out")])
        assert zero.exit_code == 2 and "0 is not in the range x>=1" in zero.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CleantraceError, match=f"cannot serve on 127.0.0.1:{port} .* choose another --port"):
            serve_station(config(), port)
    with pytest.raises(CleantraceError, match="cannot serve on 203.0.113.5:0"):  # not an address of this machine
        serve_station(config(), 0, host="203.0.113.5")
    assert not (tmp_path / "out").exists()  # no database, no run folder, no sandbox


def test_the_documented_nginx_block_is_the_one_the_tls_test_runs_and_nginx_accepts_it(tmp_path):
    """`cleantrace station nginx-conf` (docs/volunteer.md, TLS) prints the block tests/e2e/test_station.py runs in
    front of the station, and Debian's nginx accepts it as a conf.d file."""
    import shutil
    import subprocess

    from click.testing import CliRunner

    from cleantrace.cli import cli
    from cleantrace.station.proxy import standalone_config

    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/install.sh installs it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    printed = CliRunner().invoke(cli, ["station", "nginx-conf", "--listen", "127.0.0.1:8443", "--cert", str(cert),
                                       "--key", str(key), "--upstream", "127.0.0.1:8600"])
    assert printed.exit_code == 0, printed.output
    block = printed.output
    assert "proxy_set_header Upgrade $http_upgrade;" in block and "X-Forwarded-For $remote_addr;" in block
    assert block in standalone_config("127.0.0.1:8443", cert.resolve(), key.resolve(), "127.0.0.1:8600", tmp_path)
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "station.conf").write_text(block)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                                         f"http {{ {temp} include {tmp_path}/conf.d/*.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_a_volunteer_is_still_known_after_a_restart(tmp_path, tasks_dir):
    config = StationConfig(task="crm/set-lead-status", out=tmp_path, tasks_dir=tasks_dir)
    app, station = create_station(config)
    http = app.test_client()
    http.post("/consent", data={"agree": "yes"})
    with http.session_transaction() as session:
        who = session["volunteer"]
    station.close()

    app, station = create_station(config)  # a new process would do the same: same database, same key
    again = app.test_client()
    again.set_cookie("session", http.get_cookie("session").value)
    assert again.get("/").headers["Location"] == "/task"  # the signed cookie is still valid, consent stands
    assert station.store.consented(who)
    forged = app.test_client()
    forged.set_cookie("session", http.get_cookie("session").value[:-2] + "xx")
    assert forged.get("/").status_code == 200 and forged.post("/api/heartbeat").status_code == 404
    station.close()


def test_episodes_left_live_by_a_killed_station_are_sealed_at_the_next_start(tmp_path, tasks_dir):
    from cleantrace.station.store import Store, default_url

    store = Store(default_url(tmp_path))
    store.add_volunteer("vol-bbbbbbbbbbbb")
    store.open_episode("tok", "ep-1", tmp_path / "gone" / "ep-1", "vol-bbbbbbbbbbbb", "crm/set-lead-status", 0)
    store.set_state("ep-1", "recording")
    store.close()
    app, station = create_station(StationConfig(task="crm/set-lead-status", out=tmp_path, tasks_dir=tasks_dir))
    assert station.recovered == ["ep-1"]
    row = station.store.episode("ep-1")
    assert row["state"] == "incomplete" and "before the episode was sealed" in row["message"]
    assert not station.store.session_open("tok")
    station.close()


def test_episodes_a_stopped_station_left_awaiting_submit_are_deleted_after_the_retention(tmp_path, tasks_dir):
    """A trace sealed but never submitted (the station stopped while it was in review, or being scanned) can no
    longer be submitted by anyone: at the next start it is abandoned, so the retention deletes it, as it deletes
    a blocked one (an audit row each); a submitted one stays."""
    from cleantrace.station.store import Store, default_url
    from tests.synthetic import write_episode

    store = Store(default_url(tmp_path))
    store.add_volunteer("vol-cccccccccccc")
    folders = {}
    for state in ("review", "checking", "submitted", "blocked"):
        folders[state] = write_episode(tmp_path / "old" / f"ep-{state}", performer="volunteer")
        store.open_episode(f"tok-{state}", f"old/ep-{state}", folders[state], "vol-cccccccccccc",
                           "crm/set-lead-status", 0)
        store.set_state(f"old/ep-{state}", state)
    store.close()
    app, station = create_station(StationConfig(task="crm/set-lead-status", out=tmp_path, tasks_dir=tasks_dir))
    assert sorted(station.recovered) == ["old/ep-checking", "old/ep-review"]
    assert "before the volunteer submitted it" in station.store.episode("old/ep-review")["message"]
    station.config.retention_hours = 0  # they are past their retention
    assert sorted(station.sweep()) == ["old/ep-blocked", "old/ep-checking", "old/ep-review"]  # blocked ones too
    assert not folders["review"].exists() and not folders["checking"].exists() and folders["submitted"].exists()
    assert not folders["blocked"].exists() and station.store.episode("old/ep-blocked")["state"] == "deleted"
    assert sorted(a["subject"] for a in station.store.audit_rows() if a["action"] == "retention") == [
        "old/ep-blocked", "old/ep-checking", "old/ep-review"]
    station.close()


def test_the_viewer_bridge_relays_both_ways_and_a_greeting_sent_with_the_handshake(tmp_path):
    """bridge() against a real unix-socket server that greets first (as RFB does), through a real websocket."""
    import socket
    import threading

    from flask import Flask, Response, request
    from werkzeug.serving import make_server

    from cleantrace.station.relay import Relay
    from cleantrace.station.viewer import bridge

    path = tmp_path / "rfb.sock"
    server_sock = socket.socket(socket.AF_UNIX)
    server_sock.bind(str(path))
    server_sock.listen()

    def rfb_like() -> None:  # greets at once, then echoes upper-cased
        while True:
            try:
                conn, _ = server_sock.accept()
            except OSError:
                return
            conn.sendall(b"RFB 003.008\n")
            while data := conn.recv(100):
                conn.sendall(data.upper())
            conn.close()

    threading.Thread(target=rfb_like, daemon=True).start()
    app = Flask(__name__)

    @app.route("/ws", websocket=True)
    def ws():
        bridge(request.environ, path)
        return Response()

    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        for _ in range(10):  # the greeting often arrives in the same read as the handshake's answer
            relay = Relay(f"ws://127.0.0.1:{http.server_port}/ws", None, None)
            with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as client:
                got = b""
                while len(got) < 12:
                    got += client.recv(100)
                assert got == b"RFB 003.008\n"
                client.sendall(b"hello")
                got = b""
                while len(got) < 5:
                    got += client.recv(100)
                assert got == b"HELLO"
            relay.close()
    finally:
        http.shutdown()
        server_sock.close()


def _campaign(**fields):
    from cleantrace.station.campaign import Campaign

    return Campaign.model_validate({"id": "pilot", "tasks": ["crm/set-lead-status"], "seeds": "0-1", "quota": 1,
                                    "max_per_volunteer": 2, **fields})


def test_a_malformed_campaign_file_is_one_line_naming_the_file_and_field(tmp_path):
    from cleantrace.station.campaign import load_campaign, parse_seeds

    assert parse_seeds("0-2,7") == [0, 1, 2, 7]
    good = tmp_path / "c.toml"
    good.write_text('id = "pilot"\ntasks = ["crm/*"]\nseeds = "0-3"\nquota = 2\npay_per_episode = 0.5\n')
    assert load_campaign(good).quota == 2
    for text, field in (('id = "Bad Id"\ntasks = ["a"]', "id"), ('id = "p"\ntasks = []', "tasks"),
                        ('id = "p"\ntasks = ["a"]\nseeds = "x"', "seeds"),
                        ('id = "p"\ntasks = ["a"]\nquota = 0', "quota"),
                        ('id = "p"\ntasks = ["a"]\npay = 1', "pay"), ("id = ", "not valid TOML")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(CleantraceError, match=field) as err:
            load_campaign(bad)
        assert str(bad) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(CleantraceError, match="cannot read campaign file"):
        load_campaign(tmp_path / "missing.toml")


def test_a_malformed_campaign_file_on_the_command_line_is_one_line_and_touches_nothing(tmp_path):
    """`cleantrace station --campaign BAD`: exit 1 with one line `error: … — …` naming the file and the field,
    before the station's folder or database is touched (what was recorded there stays as it was)."""
    import subprocess
    import sys

    out = tmp_path / "out"
    (out / "vol").mkdir(parents=True)
    (out / "vol" / "catalog.jsonl").write_text("kept\n")
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "pilot"\ntasks = ["crm/set-lead-status"]\nquota = 0\n')
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "station", "--campaign", str(bad), "--port", "0",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == "", done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: campaign file {bad}: quota:") and " — " in lines[0], lines
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["vol", "vol/catalog.jsonl"]
    assert (out / "vol" / "catalog.jsonl").read_text() == "kept\n"


def test_a_campaign_assigns_the_next_open_task_keeps_quotas_and_ends_with_a_code(tmp_path, tasks_dir):
    from cleantrace.station.app import NothingLeft

    app, station = create_station(StationConfig(campaign=_campaign(), out=tmp_path, tasks_dir=tasks_dir))
    store = station.store
    assert station.slots == [("crm/set-lead-status", 0), ("crm/set-lead-status", 1)]
    for who in ("vol-a", "vol-b", "vol-c"):
        store.add_volunteer(who)

    def did(who, seed, state, decision=None):
        key = f"run/{who}-{seed}"
        store.open_episode(f"t-{who}-{seed}", key, tmp_path / key, who, "crm/set-lead-status", seed)
        store.assign("pilot", who, "crm/set-lead-status", seed, key)
        store.set_state(key, state)
        if decision:
            with store.engine.begin() as conn:
                from cleantrace.station.store import reviews

                conn.execute(reviews.insert().values(episode_id=key, reviewer="r", decision=decision, reason="",
                                                     at="now"))

    assert station._next_task("vol-a") == ("crm/set-lead-status", 0)
    did("vol-a", 0, "submitted")
    assert station._next_task("vol-b") == ("crm/set-lead-status", 1)  # seed 0 has its quota
    did("vol-b", 1, "discarded")  # a discarded or incomplete episode does not count
    assert station._next_task("vol-c") == ("crm/set-lead-status", 1)
    did("vol-c", 1, "submitted", decision="rejected")  # nor does a rejected one
    assert station._next_task("vol-a") == ("crm/set-lead-status", 1)
    did("vol-a", 1, "submitted", decision="accepted")
    with pytest.raises(NothingLeft, match="2 tasks one person may do"):
        station._next_task("vol-a")
    with pytest.raises(NothingLeft, match="every task of this campaign is done"):
        station._next_task("vol-b")
    station.close()


def test_crowd_links_the_waiting_room_and_the_completion_code(tmp_path, tasks_dir):
    from cleantrace.station.campaign import completion_code

    app, station = create_station(StationConfig(campaign=_campaign(), out=tmp_path, tasks_dir=tasks_dir,
                                                max_booths=0))  # every sandbox is in use
    first, second, stranger = app.test_client(), app.test_client(), app.test_client()
    assert stranger.get("/").status_code == 403  # a campaign is reached by its link only
    assert stranger.get("/c/other?workerId=w1").status_code == 404
    assert stranger.get("/c/pilot").status_code == 400
    assert stranger.get("/c/pilot?workerId=bad id!").status_code == 400
    for client, worker in ((first, "W-1"), (second, "PROLIFIC_2")):
        assert client.get(f"/c/pilot?workerId={worker}").headers["Location"] == "/"
        assert "up to 2 short tasks" in client.get("/").get_data(as_text=True)
        assert client.post("/consent", data={"agree": "yes"}).headers["Location"] == "/task"
        assert client.get("/task").headers["Location"] == "/wait"  # no sandbox: the waiting room
    assert first.post("/api/wait").get_json()["position"] == 1
    assert second.post("/api/wait").get_json()["position"] == 2
    assert "number" in first.get("/wait").get_data(as_text=True)
    assert station.booths == {}  # nothing started while no capacity remains

    with first.session_transaction() as session:
        who = session["volunteer"]
    assert station.store.worker_of(who) == "W-1"
    again = app.test_client()  # the same worker in another browser is the same volunteer
    again.get("/c/pilot?workerId=W-1")
    again.post("/consent", data={"agree": "yes"})
    with again.session_transaction() as session:
        assert session["volunteer"] == who
    station.campaign = _campaign(max_per_volunteer=1)
    for seed in (0, 1):  # the campaign is done: the completion code
        station.store.open_episode(f"t{seed}", f"r/{seed}", tmp_path / f"r{seed}", who, "crm/set-lead-status", seed)
        station.store.assign("pilot", who, "crm/set-lead-status", seed, f"r/{seed}")
    assert first.get("/task").headers["Location"] == "/finished"
    assert first.post("/next").headers["Location"] == "/finished"  # the receipt's "Next task": nothing left
    code = completion_code(app.secret_key, "pilot", who)
    page = first.get("/finished").get_data(as_text=True)  # this browser did no task as W-1: no code shown
    assert code not in page and "Withdraw" in page and 'id="withdraw-code"' in page
    with first.session_transaction() as session:
        session["worked"] = who  # as the station marks a browser that opened a booth for them
    page = first.get("/finished").get_data(as_text=True)
    assert code in page and f'name="code" value="{code}"' in page

    from types import SimpleNamespace

    live = SimpleNamespace(ip="127.0.0.1", holds_sandbox=True, view=lambda: SimpleNamespace(state="recording"))
    station.booths.update({"vol-x": live, "vol-y": live})  # two tasks open from the same address
    refused = second.get("/task")
    assert refused.status_code == 429 and "2 tasks are already open from your address" in refused.get_data(as_text=True)
    station.booths.clear()
    station.close()


@pytest.fixture(params=["sqlite", "postgres"])
def station_db(request) -> str | None:
    """The station's database: its default (SQLite beside the runs), or a real Postgres (--db)."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres_db")


def test_review_with_its_own_login_the_ledger_withdrawal_retention_and_a_restart(tmp_path, tasks_dir, station_db):
    """Two crowd workers' submitted episodes: a reviewer accepts one and rejects the other, the ledger shows
    both, a stranger knowing a worker id cannot withdraw for them, the worker withdraws with their code (their
    episode deleted everywhere), retention deletes the rejected one; a restart keeps all of it. On SQLite and
    on Postgres."""
    import json

    from click.testing import CliRunner

    from cleantrace.cli import cli
    from cleantrace.station.campaign import completion_code
    from cleantrace.trace import files
    from tests.synthetic import write_episode

    config = StationConfig(campaign=_campaign(pay_per_episode=0.5, pay_per_hour=3.6), out=tmp_path,
                           tasks_dir=tasks_dir, run_id="st", db_url=station_db)
    app, station = create_station(config)
    store, run = station.store, station.run_dir
    people = {}
    for seed, worker in enumerate(("W-1", "W-2")):
        http = app.test_client()
        http.get(f"/c/pilot?workerId={worker}")
        http.post("/consent", data={"agree": "yes"})
        with http.session_transaction() as session:
            who = session["volunteer"]
        name = f"crm--set-lead-status--s{seed}--{who}"
        write_episode(run / name, performer="volunteer", run_id="st")
        (run / files.CATALOG).open("a").write(json.dumps({"episode_id": name, "status": "success"}) + "\n")
        store.open_episode(f"tok-{seed}", f"st/{name}", run / name, who, "crm/set-lead-status", seed)
        store.assign("pilot", who, "crm/set-lead-status", seed, f"st/{name}")
        store.set_state(f"st/{name}", "submitted", seconds_on_task=100.0)
        people[worker] = (http, who, name)

    admin = app.test_client()
    assert admin.get("/admin").headers["Location"] == "/admin/login"
    assert people["W-1"][0].get("/admin").headers["Location"] == "/admin/login"  # a volunteer is no reviewer
    store.set_reviewer("rita", "correct horse")
    assert admin.post("/admin/login", data={"name": "rita", "password": "wrong"}).status_code == 401
    assert admin.post("/admin/login", data={"name": "rita", "password": "correct horse"}).status_code == 302
    listing = admin.get("/admin").get_data(as_text=True)
    accepted, rejected = (f"st/{people[w][2]}" for w in ("W-1", "W-2"))
    assert accepted in listing and rejected in listing and listing.count("to review") == 2
    page = admin.get(f"/admin/episode/{accepted}").get_data(as_text=True)
    assert 'id="check">success' in page and "/admin/frames/" in page
    assert admin.post(f"/admin/episode/{rejected}/decide", data={"decision": "rejected"}).status_code == 400
    admin.post(f"/admin/episode/{accepted}/decide", data={"decision": "accepted"})
    admin.post(f"/admin/episode/{rejected}/decide", data={"decision": "rejected", "reason": "the lead is wrong"})
    assert json.loads((run / "reviews.json").read_text()) == {people["W-1"][2]: "accepted",
                                                              people["W-2"][2]: "rejected"}
    ledger = {r["worker_id"]: r for r in store.ledger()}
    assert (ledger["W-1"]["accepted"], ledger["W-1"]["amount_owed"]) == (1, 0.6)  # 0.50 + 100 s at 3.60/h
    assert (ledger["W-2"]["rejected"], ledger["W-2"]["amount_owed"]) == (0 + 1, 0.0)
    assert ledger["W-1"]["seconds_on_task"] == 100.0

    http, who, name = people["W-1"]
    stranger = app.test_client()  # knows W-1's id (it is in crowd links), not their completion code
    stranger.get("/c/pilot?workerId=W-1")
    stranger.post("/consent", data={"agree": "yes"})
    for forged in ({}, {"code": completion_code(app.secret_key, "pilot", people["W-2"][1])}, {"code": "CT-0"}):
        refused = stranger.post("/withdraw", data=forged)
        assert refused.status_code == 403 and "not your completion code" in refused.get_data(as_text=True)
    assert (run / name).exists() and store.consented(who) and name in (run / files.CATALOG).read_text()
    assert [a["action"] for a in store.audit_rows() if a["subject"] == who].count("withdraw-refused") == 3
    assert not any(a["action"] == "withdraw" for a in store.audit_rows())
    code = completion_code(app.secret_key, "pilot", who)
    assert "1 recording(s) are deleted" in http.post("/withdraw", data={"code": code.lower()}).get_data(as_text=True)
    assert not (run / name).exists() and name not in (run / files.CATALOG).read_text()
    assert people["W-1"][2] not in json.loads((run / "reviews.json").read_text())
    assert not store.consented(who) and http.get("/task").headers["Location"] == "/"
    assert any(a["action"] == "withdraw" and name in a["detail"] for a in store.audit_rows())

    station.config.retention_hours = 0  # the rejected episode is past its retention
    assert station.sweep() == [rejected]
    assert not (run / people["W-2"][2]).exists() and (run / files.CATALOG).read_text() == ""
    station.close()

    app, station = create_station(config)  # a restart keeps reviews, pay, withdrawals
    assert {r["worker_id"]: r["amount_owed"] for r in station.store.ledger()} == {"W-1": 0.6, "W-2": 0.0}
    assert not station.store.consented(who)
    station.close()
    where = ["--db", station_db] if station_db else ["--out", str(tmp_path)]
    csv = CliRunner().invoke(cli, ["station", "ledger", "--csv", *where])
    assert csv.exit_code == 0, csv.output
    lines = csv.output.splitlines()
    assert lines[0].startswith("worker_id,volunteer_id,seconds_on_task") and len(lines) == 3
    assert lines[1].startswith("W-1,") and lines[1].endswith(",1,0,0.6,USD")


def test_a_signed_invitation_opens_the_campaign_and_a_forged_or_expired_one_does_not(tmp_path, tasks_dir):
    from click.testing import CliRunner

    from cleantrace.cli import cli
    from cleantrace.station.campaign import invite_token

    campaign = tmp_path / "c.toml"
    campaign.write_text('id = "pilot"\ntasks = ["crm/set-lead-status"]\n')
    printed = CliRunner().invoke(cli, ["station", "invite", "--campaign", str(campaign), "--worker", "W-9",
                                       "--public-url", "https://station.example.com/", "--out", str(tmp_path)])
    assert printed.exit_code == 0, printed.output
    worker, link = printed.output.strip().split("\t")
    assert worker == "W-9" and link.startswith("https://station.example.com/i/")
    app, station = create_station(StationConfig(campaign=_campaign(), out=tmp_path, tasks_dir=tasks_dir))
    http = app.test_client()  # the same database: the same key signed the link
    assert http.get(link.split("example.com", 1)[1]).headers["Location"] == "/"
    with http.session_transaction() as session:
        assert session["worker"] == "W-9"
    forged = app.test_client().get("/i/" + invite_token(b"another key" * 3, "pilot", "W-9"))
    assert forged.status_code == 403 and "not valid" in forged.get_data(as_text=True)
    from itsdangerous import URLSafeTimedSerializer

    from cleantrace.station.campaign import INVITE_SALT

    odd = URLSafeTimedSerializer(app.secret_key, salt=INVITE_SALT).dumps({"c": "pilot", "w": "bad id!"})
    assert app.test_client().get(f"/i/{odd}").status_code == 400  # signed, but no valid worker id in it
    bad = CliRunner().invoke(cli, ["station", "invite", "--campaign", str(campaign), "--worker", "W-1", "--worker",
                                   "bad id!", "--public-url", "https://station.example.com/", "--out", str(tmp_path)])
    assert isinstance(bad.exception, CleantraceError) and "worker id 'bad id!' is not valid" in str(bad.exception)
    assert bad.output == ""  # no link printed, not even W-1's
    station.config.invite_hours = -1  # every invitation is too old now
    expired = app.test_client().get(link.split("example.com", 1)[1])
    assert expired.status_code == 403 and "expired" in expired.get_data(as_text=True)
    station.close()


def test_sigint_stops_a_real_station_process_and_closes_its_port(tmp_path, tasks_dir):
    """`cleantrace station` as a real process: Ctrl-C (SIGINT) ends it cleanly, its port closed (the same path
    as SIGTERM, which tests/e2e/test_station.py drives with live sandboxes)."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "cleantrace.cli", "station", "--task", "crm/set-lead-status", "--port", "0",
         "--out", str(tmp_path), "--tasks-dir", str(tasks_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line + (proc.stderr.read() if proc.poll() is not None else "")
        port = int(found.group(1))
        socket.create_connection(("127.0.0.1", port), timeout=10).close()  # it listens
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "stopped: the station shut down (SIGINT)" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_the_review_says_in_the_task_s_terms_why_the_check_failed(client, tmp_path):
    """The volunteer's review page gives the check's reason (the task's own words), not just 'failure'."""
    import json
    from types import SimpleNamespace

    from cleantrace.station.booth import BoothView
    from cleantrace.trace import files
    from tests.synthetic import write_episode

    http, station = client
    http.post("/consent", data={"agree": "yes"})
    with http.session_transaction() as session:
        who, session["booth"] = session["volunteer"], "tok"
    folder = write_episode(tmp_path / "ep", success=False, task="crm/set-lead-status", performer="volunteer",
                           instruction="Set the status of Acme Ltd to Won.")
    meta = json.loads((folder / files.META).read_text())
    meta["outcome"]["message"] = "the status of Acme Ltd is New, not Won"  # as the task's check gives it
    (folder / files.META).write_text(json.dumps(meta))
    station.booths[who] = SimpleNamespace(token="tok", folder=folder, view=lambda: BoothView("review"),
                                          spec=SimpleNamespace(episode_id="ep"))
    try:
        page = http.get("/review").get_data(as_text=True)
    finally:
        station.booths.clear()
    verdict = page.split('id="verdict"', 1)[1].split("</p>", 1)[0]
    assert "not done as asked" in verdict and "the status of Acme Ltd is New, not Won" in verdict
    assert 'id="submit"' in page and "Set the status of Acme Ltd to Won." in page


def test_a_volunteer_id_never_reads_as_personal_data(monkeypatch):
    """A random `vol-<hex>` can read as a street address (then every episode of that volunteer would be blocked
    at Submit, the id being in meta.json): such an id is drawn again."""
    from cleantrace.privacy.detect import find_identifiers
    from cleantrace.station import app as station_app

    assert find_identifiers("vol-09bffb667eaa")  # one that reads as an address
    drawn = iter(["09bffb667eaa", "0123456789ab"])
    monkeypatch.setattr(station_app.secrets, "token_hex", lambda n: next(drawn))
    assert station_app.new_volunteer_id() == "vol-0123456789ab"


def test_a_worker_id_alone_does_not_open_another_browser_s_live_booth(tmp_path, tasks_dir):
    """A crowd link's worker id is no secret: a second browser with the same id is the same volunteer, but it is
    not let into the booth still live in the first (its screen, commands, recording), nor given a second one."""
    from types import SimpleNamespace

    from cleantrace.station.booth import BoothView

    app, station = create_station(StationConfig(campaign=_campaign(), out=tmp_path, tasks_dir=tasks_dir))
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.get("/c/pilot?workerId=W-1")
        client.post("/consent", data={"agree": "yes"})
    with first.session_transaction() as session:
        who, session["booth"] = session["volunteer"], "tok"
    station.booths[who] = SimpleNamespace(token="tok", view=lambda: BoothView("recording"), ip="127.0.0.1",
                                          holds_sandbox=True, heartbeat=lambda: BoothView("recording"),
                                          spec=SimpleNamespace(episode_id="ep"), folder=tmp_path / "ep")
    try:
        assert first.post("/api/heartbeat").get_json()["state"] == "recording"  # the first browser's booth
        refused = second.get("/task")
        assert refused.status_code == 409 and "open in another browser" in refused.get_data(as_text=True)
        assert second.post("/api/wait").get_json() == {"go": "/task"}  # the waiting room's poll: same answer
        with second.session_transaction() as session:
            assert session["volunteer"] == who and "booth" not in session
        assert second.post("/api/heartbeat").status_code == 404 and second.post("/api/discard").status_code == 404
    finally:
        station.booths.clear()
        station.close()
