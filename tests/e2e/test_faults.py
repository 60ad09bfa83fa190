"""Faults end an episode as incomplete with the reason, keep what was recorded, tear the sandbox
down, and let the run go on; no process of an episode outlives it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.conftest import runner_scans_without_ocr, sandboxed_processes, wait_until, write_pack_with

pytestmark = pytest.mark.e2e

FAULT_TASKS = '''
import subprocess, time
from cleantrace.tasks import Task

def kill(pattern):
    subprocess.run(["pkill", "-KILL", "-f", pattern], check=True)  # only this sandbox's processes are visible
    time.sleep(0.5)

class Base(Task):
    app = "crm"; instruction = "Open {lead} and save."
    victim = ""
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        if self.victim:
            kill(self.victim)
        actor.click(role="button", name="Save")
    def check(self, world, p): return True

class KillBrowser(Base):
    id = "crm/kill-browser"; victim = "chromium"

class KillApp(Base):
    id = "crm/kill-app"; victim = "cleantrace.sandbox.app_server"

class KillDisplay(Base):
    id = "crm/kill-display"; victim = "Xvfb"

class Fine(Base):
    id = "crm/fine"

class Idle(Task):
    id = "crm/idle"; app = "crm"; instruction = "Look at the leads of {n}."
    def setup(self, world): return {"n": world.seed}
    def solve(self, actor, p): pass
    def check(self, world, p): return True

class Crash(Idle):
    id = "crm/crash"
    def solve(self, actor, p): raise ValueError("the script broke")

class Stall(Idle):
    id = "crm/stall"
    def solve(self, actor, p): time.sleep(600)
'''


@pytest.fixture(scope="module")
def fault_tasks(tmp_path_factory) -> Path:
    return write_pack_with(tmp_path_factory.mktemp("pack"), "faults.py", FAULT_TASKS)


def test_a_dying_part_ends_the_episode_with_its_name_and_the_run_goes_on(fault_tasks, tmp_path):
    before = sandboxed_processes()
    result = run(
        ["crm/kill-browser", "crm/kill-app", "crm/kill-display", "crm/fine"],
        out=tmp_path, run_id="r", tasks_dir=fault_tasks, timeout=60,
    )
    outcomes = {r.task: (r.status, r.message) for r in result.rows}
    assert outcomes["crm/kill-browser"][0] == "incomplete"
    assert "the browser crashed" in outcomes["crm/kill-browser"][1]
    assert outcomes["crm/kill-app"][0] == "incomplete"
    assert "the app server died" in outcomes["crm/kill-app"][1]
    assert outcomes["crm/kill-display"][0] == "incomplete"
    assert "Xvfb died" in outcomes["crm/kill-display"][1]
    assert outcomes["crm/fine"] == ("success", "check passed"), "the run went on after the faults"
    for row in result.rows:
        ep = read_episode(result.run_dir / row.episode_id)
        first = next(a for a in ep.actions if a.kind != "scroll")  # the lead may be down the long list
        assert first.kind == "click" and first.target.role == "link", "recorded work is kept"
    assert all(r.ok for r in validate_run(result.run_dir)), [r.problems for r in validate_run(result.run_dir)]
    assert sandboxed_processes() <= before


def test_ctrl_c_seals_the_episode_and_stops_the_run(tmp_path):
    cmd = [sys.executable, "-m", "cleantrace.cli", "run", "crm/add-lead-note", "crm/set-lead-status",
           "--out", str(tmp_path), "--run-id", "r", "--workers", "1"]
    before = sandboxed_processes()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = tmp_path / "r" / "crm--add-lead-note--s0--default" / "events.jsonl"
    try:
        wait_until(lambda: proc.poll() is not None or (events.exists() and events.stat().st_size > 2000),
                   "the episode recording", timeout=600)  # a ceiling: a loaded machine starts sandboxes slowly
        assert proc.poll() is None, "the run ended before its first episode recorded anything"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:  # a failed check must not leave the run (and its sandbox) behind
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=600)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    rows = [json.loads(x) for x in (tmp_path / "r" / "catalog.jsonl").read_text().splitlines()]
    assert [(r["task"], r["status"], r["message"]) for r in rows] == [
        ("crm/add-lead-note", "incomplete", "interrupted by the user (Ctrl-C)")
    ]
    assert rows[0]["events"] > 10
    assert all(r.ok for r in validate_run(tmp_path / "r"))
    assert sandboxed_processes() <= before


def test_fifty_episodes_ok_crashed_or_timed_out_leave_no_process_behind(fault_tasks, tmp_path):
    before = sandboxed_processes()
    rows = []
    with runner_scans_without_ocr():  # nothing here is about privacy
        for task, seeds, timeout in (("crm/idle", "0-39", 300), ("crm/crash", "40-44", 300),
                                     ("crm/stall", "45-49", 8)):  # only the stalling task meets its timeout
            rows += run([task], seeds=seeds, workers=2, out=tmp_path, run_id=task.split("/")[1],
                        tasks_dir=fault_tasks, timeout=timeout).rows
    statuses = [(r.task, r.status) for r in rows]
    assert statuses.count(("crm/idle", "success")) == 40
    assert statuses.count(("crm/crash", "incomplete")) == 5
    assert statuses.count(("crm/stall", "incomplete")) == 5
    assert all("timed out after 8 s" in r.message for r in rows if r.task == "crm/stall")
    assert all("ValueError (task crm/crash" in r.message and "the script broke" in r.message
               and str(fault_tasks) not in r.message for r in rows if r.task == "crm/crash")
    assert sandboxed_processes() <= before
