"""The parts of a sandbox, brought up from inside it: display, app server, browser on the start page."""

from __future__ import annotations

import subprocess
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from cleantrace.appearance import Appearance
from cleantrace.sandbox.app_server import AppServer
from cleantrace.sandbox.browser import devtools_url, launch_chromium
from cleantrace.sandbox.display import VirtualDisplay
from cleantrace.sandbox.fonts import font_environment
from cleantrace.sandbox.guard import TargetGuard, page_target_id
from cleantrace.sandbox.keys import ShortcutBlock
from cleantrace.sandbox.processes import stop_process

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright


class SandboxSession:
    """Starts the parts in parallel, knows which part died, tears all down.

    `launch()` only starts processes (Xvfb, the app server, Chromium) and is cheap to call first;
    `connect()` attaches Playwright and opens the start page once the world is seeded.
    """

    def __init__(self, tasks_dir: Path, pack: str, db_path: Path, scratch: Path,
                 appearance: Appearance | tuple[int, int], port: int = 8000, hidden: list[str] | None = None) -> None:
        if not isinstance(appearance, Appearance):  # a bare screen size: the default look at that size
            appearance = Appearance(screen=tuple(appearance))
        self.appearance = appearance
        self.screen = appearance.screen
        self.display = VirtualDisplay(0, self.screen)
        self.app = AppServer(tasks_dir, pack, db_path, port, theme=appearance.theme,
                             scheme=appearance.color_scheme)
        self.scratch = scratch
        self.profile = scratch / "profile"
        self.hidden = hidden or []  # folders the browser must not see (the episode folder)
        self.chromium: subprocess.Popen | None = None
        self.browser: Browser | None = None
        self.page: Page | None = None
        self._playwright: Playwright | None = None
        self._cdp_url = ""
        self.guard: TargetGuard | None = None  # closes any page but the kiosk's
        self.shortcuts: ShortcutBlock | None = None  # browser shortcuts that would leave the kiosk page

    def launch(self) -> None:
        """Start Xvfb, the app server and Chromium; none of them is waited for but the display."""
        self.app.launch()
        self.display.launch()
        self.display.wait_ready()
        self.chromium = launch_chromium(self.profile, self.display.name, self.screen, self.hidden, self.appearance,
                                        font_environment(self.appearance.font, self.scratch))

    def attach(self) -> None:
        """Attach Playwright to Chromium and take its page (needs no world: the episode calls it while the
        world is seeded); `connect()` does it if not done."""
        from playwright.sync_api import sync_playwright

        assert self.chromium is not None, "launch() first"
        if self.page is not None:
            return
        self._playwright = sync_playwright().start()
        self._cdp_url = devtools_url(self.profile, self.chromium)
        self.browser = self._playwright.chromium.connect_over_cdp(self._cdp_url)
        context = self.browser.contexts[0]
        self.page = context.pages[0] if context.pages else context.wait_for_event("page")
        if self.appearance.color_scheme != "light":  # CDP Emulation.setEmulatedMedia: prefers-color-scheme
            self.page.emulate_media(color_scheme=self.appearance.color_scheme)

    def connect(self, start_path: str) -> Page:
        """Attach Playwright to Chromium (`attach()`) and open the app's start page (the world must be seeded)."""
        self.attach()
        assert self.page is not None
        self.app.wait_ready()
        self.page.goto(self.app.url + start_path, wait_until="load")
        self.guard = TargetGuard(self._cdp_url, page_target_id(self.page))
        self.shortcuts = ShortcutBlock(self.display.name)  # before any input
        return self.page

    @property
    def devtools_url(self) -> str:
        """The browser's DevTools websocket on the sandbox's loopback ('' before `connect()`)."""
        return self._cdp_url

    def fault(self) -> str | None:
        """Which part of the sandbox died, if one did."""
        if self.display.exited:
            return "Xvfb died"
        if self.app.exited:
            return "the app server died"
        if self.chromium is not None and self.chromium.poll() is not None:
            return "the browser crashed"
        return None

    def close(self) -> None:
        """Tear everything down; a part that is already gone is skipped."""
        if self.guard is not None:
            self.guard.close()
        if self.shortcuts is not None:
            self.shortcuts.close()
        if self._playwright is not None:
            with suppress(Exception):
                self._playwright.stop()
        stop_process(self.chromium)
        self.app.stop()
        self.display.stop()
