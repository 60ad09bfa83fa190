"""The parts of a sandbox, brought up from inside it: display, app server, browser on the start page."""

from __future__ import annotations

import threading
from contextlib import suppress
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from cleantrace.sandbox.app_server import AppServer
from cleantrace.sandbox.browser import launch_browser
from cleantrace.sandbox.display import VirtualDisplay


class SandboxSession:
    """Starts the parts in parallel where it is safe, knows which part died, tears all down."""

    def __init__(self, tasks_dir: Path, pack: str, db_path: Path, scratch: Path,
                 screen: tuple[int, int], port: int = 8000) -> None:
        self.display = VirtualDisplay(0, screen)
        self.app = AppServer(tasks_dir, pack, db_path, port)
        self.scratch = scratch
        self.screen = screen
        self.browser: BrowserContext | None = None
        self.page: Page | None = None
        self._playwright: Playwright | None = None
        self._browser_gone = threading.Event()

    def start(self, start_path: str) -> Page:
        """Bring everything up and open the app's start page in the browser."""
        self.app.launch()          # the app server imports its framework meanwhile
        self.display.launch()
        self._playwright = sync_playwright().start()  # Playwright's driver starts meanwhile too
        self.display.wait_ready()
        self.browser = launch_browser(self._playwright, self.scratch / "profile", self.display.name, self.screen)
        self.browser.on("close", lambda _: self._browser_gone.set())
        self.page = self.browser.pages[0] if self.browser.pages else self.browser.new_page()
        self.page.on("crash", lambda _: self._browser_gone.set())
        self.app.wait_ready()
        self.page.goto(self.app.url + start_path, wait_until="load")
        return self.page

    def fault(self) -> str | None:
        """Which part of the sandbox died, if one did."""
        if self._proc_died(self.display):
            return "Xvfb died"
        if self._proc_died(self.app):
            return "the app server died"
        if self._browser_gone.is_set():
            return "the browser crashed"
        return None

    def close(self) -> None:
        """Tear everything down; a part that is already gone is skipped."""
        if self.browser is not None:
            with suppress(Exception):
                self.browser.close()
        if self._playwright is not None:
            with suppress(Exception):
                self._playwright.stop()
        self.app.stop()
        self.display.stop()

    @staticmethod
    def _proc_died(part: VirtualDisplay | AppServer) -> bool:
        return part._proc is not None and not part.alive
