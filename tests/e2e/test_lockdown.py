"""Safe for an untrusted volunteer, tested in real sandboxes: a minimal root, no root inside, a
browser locked to the task's app whatever keys are pressed, and no host canary in any trace."""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import sys
from pathlib import Path

import pytest

from cleantrace.privacy import scan_episode
from cleantrace.privacy.ocr import read_frames
from cleantrace.sandbox.local import run_in_sandbox, run_sandboxed
from cleantrace.sandbox.rootfs import SANDBOX_UID, allowed_mounts, runtime_paths
from cleantrace.spec import EpisodeSpec
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from tests.conftest import REPO, TASKS_DIR, write_pack_with

pytestmark = pytest.mark.e2e
PROBE = Path(__file__).with_name("lockdown_probe.py")
WORD = "ctcanary" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))  # OCR-friendly


@pytest.fixture(scope="module")
def host_canaries():
    """Files no sandbox may show: in /var/tmp, /opt, /srv, the checkout's parent, and a root-only one."""
    places = [Path("/var/tmp"), Path("/opt"), Path("/srv"), REPO.parent]
    planted = []
    for n, folder in enumerate(places):
        path = folder / f"{WORD}{n}.txt"
        path.write_text(f"{WORD} host secret\n")
        planted.append(path)
    root_only = Path("/var/tmp") / f"{WORD}-rootonly.txt"
    root_only.write_text(f"{WORD} root only\n")
    root_only.chmod(0o600)
    planted.append(root_only)
    yield planted
    for path in planted:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def inside(tmp_path_factory, host_canaries):
    """What a process sees from inside a sandbox, with a root-only host file bound in on purpose."""
    out = tmp_path_factory.mktemp("lockdown")
    episode, extra = out / "run" / "ep", out / "extra"
    episode.mkdir(parents=True)
    extra.mkdir()
    secret = extra / "rootonly.txt"
    secret.write_text("root only\n")
    secret.chmod(0o600)
    paths = [*map(str, host_canaries), "/tmp/extra/rootonly.txt", "/etc/shadow", "/root", "/var", "/opt", "/srv",
             str(REPO.parent), str(Path.home())]
    (episode / PROBE.name).write_bytes(PROBE.read_bytes())
    log = out / "ep.log"
    urls = ["file:///", "file:///var/tmp/", "view-source:http://127.0.0.1:8000/",
            "devtools://devtools/bundled/inspector.html", "http://192.0.2.1/",
            "chrome://settings"]  # Chromium 156 crashed once on this one (after an error page): not shown either
    argv = [sys.executable, f"/tmp/episode/{PROBE.name}", json.dumps({"paths": paths, "urls": urls})]
    ended = run_in_sandbox(argv, episode, TASKS_DIR, log, 60, binds={"/tmp/extra": extra})
    assert ended.code == 0, log.read_text()
    return json.loads(log.read_text().strip().splitlines()[-1])


def test_the_mount_table_holds_only_the_allow_list(inside):
    points = {m["point"] for m in inside["mounts"]}
    allowed = allowed_mounts(Path("/etc"), TASKS_DIR, ["/tmp/episode", "/tmp/extra"])
    extra = {p for p in points - allowed if not re.match(r"^/(proc|dev)/", p)}
    assert extra == set(), f"mounted but not on the allow-list: {sorted(extra)}"
    assert set(runtime_paths(TASKS_DIR)) <= points and "/usr" in points
    assert inside["root"] == sorted({"bin", "dev", "etc", "home", "lib", "lib64", "proc", "run", "sbin", "tmp", "usr",
                                     "var", *[p.split("/")[1] for p in runtime_paths(TASKS_DIR)]}
                                    | {n for n in ("lib32", "libx32") if os.path.exists(f"/{n}")})
    assert "shadow" not in inside["etc"] and "chromium" in inside["etc"]
    ro = {m["point"] for m in inside["mounts"] if m["options"].split(",")[0] == "ro"}
    assert {"/", "/usr", *runtime_paths(TASKS_DIR)} <= ro


def test_the_host_is_absent_and_a_root_only_file_stays_unreadable(inside, host_canaries):
    paths = inside["paths"]
    for canary in host_canaries:
        assert paths[str(canary)] == "ENOENT", f"{canary} is visible: {paths[str(canary)]}"
    for folder in ("/etc/shadow", "/root", "/opt", "/srv", str(Path.home()), str(REPO.parent)):
        runtime_below = _next_parts(folder)
        assert paths[folder] == (sorted(runtime_below) if runtime_below else "ENOENT"), f"{folder}: {paths[folder]}"
    assert paths["/var"] == ["tmp"]
    assert paths["/tmp/extra/rootonly.txt"] == "EACCES", "a root-only file is unreadable even when mounted"


def test_the_managed_policy_blocks_every_url_but_the_apps(inside):
    """Also proves that Debian's Chromium reads /etc/chromium/policies/managed inside the sandbox."""
    tried = inside["browser"]
    assert all("ERR_BLOCKED_BY_ADMINISTRATOR" in e for u, e in tried.items() if u != "chrome://settings"), tried
    assert "ERR_BLOCKED_BY_ADMINISTRATOR" in tried["chrome://settings"] or "closed" in tried["chrome://settings"]


def _next_parts(folder: str) -> set[str]:
    """The names in `folder` that lead to what the sandbox runs (e.g. /root/.pyenv for a pyenv Python)."""
    return {Path(p).relative_to(folder).parts[0] for p in runtime_paths(TASKS_DIR) if p.startswith(folder + "/")}


def test_every_process_runs_as_the_unprivileged_sandbox_user(inside):
    assert (inside["uid"], inside["euid"], inside["gid"]) == (SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    assert inside["groups"] in ([], [SANDBOX_UID]) and inside["whoami"] == "sandbox"
    assert int(inside["cap_eff"], 16) == 0 and int(inside["cap_bnd"], 16) == 0 and inside["no_new_privs"] == "1"


ESCAPES = '''
import json
import os
import time
import urllib.request
from cleantrace.tasks import Task

APP = "http://127.0.0.1:8000/"
CHORDS = [("ctrl", "o"), ("ctrl", "p"), ("ctrl", "s"), ("ctrl", "shift", "i"), ("F12",), ("ctrl", "u"),
          ("ctrl", "shift", "n"), ("ctrl", "t"), ("ctrl", "w")]


def pages():
    port = open("/tmp/cleantrace/profile/DevToolsActivePort").read().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
        return [t["url"] for t in json.load(reply) if t["type"] == "page"]


def _cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
    except OSError:
        return ""


class TryEscape(Task):
    id = "crm/try-escape"; app = "crm"; instruction = "Try every way out of the app."
    def setup(self, world): return {"lead": world.db.rows("select name from leads order by id limit 1")[0].name}
    def solve(self, actor, p):
        problems = []
        started = time.time()  # what the browser writes is newer (a checkout under /tmp is mounted read-only)
        def only_the_app(what):
            actor.inputs.sync()
            deadline = time.monotonic() + 10
            while (urls := pages()) and not (len(urls) == 1 and urls[0].startswith(APP)):
                if time.monotonic() > deadline:
                    problems.append(f"{what}: {urls}")
                    return
                time.sleep(0.05)
            actor.observer.observe("action")
        for chord in CHORDS:
            actor.hotkey(*chord)
            only_the_app("+".join(chord))
        actor.hotkey("ctrl", "n")  # and type at once into the address bar of a new window, if one opened
        actor.type("file:///")
        actor.press("Enter")
        only_the_app("ctrl+n file:///")
        actor.drag({"role": "link", "name": p["lead"]}, {"role": "link", "name": "Northwind CRM"})
        only_the_app("drag a link")
        actor.click(role="link", name=p["lead"], hold=("shift",))  # a link in a new window
        only_the_app("shift+click a link")
        actor.click(role="link", name="Northwind CRM", button="middle")  # a link in a new tab
        only_the_app("middle-click a link")
        for item in (1, 2):  # the page's context menu, if one opened, from the end: Inspect, View page source
            actor.click(role="heading", name="Leads", button="right")
            actor.press("Up", times=item)
            actor.press("Enter")
            only_the_app(f"context menu, item {item} from the end")
        actor.hotkey("alt", "F4")
        only_the_app("alt+F4")
        actor.click(role="link", name=p["lead"])
        actor.type("still here", label="Notes")
        if actor.page.locator("#notes").input_value() != "still here":
            problems.append("the kiosk page no longer gets the keys")
        browsers = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).startswith("/usr/lib/chromium")]
        for pid in browsers:  # the browser's own mount namespace: the episode folder is empty there
            if os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt"):
                problems.append(f"the browser ({pid}) shares the recorder's mount namespace")
            elif os.listdir(f"/proc/{pid}/root/tmp/episode"):
                problems.append(f"the browser ({pid}) sees the episode folder")
        if not browsers:
            problems.append("no browser process found")
        leftovers = [os.path.join(r, n) for top in ("/tmp", os.path.expanduser("~")) for r, _, names in os.walk(top)
                     for n in names if n.endswith((".pdf", ".html", ".mhtml", ".crdownload"))
                     and os.lstat(os.path.join(r, n)).st_mtime >= started]
        if leftovers:
            problems.append(f"the browser wrote {leftovers}")
        if problems:
            raise RuntimeError("; ".join(problems))
    def check(self, world, p): return True
'''


@pytest.fixture(scope="module")
def escape_run(tmp_path_factory, host_canaries):
    """One recorded episode of a performer trying every way out (no runner, so no scan but the test's)."""
    out = tmp_path_factory.mktemp("escape")
    tasks = write_pack_with(out / "pack", "escape.py", ESCAPES)
    folder = out / "run" / "ep"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="run", episode_id="ep", task="crm/try-escape", seed=0, tasks_dir=str(tasks),
                       persona="fast")
    ended = run_sandboxed(spec, folder, out / "ep.log", 300)
    assert ended.code == 0, (out / "ep.log").read_text()[-3000:]
    return folder, (out / "ep.log").read_text()


def test_no_key_or_drag_leads_out_of_the_kiosk_app(escape_run):
    folder, log = escape_run
    outcome = read_episode(folder).meta.outcome
    assert (outcome.status, outcome.message) == ("success", "check passed"), outcome.message + "\n" + log[-3000:]
    right_clicks = [a for a in read_episode(folder).actions if a.kind == "right_click"]
    assert right_clicks and all(a.frame_after == a.frame_before for a in right_clicks), "no context menu is drawn"
    kept = set(re.findall(r"keys: kept (\S+) from the browser", log))
    assert kept >= {"ctrl+o", "ctrl+p", "ctrl+shift+i", "F12", "ctrl+u", "ctrl+n", "ctrl+t", "ctrl+w", "alt+F4"}, kept
    assert "ctrl+s" not in kept, "a shortcut the apps use still reaches them"
    closed = re.findall(r"guard: closed an extra page target", log)
    assert len(closed) >= 2, "shift+click and middle click opened pages, and the guard closed them"


def test_the_episode_folder_holds_only_what_the_recorder_wrote(escape_run):
    folder, _ = escape_run
    assert files.unexpected_files(folder) == []  # only names the trace format gives (frames, labels, …)
    assert all(p.suffix in (".png", ".jpg", ".jpeg", ".webp") for p in (folder / files.FRAMES_DIR).iterdir())


def test_no_host_canary_in_any_frame_event_or_file(escape_run, host_canaries):
    folder, log = escape_run
    ocr = read_frames(folder, read_episode(folder).frames)  # the scan's own OCR, read once
    assert ocr.frames >= 10 and not ocr.unreadable, "the frames were read"
    screen = " ".join(cell.text for cells in ocr.cells.values() for cell in cells).lower()
    assert WORD not in screen
    ways_out = ("blocked", "index of", "file:", "chrome:", "devtools", "developer tools", "save as", "print")
    assert [w for w in ways_out if w in screen] == [], "no frame shows anything but the app"
    scan = scan_episode(folder, ocr=False, canaries=[WORD, str(REPO.parent)])
    assert [f for f in scan.findings if f.kind == "canary"] == [], scan.findings
    assert WORD not in log
    for path in folder.rglob("*.json*"):
        assert WORD not in path.read_text(errors="replace"), path
