"""Chromium in kiosk mode on the sandbox display, driven by Playwright over CDP."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, Playwright

from cleantrace.sandbox.requirements import chromium_path

# Quiet offline: no background traffic, no first-run UI, no component updates.
QUIET_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--disable-features=Translate,MediaRouter", "--password-store=basic",
)


def launch_browser(
    playwright: Playwright, profile: Path, display_name: str, size: tuple[int, int]
) -> BrowserContext:
    """A fresh persistent profile in a kiosk window at (0, 0): page pixels are screen pixels."""
    w, h = size
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path(),
        headless=False,
        no_viewport=True,
        env={"DISPLAY": display_name, "HOME": str(profile.parent), "LANG": "en_US.UTF-8"},
        args=[*QUIET_FLAGS, "--kiosk", "--window-position=0,0", f"--window-size={w},{h}"],
    )
