"""The desktop profile in a real sandbox: the web apps at their .test names in a browser with its own
UI, a native app on a seeded home document, the lockdown's claims adapted to a desktop, nothing left
running afterwards."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from cleantrace.appearance import DEFAULT, Appearance
from cleantrace.sandbox.local import run_sandboxed
from cleantrace.sandbox.requirements import missing_desktop_parts
from cleantrace.spec import EpisodeSpec
from cleantrace.tasks import load_registry
from cleantrace.trace import files
from tests.conftest import TASKS_DIR, sandboxed_processes

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(missing_desktop_parts()), reason="desktop parts missing")]
PACK = Path(__file__).with_name("packs") / "desk"
CANARY = f"ctdesk{uuid.uuid4().hex[:8]}"


def desktop_tasks(tmp_path: Path) -> Path:
    """A tasks folder with the real crm app and the desktop test pack."""
    root = tmp_path / "tasks"
    for pack, source in (("crm", TASKS_DIR / "crm"), ("desk", PACK)):
        (root / pack).mkdir(parents=True)
        os.symlink(source / "app", root / pack / "app")
    os.symlink(PACK / "desk.py", root / "desk" / "desk.py")
    return root


def record(tmp: Path, task_id: str, appearance: Appearance = DEFAULT) -> tuple:
    """One desktop episode of the test pack in a real sandbox: (its exit, its log, its folder)."""
    tasks = desktop_tasks(tmp)
    task = load_registry(tasks).get(task_id)
    spec = EpisodeSpec(run_id="run", episode_id="ep", task=task.id, seed=4, tasks_dir=str(tasks),
                       appearance=appearance, **task.sandbox_fields())
    out = tmp / "run" / "ep"
    out.mkdir(parents=True)
    log = tmp / "ep.log"
    ended = run_sandboxed(spec, out, log, 150)
    return ended, log.read_text(), out


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    canary = Path("/var/tmp") / f"{CANARY}.txt"
    canary.write_text("host secret\n")
    before = sandboxed_processes()
    try:
        ended, text, out = record(tmp_path_factory.mktemp("desktop"), "desk/crm-and-notes",
                                  Appearance(color_scheme="dark", windows="seeded"))
    finally:
        canary.unlink()
    facts = next(json.loads(line.split("desk-facts: ", 1)[1]) for line in text.splitlines() if "desk-facts: " in line)
    return {"exit": ended, "log": text, "facts": facts, "meta": json.loads((out / "meta.json").read_text()),
            "out": out, "before": before}


def test_a_desktop_episode_records_the_browser_and_a_native_window(episode):
    meta, facts = episode["meta"], episode["facts"]
    assert episode["exit"].code == 0, episode["log"][-2000:]
    assert meta["outcome"]["status"] == "success", meta["outcome"]
    assert meta["sandbox"]["profile"] == "desktop"
    assert set(meta["sandbox"]["windows"]) >= {"browser", "calc", "writer", "files", "editor"}
    assert facts["start_url"] == "http://crm.test/" and facts["clicked_url"] == "http://crm.test/accounts"
    classes = {w[1] for w in facts["windows"]}
    assert {"Mousepad", "libreoffice-calc"} <= classes and any(c.startswith("Chromium") for c in classes)
    editor = next(w for w in facts["windows"] if w[1] == "Mousepad")
    x, y, w, h = meta["sandbox"]["windows"]["editor"]
    assert "notes.txt" in editor[0] and (editor[4], editor[5]) == (w, h)  # placed as drawn, on the seeded file
    assert all(facts["env"][k] for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS"))
    for app in ("'mousepad'", "'soffice'", "'Chromium'"):
        assert app in facts["atspi_apps"], facts["atspi_apps"]
    frames = (episode["out"] / "frames.jsonl").read_text().splitlines()
    actions = [json.loads(line) for line in (episode["out"] / "actions.jsonl").read_text().splitlines()]
    assert len(frames) >= 2
    click = next(a for a in actions if a["kind"] == "click")
    assert click["target"]["name"] == "Accounts"  # CDP grounding holds in a window with browser UI


def test_the_desktop_keeps_the_lockdown(episode):
    facts, log = episode["facts"], episode["log"]
    view = facts["app_view"]
    assert view["episode"] == [] and view["worlds"] == [] and view["runtime"] == []  # the apps see no trace
    assert "notes.txt" in str(facts["windows"]) and "Documents" in view["home"]
    assert facts["episode_here"]  # the recorder itself does write there
    assert facts["jail_reaches_trace"] == "0"  # not through /proc/<pid>/root of a process outside the jail
    assert int(facts["outside_reaches_trace"]) > 0  # the probe would see it there
    assert facts["net_out"] != "connected"
    for url in ("file:///", "http://192.0.2.1/", "chrome://settings", "http://127.0.0.1:8001/"):
        assert "ERR_BLOCKED_BY_ADMINISTRATOR" in facts["blocked"][url], (url, facts["blocked"][url])
    for chord in ("F12", "ctrl+shift+i", "ctrl+u"):
        assert f"keys: kept {chord} from the desktop" in log
    assert len(facts["tabs"]) == 2 and not any(t.startswith(("devtools:", "view-source:")) for t in facts["tabs"])
    assert CANARY not in log and CANARY not in json.dumps(facts) and view["var_tmp"] == []  # no host file
    names = {p.name for p in episode["out"].iterdir()}
    assert not files.unexpected_files(episode["out"]), names  # only what the trace format names
    assert {"meta.json", "events.jsonl", "actions.jsonl", "frames.jsonl", "home.jsonl"} <= names


def test_teardown_leaves_no_process(episode):
    assert "desktop: torn down" in episode["log"]
    assert sandboxed_processes() <= episode["before"]


def test_a_dead_accessibility_bus_ends_the_episode_incomplete_naming_it(tmp_path):
    before = sandboxed_processes()
    ended, log, out = record(tmp_path, "desk/accessibility-dies")
    meta = json.loads((out / "meta.json").read_text())
    assert ended.code == 0, log[-2000:]
    assert meta["outcome"]["status"] == "incomplete"
    assert meta["outcome"]["message"].startswith("SandboxError: the AT-SPI bus died"), meta["outcome"]
    assert len((out / "frames.jsonl").read_text().splitlines()) >= 1  # what was recorded is kept
    assert "desktop: torn down" in log and sandboxed_processes() <= before
