"""Checks every part a run needs, each with the fix when it is missing."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cleantrace.sandbox.requirements import APT_INSTALL, CHROMIUM_CANDIDATES

MIN_FREE_GB = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(out: Path = Path(".")) -> list[Check]:
    """All checks, in the order a run needs them."""
    return [_xvfb(), _chromium(), _bwrap(), _disk(out)]


def _xvfb() -> Check:
    if shutil.which("Xvfb") is None:
        return Check("Xvfb", False, "apt-get install -y xvfb")
    return Check("Xvfb", True, shutil.which("Xvfb") or "")


def _chromium() -> Check:
    for path in CHROMIUM_CANDIDATES:
        if Path(path).is_file():
            version = _output([path, "--version"]) or "version unknown"
            return Check("chromium", True, f"{path}: {version}")
    return Check("chromium", False, APT_INSTALL)


def _bwrap() -> Check:
    if shutil.which("bwrap") is None:
        return Check("bubblewrap", False, "apt-get install -y bubblewrap")
    probe = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-net", "--unshare-pid", "true"]
    if subprocess.run(probe, capture_output=True, timeout=20).returncode != 0:
        return Check("bubblewrap", False, "namespaces do not work: run as root or enable user namespaces "
                                          "(sysctl kernel.unprivileged_userns_clone=1)")
    return Check("bubblewrap", True, "namespaces work (net, pid)")


def _disk(out: Path) -> Check:
    free = shutil.disk_usage(out if out.exists() else Path(".")).free / 1e9
    ok = free >= MIN_FREE_GB
    return Check("disk", ok, f"{free:.1f} GB free" + ("" if ok else f": free at least {MIN_FREE_GB} GB"))


def _output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
