"""Keeps the kiosk to its one page: any other page the browser opens is closed at once.

Ctrl+N, Ctrl+T, a dragged link, `window.open` or a middle click open a new window or tab, and a
new window has an address bar. The guard holds its own DevTools connection (a thread of its own, so
it acts while the performer waits), closes every page target but the kiosk's, brings the kiosk page
back to front, and keeps a log of what it closed (written to the sandbox's log).
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from contextlib import suppress

import websocket  # websocket-client

KEPT_TYPES = ("page",)  # tabs and windows; workers and iframes are the page's own


class TargetGuard:
    """Closes every page target of the browser at `cdp_url` except `keep` (a target id)."""

    def __init__(self, cdp_url: str, keep: str) -> None:
        self.keep = keep
        self.closed: list[dict] = []  # {"url", "type"} of every target closed
        with urllib.request.urlopen(f"{cdp_url}/json/version", timeout=10) as reply:
            ws_url = json.load(reply)["webSocketDebuggerUrl"]
        self._ws = websocket.create_connection(ws_url, timeout=10, suppress_origin=True)
        self._ws.settimeout(None)
        self._next_id = 0
        self._lock = threading.Lock()
        self._send("Target.setDiscoverTargets", discover=True)
        self._thread = threading.Thread(target=self._run, name="target-guard", daemon=True)
        self._thread.start()

    def _send(self, method: str, **params) -> None:
        with self._lock:
            self._next_id += 1
            self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))

    def _run(self) -> None:
        with suppress(websocket.WebSocketException, OSError, ValueError):
            while data := self._ws.recv():  # "" once the connection is closed
                message = json.loads(data)
                if message.get("method") in ("Target.targetCreated", "Target.targetInfoChanged"):
                    self._check(message["params"]["targetInfo"])

    def _check(self, info: dict) -> None:
        if info["type"] not in KEPT_TYPES or info["targetId"] == self.keep:
            return
        if any(c["targetId"] == info["targetId"] for c in self.closed):
            return
        self.closed.append({"targetId": info["targetId"], "url": info.get("url", ""), "type": info["type"]})
        print(f"guard: closed an extra {info['type']} target ({info.get('url', '')!r})", file=sys.stderr, flush=True)
        self._send("Target.closeTarget", targetId=info["targetId"])
        self._send("Target.activateTarget", targetId=self.keep)

    def close(self) -> None:
        """Stop watching (the browser is about to go)."""
        with suppress(Exception):
            self._ws.close()
        self._thread.join(2)


def page_target_id(page) -> str:
    """The DevTools target id of a Playwright page."""
    session = page.context.new_cdp_session(page)
    try:
        return session.send("Target.getTargetInfo")["targetInfo"]["targetId"]
    finally:
        session.detach()
