"""The booth's screen on the station's own origin: a websocket bridged to x11vnc's unix socket.

The browser's noVNC speaks RFB over a websocket to `/booth/ws` on the station; the station checks
the request (Origin, the booth's signed session, one viewer per booth) *before* the handshake, then
relays bytes both ways between the websocket and the booth's `vnc.sock`. No other port exists: the
socket lives in the booth's control folder (mode 0700), so only the station can reach x11vnc.
When the websocket closes, the RFB connection is closed at once (its input can no longer arrive).
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

from simple_websocket import ConnectionClosed, Server
from simple_websocket.ws import Base

CHUNK = 65536


def check_public_url(url: str) -> str:
    """`url` if it is what volunteers can open: http(s)://host[:port] with no path below the root (the
    station serves at the root of its host); else a CleantraceError naming it."""
    from cleantrace.errors import CleantraceError

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise CleantraceError(f"--public-url {url!r} is not the http(s) address of a host's root",
                              "give e.g. https://station.example.com/ (no path: the station serves at the root)")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise CleantraceError(f"--public-url {url!r} has an invalid port",
                              "give e.g. https://station.example.com:8443/") from None
    return url


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as a browser sends it in the Origin header."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def close_websocket(ws: Base, close_socket: bool = False) -> None:
    """Close `ws` (a close frame if it can still be sent) with its reader thread stopped first: simple-websocket
    closes a socket while its reader may still be reading it, and that descriptor number is soon another
    connection's in this process (a late read would take that one's bytes). So: shut the socket down (which
    wakes the reader), wait for the reader, and only then close the socket (`close_socket`; a server's socket is
    its HTTP server's to close)."""
    with suppress(Exception):
        Base.close(ws)  # the frame only: a Client's own close() would close the socket under its reader
    with suppress(OSError):
        ws.sock.shutdown(socket.SHUT_RDWR)
    if ws.thread is not threading.current_thread():
        ws.thread.join(10)
    if close_socket:
        with suppress(OSError):
            ws.sock.close()


def socket_to_websocket(sock: socket.socket, ws: Base) -> None:
    """Send what arrives on `sock` to `ws` until either side closes."""
    with suppress(OSError, ConnectionClosed):
        while data := sock.recv(CHUNK):
            ws.send(data)


def websocket_to_socket(ws: Base, sock: socket.socket, stop: threading.Event) -> None:
    """Send each message of `ws` to `sock` until `stop` is set or either side closes."""
    with suppress(OSError, ConnectionClosed):
        while not stop.is_set():
            data = ws.receive(timeout=0.5)
            if data is not None:
                sock.sendall(data.encode() if isinstance(data, str) else data)


def bridge(environ: dict, vnc_socket: Path) -> None:
    """Accept the websocket in `environ` and relay it to the RFB server on `vnc_socket` until either side
    closes (then both are closed). Raises OSError when the RFB server cannot be reached (before the handshake)."""
    rfb = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        rfb.connect(str(vnc_socket))
    except OSError:
        rfb.close()
        raise
    ws = Server(environ, receive_bytes=CHUNK, max_message_size=1 << 24)
    gone = threading.Event()

    def down() -> None:  # x11vnc → browser
        try:
            socket_to_websocket(rfb, ws)
        finally:
            gone.set()
            with suppress(Exception):
                ws.close()

    relay = threading.Thread(target=down, name="viewer-down", daemon=True)
    relay.start()
    try:
        websocket_to_socket(ws, rfb, gone)  # browser → x11vnc
    finally:
        gone.set()
        with suppress(OSError):
            rfb.shutdown(socket.SHUT_RDWR)  # the viewer's input is cut here, whatever is in flight
        close_websocket(ws)
        relay.join(10)  # `down` reads rfb: done before rfb is closed
        rfb.close()
