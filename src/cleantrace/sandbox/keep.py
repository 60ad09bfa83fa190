"""`tasks try --keep`: the sandbox's browser kept reachable from the host's loopback after the episode.

The sandbox's network namespace has only its own loopback, so nothing in it can listen where the host
reaches it. Instead, once the episode is sealed, a relay inside listens on a unix socket in a folder
shared with the host (`SOCKET`) and forwards each connection to the browser's DevTools port; on the
host, a relay on 127.0.0.1 (a free port) forwards to that socket. The sandbox lives until the host
writes `STOP` into the folder, then tears down as after any episode.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

SOCKET, READY, STOP = "devtools.sock", "ready", "stop"
POLL_S = 0.1
CHUNK = 65536


class Relay:
    """Accepts on `listener` and pipes each connection to a new one from `connect()`, both ways."""

    def __init__(self, listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
        self.listener = listener
        self.connect = connect
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="relay", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            try:
                upstream = self.connect()
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._copy, args=(a, b), daemon=True).start()

    def _copy(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(CHUNK):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            self._forget(src, dst)

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                if s in self._open:
                    self._open.discard(s)
                    with suppress(OSError):
                        s.close()

    def close(self) -> None:
        """Stop accepting and close every connection; returns once the accepting thread has ended."""
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self.listener.close()
        self._thread.join(timeout=5)
        with self._lock:
            for s in self._open:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._open.clear()


def keep_browser(cdp_url: str, folder: Path) -> None:
    """Inside the sandbox: serve the browser's DevTools on `folder/SOCKET` until `folder/STOP` appears."""
    port = urlsplit(cdp_url).port
    path = folder / SOCKET
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(16)
    relay = Relay(listener, lambda: socket.create_connection(("127.0.0.1", port), timeout=10))
    (folder / READY).write_text(json.dumps({"devtools_port": port}))
    print(f"keep: the browser's DevTools are served on {path} until {folder / STOP} exists", flush=True)
    try:
        while not (folder / STOP).exists():
            time.sleep(POLL_S)
    finally:
        relay.close()
        path.unlink(missing_ok=True)


class KeptBrowser:
    """On the host: the kept sandbox's browser at http://127.0.0.1:PORT while `open`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.relay: Relay | None = None
        self.url = ""

    def wait_ready(self, alive: Callable[[], bool]) -> bool:
        """Wait until the sandbox serves its browser (True) or `alive()` turns False (the episode ended without)."""
        while not (self.folder / READY).exists():
            if not alive():
                return (self.folder / READY).exists()
            time.sleep(POLL_S)
        return True

    def open(self) -> str:
        """Listen on a free loopback port, relaying to the sandbox's socket; the DevTools URL."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        target = str(self.folder / SOCKET)

        def connect() -> socket.socket:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(target)
            return upstream

        self.relay = Relay(listener, connect)
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        return self.url

    def stop(self) -> None:
        """Ask the sandbox to tear down (it sees `STOP` within POLL_S)."""
        (self.folder / STOP).touch()

    def close(self) -> None:
        if self.relay is not None:
            self.relay.close()
            self.relay = None
