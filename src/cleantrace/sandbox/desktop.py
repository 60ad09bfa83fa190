"""The running desktop of a `desktop` episode: session bus, AT-SPI bus, openbox, tint2, and the apps.

The contract the performer, the Actor and the checks rely on (docs/desktop.md):

- inside a desktop episode the episode process's `os.environ` holds `DISPLAY`,
  `DBUS_SESSION_BUS_ADDRESS`, `AT_SPI_BUS_ADDRESS` and `XDG_RUNTIME_DIR` (set by `Desktop.start`);
- `current()` is the running `Desktop` (None in a kiosk episode): `launch(app, arg)`, `open(app, arg)`,
  `wait_window(match)`, `window_match(app)`, `windows()`, `activate(window)`, `web_url(app, path)`,
  `home`, `env`, `geometry`, `browser_page()`;
- app names are the keys of `APPS`: browser, calc, writer, files, editor.

Every process of the desktop runs in the browser's jail (`browser.browser_jail`): the trace, the
worlds' databases and the cleantrace runtime are empty folders there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleantrace.appearance import Appearance
from cleantrace.errors import SandboxError
from cleantrace.sandbox.browser import QUIET_FLAGS, devtools_url, write_profile_preferences
from cleantrace.sandbox.desktop_config import (
    DECORATION,
    PANEL_HEIGHT,
    AppSpec,
    desktop_entry,
    gtk_settings,
    libreoffice_profile,
    openbox_config,
    tint2_config,
    window_layout,
)
from cleantrace.sandbox.processes import descendants, stop_process
from cleantrace.sandbox.requirements import chromium_path
from cleantrace.stages import stage

if TYPE_CHECKING:
    from playwright.sync_api import Page

SOFFICE = "/usr/lib/libreoffice/program/soffice"
AT_SPI_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
APPS: dict[str, AppSpec] = {  # the order is the taskbar's and the window layout's: add new apps at the end
    "browser": AppSpec("browser", "Web Browser", (), "Chromium*", "chromium", "url"),  # command: browser_command()
    "calc": AppSpec("calc", "Spreadsheet (LibreOffice Calc)", (SOFFICE, "--calc", "--norestore", "--nologo"),
                    "libreoffice-calc", "libreoffice-calc", "file"),
    "writer": AppSpec("writer", "Word Processor (LibreOffice Writer)",
                      (SOFFICE, "--writer", "--norestore", "--nologo"), "libreoffice-writer", "libreoffice-writer",
                      "file"),
    # PCManFM is GTK2: AT-SPI through GTK2's modules, set for it alone (a GTK3 app given them aborts)
    "files": AppSpec("files", "Files", ("env", "GTK_MODULES=gail:atk-bridge", "pcmanfm", "--new-win"), "Pcmanfm",
                     "system-file-manager", "folder"),
    "editor": AppSpec("editor", "Text Editor", ("mousepad",), "Mousepad", "accessories-text-editor", "file"),
}
MAXIMIZED = ("_NET_WM_STATE_MAXIMIZED_VERT", "_NET_WM_STATE_MAXIMIZED_HORZ")
FIRST_WEB_PORT = 8001
BUS_TIMEOUT_S = 10.0
WINDOW_TIMEOUT_S = 30.0  # LibreOffice's first start on a loaded 2-core machine takes several seconds

_current: Desktop | None = None


SESSION_ENV = ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS", "XDG_RUNTIME_DIR")


def _end(pids: list[int], grace: float = 2.0) -> None:
    """SIGTERM each of `pids` still alive, SIGKILL what is left after `grace` seconds."""
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (alive := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in alive:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in alive) and time.monotonic() < deadline:
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Still running (a zombie waiting for its parent counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def current() -> Desktop | None:
    """The desktop of this episode process, once started (None in a kiosk episode)."""
    return _current


@dataclass(frozen=True)
class Window:
    """A managed top-level window, its frame-less client area in screen pixels."""

    id: int
    title: str
    wm_class: str
    x: int
    y: int
    w: int
    h: int


class Desktop:
    """Starts and stops the desktop's processes on `display_name`; `jail` is the command prefix that hides
    the trace from every app (`browser.browser_jail`)."""

    def __init__(self, display_name: str, scratch: Path, home: Path, appearance: Appearance, seed: int,
                 web_apps: dict[str, int] | None = None, jail: list[str] | None = None) -> None:
        self.display_name = display_name
        self.scratch = scratch / "desktop"
        self.home = home
        self.appearance = appearance
        self.web_ports = dict(web_apps or {})  # app name → its server's loopback port
        self.jail = list(jail or [])
        self.geometry = window_layout(seed, appearance.screen, list(APPS), appearance.windows)
        self.maximized = appearance.windows == "full"  # every window maximised, else each at its place
        self.env: dict[str, str] = {}
        self.profile = scratch / "profile"  # the browser's (the kiosk's place for it)
        self.browser: subprocess.Popen | None = None
        self._procs: dict[str, subprocess.Popen] = {}  # part → process
        self._logs: dict[str, str] = {}  # part → its output's file
        self._apps: list[tuple[str, subprocess.Popen]] = []
        self._page: Page | None = None
        self._playwright: Any = None

    # --- start -------------------------------------------------------------------------------
    def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Bring up the session bus, the AT-SPI bus, openbox and tint2 (the display must be up);
        a SandboxError naming the part that did not come up."""
        global _current
        self.scratch.mkdir(parents=True, exist_ok=True)
        runtime = self.scratch / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        dark = self.appearance.color_scheme == "dark"
        self.env = {
            "DISPLAY": self.display_name, "HOME": str(self.home), "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "USER": os.environ.get("USER", "sandbox"), "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(self.home / ".config"), "XDG_DATA_DIRS": "/usr/local/share:/usr/share",
            "GSETTINGS_BACKEND": "memory", "NO_AT_BRIDGE": "0", "GTK_A11Y": "atk", "SAL_USE_VCLPLUGIN": "gtk3",
            "ACCESSIBILITY_ENABLED": "1",  # Chromium exposes its own UI (tabs, address bar) to AT-SPI
            "GTK_THEME": "Adwaita:dark" if dark else "Adwaita",
            **(extra_env or {}),
        }
        self._write_config(dark)
        bus = self.scratch / "bus"
        self.env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={bus}"
        self._spawn("the session bus", ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                        f"--address=unix:path={bus}"])
        self._wait_for(lambda: bus.exists(), "the session bus", "dbus-daemon")
        stage("desktop: session bus up")
        self._spawn("the AT-SPI bus", [AT_SPI_LAUNCHER, "--launch-immediately"])
        self.env["AT_SPI_BUS_ADDRESS"] = self._a11y_address()
        stage("desktop: AT-SPI bus up")
        self._spawn("the window manager", ["openbox", "--config-file", str(self.scratch / "openbox.xml")])
        self._spawn("the taskbar", ["tint2", "-c", str(self.scratch / "tint2rc")])
        self._outer_env = {k: os.environ.get(k) for k in SESSION_ENV}
        os.environ.update({k: self.env[k] for k in SESSION_ENV})
        _current = self
        stage("desktop: window manager and taskbar started")

    def _write_config(self, dark: bool) -> None:
        font = self.appearance.font
        classes = {name: app.wm_class for name, app in APPS.items()}
        (self.scratch / "openbox.xml").write_text(openbox_config(self.geometry, classes, dark, font, self.maximized))
        launchers = self.scratch / "applications"
        launchers.mkdir(exist_ok=True)
        paths = []
        for name, app in APPS.items():
            path = launchers / f"cleantrace-{name}.desktop"
            path.write_text(desktop_entry(app, self.command(name)))
            paths.append(path)
        (self.scratch / "tint2rc").write_text(tint2_config(paths, dark, font))
        gtk = self.home / ".config" / "gtk-3.0"
        gtk.mkdir(parents=True, exist_ok=True)
        (gtk / "settings.ini").write_text(gtk_settings(self.appearance))
        office = self.home / ".config" / "libreoffice" / "4" / "user"
        office.mkdir(parents=True, exist_ok=True)
        (office / "registrymodifications.xcu").write_text(libreoffice_profile())

    def _spawn(self, part: str, argv: list[str]) -> subprocess.Popen:
        logs = self.scratch / "logs"
        logs.mkdir(exist_ok=True)
        try:
            with open(logs / f"{len(self._procs):02d}-{Path(argv[0]).name}.log", "wb") as log:
                proc = subprocess.Popen([*self.jail, *argv], env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT, cwd=self.home)
        except OSError as exc:
            raise SandboxError(f"{part} cannot start: {exc}", "run `cleantrace doctor`") from exc
        self._procs[part] = proc
        self._logs[part] = log.name
        return proc

    def said(self, part: str) -> str:
        """The last line a part wrote (its log under the scratch folder), for an error message."""
        try:
            lines = Path(self._logs[part]).read_text(errors="replace").strip().splitlines()
        except (KeyError, OSError):
            return ""
        return lines[-1][:160] if lines else ""

    def _wait_for(self, ready, part: str, what: str, timeout: float = BUS_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        proc = self._procs[part]
        while not ready():
            if proc.poll() is not None:
                said = self.said(part)
                raise SandboxError(f"{part} ({what}) exited with code {proc.returncode} at start"
                                   + (f": {said}" if said else ""), "run `cleantrace doctor`")
            if time.monotonic() > deadline:
                raise SandboxError(f"{part} ({what}) did not come up in {timeout:.0f} s", "run `cleantrace doctor`")
            time.sleep(0.01)

    def _a11y_address(self) -> str:
        """The accessibility bus's address, asked of org.a11y.Bus on the session bus (its launcher's).

        Asked only once the launcher owns the name: a call before that would make the session bus
        start a second launcher (D-Bus activation), and the first one would then exit."""
        found: list[str] = []

        def owned() -> bool:
            reply = subprocess.run(
                ["dbus-send", "--session", "--print-reply=literal", "--dest=org.freedesktop.DBus",
                 "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.a11y.Bus"],
                env=self.env, capture_output=True, text=True,
            )
            return reply.stdout.strip().endswith("true")

        def ask() -> bool:
            reply = subprocess.run(
                ["dbus-send", "--session", "--print-reply=literal", "--reply-timeout=1000", "--dest=org.a11y.Bus",
                 "/org/a11y/bus", "org.a11y.Bus.GetAddress"], env=self.env, capture_output=True, text=True,
            )
            if reply.returncode == 0 and reply.stdout.strip().startswith("unix:"):
                found.append(reply.stdout.strip())
                return True
            return False

        self._wait_for(owned, "the AT-SPI bus", "at-spi-bus-launcher")
        self._wait_for(ask, "the AT-SPI bus", "at-spi-bus-launcher")
        return found[0]

    # --- apps --------------------------------------------------------------------------------
    def command(self, app: str, arg: str | None = None) -> list[str]:
        """The command line that starts `app` (what its taskbar launcher runs), with `arg` if given."""
        if app not in APPS:
            raise SandboxError(f"unknown desktop app {app!r}", f"use one of: {', '.join(APPS)}")
        spec = APPS[app]
        argv = self.browser_command() if app == "browser" else list(spec.command)
        if arg is not None:
            argv.append(arg if spec.arg == "url" or arg.startswith("/") else str(self.home / arg))
        return argv

    def browser_command(self) -> list[str]:
        """Chromium with its normal UI, at its window place, CDP on loopback, each web app at <name>.test."""
        x, y, w, h = self.geometry["browser"]
        scale = self.appearance.device_scale_factor
        rules = ", ".join(f"MAP {name}.test 127.0.0.1:{port}" for name, port in self.web_ports.items())
        look = [] if scale == 1 else [f"--force-device-scale-factor={scale:g}"]
        if self.appearance.color_scheme == "dark":
            look.append("--force-dark-mode")
        return [
            # --test-type: no "unsupported command-line flag" bar over the page for --host-resolver-rules
            chromium_path(), *QUIET_FLAGS, *look, "--test-type",
            # with ACCESSIBILITY_ENABLED: the tree of its own UI in AT-SPI (either alone gives none: docs/native.md)
            "--force-renderer-accessibility",
            *([f"--host-resolver-rules={rules}"] if rules else []), f"--user-data-dir={self.profile}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            *(["--start-maximized"] if self.maximized else
              [f"--window-position={round(x / scale)},{round(y / scale)}",
               f"--window-size={round(w / scale)},{round(h / scale)}"]),
        ]

    def launch(self, app: str, arg: str | None = None) -> subprocess.Popen:
        """Start `app` as its taskbar launcher would (same command, jail and window rule); does not wait.

        Call it from a thread that lives as long as the app should (the episode's main thread): the
        jail (bubblewrap --die-with-parent) ends the app when the thread that started it ends."""
        if app == "browser" and not (self.profile / "Default" / "Preferences").exists():
            self.profile.mkdir(parents=True, exist_ok=True)
            write_profile_preferences(self.profile, self.appearance)
            prefs = self.profile / "Default" / "Preferences"
            prefs.parent.mkdir(parents=True, exist_ok=True)
            known = json.loads(prefs.read_text()) if prefs.exists() else {}
            # the window manager's title bar and borders: the page's screen origin is then exact
            prefs.write_text(json.dumps({**known, "browser": {"custom_chrome_frame": False}}))
        proc = self._spawn(f"{app} ({len(self._apps)})", self.command(app, arg))
        self._apps.append((app, proc))
        if app == "browser" and self.browser is None:
            self.browser = proc
        return proc

    def window_match(self, app: str) -> str:
        """What `wait_window` matches for `app`'s windows: its WM class (e.g. `libreoffice-calc`)."""
        if app not in APPS:
            raise SandboxError(f"unknown desktop app {app!r}", f"use one of: {', '.join(APPS)}")
        return APPS[app].wm_class.rstrip("*").lower()

    def open(self, app: str, arg: str | None = None, timeout: float = WINDOW_TIMEOUT_S) -> Window:
        """Launch `app` and wait until its window is mapped; a SandboxError naming the app if it exits or
        no window appears."""
        before = self.windows()
        return self.settle(app, before, timeout, self.launch(app, arg))

    def settle(self, app: str, before: list[Window], timeout: float = WINDOW_TIMEOUT_S,
               proc: subprocess.Popen | None = None) -> Window:
        """Wait for a new window of `app` (one not in `before`) and put it at its place: what `open`
        does after starting the app, and what follows a click on its taskbar launcher."""
        window = self.wait_window(self.window_match(app), timeout, proc, exclude={w.id for w in before}, app=app)
        match = self.window_match(app)
        siblings = [w for w in before if match in (w.title + " " + w.wm_class).lower()]
        if siblings:  # the app's rule puts every window of it at one place: side by side instead, as
            return self.tile(siblings[-1], window)  # a person arranges two folders to drag between them
        if self.maximized:
            return self.maximize(window)
        if app in self.geometry and (window.w, window.h) != self.geometry[app][2:]:
            window = self.place(window, self.geometry[app])  # LibreOffice maximises its first window itself
        return window

    def tile(self, left: Window, right: Window) -> Window:
        """Put `left` in the work area's left half and `right` in its right half (frames inside it);
        return `right` as placed."""
        area_w, area_h = self.appearance.screen[0], self.appearance.screen[1] - PANEL_HEIGHT
        half = area_w // 2
        w, h = half - DECORATION[0], area_h - DECORATION[1]
        self.place(left, (0, 0, w, h))
        return self.place(right, (half, 0, w, h))

    def place(self, window: Window, rect: tuple[int, int, int, int], timeout: float = 5.0) -> Window:
        """Un-maximise `window` and move its frame to (x, y), its client area to w × h (EWMH requests to
        the window manager); the window as it is once it has that size, or after `timeout` as it is."""
        x, y, w, h = rect
        self._request(window, "_NET_WM_STATE", [0, *MAXIMIZED, 2, 0])  # 0: remove
        # gravity NorthWest (1), x/y/width/height given (bits 8-11), from a pager (2 << 12)
        self._request(window, "_NET_MOVERESIZE_WINDOW", [1 | 0xF00 | (2 << 12), x, y, w, h])
        return self._settled(window, lambda now: (now.w, now.h) == (w, h), timeout)

    def maximize(self, window: Window, timeout: float = 5.0) -> Window:
        """Maximise `window` (the `full` window places); the window once it fills the work area's width,
        or after `timeout` as it is."""
        self._request(window, "_NET_WM_STATE", [1, *MAXIMIZED, 2, 0])  # 1: add
        return self._settled(window, lambda now: now.w >= self.appearance.screen[0] - 2, timeout)

    def _request(self, window: Window, kind: str, data: list[int | str]) -> None:
        """An EWMH client message about `window` to the window manager (atom names in `data` are interned)."""
        from Xlib import X, protocol
        from Xlib.display import Display

        display = Display(self.display_name)
        try:
            values = [display.intern_atom(v) if isinstance(v, str) else v for v in data]
            message = protocol.event.ClientMessage(window=display.create_resource_object("window", window.id),
                                                   client_type=display.intern_atom(kind), data=(32, values))
            display.screen().root.send_event(message, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)
            display.flush()
        finally:
            display.close()

    def _settled(self, window: Window, done, timeout: float) -> Window:
        deadline = time.monotonic() + timeout
        while True:
            now = next((found for found in self.windows() if found.id == window.id), window)
            if done(now) or time.monotonic() > deadline:
                return now
            time.sleep(0.05)

    def wait_window(self, match: str, timeout: float = WINDOW_TIMEOUT_S, proc: subprocess.Popen | None = None,
                    exclude: set[int] | None = None, app: str | None = None) -> Window:
        """The first managed window whose title or WM class contains `match` (case-insensitive)."""
        needle = match.lower()
        deadline = time.monotonic() + timeout
        name = app or repr(match)
        while True:
            for window in self.windows():
                if window.id not in (exclude or set()) and (needle in window.title.lower()
                                                            or needle in window.wm_class.lower()):
                    return window
            if proc is not None and proc.poll() not in (None, 0):  # soffice/pcmanfm may hand over and exit 0
                part = next((part for part, p in self._procs.items() if p is proc), "")
                said = self.said(part)
                raise SandboxError(f"{name} exited with code {proc.returncode} at start"
                                   + (f": {said}" if said else ""), "run `cleantrace doctor`")
            if time.monotonic() > deadline:
                raise SandboxError(f"the window of {name} never appeared in {timeout:.0f} s",
                                   "see the sandbox log; run `cleantrace doctor`")
            time.sleep(0.05)

    def windows(self) -> list[Window]:
        """The window manager's managed windows (_NET_CLIENT_LIST), with titles, classes and client areas."""
        from Xlib import X, error
        from Xlib.display import Display

        display = Display(self.display_name)
        try:
            root = display.screen().root
            atom = display.intern_atom
            listed = root.get_full_property(atom("_NET_CLIENT_LIST"), X.AnyPropertyType)
            found = []
            for wid in (listed.value if listed else []):
                try:
                    win = display.create_resource_object("window", wid)
                    name = win.get_full_property(atom("_NET_WM_NAME"), atom("UTF8_STRING"))
                    title = name.value.decode(errors="replace") if name else (win.get_wm_name() or "")
                    wm_class = (win.get_wm_class() or ("", ""))[1]
                    geometry = win.get_geometry()
                    origin = win.translate_coords(root, 0, 0)
                    found.append(Window(wid, str(title), wm_class, -origin.x, -origin.y,
                                        geometry.width, geometry.height))
                except error.XError:
                    continue  # closed meanwhile
            return found
        finally:
            display.close()

    def activate(self, window: Window, timeout: float = 5.0) -> None:
        """Bring `window` to the front with the focus, as a taskbar click would (EWMH _NET_ACTIVE_WINDOW);
        a SandboxError if the window manager does not within `timeout`."""
        from Xlib import X, protocol
        from Xlib.display import Display

        display = Display(self.display_name)
        try:
            root = display.screen().root
            active = display.intern_atom("_NET_ACTIVE_WINDOW")
            message = protocol.event.ClientMessage(
                window=display.create_resource_object("window", window.id), client_type=active,
                data=(32, [2, X.CurrentTime, 0, 0, 0]),  # 2: from a pager or taskbar
            )
            root.send_event(message, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)
            display.flush()
            deadline = time.monotonic() + timeout
            while True:
                now = root.get_full_property(active, X.AnyPropertyType)
                if now and now.value and now.value[0] == window.id:
                    return
                if time.monotonic() > deadline:
                    raise SandboxError(f"the window {window.title!r} did not come to the front in {timeout:.0f} s",
                                       "see the sandbox log")
                time.sleep(0.02)
        finally:
            display.close()

    def web_url(self, app: str, path: str = "/") -> str:
        """The address the browser shows for web app `app` (one of the task's `web_apps`)."""
        if app not in self.web_ports:
            raise SandboxError(f"no web app {app!r} in this episode", "list it in the task's `web_apps`")
        return f"http://{app}.test{path if path.startswith('/') else '/' + path}"

    def browser_page(self, timeout: float = 20.0) -> Page | None:
        """The browser's front tab over CDP (Playwright), once the browser runs; None if it was never started."""
        if self.browser is None:
            return None
        if self._page is None or self._page.is_closed():
            from playwright.sync_api import sync_playwright

            if self._playwright is None:
                self._playwright = sync_playwright().start()
            browser = self._playwright.chromium.connect_over_cdp(devtools_url(self.profile, self.browser, timeout))
            # Playwright takes the browser's downloads over (GUID-named files in its own folder): give
            # them back, so a download lands in ~/Downloads under its own name (the managed policy)
            browser.new_browser_cdp_session().send("Browser.setDownloadBehavior", {"behavior": "default"})
            context = browser.contexts[0]
            self._page = context.pages[-1] if context.pages else context.wait_for_event("page")
        return self._page

    # --- health and teardown -----------------------------------------------------------------
    def fault(self) -> str | None:
        """Which desktop part died, if one did (the apps a task started may end on their own)."""
        for part in ("the session bus", "the AT-SPI bus", "the window manager", "the taskbar"):
            proc = self._procs.get(part)
            if proc is not None and proc.poll() is not None:
                said = self.said(part) if proc.returncode > 0 else ""  # killed: its last words are older news
                return f"{part} died (code {proc.returncode}{': ' + said if said else ''})"
        return None

    def stop(self) -> None:
        """Stop every app and part, newest first; a part already gone is skipped."""
        global _current
        if self._playwright is not None:
            with suppress(Exception):  # the browser may be gone already
                self._playwright.stop()
        procs = list(self._procs.values())
        spawned = [pid for proc in procs if proc.poll() is None for pid in descendants(proc.pid)]
        for proc in reversed(procs):
            stop_process(proc, grace=2.0)
        _end(spawned)  # what the parts started (the a11y bus daemon, the registry, a document's soffice.bin)
        for key, value in getattr(self, "_outer_env", {}).items():  # no address of a bus that is gone
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if _current is self:
            _current = None
