"""The parts of a `desktop` sandbox, brought up from inside it: display, desktop, web apps, browser, apps.

The desktop's counterpart of `session.SandboxSession` with the same life cycle (`launch()` only
starts processes; `connect()` opens the task's windows once the worlds are seeded; `fault()`;
`close()`), so the episode drives either the same way. docs/desktop.md has the contract.
"""

from __future__ import annotations

import sys
import threading
from contextlib import suppress
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cleantrace.appearance import Appearance
from cleantrace.errors import SandboxError, TaskError
from cleantrace.sandbox.app_server import AppServer
from cleantrace.sandbox.browser import browser_jail
from cleantrace.sandbox.desktop import APPS, FIRST_WEB_PORT, Desktop
from cleantrace.sandbox.desktop_config import window_layout
from cleantrace.sandbox.display import VirtualDisplay
from cleantrace.sandbox.fonts import font_environment
from cleantrace.sandbox.keys import DESKTOP_BLOCKED, ShortcutBlock
from cleantrace.sandbox.requirements import missing_desktop_parts
from cleantrace.sandbox.rootfs import SANDBOX_HOME, runtime_paths
from cleantrace.stages import stage

if TYPE_CHECKING:
    from playwright.sync_api import Page

WORLDS = "worlds"  # under the scratch folder: every web app's database (out of the desktop's sight)


class DesktopSession:
    """Xvfb, the desktop (bus, AT-SPI, openbox, tint2), one server per web app, and the task's windows."""

    def __init__(self, tasks_dir: Path, web_apps: tuple[str, ...], scratch: Path, appearance: Appearance, seed: int,
                 hidden: list[str] | None = None, home: Path = Path(SANDBOX_HOME)) -> None:
        self.appearance = appearance
        self.screen = appearance.screen
        self.scratch = scratch
        self.home = home
        self.worlds = scratch / WORLDS
        self.display = VirtualDisplay(0, self.screen)
        self.apps = {
            name: AppServer(tasks_dir, name, self.db_path(name), FIRST_WEB_PORT + i, theme=appearance.theme,
                            scheme=appearance.color_scheme)
            for i, name in enumerate(web_apps)
        }
        # out of every desktop app's sight: the trace and the performer's folders, the worlds' databases,
        # the cleantrace runtime (virtualenv, package, task packs)
        runtime = [path for path in runtime_paths(Path(tasks_dir)) if Path(path).is_dir()]  # folders only
        self.hidden = [*(hidden or []), str(self.worlds), *runtime]
        self.desktop: Desktop | None = None
        self._seed = seed
        self.page: Page | None = None
        self.shortcuts: ShortcutBlock | None = None
        self.guard = None  # the kiosk's one-page guard: a desktop has tabs and windows
        self.devtools_url = ""  # `tasks try --keep` keeps a kiosk's browser only
        self._bringup: threading.Thread | None = None
        self._failed: Exception | None = None
        self._up = threading.Event()  # the bring-up thread is done (up or failed)
        self._closing = threading.Event()  # close() began: the bring-up thread may end

    def db_path(self, app: str) -> Path:
        """The database of web app `app` (its server's and its world's)."""
        return self.worlds / f"{app}.sqlite"

    def launch(self) -> None:
        """Start the web app servers and Xvfb, and bring the desktop up in a thread of its own (its buses,
        window manager and taskbar, and the browser on about:blank when the task has web apps), while
        the episode imports and seeds its worlds; `connect()` waits for it. A SandboxError (here or from
        `connect()`) names a part that does not come up."""
        missing = missing_desktop_parts()
        if missing:
            part, package = missing[0]
            raise SandboxError(f"the desktop's {part} is not installed", f"apt-get install -y {package}")
        self.worlds.mkdir(parents=True, exist_ok=True)
        for app in self.apps.values():
            app.launch()
        self.display.launch()
        self.display.wait_ready()
        stage("desktop: Xvfb up")
        self._bringup = threading.Thread(target=self._bring_up, name="desktop-up", daemon=True)
        self._bringup.start()

    def _bring_up(self) -> None:
        """Start the desktop, then stay until `close()`: the jail's bubblewrap ends its processes when the
        thread that started them ends (--die-with-parent is the parent *thread*'s death signal)."""
        try:
            self.desktop = Desktop(self.display.name, self.scratch, self.home, self.appearance, self._seed,
                                   {name: app.port for name, app in self.apps.items()}, browser_jail(self.hidden))
            self.desktop.start(font_environment(self.appearance.font, self.scratch))
            if self.apps:
                self.desktop.launch("browser", "about:blank")
                stage("desktop: browser started")
        except Exception as exc:  # noqa: BLE001 - handed to connect(), which raises it in the episode
            self._failed = exc
        finally:
            self._up.set()
        self._closing.wait()

    def wait_up(self) -> None:
        """Wait until the desktop is up; raise what stopped it."""
        if self._bringup is not None:
            self._up.wait()
        if self._failed is not None:
            raise self._failed

    def write_home(self, files: dict[str, bytes], origin: str = "the task") -> None:
        """Write a task's `home_files` under the home (folders made); a TaskError for a path leaving it."""
        for name, data in files.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                raise TaskError(f"{origin}: home_files path {name!r} leaves the home folder",
                                "use a path relative to the home, e.g. 'Documents/report.xlsx'")
            if not isinstance(data, bytes | bytearray):
                raise TaskError(f"{origin}: home_files[{name!r}] is {type(data).__name__}, not bytes",
                                "return the file's bytes (e.g. text.encode())")
            path = self.home / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(data))

    def attach(self) -> None:
        """Wait until the desktop is up and attach Playwright to its browser, if it has one (needs no world:
        the episode calls it while the world is seeded); `connect()` then takes that tab."""
        self.wait_up()
        if self.desktop is not None and self.desktop.browser is not None:
            self.desktop.browser_page()

    def connect(self, windows: list[tuple[str, str | None]]) -> Page | None:
        """Open the task's start windows in order and wait for each (the web apps first answer); return the
        browser's front tab (None without a browser). A SandboxError names the app whose window never came."""
        self.wait_up()
        assert self.desktop is not None, "launch() first"
        for app in self.apps.values():
            app.wait_ready()
        stage("desktop: up, web apps answer")
        front = None
        for app, arg in windows:
            if app not in APPS:
                raise TaskError(f"open_at_start names unknown app {app!r}", f"use one of: {', '.join(APPS)}")
            if app == "browser" and self.desktop.browser is not None:
                front = self.desktop.wait_window("chromium", app="the browser", proc=self.desktop.browser)
                stage("desktop: browser window")
                if self.page is None:
                    self.page = self.desktop.browser_page()
                    stage("desktop: browser tab over CDP")
                elif arg:
                    self.page = self.page.context.new_page()
                if arg:
                    self.page.goto(arg, wait_until="load")
                    stage(f"desktop: {arg} loaded")
            else:
                front = self.desktop.open(app, arg)
                stage(f"desktop: {app} window")
                if app == "browser":
                    self.page = self.desktop.browser_page()
        if front is not None:
            self.desktop.activate(front)
        if self.page is not None and self.appearance.color_scheme != "light":
            self.page.emulate_media(color_scheme=self.appearance.color_scheme)
        self.shortcuts = ShortcutBlock(self.display.name, DESKTOP_BLOCKED, "the desktop")  # before any input
        stage("desktop: windows open")
        return self.page

    def fault(self) -> str | None:
        """Which part of the sandbox died, if one did."""
        if self.display.exited:
            return "Xvfb died"
        for name, app in self.apps.items():
            if app.exited:
                return f"the web app server of {name} died"
        if self.desktop is not None and (self._bringup is None or self._up.is_set()):
            return self.desktop.fault()
        return None

    def describe(self) -> dict[str, Any]:
        """What meta.json's sandbox records of the desktop: its profile and window places."""
        layout = window_layout(self._seed, self.screen, list(APPS), self.appearance.windows)  # = the Desktop's
        return {"profile": "desktop", "windows": layout}

    def close(self) -> None:
        """Tear everything down; a part that is already gone is skipped."""
        if self.shortcuts is not None:
            self.shortcuts.close()
        if self._bringup is not None:
            self._up.wait()  # a part still coming up is then stopped with the others
        if self.desktop is not None:
            with suppress(Exception):
                self.desktop.stop()
        self._closing.set()
        if self._bringup is not None:
            self._bringup.join()
        for app in self.apps.values():
            app.stop()
        self.display.stop()
        print("desktop: torn down", file=sys.stderr, flush=True)
