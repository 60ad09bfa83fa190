"""What a sandbox needs on the host, with the command that installs what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

from cleantrace.errors import SandboxError

APT_INSTALL = "apt-get install -y chromium xvfb xdotool bubblewrap"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


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
