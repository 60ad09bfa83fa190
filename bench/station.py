"""Volunteer station speed: booth up, VNC input → recorded event, Done → review.

    .venv/bin/python bench/station.py [--runs 5] [--moves 40]

Each run opens a real booth (sandbox + x11vnc) for crm/set-lead-status and measures,
from the host: `open → ready` (until the volunteer can press Start), `vnc connect` (vncdotool on
x11vnc's unix socket), `input → recorded` (a pointer move sent through VNC until its event is in
the trace's events.jsonl: x11vnc, the X server, RECORD delivery and the writer's flush), and
`done → review` (check, seal, sandbox teardown). Also 2 booths opened at once. Results: printed,
and written to bench/results/station.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cleantrace.station.app import Station, StationConfig
from cleantrace.trace import files

RESULTS = Path(__file__).with_name("results") / "station.json"


def _open_ready(station: Station, who: str) -> tuple[object, float]:
    t0 = time.perf_counter()
    booth = station.open_booth(who, "2026-01-01T00:00:00+00:00")
    booth.wait_ready(120)
    return booth, time.perf_counter() - t0


def _event_count(folder: Path) -> int:
    try:
        return (folder / files.EVENTS).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def one_run(station: Station, n: int, moves: int, api) -> dict:
    booth, ready = _open_ready(station, f"vol-bench{n:03d}")
    booth.heartbeat()
    t0 = time.perf_counter()
    vnc = api.connect(str(booth.vnc_socket), password=None)
    vnc.mouseMove(5, 5)  # the first call completes the RFB handshake
    connect = time.perf_counter() - t0
    booth.command("start")
    latencies = []
    for k in range(moves):
        booth.heartbeat()
        before = _event_count(booth.folder)
        t0 = time.perf_counter()
        vnc.mouseMove(100 + 10 * k, 100 + 5 * k)
        while _event_count(booth.folder) <= before:
            if time.perf_counter() - t0 > 5:
                raise RuntimeError(f"run {n}: VNC move {k} was not recorded within 5 s ({booth.view()})")
            time.sleep(0.0005)
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.05)
    vnc.disconnect()
    t0 = time.perf_counter()
    view = booth.command("done")
    done = time.perf_counter() - t0
    assert view.state == "review", view
    return {"open_to_ready_s": ready, "vnc_connect_s": connect, "done_to_review_s": done, "latencies_ms": latencies}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    from vncdotool import api

    with tempfile.TemporaryDirectory() as tmp:
        station = Station(StationConfig(task="crm/set-lead-status", out=Path(tmp), run_id="bench",
                                        heartbeat_timeout=60, max_booths=4))
        try:
            runs = [one_run(station, n, args.moves, api) for n in range(args.runs)]
            t0 = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                pair = list(pool.map(lambda who: _open_ready(station, who)[1], ["vol-pair-a", "vol-pair-b"]))
            both = time.perf_counter() - t0
        finally:
            station.close()
            api.shutdown()

    latencies = sorted(x for r in runs for x in r["latencies_ms"])

    def summary(key: str) -> dict:
        values = [r[key] for r in runs]
        return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": args.runs, "moves_per_run": args.moves,
        "open_to_ready_s": summary("open_to_ready_s"),
        "vnc_connect_s": summary("vnc_connect_s"),
        "done_to_review_s": summary("done_to_review_s"),
        "input_to_recorded_ms": {
            "median": round(statistics.median(latencies), 2),
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
            "max": round(latencies[-1], 2),
        },
        "two_booths_at_once": {"each_ready_s": [round(x, 3) for x in pair], "both_ready_s": round(both, 3)},
    }
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
