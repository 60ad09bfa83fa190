"""Screenshots of the sandbox display with mss: deduplicated, encoded (PNG, or lossless WebP)
off the capture path."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mss
import mss.tools
from PIL import Image

from cleantrace.record.clock import EpisodeClock
from cleantrace.trace.schema import Frame

PNG_LEVEL = 1  # fast lossless (the default); exporters re-encode on request
WEBP_METHOD = 1  # lossless WebP (--frame-format webp): here the fastest, at a third of the PNG size


class FrameCapture:
    """Grabs the whole X screen; a frame identical to the last stored one is not stored again.

    Grabbing and hashing happen on the caller's thread; PNG encoding and the frames.jsonl row
    happen on one encoder thread, in capture order, so a row always names a file that exists.
    """

    def __init__(
        self, display_name: str, folder: Path, clock: EpisodeClock, sink: Callable[[Frame], None],
        on_write_error: Callable[[OSError, str], None] | None = None, frame_format: str = "png",
    ) -> None:
        self.frame_format = frame_format
        self.display_name = display_name
        self.on_write_error = on_write_error
        self.folder = folder
        self.clock = clock
        self.sink = sink
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-encoder")
        self._last_sha = ""
        self._count = 0
        self._interval_stop = threading.Event()
        self._interval_thread: threading.Thread | None = None
        self.paused = False  # while True, capture() takes no frame
        self.capture_times: list[float] = []  # every capture, also those not stored (unchanged screen)
        self.error: BaseException | None = None

    def capture(self, reason: str) -> int:
        """Take a frame now; returns its index (the last stored one if the screen is unchanged or
        capture is paused)."""
        grabber = self._grabber()
        with self._lock:
            if self.paused:
                return self._count - 1
            t_ms = self.clock.ms()
            pointer = self._pointer()
            shot = grabber.grab(grabber.monitors[1])
            if self.paused:  # paused while this frame was being taken: it may show what must not be kept
                return self._count - 1
            rgb = shot.rgb
            sha = hashlib.sha256(rgb).hexdigest()  # of the RGB pixels, so a reader can verify the PNG
            self.capture_times.append(t_ms)
            if sha == self._last_sha:
                return self._count - 1
            index = self._count
            self._count += 1
            self._last_sha = sha
            frame = Frame(i=index, t_ms=t_ms, file=f"frames/{index:06d}.{self.frame_format}", sha256=sha, reason=reason,
                          pointer=pointer)
            self._encoder.submit(self._encode, rgb, shot.size, frame)
            return index

    @property
    def newest(self) -> int:
        """The index of the last stored frame (-1 before the first)."""
        return self._count - 1

    def start_interval(self, fps: float) -> None:
        """Also take a frame every 1/fps seconds (stored only when the screen changed)."""
        if fps <= 0:
            return
        self._interval_thread = threading.Thread(target=self._interval_loop, args=(1 / fps,), daemon=True)
        self._interval_thread.start()

    def close(self) -> None:
        """Stop interval capture and wait until every frame is written."""
        self._interval_stop.set()
        if self._interval_thread:
            self._interval_thread.join(5)
        self._encoder.shutdown(wait=True)

    def _interval_loop(self, period: float) -> None:
        while not self._interval_stop.wait(period):
            try:
                self.capture("interval")
            except Exception as exc:  # the display went away: stop quietly, the episode reports it
                self.error = exc
                return

    def _encode(self, rgb: bytes, size: tuple[int, int], frame: Frame) -> None:
        path = self.folder.parent / frame.file
        try:
            if self.frame_format == "webp":  # lossless; WEBP_METHOD trades size for encoding time
                Image.frombytes("RGB", size, rgb).save(path, "WEBP", lossless=True, method=WEBP_METHOD)
            else:
                mss.tools.to_png(rgb, size, level=PNG_LEVEL, output=str(path))
        except OSError as exc:  # a full disk: no row for a frame that is not on disk
            path.unlink(missing_ok=True)
            self.error = self.error or exc
            if self.on_write_error:
                self.on_write_error(exc, frame.file)
            return
        self.sink(frame)

    def _pointer(self) -> tuple[int, int] | None:
        """Where the X pointer is now (screenshots do not show it), or None if X cannot say."""
        try:
            conn = getattr(self._local, "x", None)
            if conn is None:
                from Xlib import display

                conn = self._local.x = display.Display(self.display_name)
            here = conn.screen().root.query_pointer()
            return (here.root_x, here.root_y)
        except Exception:  # noqa: BLE001 - a frame without a pointer position is still a frame
            return None

    def _grabber(self) -> mss.base.MSSBase:
        grabber = getattr(self._local, "mss", None)
        if grabber is None:
            grabber = self._local.mss = mss.MSS(display=self.display_name)
        return grabber
