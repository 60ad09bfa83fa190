"""End to end: real bubblewrap sandboxes, Xvfb, Chromium, XTest input, XRecord capture."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from cleantrace.fleet import run
from cleantrace.perform.library import MovementLibrary
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.conftest import REPO, sandboxed_processes, write_pack_with
from tests.test_fit import ANNA, write_log

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-m", "cleantrace.cli"]
POINTER = {"click", "double_click", "right_click", "drag"}


def cleantrace(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def status_run(tmp_path_factory) -> Path:
    """`cleantrace run crm/set-lead-status --episodes 3`, through the CLI, in the default look (1280×800)."""
    out = tmp_path_factory.mktemp("runs")
    done = cleantrace("run", "crm/set-lead-status", "--episodes", "3", "--out", str(out), "--run-id", "e2e",
                      "--appearance", "default")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report:" in done.stdout
    return out / "e2e"


def episodes(run_dir: Path):
    return [read_episode(p) for p in sorted(run_dir.iterdir()) if (p / "meta.json").exists()]


def test_three_valid_successful_episodes_in_the_catalog(status_run):
    rows = [json.loads(line) for line in (status_run / "catalog.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["success"] * 3
    assert all(r["success"] and r["events"] > 50 and r["frames"] >= 3 for r in rows)
    assert all(r.ok for r in validate_run(status_run)), [r.problems for r in validate_run(status_run)]
    done = cleantrace("validate", str(status_run))
    assert done.returncode == 0 and "3/3 valid" in done.stdout
    from cleantrace.spec import SEED_DERIVATION
    from cleantrace.trace.reduce import REDUCTION

    for ep in episodes(status_run):  # how the seed was split and the actions reduced is in the record
        assert (ep.meta.seed_derivation, ep.meta.reduction, ep.meta.task_version) == (SEED_DERIVATION, REDUCTION, 2)


def test_different_seeds_give_different_data_and_paths(status_run):
    eps = episodes(status_run)
    assert len({json.dumps(e.meta.params, sort_keys=True) for e in eps}) == 3
    paths = {tuple((ev.x, ev.y) for ev in e.events if ev.kind == "move") for e in eps}
    assert len(paths) == 3


def assert_grounded(ep) -> None:
    """Every pointer and typing action names its DOM target; every press lands inside the target's box."""
    for a in ep.actions:
        if a.kind in POINTER or a.kind == "type":
            assert a.target is not None and a.target.bbox is not None, a
        if a.kind in POINTER:
            x, y, w, h = a.target.bbox
            assert x <= a.x <= x + w and y <= a.y <= y + h, (a.x, a.y, a.target)
        assert a.frame_before is not None


def test_every_action_is_grounded_and_observed(status_run):
    for ep in episodes(status_run):
        assert_grounded(ep)
        kinds = [a.kind for a in ep.actions]
        assert kinds[0] == "click" and kinds[-2:] == ["click", "done"] and "key" in kinds
        first = ep.actions[0].target
        assert (first.role, first.name) == ("link", ep.meta.params["lead"])
        assert ep.actions[1].target.tag == "select" and ep.actions[1].target.name == "Status"
        assert (ep.actions[-2].target.role, ep.actions[-2].target.name) == ("button", "Save")
        assert ep.actions[-2].description == "Click the Save button"
        for a in ep.actions:
            assert a.frame_before is not None and a.frame_after is not None
            assert a.frame_before <= a.frame_after
            if a.kind in POINTER:
                x, y, w, h = a.target.bbox
                assert x <= a.x <= x + w and y <= a.y <= y + h, (a.x, a.y, a.target)
        with Image.open(ep.folder / ep.frames[-1].file) as img:
            assert img.size == (1280, 800)


def test_recorded_actions_match_the_actors_steps(status_run):
    """Every X event is explained: moves and presses before each action belong to it."""
    for ep in episodes(status_run):
        downs = [e for e in ep.events if e.kind in ("down", "key_down")]
        steps = [a for a in ep.actions if a.kind != "done"]  # the closing done step has no input
        assert len(downs) == sum(2 if a.kind == "hotkey" else 1 for a in steps)
        assert steps[-1].events[1] >= len(ep.events) - 1 - sum(1 for e in ep.events[-5:] if e.kind == "move")
        assert ep.meta.decisions == len(steps)  # one step per decision


def test_no_host_path_leaks_into_the_trace(status_run):
    for path in status_run.rglob("*"):
        if path.suffix in (".json", ".jsonl"):
            text = path.read_text()
            assert str(REPO) not in text and str(status_run.parent) not in text, path


def test_the_report_renders_in_a_real_browser(status_run):
    from playwright.sync_api import sync_playwright

    from cleantrace.sandbox.requirements import chromium_path

    report = status_run / "report.html"
    assert report.exists()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        links = [page.locator("tr.episode a.open").nth(k).get_attribute("href") for k in range(3)]
        assert len(links) == 3 and page.locator("tr.episode").count() == 3
        images, actions = [], 0
        for link in links:  # each episode's own page: its actions over their frames
            page.goto((status_run / link).as_uri())
            page.wait_for_load_state("load")
            actions += page.locator("article.action").count()
            assert page.locator("article.action polyline.path").count() >= 3
            assert page.locator("article.action rect.box").count() >= 3
            images += page.evaluate("""async () => {
                for (const img of document.images) { img.scrollIntoView(); await img.decode().catch(() => {}); }
                return [...document.images].map(i => i.naturalWidth);
            }""")
        browser.close()
    assert errors == []
    assert actions == sum(len(e.actions) for e in episodes(status_run))
    assert images and all(w == 1280 for w in images)


def test_the_same_seed_gives_the_same_trajectory(status_run, tmp_path):
    again = run(["crm/set-lead-status"], episodes=1, seed=1, out=tmp_path, run_id="again", appearance="default")
    assert again.rows[0].status == "success"
    first = read_episode(status_run / again.rows[0].episode_id)
    second = read_episode(again.run_dir / again.rows[0].episode_id)
    assert first.meta.params == second.meta.params
    # the same presses, keys and releases at the same places; the same path, except that a busy
    # machine drops a late pointer point rather than bursting it (XTestInput.move_along): each run
    # keeps its own share of the planned points (90 of 118 in common on a loaded machine), while
    # another path would share next to none of them
    assert [(e.kind, e.x, e.y, e.key) for e in first.events if e.kind != "move"] == \
        [(e.kind, e.x, e.y, e.key) for e in second.events if e.kind != "move"]
    a, b = ({(e.x, e.y) for e in ep.events if e.kind == "move"} for ep in (first, second))
    assert len(a & b) >= 0.5 * min(len(a), len(b)), (len(a), len(b), len(a & b))


@pytest.mark.parametrize("task", ["crm/set-lead-priority", "crm/add-lead-note"])
def test_other_crm_tasks_succeed(task, tmp_path):
    result = run([task], episodes=1, seed=4, out=tmp_path, run_id="r")
    ep = read_episode(result.run_dir / result.rows[0].episode_id)
    assert ep.meta.outcome.status == "success", ep.meta.outcome.message
    assert_grounded(ep)
    kinds = [a.kind for a in ep.actions]
    if task == "crm/set-lead-priority":
        assert kinds == ["click", "click", "click", "hotkey", "done"]
        assert ep.actions[1].target.role == "combobox" and ep.actions[2].target.role == "option"
        assert ep.actions[-2].keys == ["ctrl", "s"]
    else:
        assert "type" in kinds
        typed = [a for a in ep.actions if a.kind == "type"]
        assert [a.text for a in typed] == [ep.meta.params["note"]]
        assert (typed[0].target.tag, typed[0].target.name) == ("textarea", "Notes"), "typing has its target"


FAULTY_TASKS = '''
import time
from cleantrace.tasks import Task

class ClickMissing(Task):
    id = "crm/click-missing"; app = "crm"; instruction = "Open {lead} then press Archive."
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.click(role="button", name="Archive")
    def check(self, world, p): return True

class CheckRaises(Task):
    id = "crm/check-raises"; app = "crm"; instruction = "Open {lead}."
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p): actor.click(role="link", name=p["lead"])
    def check(self, world, p): return world.db.scalar("select nope from leads")

class Hangs(Task):
    id = "crm/hangs"; app = "crm"; instruction = "Open {lead} and wait."
    def setup(self, world): return {"lead": world.pick("leads").name}
    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        time.sleep(600)
    def check(self, world, p): return True
'''


@pytest.fixture(scope="module")
def faulty_tasks(tmp_path_factory) -> Path:
    return write_pack_with(tmp_path_factory.mktemp("pack"), "faulty.py", FAULTY_TASKS)


@pytest.mark.parametrize(
    ("task", "timeouts", "message"),
    [  # a ceiling for episodes that end on their own; the hang meets its timeout after its first click
        ("crm/click-missing", (600,), "no visible element with role='button' name='Archive'"),
        ("crm/click-missing", (600,), "— did you mean role='button' name="),  # what the page has instead
        ("crm/check-raises", (600,), "check() raised OperationalError"),
        ("crm/hangs", (15, 60, 240), "timed out after {timeout} s; last action: click(role='link', name="),
    ],
)
def test_a_failing_episode_is_kept_incomplete_with_its_reason(faulty_tasks, tmp_path, task, timeouts, message):
    before = sandboxed_processes()
    for n, timeout in enumerate(timeouts):  # a loaded machine may take longer than 15 s to reach the click
        result = run([task], episodes=1, out=tmp_path, run_id=f"r{n}", tasks_dir=faulty_tasks, timeout=timeout)
        row = result.rows[0]
        ep = read_episode(result.run_dir / row.episode_id)
        if any(a.kind == "click" for a in ep.actions):
            break
    assert row.status == "incomplete" and row.success is None
    assert message.format(timeout=timeout) in row.message
    assert str(faulty_tasks) not in row.message  # the task file is named within the library, not on the host
    if task == "crm/hangs":
        assert re.search(r"at \S+faulty\.py:\d+$", row.message), row.message  # the solve() line under way
    assert ep.meta.outcome.status == "incomplete"
    kinds = [a.kind for a in ep.actions]  # the lead may be further down the long list: scrolls come first
    assert "click" in kinds and set(kinds) <= {"scroll", "click"}, "what was recorded before the failure is kept"
    click = next(a for a in ep.actions if a.kind == "click")
    assert click.target is not None and click.target.role == "link", "a completed click keeps its target"
    assert all(r.ok for r in validate_run(result.run_dir)), [r.problems for r in validate_run(result.run_dir)]
    assert sandboxed_processes() <= before, "the sandbox's processes are gone"


def test_the_movement_library_performer_does_the_task_with_recorded_movements(status_run, tmp_path):
    """`--motion library:RUN`: movements of a recorded run, retargeted, do a whole task. There are
    no volunteer traces on this machine, so the source is status_run, recorded by the model performer."""
    library = MovementLibrary.from_run(status_run)
    assert len(library) >= 6
    result = run(["crm/set-lead-status"], seed=0, out=tmp_path, run_id="library", motion=f"library:{status_run}")
    assert result.successes == 1, [r.status for r in result.rows]
    plan = json.loads((tmp_path / "library" / "run.json").read_text())
    assert plan["settings"]["motion"] == f"library:{status_run.resolve()}"
    ep = episodes(tmp_path / "library")[0]
    assert_grounded(ep)  # every press inside its target
    model = next(e for e in episodes(status_run) if e.meta.seed == 0)  # the same seed moved by the model
    assert [(e.x, e.y) for e in ep.events if e.kind == "move"] != [(e.x, e.y) for e in model.events if e.kind == "move"]


def test_a_persona_fitted_to_logs_records_a_successful_episode(tmp_path):
    """`cleantrace personas fit LOGS` then `run --personas fitted:FILE`: the persona file stays on the host."""
    log = write_log(tmp_path / "logs.csv", [replace(ANNA, name="solo")], movements=30)
    done = cleantrace("personas", "fit", str(log), "--out", str(tmp_path / "personas.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    result = run(["crm/set-lead-status"], seed=2, out=tmp_path, run_id="fitted",
                 personas=[f"fitted:{tmp_path / 'personas.json'}"])
    assert [r.episode_id for r in result.rows] == ["crm--set-lead-status--s2--fitted-solo"]
    ep = read_episode(result.run_dir / result.rows[0].episode_id)
    assert ep.meta.outcome.status == "success", ep.meta.outcome.message
    assert ep.meta.performer.persona == "fitted-solo"
