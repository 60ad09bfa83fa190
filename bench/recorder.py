"""Recorder completeness, timing, frame rate and cost, on a real Xvfb.

    .venv/bin/python bench/recorder.py

Injects known event streams through XTest (a fast mouse sweep at ≥ 500 events/s, key bursts,
wheel ticks, drags) while the recorder runs, then compares what it recorded with what was
injected: share captured, order, and timestamp error (recorded t_ms minus the time of
injection, on the same clock). Done twice: alone, and while frames are taken as fast as
possible. Also measures the frame rate reachable at 1280×800 (grab + hash, and PNG encoding)
and the recorder's CPU cost per recorded minute. Prints the numbers and writes
bench/results/recorder.json.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import mss
import mss.tools
import numpy as np
from Xlib import X, display
from Xlib.ext import xtest

from cleantrace.record.clock import EpisodeClock
from cleantrace.record.keys import key_label
from cleantrace.record.recorder import Recorder
from cleantrace.trace.writer import TraceWriter

RESULTS = Path(__file__).with_name("results") / "recorder.json"
SIZE = (1280, 800)


class Injector:
    """XTest injection that notes each event and the clock time it was sent."""

    def __init__(self, name: str, clock: EpisodeClock) -> None:
        self.d = display.Display(name)
        self.clock = clock
        self.sent: list[tuple[str, int, int, object, float]] = []
        pointer = self.d.screen().root.query_pointer()
        self.x, self.y = pointer.root_x, pointer.root_y

    def _send(self, noted: tuple, *args, **kw):
        t = self.clock.ms()
        xtest.fake_input(self.d, *args, **kw)
        self.d.flush()
        self.sent.append((*noted, t))

    def move(self, x, y):
        if (x, y) != (self.x, self.y):
            self._send(("move", x, y, None), X.MotionNotify, x=x, y=y)
            self.x, self.y = x, y

    def button(self, b, down):
        kind = "wheel" if b >= 4 else ("down" if down else "up")
        if b >= 4 and not down:
            xtest.fake_input(self.d, X.ButtonRelease, b)  # a wheel release is not recorded
            self.d.flush()
            return
        self._send((kind, self.x, self.y, b), X.ButtonPress if down else X.ButtonRelease, b)

    def key(self, keysym, down):
        code = self.d.keysym_to_keycode(keysym)
        self._send(("key_down" if down else "key_up", self.x, self.y, key_label(keysym)),
                   X.KeyPress if down else X.KeyRelease, code)


def paced(rate_hz: float):
    """Yields at `rate_hz`, catching up if late (a hardware-like steady rate)."""
    period, due = 1 / rate_hz, time.perf_counter()
    while True:
        due += period
        yield
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def inject_streams(inj: Injector, rng: random.Random) -> dict:
    """The known streams; returns the achieved rate of the fast sweep."""
    tick = paced(1000)
    t0 = time.perf_counter()
    for i in range(3000):  # fast mouse sweep: a zigzag over the whole screen
        next(tick)
        inj.move(int(640 + 600 * np.sin(i / 40)), int(400 + 380 * np.sin(i / 23)))
    sweep_rate = 3000 / (time.perf_counter() - t0)
    tick = paced(200)
    for _ in range(150):  # key bursts (letters, digits), with rollover of pairs
        a, b = ord(rng.choice("abcdefghijklmnopqrstuvwxyz")), ord(rng.choice("0123456789"))
        for ks, down in ((a, True), (b, True), (a, False), (b, False)):
            next(tick)
            inj.key(ks, down)
    tick = paced(100)
    for _ in range(100):  # wheel ticks
        next(tick)
        wheel = rng.choice((4, 5))
        inj.button(wheel, True)
        inj.button(wheel, False)
    for _ in range(20):  # drags
        x, y = rng.randrange(100, 1100), rng.randrange(100, 700)
        inj.move(x, y)
        inj.button(1, True)
        for k in range(1, 30):
            next(tick)
            inj.move(x + 5 * k, y + 2 * k)
        inj.button(1, False)
    return {"sweep_events_per_s": round(sweep_rate)}


def completeness(name: str, frames_busy: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        clock = EpisodeClock()
        writer = TraceWriter(Path(tmp) / "ep")
        recorder = Recorder(writer, name, clock, resolver=None, fps=10 if frames_busy else 0)
        inj = Injector(name, clock)
        recorder.start()
        stop = threading.Event()
        frames = {"taken": 0}

        def hammer():
            while not stop.is_set():
                recorder.observe("action")
                frames["taken"] += 1

        hammerer = threading.Thread(target=hammer, daemon=True)
        if frames_busy:
            hammerer.start()
        rates = inject_streams(inj, random.Random(1))
        inj.d.sync()
        time.sleep(0.3)
        stop.set()
        if frames_busy:
            hammerer.join()
        recorder.stop()
        writer.close()
        got = [(e.kind, e.x, e.y, e.key if e.kind.startswith("key") else e.button) for e in recorder.events]
        sent = [s[:4] for s in inj.sent]
        errors = [e.t_ms - s[4] for e, s in zip(recorder.events, inj.sent, strict=False)]
        mismatch = next((k for k, (g, s) in enumerate(zip(got, sent, strict=False)) if g != s), None)
        return {
            "first_mismatch": None if mismatch is None else {"index": mismatch, "recorded": got[mismatch],
                                                              "injected": sent[mismatch]},
            "frames_taken_meanwhile": frames["taken"],
            "injected": len(sent),
            "captured": len(got),
            "captured_share": len(got) / len(sent),
            "in_order_and_equal": got == sent,
            "timestamp_error_ms": {
                "median": float(np.median(errors)), "p99": float(np.percentile(errors, 99)),
                "max": float(np.max(errors)),
            },
            **rates,
        }


def frame_rates(name: str) -> dict:
    """Grabs (with hashing) per second, and PNG encodings per second, of a changing screen."""
    d = display.Display(name)
    root = d.screen().root
    gc = root.create_gc(foreground=0)
    grabber = mss.MSS(display=name)
    import hashlib

    n, t0 = 60, time.perf_counter()
    shots = []
    for i in range(n):
        gc.change(foreground=random.randrange(1 << 24))
        root.fill_rectangle(gc, (i * 20) % 1200, 0, 80, 800)
        d.sync()
        shot = grabber.grab(grabber.monitors[1])
        hashlib.sha256(shot.rgb).hexdigest()
        shots.append(shot)
    grab_fps = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, shot in enumerate(shots[:30]):
            mss.tools.to_png(shot.rgb, shot.size, level=1, output=f"{tmp}/{i}.png")
    encode_fps = 30 / (time.perf_counter() - t0)
    return {"grab_and_hash_fps": round(grab_fps, 1), "png_encode_fps": round(encode_fps, 1),
            "reachable_fps": round(min(grab_fps, encode_fps), 1)}


def cpu_per_recorded_minute(name: str, seconds: float = 20.0) -> dict:
    """Process CPU with the recorder on minus off, under the same 100 Hz pointer motion."""

    def cpu_over(recording: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            clock = EpisodeClock()
            writer = TraceWriter(Path(tmp) / "ep")
            recorder = Recorder(writer, name, clock, resolver=None, fps=2.0)
            inj = Injector(name, clock)
            if recording:
                recorder.start()
            c0 = time.process_time()
            tick = paced(100)
            for i in range(int(seconds * 100)):
                next(tick)
                inj.move(200 + (i * 7) % 800, 200 + (i * 3) % 400)
            used = time.process_time() - c0
            if recording:
                recorder.stop()
            writer.close()
            return used

    off, on = cpu_over(False), cpu_over(True)
    return {"cpu_s_per_recorded_minute": round((on - off) * 60 / seconds, 2),
            "note": "recorder threads only (XRecord, 2 fps frames with PNG encoding), 100 Hz pointer motion"}


def main() -> None:
    number = 91
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp",
                             "+extension", "RECORD"], stderr=subprocess.DEVNULL)
    name = f":{number}"
    try:
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            time.sleep(0.01)
        result = {
            "alone": completeness(name, frames_busy=False),
            "while_taking_frames": completeness(name, frames_busy=True),
            "frames_at_1280x800": frame_rates(name),
            "cost": cpu_per_recorded_minute(name),
            "targets": {"captured_share": 1.0, "timestamp_error_p99_ms": 5.0, "sweep_events_per_s": 500},
        }
    finally:
        xvfb.terminate()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    for case in ("alone", "while_taking_frames"):
        r = result[case]
        print(f"{case:20s} captured {r['captured']}/{r['injected']} ({100 * r['captured_share']:.1f} %), "
              f"in order: {r['in_order_and_equal']}, timestamp error p99 {r['timestamp_error_ms']['p99']:.2f} ms "
              f"(max {r['timestamp_error_ms']['max']:.2f}), sweep {r['sweep_events_per_s']} events/s, "
              f"frames meanwhile {r['frames_taken_meanwhile']}")
    f = result["frames_at_1280x800"]
    print(f"frames at 1280x800    grab+hash {f['grab_and_hash_fps']} fps, PNG encode {f['png_encode_fps']} fps")
    print(f"recorder cost         {result['cost']['cpu_s_per_recorded_minute']} CPU-s per recorded minute")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
