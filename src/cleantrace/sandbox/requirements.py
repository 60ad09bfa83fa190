"""What a sandbox needs on the host, with the command that installs what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

from cleantrace.errors import SandboxError

APT_INSTALL = "apt-get install -y chromium xvfb xdotool bubblewrap"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
# the desktop profile's parts (docs/desktop.md): what `doctor` shows, binary → (its part, the Debian package)
DESKTOP_BINARIES = {
    "/usr/bin/dbus-daemon": ("session bus", "dbus-daemon"),
    "/usr/bin/dbus-send": ("session bus client", "dbus-bin"),
    "/usr/libexec/at-spi-bus-launcher": ("AT-SPI bus", "at-spi2-core"),
    "/usr/libexec/at-spi2-registryd": ("AT-SPI registry", "at-spi2-core"),
    "/usr/bin/openbox": ("window manager", "openbox"),
    "/usr/bin/tint2": ("taskbar", "tint2"),
    "/usr/lib/libreoffice/program/soffice": ("LibreOffice", "libreoffice-calc libreoffice-writer"),
    "/usr/lib/libreoffice/program/libvclplug_gtk3lo.so": ("LibreOffice GTK3 (accessibility)", "libreoffice-gtk3"),
    "/usr/bin/pcmanfm": ("file manager", "pcmanfm"),
    "/usr/bin/mousepad": ("text editor", "mousepad"),
    "/usr/share/icons/Adwaita/index.theme": ("icons", "adwaita-icon-theme"),
}


def missing_desktop_parts() -> list[tuple[str, str]]:
    """(part, package) of each desktop part that is not installed."""
    return [(part, package) for path, (part, package) in DESKTOP_BINARIES.items() if not Path(path).exists()]


def chromium_path() -> str:
    """Debian's Chromium binary (the real one, not the /usr/bin shell wrapper, when present)."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise SandboxError("Chromium is not installed", f"install it: {APT_INSTALL}")


def require_host_tools() -> None:
    """Raise a SandboxError naming the first missing tool and how to install it."""
    chromium_path()
    for tool, package in (("Xvfb", "xvfb"), ("bwrap", "bubblewrap")):
        if shutil.which(tool) is None:
            raise SandboxError(f"{tool} is not installed", f"install it: apt-get install -y {package}")
