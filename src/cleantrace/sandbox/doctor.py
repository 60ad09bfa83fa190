"""Checks every part a run needs, each with the fix when it is missing."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cleantrace.sandbox.requirements import APT_INSTALL, CHROMIUM_CANDIDATES, DESKTOP_BINARIES

MIN_FREE_GB = 2.0
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype", "/usr/share/fonts")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True  # False: only some runs need it (e.g. --backend docker)


def run_checks(out: Path = Path(".")) -> list[Check]:
    """All checks, in the order a run needs them."""
    return [_xvfb(), _x_extensions(), _chromium(), _fonts(), _bwrap(), _disk(out), _docker(), *_desktop()]


def _desktop() -> list[Check]:
    """The desktop profile's parts, one row each: only desktop tasks need them."""
    return [
        Check(f"desktop: {part}", Path(path).exists(),
              path if Path(path).exists() else f"only for desktop tasks: apt-get install -y {package}", required=False)
        for path, (part, package) in DESKTOP_BINARIES.items()
    ]


def _xvfb() -> Check:
    if shutil.which("Xvfb") is None:
        return Check("Xvfb", False, "apt-get install -y xvfb")
    return Check("Xvfb", True, shutil.which("Xvfb") or "")


def _x_extensions() -> Check:
    """XTEST (input) and RECORD (capture) on a real, short-lived Xvfb."""
    if shutil.which("Xvfb") is None:
        return Check("XTEST, RECORD", False, "needs Xvfb first")
    from cleantrace.errors import SandboxError
    from cleantrace.sandbox.display import start_free_xvfb

    try:
        proc, name = start_free_xvfb("+extension", "RECORD", timeout=10)
    except SandboxError:
        return Check("XTEST, RECORD", False, "Xvfb does not start: apt-get install --reinstall xvfb")
    try:
        from Xlib import display

        d = display.Display(name)
        missing = [ext for ext in ("XTEST", "RECORD") if not d.has_extension(ext)]
        d.close()
    finally:
        proc.terminate()
        proc.wait(5)
    if missing:
        return Check("XTEST, RECORD", False, f"Xvfb lacks {', '.join(missing)}: install Debian's xvfb")
    return Check("XTEST, RECORD", True, "both present on Xvfb")


def _fonts() -> Check:
    found = [p for p in FONT_DIRS if Path(p).is_dir() and any(Path(p).rglob("*.ttf"))]
    if not found:
        return Check("fonts", False, "apt-get install -y fonts-dejavu-core")
    return Check("fonts", True, ", ".join(found))


def _docker() -> Check:
    from cleantrace.errors import SandboxError
    from cleantrace.sandbox.docker_backend import docker_client

    try:
        docker_client()
    except SandboxError as exc:
        return Check("docker engine", False, f"only for --backend docker: {exc}", required=False)
    return Check("docker engine", True, "reachable (--backend docker can run)", required=False)


def _chromium() -> Check:
    for path in CHROMIUM_CANDIDATES:
        if Path(path).is_file():
            version = _output([path, "--version"]) or "version unknown"
            return Check("chromium", True, f"{path}: {version}")
    return Check("chromium", False, APT_INSTALL)


def _bwrap() -> Check:
    """A real sandbox (minimal root, the unprivileged user) that starts the browser's inner one."""
    from cleantrace.sandbox.local import run_in_sandbox

    if shutil.which("bwrap") is None:
        return Check("bubblewrap", False, "apt-get install -y bubblewrap")
    with tempfile.TemporaryDirectory(prefix="cleantrace-doctor-") as tmp:
        episode = Path(tmp) / "run" / "ep"
        episode.mkdir(parents=True)
        inner = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/tmp/episode", "--unshare-user", "--", "true"]
        ended = run_in_sandbox(inner, episode, Path(tmp), Path(tmp) / "log", 20)
        said = (Path(tmp) / "log").read_text(errors="replace").strip().splitlines()
    if ended.code != 0:
        return Check("bubblewrap", False, f"a sandbox does not start ({said[-1] if said else ended}): run as root "
                                          "or enable user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
    return Check("bubblewrap", True, "namespaces work (net, pid, user; minimal root, unprivileged user)")


def _disk(out: Path) -> Check:
    free = shutil.disk_usage(out if out.exists() else Path(".")).free / 1e9
    ok = free >= MIN_FREE_GB
    return Check("disk", ok, f"{free:.1f} GB free" + ("" if ok else f": free at least {MIN_FREE_GB} GB"))


def _output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
