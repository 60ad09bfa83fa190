"""A loopback TCP relay to a booth's viewer websocket, so a plain VNC client (vncdotool) can act as a
volunteer's browser does: over the station's websocket, with the volunteer's cookie and Origin.

Used by the tests and `bench/station.py`; the station itself never needs it.
"""

from __future__ import annotations

import socket
import ssl
import threading
from contextlib import suppress

from simple_websocket import Client, ConnectionClosed

from cleantrace.station.viewer import close_websocket, socket_to_websocket, websocket_to_socket

CHUNK = 65536


class _BrowserLikeClient(Client):
    """simple-websocket's client, sending `Host: host:port` as browsers do (it leaves the port out), and
    keeping a message that arrived in the same read as the handshake's answer (it would wait for more
    data first: RFB's server greeting arrives just so, and then client and server wait for each other)."""

    def handshake(self) -> None:
        if ":" not in self.host and self.port not in (80, 443):
            self.host = f"{self.host}:{self.port}"
        super().handshake()
        self._handle_events()


class Refused(Exception):
    """The station refused the websocket (its HTTP status, if any, in the message)."""


def connect(ws_url: str, cookie: str | None, origin: str | None, ssl_context: ssl.SSLContext | None = None) -> Client:
    """Open the booth's websocket as a browser would; raises Refused when the station says no."""
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    try:
        return _BrowserLikeClient.connect(ws_url, headers=headers, receive_bytes=CHUNK, ssl_context=ssl_context)
    except ConnectionClosed as exc:
        raise Refused(f"closed: {exc}") from None
    except (ConnectionError, OSError, RuntimeError) as exc:
        raise Refused(str(exc) or type(exc).__name__) from None


class Relay:
    """Listens on 127.0.0.1:<port>; the first TCP client is relayed to the websocket `ws_url`."""

    def __init__(self, ws_url: str, cookie: str | None, origin: str | None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.ws = connect(ws_url, cookie, origin, ssl_context)  # refused here, before any VNC client exists
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._serve, name="relay", daemon=True).start()

    @property
    def address(self) -> str:
        """What vncdotool connects to (`host::port`)."""
        return f"127.0.0.1::{self.port}"

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self._listener.close()

        def up() -> None:  # VNC client → websocket
            try:
                socket_to_websocket(conn, self.ws)
            finally:
                self.close()

        upward = threading.Thread(target=up, name="relay-up", daemon=True)
        upward.start()
        try:
            websocket_to_socket(self.ws, conn, self._closed)  # websocket → VNC client
        finally:
            self.close()
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # wakes `up`; it must be done reading before conn is closed
            upward.join(10)
            conn.close()

    def close(self) -> None:
        """Close the websocket (the viewer leaves) and stop relaying."""
        self._closed.set()
        close_websocket(self.ws, close_socket=True)
        with suppress(OSError):
            self._listener.close()
