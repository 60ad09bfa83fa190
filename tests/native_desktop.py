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
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, *argv: str) -> subprocess.Popen:
        proc = subprocess.Popen(list(argv), env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def missing_parts() -> list[str]:
    need = ["Xvfb", "dbus-daemon", "openbox", "mousepad", "soffice"]
    out = [n for n in need if shutil.which(n) is None]
    return out + [p for p in ["/usr/libexec/at-spi-bus-launcher"] if not Path(p).exists()]


def start_desktop(tmp: Path, wait_s: float = 90) -> NativeDesktop:
    """Xvfb + session bus + AT-SPI + openbox, then Calc and Mousepad; returns once both windows are in
    AT-SPI's tree (LibreOffice takes seconds on a loaded machine)."""
    from cleantrace.sandbox.atspi import Atspi

    number = next(n for n in range(140, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    home = tmp / "home"
    (home / ".config").mkdir(parents=True)
    (home / "Documents").mkdir()
    bus = f"unix:path={tmp / 'bus'}"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": f":{number}", "LANG": "C.UTF-8",
           "DBUS_SESSION_BUS_ADDRESS": bus, "XDG_RUNTIME_DIR": str(tmp), "XDG_CONFIG_HOME": str(home / ".config"),
           "SAL_USE_VCLPLUGIN": "gtk3", "GTK_A11Y": "atspi", "NO_AT_BRIDGE": "0"}
    desk = NativeDesktop(f":{number}", env, home)
    desk.start("Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "+extension", "RECORD")
    desk.start("dbus-daemon", "--session", "--nofork", f"--address={bus}")
    _wait(lambda: Path(f"/tmp/.X11-unix/X{number}").exists() and (tmp / "bus").exists(), "Xvfb and the bus", 20)
    desk.start("/usr/libexec/at-spi-bus-launcher", "--launch-immediately")
    desk.start("openbox")
    desk.start("soffice", "--calc", "--norestore", "--nologo", f"-env:UserInstallation=file://{home}/lo")
    desk.start("mousepad")
    old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                atspi = Atspi()
                break
            except Exception:
                assert time.monotonic() < deadline, "the AT-SPI bus did not come up"
                time.sleep(0.2)
        names = lambda: [w.name for w in atspi.windows() if w.showing]  # noqa: E731
        _wait(lambda: any("LibreOffice Calc" in n for n in names()) and any("Mousepad" in n for n in names()),
              "Calc and Mousepad windows in AT-SPI", wait_s)
        atspi.close()
    except BaseException:
        desk.close()
        raise
    finally:
        if old is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = old
    return desk


def _wait(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except Exception:  # the app is not there yet
            pass
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)
