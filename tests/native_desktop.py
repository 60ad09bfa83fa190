"""A small real desktop for the native Actor's tests (not a sandbox): Xvfb, a session D-Bus, the
AT-SPI bus, openbox, LibreOffice Calc and Mousepad, each in its own process group, all stopped after."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NativeDesktop:
    display: str
    env: dict[str, str]
    home: Path
    a11y_address: str = ""
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, *argv: str) -> subprocess.Popen:
        proc = subprocess.Popen(list(argv), env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            _signal(proc, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.wait(5)


def _signal(proc: subprocess.Popen, sig: int) -> None:
    """`sig` to the process's group when it leads one (what it started goes too), else to it alone."""
    with suppress(ProcessLookupError):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)


def missing_parts() -> list[str]:
    need = ["Xvfb", "dbus-daemon", "dbus-send", "openbox", "mousepad", "soffice"]
    out = [n for n in need if shutil.which(n) is None]
    return out + [p for p in ["/usr/libexec/at-spi-bus-launcher"] if not Path(p).exists()]


def start_desktop(tmp: Path, wait_s: float = 90) -> NativeDesktop:
    """Xvfb + session bus + AT-SPI + openbox, then Calc and Mousepad; returns once both windows are in
    AT-SPI's tree (LibreOffice takes seconds on a loaded machine)."""
    from cleantrace.sandbox.atspi import bus_address
    from cleantrace.sandbox.display import start_free_xvfb

    xvfb, display = start_free_xvfb("-screen", "0", "1280x800x24", "+extension", "RECORD")
    home = tmp / "home"
    (home / ".config").mkdir(parents=True)
    (home / "Documents").mkdir()
    bus = f"unix:path={tmp / 'bus'}"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": display, "LANG": "C.UTF-8",
           "DBUS_SESSION_BUS_ADDRESS": bus, "XDG_RUNTIME_DIR": str(tmp), "XDG_CONFIG_HOME": str(home / ".config"),
           "SAL_USE_VCLPLUGIN": "gtk3", "GTK_A11Y": "atspi", "NO_AT_BRIDGE": "0"}
    desk = NativeDesktop(display, env, home, procs=[xvfb])
    desk.start("dbus-daemon", "--session", "--nofork", f"--address={bus}")
    _wait(lambda: (tmp / "bus").exists(), "the session bus", 20)
    desk.start("/usr/libexec/at-spi-bus-launcher", "--launch-immediately")
    saved = {k: os.environ.get(k) for k in ("DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS")}
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus
    os.environ.pop("AT_SPI_BUS_ADDRESS", None)  # another session's address must not be used here
    try:
        # The accessibility bus and its registry before any app, and no question to org.a11y.Bus before
        # the launcher owns that name: either would make the session bus activate a second launcher,
        # the first would exit, and apps could end up on a bus nobody reads.
        _wait(lambda: _a11y_name_owned(env), "at-spi-bus-launcher owning org.a11y.Bus", wait_s)
        atspi = _connect(wait_s)
        _wait(lambda: atspi.windows() is not None, "the AT-SPI registry", wait_s)
        desk.a11y_address = bus_address()
        desk.start("openbox")
        desk.start("soffice", "--calc", "--norestore", "--nologo", f"-env:UserInstallation=file://{home}/lo")
        desk.start("mousepad")
        names = lambda: [w.name for w in atspi.windows() if w.showing]  # noqa: E731
        _wait(lambda: any("LibreOffice Calc" in n for n in names()) and any("Mousepad" in n for n in names()),
              "Calc and Mousepad windows in AT-SPI", wait_s, seen=names)
        atspi.close()
    except BaseException:
        desk.close()
        raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return desk


def _a11y_name_owned(env: dict[str, str]) -> bool:
    reply = subprocess.run(
        ["dbus-send", "--session", "--print-reply=literal", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", "string:org.a11y.Bus"], env=env, capture_output=True, text=True)
    return reply.stdout.strip().endswith("true")


def _connect(wait_s: float):
    from cleantrace.sandbox.atspi import Atspi

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return Atspi()
        except Exception as exc:
            assert time.monotonic() < deadline, f"the AT-SPI bus did not come up: {exc}"
            time.sleep(0.2)


def _wait(condition, what: str, timeout: float, seen=None) -> None:
    """Poll `condition` until true; the failure names what was last seen (or the last error)."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            if condition():
                return
            last = f"; showing: {seen()}" if seen else ""
        except Exception as exc:  # the app is not there yet
            last = f"; last error: {type(exc).__name__}: {exc}"
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s{last}"
        time.sleep(0.1)
