"""Pointer pacing under CPU load: do late XTest points go out in bursts?

    .venv/bin/python bench/pacing.py [--movements 60] [--burn 0]

Plays the same humanlike movements into a fresh Xvfb twice, interleaved: with the old pacing (sleep
until each point's due time, then send it, however late: a busy machine sends the late ones in a
burst) and with `XTestInput.move_along` (paced by the clock: a point that can no longer go out
before the next is due is dropped; points at least 4 ms apart). The X server's own timestamps of
the motion events (captured with XRecord, as the recorder does) give the share of intervals under
2 ms. Run it on a loaded machine (the load average is reported; `--burn N` adds N busy processes).
Writes bench/results/pacing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cleantrace.perform.motion import Box, move_path
from cleantrace.perform.motion import Path as MotionPath
from cleantrace.perform.persona import sample_persona
from cleantrace.perform.xinput import XTestInput, _sleep_until
from cleantrace.record.clock import EpisodeClock
from cleantrace.record.xrecord import XRecordCapture
from cleantrace.sandbox.display import VirtualDisplay

RESULTS = Path(__file__).with_name("results") / "pacing.json"


class BurstingInput(XTestInput):
    """The pacing before issue 19: every point is sent, a late one right away."""

    def move_along(self, path: MotionPath) -> list[float]:
        due, sent = time.perf_counter(), []
        for (x, y), delay in zip(path.points.tolist(), path.delays.tolist(), strict=True):
            due += delay
            _sleep_until(due)
            self.move(x, y)
            sent.append(time.perf_counter())
        return sent


def free_display() -> int:
    return next(n for n in range(140, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                and not Path(f"/tmp/.X{n}-lock").exists())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=60, help="movements per pacing")
    parser.add_argument("--burn", type=int, default=0, help="busy processes to add to the load")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burn)]
    screen = VirtualDisplay(free_display())
    screen.launch()
    try:
        screen.wait_ready()
        result = measure(screen.name, args.movements)
    finally:
        screen.stop()
        for p in burners:
            p.kill()
            p.wait()
    result["load_average_1min"] = os.getloadavg()[0]
    result["cpus"] = os.cpu_count()
    result["burners"] = args.burn
    for name in ("before", "after"):
        r = result[name]
        print(f"{name:6s} ({r['pacing']}): {r['intervals']} intervals, {r['share_under_2ms']:.1%} under 2 ms, "
              f"{r['points_dropped_share']:.1%} of points dropped, median {r['median_interval_ms']:.1f} ms")
    print(f"load average {result['load_average_1min']:.1f} on {result['cpus']} cores")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


def measure(display_name: str, movements: int) -> dict:
    clock = EpisodeClock()
    captured: list = []
    capture = XRecordCapture(display_name, clock, captured.extend)
    capture.start()
    inputs = {"before": BurstingInput(display_name), "after": XTestInput(display_name)}
    spans: dict[str, list[tuple[float, float, int]]] = {"before": [], "after": []}
    rng = np.random.default_rng(1)
    persona = sample_persona(1)
    for _ in range(movements):
        for name, device in inputs.items():  # interleaved: both see the same load
            goal = rng.uniform([50, 50], [1200, 750])
            path = move_path(device.position, Box(goal[0], goal[1], 30, 20), rng, persona)
            begin = clock.ms()
            device.move_along(path)
            device.sync()
            spans[name].append((begin, clock.ms() + 1, len(path.points)))
            time.sleep(0.05)
    time.sleep(0.2)
    capture.stop()
    moves = np.array([e.t_ms for e in captured if e.kind == "move"])
    out = {}
    for name, windows in spans.items():
        intervals, received, planned = [], 0, 0
        for begin, end, count in windows:
            inside = moves[(moves >= begin) & (moves <= end)]
            intervals += list(np.diff(inside))
            received += len(inside)
            planned += count
        iv = np.array(intervals)
        out[name] = {
            "pacing": "send every point when due, late or not" if name == "before"
            else "paced by the clock, late points dropped",
            "intervals": len(iv), "share_under_2ms": float(np.mean(iv < 2)),
            "median_interval_ms": float(np.median(iv)), "points_dropped_share": 1 - received / planned,
        }
    for device in inputs.values():
        device.close()
    return out


if __name__ == "__main__":
    main()
