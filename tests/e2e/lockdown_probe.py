"""Runs inside a sandbox (tests/e2e/test_lockdown.py) and prints, as JSON, who it runs as and what it sees."""

import errno
import json
import os
import sys


def attempt(path):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, "rb") as f:
            return f.read(64).decode(errors="replace")
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))


def status(field):
    with open("/proc/self/status") as f:
        return next(line.split(":", 1)[1].strip() for line in f if line.startswith(field + ":"))


args = json.loads(sys.argv[1])
with open("/proc/self/mountinfo") as f:
    mounts = [line.split(" ") for line in f.read().splitlines()]
facts = {
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "cap_eff": status("CapEff"), "cap_bnd": status("CapBnd"), "no_new_privs": status("NoNewPrivs"),
    "mounts": [{"point": m[4], "options": m[5], "fstype": m[m.index("-") + 1]} for m in mounts],
    "root": sorted(os.listdir("/")),
    "etc": sorted(os.listdir("/etc")),
    "paths": {p: attempt(p) for p in args["paths"]},
    "whoami": __import__("pwd").getpwuid(os.getuid()).pw_name,
}


def blocked_urls(urls):
    """Start the sandbox's browser (its managed policy on) and try each URL: the error each gave."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from cleantrace.sandbox.browser import devtools_url, launch_chromium
    from cleantrace.sandbox.display import VirtualDisplay

    display = VirtualDisplay(0, (1280, 800))
    display.launch()
    display.wait_ready()
    profile = Path("/tmp/profile")
    chromium = launch_chromium(profile, display.name, (1280, 800), ["/tmp/episode"])
    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.connect_over_cdp(devtools_url(profile, chromium))
        for url in urls:
            try:
                page = browser.contexts[0].new_page()
                page.goto(url)
                found[url] = "loaded"
            except Exception as exc:
                found[url] = str(exc).splitlines()[0]
    chromium.kill()
    display.stop()
    return found


facts["browser"] = blocked_urls(args["urls"])
print(json.dumps(facts))
