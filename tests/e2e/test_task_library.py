"""The library's tasks in real sandboxes: a sample of scripted solutions succeed, wrong ones fail."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cleantrace.fleet.verify import check_tasks
from cleantrace.tasks import load_registry
from cleantrace.trace.reader import read_episode
from tests.conftest import write_pack_with

pytestmark = pytest.mark.e2e
REGISTRY = load_registry()


def sample() -> list[str]:
    """Per pack: its first multi-step task and its first other task (ids in order); of the desktop pack
    (an episode there costs several kiosk ones) only the first multi-step task."""
    chosen = []
    for pack in sorted(REGISTRY.packs):
        ids = sorted(t for t, cls in REGISTRY.tasks.items() if cls.app == pack)
        multi = [t for t in ids if "multi-step" in REGISTRY.tasks[t].skills]
        desktop = any(REGISTRY.tasks[t].profile == "desktop" for t in ids)
        chosen += multi[:1] + ([] if desktop else [t for t in ids if t not in multi][:1])
    return chosen


def test_a_sample_of_scripted_solutions_succeeds(tmp_path):
    checks = check_tasks(sample(), seeds=1, first_seed=7, out=tmp_path)
    assert all(c.ok for c in checks), [c.problems for c in checks if not c.ok]
    for folder in (p for run in tmp_path.iterdir() for p in run.iterdir() if (p / "meta.json").exists()):
        ep = read_episode(folder)
        if "multi-step" in REGISTRY.get(ep.meta.task).skills:
            assert len(ep.actions) >= 8, f"{ep.meta.task} is multi-step but took {len(ep.actions)} actions"
        if REGISTRY.get(ep.meta.task).profile == "desktop":  # the documents left in the home, read for the scan
            rows = [json.loads(line) for line in (folder / "home.jsonl").read_text().splitlines()]
            assert rows and all("text" in r for r in rows), rows


WITH_REASONS = ("crm/set-lead-status", "mail/compose-to-contact", "sheet/edit-quantity")  # one per pack


def test_wrong_solutions_fail_their_check_which_says_why_in_tasks_check(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "cleantrace.cli", "tasks", "check", *WITH_REASONS, "--wrong", "--seeds", "1",
         "--first-seed", "3", "--out", str(tmp_path), "--json", str(tmp_path / "checks.json")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    checks = json.loads((tmp_path / "checks.json").read_text())["tasks"]
    assert all(c["failures"] == 1 and c["successes"] == 0 for c in checks), checks
    caught = {ln.split(":")[0].strip(): ln for ln in done.stdout.splitlines() if "caught:" in ln}
    assert set(caught) == set(WITH_REASONS)
    for folder in (p.parent for p in tmp_path.glob("*/*/meta.json")):
        meta = read_episode(folder).meta
        task = meta.task.removesuffix("--wrong")
        assert meta.outcome.status == "failure" and meta.outcome.message in caught[task]
        assert "the app state is not as asked" not in caught[task], "the check said why"
    params = next(read_episode(p.parent).meta.params for p in tmp_path.glob("*/crm*/meta.json"))
    assert f"check failed: {params['lead']}'s status is " in caught["crm/set-lead-status"]  # a neighbour was set
    assert f", not {params['status']}" in caught["crm/set-lead-status"]


BROKEN_SOLVE = '''
from cleantrace.tasks import Task

class PressesNothing(Task):  # lint-clean: only its solve is wrong
    id = "crm/presses-nothing"; app = "crm"; skills = ("click",); difficulty = "easy"
    instruction = ("Open {lead}.", "Open the lead of {lead}.", "Go to {lead}'s lead.")
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="button", name="Does not exist")
    def wrong_params(self, world, p): return {"lead": p["lead"] + " Jr."}
    def check(self, world, p): return False
'''


def test_a_solve_that_targets_a_missing_element_names_the_file_the_task_and_the_fix(tmp_path):
    root = write_pack_with(tmp_path, "broken_solve.py", BROKEN_SOLVE)
    done = subprocess.run(
        [sys.executable, "-m", "cleantrace.cli", "tasks", "check", "crm/presses-nothing", "--seeds", "1",
         "--tasks-dir", str(root)], capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 3
    line = next(ln for ln in done.stdout.splitlines() if "seed 0" in ln and ": incomplete:" in ln)
    solve_line = next(n for n, text in enumerate(BROKEN_SOLVE.splitlines(), 1) if "Does not exist" in text)
    assert "task crm/presses-nothing" in line and f" crm/broken_solve.py:{solve_line}" in line and str(root) not in line
    assert "no visible element with role='button' name='Does not exist'" in line
    assert "check the task's solve() against the app" in line

