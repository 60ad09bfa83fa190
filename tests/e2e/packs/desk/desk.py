"""A trivial desktop task for the sandbox's e2e test: the crm in the browser's normal UI at crm.test, a
text editor on a seeded home document; its solve() reports what the desktop shows and hides (to the log)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request

from cleantrace.tasks import Task

NOTE = "Call the office back on Friday.\n"


def _comm(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class CrmAndNotes(Task):
    id = "desk/crm-and-notes"
    app = "desk"
    profile = "desktop"
    web_apps = ("crm",)
    instruction = "Open the accounts of the CRM, then read {file}."
    skills = ("navigation",)

    def setup(self, world):
        leads = world.app("crm").db.scalar("select count(*) from leads")
        return {"file": "Documents/notes.txt", "leads": leads}

    def home_files(self, p):
        return {p["file"]: NOTE.encode()}

    def open_at_start(self, p):
        return [("calc", None), ("editor", p["file"]), ("browser", "http://crm.test/")]

    def solve(self, actor, p):
        from cleantrace.sandbox import desktop as d

        desk = d.current()
        page = actor.page
        facts = {"start_url": page.url, "env": {k: os.environ.get(k, "") for k in
                                               ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS")}}
        actor.click(role="link", name="Accounts")  # web grounding through CDP in a normal browser window
        page.wait_for_url("**/accounts")
        facts["clicked_url"] = page.url
        facts["windows"] = [[w.title, w.wm_class, w.x, w.y, w.w, w.h] for w in desk.windows()]
        facts["geometry"] = desk.geometry
        editor = next(pid for pid in os.listdir("/proc") if pid.isdigit() and _comm(pid) == "mousepad")
        view = f"/proc/{editor}/root"  # what the editor (and any app of the desktop) can see
        facts["app_view"] = {
            "episode": sorted(os.listdir(f"{view}/tmp/episode")),
            "home": sorted(os.listdir(f"{view}/home/sandbox")),
            "worlds": sorted(os.listdir(f"{view}/tmp/cleantrace/worlds")),
            "var_tmp": sorted(os.listdir(f"{view}/var/tmp")),
            "runtime": sorted(os.listdir(f"{view}{sys.prefix}")),  # the virtualenv: empty for the apps
        }
        facts["episode_here"] = sorted(os.listdir("/tmp/episode"))[:3]
        listing = "import pyatspi\nprint(sorted(a.name for a in pyatspi.Registry.getDesktop(0) if a))"
        apps = subprocess.run(["/usr/bin/python3", "-c", listing], capture_output=True, text=True, timeout=60)
        facts["atspi_apps"] = apps.stdout.strip() or apps.stderr[-200:]  # the accessibility bus, as the Actor sees it
        # a program run inside the desktop's jail (as a LibreOffice macro or a .desktop file could) reaching
        # the trace through another process's view of the file system
        probe = ("import os\nseen = []\nfor pid in filter(str.isdigit, os.listdir('/proc')):\n"
                 "    try:\n        seen += os.listdir(f'/proc/{pid}/root/tmp/episode')\n"
                 "    except OSError:\n        pass\nprint(len(seen))")
        reached = subprocess.run([*desk.jail, "/usr/bin/python3", "-c", probe], capture_output=True, text=True)
        facts["jail_reaches_trace"] = reached.stdout.strip() or reached.stderr[-200:]
        control = subprocess.run(["/usr/bin/python3", "-c", probe], capture_output=True, text=True)  # no jail
        facts["outside_reaches_trace"] = control.stdout.strip() or control.stderr[-200:]
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=3)
            facts["net_out"] = "connected"
        except OSError as exc:
            facts["net_out"] = type(exc).__name__
        blocked = {}
        for url in ("file:///", "http://192.0.2.1/", "chrome://settings", "http://127.0.0.1:8001/"):
            tab = page.context.new_page()
            try:
                tab.goto(url, timeout=15000)
                blocked[url] = "loaded"
            except Exception as exc:  # noqa: BLE001 - the browser's refusal is the fact
                blocked[url] = str(exc).split("\n")[0][:120]
            finally:
                tab.close()
        facts["blocked"] = blocked
        page.bring_to_front()
        with urllib.request.urlopen(desk.web_url("crm").replace("crm.test", "127.0.0.1:8001"), timeout=10) as r:
            facts["crm_direct"] = r.status
        for keys in (("F12",), ("ctrl", "shift", "i"), ("ctrl", "u")):
            actor.hotkey(*keys)
        with page.context.expect_page(timeout=15000):
            actor.hotkey("ctrl", "t")  # a new tab is part of a desktop's work: not grabbed
        facts["tabs"] = [t.url for t in page.context.pages]
        print("desk-facts: " + json.dumps(facts), file=sys.stderr, flush=True)

    def check(self, world, p):
        note = (world.home / p["file"]).read_text()
        return note == NOTE and world.app("crm").db.scalar("select count(*) from leads") == p["leads"] > 0

    def wrong_params(self, world, p):
        return {**p, "leads": -1}


class AccessibilityDies(Task):
    """The AT-SPI bus goes away during the episode: the episode ends incomplete naming it."""

    id = "desk/accessibility-dies"
    app = "desk"
    profile = "desktop"
    instruction = "Type {word} into a new text file."

    def setup(self, world):
        return {"word": "hello"}

    def open_at_start(self, p):
        return [("editor", None)]

    def solve(self, actor, p):  # the episode's recording (a frame at least) must survive the fault
        import subprocess

        subprocess.run(["pkill", "-KILL", "-f", "at-spi-bus-launcher"], check=True)  # only this sandbox's
        while subprocess.run(["pgrep", "-f", "at-spi-bus-launcher"], capture_output=True).returncode == 0:
            pass  # until it is gone

    def check(self, world, p):
        return True
