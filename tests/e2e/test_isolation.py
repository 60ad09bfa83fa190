"""The sandbox's promise, tested in real sandboxes: nothing real goes in, nothing leaks out,
nothing carries over, nothing outlives an episode."""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.sandbox.local import SANDBOX_ENV, run_in_sandbox
from tests.conftest import REPO, TASKS_DIR, write_pack_with

pytestmark = pytest.mark.e2e
PROBE = Path(__file__).with_name("sandbox_probe.py")
CANARY = f"cleantrace-canary-{uuid.uuid4().hex}"


def sandbox_python(episode_dir: Path, script: Path, *args: str, tasks_dir: Path = TASKS_DIR) -> str:
    """Run a Python script in a fresh sandbox for `episode_dir`; returns what it printed."""
    episode_dir.mkdir(parents=True, exist_ok=True)
    inside = episode_dir / script.name
    shutil.copy(script, inside)  # the checkout is hidden inside: the script travels in the episode folder
    log = episode_dir.parent / f"{episode_dir.name}.log"
    ended = run_in_sandbox([sys.executable, f"/tmp/episode/{script.name}", *args], episode_dir, tasks_dir, log, 60)
    assert ended.code == 0, log.read_text()
    return log.read_text()


@pytest.fixture(scope="module")
def planted_canaries():
    """A host environment variable and a file in the host home that no sandbox may see."""
    home_file = Path.home() / f"{CANARY}.txt"
    home_file.write_text(CANARY)
    os.environ["CLEANTRACE_CANARY"] = CANARY
    yield home_file
    home_file.unlink()
    del os.environ["CLEANTRACE_CANARY"]


@pytest.fixture(scope="module")
def facts(tmp_path_factory, planted_canaries):
    out = tmp_path_factory.mktemp("out")
    episode = out / "run-a" / "ep-1"
    other_episode = out / "run-a" / "ep-2"
    other_run = out / "run-b" / "ep-1"
    for folder in (other_episode, other_run):
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text('{"secret": "another episode"}')
    server = socket.create_server(("127.0.0.1", 0))  # on the host's loopback
    args = {
        "host_port": server.getsockname()[1],
        "paths": [str(Path.home()), str(planted_canaries), str(REPO), str(REPO / "pyproject.toml"),
                  str(REPO / "tests"), str(other_episode / "meta.json"), str(other_run / "meta.json"),
                  str(out), "/tmp/episode"],
        "writes": ["/tmp/episode/written", str(other_episode / "written"), str(REPO / "src" / "written"),
                   "/usr/written", str(Path.home() / "written")],
    }
    printed = sandbox_python(episode, PROBE, json.dumps(args))
    server.close()
    found = json.loads(printed.strip().splitlines()[-1])
    found["_host"] = {"other_episode": other_episode, "episode": episode}
    return found


def test_no_network_but_its_own_loopback(facts):
    assert facts["interfaces"] == ["lo"]
    assert facts["ipv4_routes"] == []
    assert facts["route_to_documentation_net"] == "ENETUNREACH", "no route to any non-loopback address"
    assert facts["route_to_loopback"] == "route"
    assert facts["host_loopback_server"] == "ECONNREFUSED", "the host's loopback is another network"
    assert facts["dns"] in ("gaierror", "OSError"), f"a name resolved: {facts['dns']}"


def test_host_files_and_other_episodes_are_out_of_sight(facts, planted_canaries):
    paths = facts["paths"]
    assert CANARY + ".txt" not in paths[str(Path.home())]
    assert paths[str(planted_canaries)] == "ENOENT"
    assert set(paths[str(REPO)]) <= {".venv", "src", "tasks"}, "only what the sandbox needs is bound back"
    for hidden in (REPO / "pyproject.toml", REPO / "tests"):
        assert paths[str(hidden)] == "ENOENT"
    other = facts["_host"]["other_episode"]
    assert paths[str(other / "meta.json")] == "ENOENT"
    assert all(v == "ENOENT" for k, v in paths.items() if k.endswith("run-b/ep-1/meta.json"))
    assert paths["/tmp/episode"] == ["sandbox_probe.py"], "the episode folder holds only its own files"


def test_the_only_writable_host_path_is_the_episode_folder(facts):
    writes = facts["write"]
    assert writes["/tmp/episode/written"] is True
    assert (facts["_host"]["episode"] / "written").exists()
    assert writes[str(REPO / "src" / "written")] is False
    assert writes["/usr/written"] is False
    assert not (REPO / "src" / "written").exists()
    assert not (facts["_host"]["other_episode"] / "written").exists(), "a hidden folder's writes stay inside"
    assert not (Path.home() / "written").exists()


def test_no_host_name_user_or_variable_inside(facts):
    assert facts["hostname"] == facts["etc_hostname"] == "sandbox"
    assert socket.gethostname() not in facts["etc_hosts"].split()
    assert facts["environ"] == {**SANDBOX_ENV, **{k: v for k, v in facts["environ"].items() if k == "PWD"}}
    assert CANARY not in json.dumps(facts["environ"])


def test_only_the_sandboxs_own_processes_are_visible(facts):
    assert max(facts["pids"]) < 50 and os.getpid() not in facts["pids"]


CARRY_OVER = Path(__file__).with_name("carry_over.py")


def test_nothing_carries_over_to_the_next_sandbox(tmp_path):
    sandbox_python(tmp_path / "run" / "ep-1", CARRY_OVER, "leave")
    printed = sandbox_python(tmp_path / "run" / "ep-2", CARRY_OVER, "find")
    assert json.loads(printed.strip().splitlines()[-1]) == {"found": []}


BROWSER_TASKS = '''
import os
from cleantrace.tasks import Task

class LeaveTraces(Task):
    id = "crm/leave-traces"; app = "crm"; instruction = "Leave traces on {lead}."
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.page.evaluate("localStorage.setItem('canary', '1'); document.cookie = 'canary=1; max-age=999999'")
        actor.type("clipcanary", label="Notes")
        actor.hotkey("ctrl", "a")
        actor.hotkey("ctrl", "c")
        actor.press("End")
        actor.hotkey("ctrl", "v")
        if actor.page.locator("#notes").input_value() != "clipcanaryclipcanary":
            raise RuntimeError("the clipboard did not work inside the sandbox")
        os.makedirs(os.path.expanduser("~/Downloads"), exist_ok=True)
        open(os.path.expanduser("~/Downloads/canary.txt"), "w").write("1")
    def check(self, world, p): return True

class FindTraces(Task):
    id = "crm/find-traces"; app = "crm"; instruction = "Look for traces on {lead}."
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.click(label="Notes")
        actor.hotkey("ctrl", "v")
        found = {
            "clipboard": actor.page.locator("#notes").input_value(),
            "storage": actor.page.evaluate("localStorage.getItem('canary')"),
            "cookie": actor.page.evaluate("document.cookie"),
            "download": os.path.exists(os.path.expanduser("~/Downloads/canary.txt")),
        }
        if any(found.values()):
            raise RuntimeError(f"leftovers of the previous episode: {found}")
    def check(self, world, p): return True
'''


def test_browser_state_clipboard_and_downloads_do_not_carry_over(tmp_path):
    tasks = write_pack_with(tmp_path / "pack", "traces.py", BROWSER_TASKS)
    result = run(["crm/leave-traces", "crm/find-traces"], out=tmp_path, run_id="r", tasks_dir=tasks)
    rows = [(r.task, r.status, r.message) for r in result.rows]
    assert rows == [("crm/leave-traces", "success", "check passed"), ("crm/find-traces", "success", "check passed")]


def test_host_canaries_never_appear_in_a_trace(tmp_path, planted_canaries):
    result = run(["crm/add-lead-note"], out=tmp_path, run_id="r", seed=3)
    assert result.rows[0].status == "success"
    canaries = [CANARY, str(REPO), str(Path.home() / planted_canaries.name)]
    words = [socket.gethostname(), getpass.getuser()]
    for path in result.run_dir.rglob("*"):
        if path.suffix in (".json", ".jsonl", ".html"):
            text = path.read_text()
            for canary in canaries:
                assert canary not in text, f"{canary!r} in {path}"
            for word in words:
                assert not re.search(rf"(?<![\w./-]){re.escape(word)}(?![\w.-])", text), f"{word!r} in {path}"
