"""Volunteer station speed with N volunteers at once, each driven over the station's real websocket.

    .venv/bin/python bench/station.py [--volunteers 1,2,4,8] [--moves 30]

For each N, a station is served on loopback (Flask, its `/booth/ws` bridge) with N sandboxes, and N
volunteers act at once, as a browser would: consent over HTTP (which opens the booth), the page's
heartbeat, then the screen's websocket opened with their cookie and Origin and relayed to vncdotool
(`station/relay.py`). Measured per volunteer: `sandbox start` (consent → the volunteer can press
Start), and per pointer move `input → recorded` (sent through the websocket until its event is in the
trace's events.jsonl: the relay, the station's bridge, x11vnc, the X server, RECORD delivery and the
writer's flush). Then Done → review. Results: printed, and written to bench/results/station.json
with the machine's load average (the machine may be shared: numbers on a loaded machine are slower).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from cleantrace.station.app import StationConfig, create_station
from cleantrace.station.relay import Relay
from cleantrace.trace import files

RESULTS = Path(__file__).with_name("results") / "station.json"
TASK = "crm/set-lead-status"


def _event_count(folder: Path) -> int:
    try:
        return (folder / files.EVENTS).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def volunteer(url: str, station, moves: int, api, gate: threading.Barrier) -> dict:
    """One volunteer from consent to Done, as the page does; their timings."""
    http = requests.Session()
    http.trust_env = False
    gate.wait()
    t0 = time.perf_counter()
    http.post(url + "/consent", data={"agree": "yes"})  # follows to /task, which opens the booth
    while (state := http.post(url + "/api/heartbeat").json())["state"] == "starting":
        if time.perf_counter() - t0 > 300:
            raise RuntimeError("a sandbox did not come up in 300 s")
        time.sleep(0.1)
    start_s = time.perf_counter() - t0
    (booth,) = [b for b in list(station.booths.values()) if b.spec.episode_id == state["episode"]]
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    screen = Relay(url.replace("http", "ws", 1) + "/booth/ws", cookie, url)
    vnc = api.connect(screen.address, password=None)
    vnc.mouseMove(5, 5)  # the first call completes the RFB handshake
    assert http.post(url + "/api/start").json()["state"] == "recording"
    latencies = []
    for k in range(moves):
        if k % 10 == 0:
            http.post(url + "/api/heartbeat")
        before = _event_count(booth.folder)
        t1 = time.perf_counter()
        vnc.mouseMove(100 + 10 * k, 100 + 5 * k)
        while _event_count(booth.folder) <= before:
            if time.perf_counter() - t1 > 10:
                raise RuntimeError(f"move {k} was not recorded within 10 s ({booth.view()})")
            time.sleep(0.0005)
        latencies.append((time.perf_counter() - t1) * 1000)
        time.sleep(0.05)
    vnc.disconnect()
    screen.close()
    t1 = time.perf_counter()
    assert http.post(url + "/api/done").json()["state"] == "review"
    return {"start_s": start_s, "latencies_ms": latencies, "done_to_review_s": time.perf_counter() - t1}


def measure(n: int, moves: int, api) -> dict:
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as tmp:
        app, station = create_station(StationConfig(task=TASK, out=Path(tmp), run_id=f"bench-{n}",
                                                    heartbeat_timeout=600, max_booths=n, max_per_ip=n))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        load_before = os.getloadavg()[0]
        gate = threading.Barrier(n)
        try:
            with ThreadPoolExecutor(n) as pool:
                runs = list(pool.map(lambda _: volunteer(url, station, moves, api, gate), range(n)))
        finally:
            server.shutdown()
            station.close()
    latencies = [x for r in runs for x in r["latencies_ms"]]
    starts = [r["start_s"] for r in runs]
    return {
        "volunteers": n, "moves_each": moves,
        "load_average_1min": {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1)},
        "sandbox_start_s": {"median": round(statistics.median(starts), 2), "max": round(max(starts), 2)},
        "input_to_recorded_ms": {"p50": round(_percentile(latencies, 0.5), 2),
                                 "p95": round(_percentile(latencies, 0.95), 2), "max": round(max(latencies), 2)},
        "done_to_review_s": {"median": round(statistics.median(r["done_to_review_s"] for r in runs), 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", default="1,2,4,8", help="Comma-separated N (volunteers at once).")
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    import logging

    from vncdotool import api

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    results = []
    try:
        for n in (int(x) for x in args.volunteers.split(",")):
            try:
                results.append(measure(n, args.moves, api))
            except Exception as exc:  # e.g. the machine cannot hold N sandboxes: say so, keep the others
                results.append({"volunteers": n, "error": f"{type(exc).__name__}: {exc}"})
            print(json.dumps(results[-1]), flush=True)
    finally:
        api.shutdown()
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "note": "shared with other jobs while measured: see each load_average_1min"},
        "path": "vncdotool → loopback relay → ws:// /booth/ws (the station's bridge) → x11vnc → Xvfb → RECORD → "
                "events.jsonl",
        "runs": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
