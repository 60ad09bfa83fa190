"""Chromium in kiosk mode on the sandbox display, started directly and driven over CDP.

Chromium is started as a plain process, so that it comes up while the episode is still
importing and seeding its world; Playwright attaches to it afterwards over the DevTools
protocol on the sandbox's own loopback. Where bubblewrap can make an unprivileged user namespace
(the local backend), Chromium runs in a mount namespace of its own in which the episode folder (and
the other `hidden` folders) are empty: no dialog, download or navigation of the browser can reach
the trace. (A new PID namespace would need a fresh /proc, which the kernel refuses under the
sandbox's partly covered one.)
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cleantrace.appearance import DEFAULT, Appearance
from cleantrace.errors import SandboxError
from cleantrace.sandbox.requirements import chromium_path

# Quiet offline: no background traffic, no first-run UI, no component updates.
QUIET_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--password-store=basic",
    # no preloaded WebUI omnibox popups: a kiosk window has no omnibox, and they cost ~0.5 core-s
    "--disable-features=Translate,MediaRouter,OptimizationHints,"
    "WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,OmniboxAim",
    "--disable-extensions", "--disable-default-apps", "--disable-breakpad", "--no-pings",
    "--disable-session-crashed-bubble", "--disable-infobars",
)
DEVTOOLS_FILE = "DevToolsActivePort"


def page_screen_origin(page: Any, device_scale: float = 1.0) -> tuple[float, float, float]:
    """Screen position of the page's (0, 0) and the CSS-to-screen pixel scale (0, 0, 1 in kiosk at 100 %).

    Window sizes and positions are in device-independent pixels (DIP), the page's in CSS pixels:
    one CSS pixel is `devicePixelRatio / device_scale` DIP (the browser zoom), one DIP is
    `device_scale` screen pixels (Chromium's --force-device-scale-factor).
    """
    x, y, inner_w, inner_h, ratio = page.evaluate(
        "[screenX + outerWidth, screenY + outerHeight, innerWidth, innerHeight, devicePixelRatio]"
    )
    zoom = float(ratio) / device_scale
    return (float(x) - inner_w * zoom) * device_scale, (float(y) - inner_h * zoom) * device_scale, float(ratio)


BROWSER_TITLE = " - Chromium"  # how Chromium titles its window: "<the shown tab's title> - Chromium"


def front_page(page: Any, titles: set[str] | None = None) -> Any:
    """The tab a person sees in `page`'s browser (None without a browser): `page` itself while it shows (or is the only
    tab), else the tab whose title a browser window bears (after Ctrl+Tab, or a link opened in a new
    tab and switched to). `titles`: the windows' titles (by default read from the X display).

    Not `document.visibilityState`: with Playwright attached every tab says "visible" (measured)."""
    if page is None:  # a desktop episode that opened no browser
        return None
    pages = [p for p in page.context.pages if not p.is_closed()]
    if len(pages) < 2:
        return pages[0] if page.is_closed() and pages else page
    if titles is None:
        from cleantrace.sandbox.stacking import window_titles

        titles = set(window_titles())
    showing = []
    for other in pages:
        try:
            if f"{other.title()}{BROWSER_TITLE}" in titles:
                showing.append(other)
        except Exception:  # a tab that closed or navigated meanwhile
            continue
    if (page in showing or not showing) and not page.is_closed():
        return page
    return showing[-1] if showing else pages[-1]


def chromium_command(profile: Path, size: tuple[int, int], appearance: Appearance = DEFAULT) -> list[str]:
    """Chromium in a kiosk window at (0, 0), so page pixels are screen pixels, with CDP on loopback.

    A device scale factor other than 1 is forced (the window size is then in DIP, a screen's worth).
    """
    scale = appearance.device_scale_factor
    w, h = (round(size[0] / scale), round(size[1] / scale))
    look = [] if scale == 1 else [f"--force-device-scale-factor={scale:g}"]
    if appearance.color_scheme == "dark":
        look.append("--force-dark-mode")  # the browser's own surfaces; pages get prefers-color-scheme over CDP
    return [
        chromium_path(), *QUIET_FLAGS, *look, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--kiosk", "--window-position=0,0", f"--window-size={w},{h}", "about:blank",
    ]


def write_profile_preferences(profile: Path, appearance: Appearance) -> None:
    """The browser zoom of the fresh profile (Chromium's default zoom level: log base 1.2 of the factor)."""
    if appearance.zoom == 1:
        return
    default = profile / "Default"
    default.mkdir(parents=True, exist_ok=True)
    level = math.log(appearance.zoom) / math.log(1.2)
    (default / "Preferences").write_text(json.dumps({"partition": {"default_zoom_level": {"x": level}}}))


def browser_jail(hidden: list[str]) -> list[str]:
    """The command prefix that runs the browser with `hidden` folders out of its sight (empty tmpfs),
    or [] where bubblewrap is missing, cannot make a user namespace here (said in the log), or
    nothing is to be hidden."""
    bwrap = shutil.which("bwrap")
    present = [path for path in hidden if Path(path).exists()]
    if bwrap is None or not present:
        return []
    jail = [bwrap, "--dev-bind", "/", "/", *[arg for path in present for arg in ("--tmpfs", path)],
            "--unshare-user", "--die-with-parent", "--"]
    tried = subprocess.run([*jail, "true"], capture_output=True, timeout=10)
    if tried.returncode != 0:
        said = tried.stderr.decode(errors="replace").strip()
        print(f"browser: no mount namespace of its own ({said}); the policy alone guards", file=sys.stderr, flush=True)
        return []
    return jail


def launch_chromium(
    profile: Path, display_name: str, size: tuple[int, int], hidden: list[str] | None = None,
    appearance: Appearance = DEFAULT, extra_env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start Chromium with a fresh profile on `display_name`, `hidden` folders out of its sight; does not wait."""
    profile.mkdir(parents=True, exist_ok=True)
    write_profile_preferences(profile, appearance)
    env = {"DISPLAY": display_name, "HOME": str(profile.parent), "LANG": "en_US.UTF-8", "PATH": "/usr/bin:/bin",
           **(extra_env or {})}
    return subprocess.Popen(
        [*browser_jail(hidden or []), *chromium_command(profile, size, appearance)], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def devtools_url(profile: Path, proc: subprocess.Popen, timeout: float = 20.0) -> str:
    """The CDP endpoint Chromium announces in its profile once it is ready."""
    announce = profile / DEVTOOLS_FILE
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SandboxError(f"Chromium exited with code {proc.returncode} at start", "run `cleantrace doctor`")
        try:
            port = announce.read_text().split("\n", 1)[0].strip()
            if port:
                return f"http://127.0.0.1:{port}"
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SandboxError(f"Chromium did not start in {timeout:.0f} s", "run `cleantrace doctor`")
        time.sleep(0.005)
