"""The managed Chromium policy of a sandbox: only the task's apps, no way out of the kiosk page.

Debian's Chromium reads managed policies from /etc/chromium/policies/managed/*.json; the local
backend writes this policy into the sandbox's generated /etc, the docker image bakes it in
(`python -m cleantrace.sandbox.policy > /etc/chromium/policies/managed/cleantrace.json`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

POLICY_DIR = "chromium/policies/managed"  # under /etc
POLICY_FILE = "cleantrace.json"
APP_ORIGINS = ("http://127.0.0.1:8000",)  # where the sandbox serves the task's app (episode.APP_PORT)


def chromium_policy(origins: tuple[str, ...] = APP_ORIGINS) -> dict:
    """Every URL blocked but the app's origins (and about:blank); no devtools, downloads, printing,
    file dialogs, incognito or guest windows, password manager, autofill or extensions.

    DevTools are kept out by blocking devtools:// (their front end), not by DeveloperToolsAvailability=2:
    that also refuses the recorder's DevTools protocol connection to the page (measured: no page).
    """
    return {
        "URLBlocklist": ["*", "file://*", "chrome://*", "devtools://*", "view-source:*", "chrome-extension://*"],
        "URLAllowlist": [*origins, "about:blank"],
        "IncognitoModeAvailability": 1,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
        "BrowserSignin": 0,
        "PrintingEnabled": False,
        "DownloadRestrictions": 3,
        "AllowFileSelectionDialogs": False,
        "PasswordManagerEnabled": False,
        "AutofillAddressEnabled": False,
        "AutofillCreditCardEnabled": False,
        "SavingBrowserHistoryDisabled": True,
        "ExtensionInstallBlocklist": ["*"],
        "DefaultPopupsSetting": 2,
        "BookmarkBarEnabled": False,
        "EditBookmarksEnabled": False,
        "ImportAutofillFormData": False,
        "SpellCheckServiceEnabled": False,
        "TranslateEnabled": False,
        "SearchSuggestEnabled": False,
        "PromptForDownloadLocation": False,
    }


def web_app_origin(app: str) -> str:
    """Where a desktop episode's browser reaches a web app: its own loopback host name (docs/desktop.md)."""
    return f"http://{app}.test"


def desktop_policy(web_apps: tuple[str, ...], downloads: str = "/home/sandbox/Downloads") -> dict:
    """The kiosk's policy for a desktop's browser with its own UI: only the episode's web apps at
    http://<app>.test (and about:blank); file dialogs and downloads (into the home) allowed, the
    bookmarks bar on with one bookmark per web app; still no DevTools front end, `file://`,
    `chrome://`, `view-source:`, incognito, guest, sign-in, printing or extensions."""
    policy = chromium_policy(tuple(web_app_origin(app) for app in web_apps))
    policy.update({
        "AllowFileSelectionDialogs": True,
        "DownloadRestrictions": 0,
        "DownloadDirectory": downloads,
        "PromptForDownloadLocation": False,
        "BookmarkBarEnabled": True,
        "ManagedBookmarks": [{"toplevel_name": "Apps"},
                             *[{"name": app, "url": web_app_origin(app) + "/"} for app in web_apps]],
        "DefaultPopupsSetting": 1,  # a mail's link may open a new tab
        "NewTabPageLocation": "about:blank",  # the built-in new tab page is a chrome:// page (blocked)
    })
    return policy


def write_policy(etc_dir: Path, origins: tuple[str, ...] = APP_ORIGINS, policy: dict | None = None) -> Path:
    """Write the policy (by default the kiosk's for `origins`) under `etc_dir` (a generated /etc); return its file."""
    folder = etc_dir / POLICY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / POLICY_FILE
    path.write_text(json.dumps(policy or chromium_policy(origins), indent=1) + "\n")
    return path


if __name__ == "__main__":
    sys.stdout.write(json.dumps(chromium_policy(), indent=1) + "\n")
