"""Pure parts of the fleet: seeds, selection, plan, resume bookkeeping, catalog writer, worker sizing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleantrace.errors import CleantraceError, TaskError
from cleantrace.fleet.executors import Stop
from cleantrace.fleet.output import OutputSpec, RunOutput
from cleantrace.fleet.plan import episode_id_for, parse_seeds, plan_episodes, select_tasks
from cleantrace.fleet.progress import rate_and_eta
from cleantrace.fleet.resume import CatalogWriter, bookkeeping, is_interrupted
from cleantrace.fleet.sizing import MB_PER_SANDBOX, choose_workers, machine_workers
from cleantrace.tasks import load_registry
from cleantrace.trace import files
from cleantrace.trace.schema import CatalogRow
from tests.conftest import TASKS_DIR

MAIL_TASKS = '''
from cleantrace.tasks import Task

class Base(Task):
    app = "mail"; instruction = "Do it."
    def setup(self, world): return {}
    def solve(self, actor, p): pass
    def check(self, world, p): return True

class Reply(Base):
    id = "mail/reply"; skills = ("typing", "click")

class Archive(Base):
    id = "mail/archive"; skills = ("drag",)
'''


@pytest.fixture
def two_packs(tmp_path) -> Path:
    """The real crm pack and a small mail pack with tasks of other skills."""
    root = tmp_path / "tasks"
    (root / "crm").mkdir(parents=True)
    (root / "crm" / "app").symlink_to(TASKS_DIR / "crm" / "app")
    for module in (TASKS_DIR / "crm").glob("*.py"):
        (root / "crm" / module.name).symlink_to(module)
    (root / "mail" / "app").mkdir(parents=True)
    (root / "mail" / "app" / "__init__.py").write_text("")
    (root / "mail" / "mail.py").write_text(MAIL_TASKS)
    return root


@pytest.mark.parametrize(
    ("spec", "seeds"),
    [("7", [7]), ("0-3", [0, 1, 2, 3]), ("1,5,7", [1, 5, 7]), ("0-2,10", [0, 1, 2, 10]), (" 3 - 4 , 9", [3, 4, 9]),
     ("2,2,1-2", [2, 1]), (4, [4]), ([3, 1], [3, 1])],
)
def test_seed_specs(spec, seeds):
    assert parse_seeds(spec) == seeds


@pytest.mark.parametrize("spec", ["", "a", "1-", "5-2", "1,,2", "-3", "1.5", "0-3;4"])
def test_bad_seed_specs_say_how_to_write_them(spec):
    with pytest.raises(CleantraceError) as err:
        parse_seeds(spec)
    assert "0-9" in err.value.hint


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 20)), min_size=1, max_size=6))
def test_seed_ranges_cover_exactly_their_numbers(ranges):
    spec = ",".join(f"{a}-{a + n}" for a, n in ranges)
    expected = list(dict.fromkeys(s for a, n in ranges for s in range(a, a + n + 1)))
    assert parse_seeds(spec) == expected


def test_selection_by_glob_app_and_skill(two_packs):
    registry = load_registry(two_packs)

    def crm_with(*skills):  # the real crm module's tasks having any of these skills
        return sorted(t for t, c in registry.tasks.items() if t.startswith("crm/") and set(skills) & set(c.skills))

    crm = sorted(t for t in registry.tasks if t.startswith("crm/"))
    assert {"crm/add-lead-note", "crm/set-lead-priority", "crm/set-lead-status"} <= set(crm)
    assert select_tasks(registry, ["crm/*"]) == crm
    assert select_tasks(registry, apps=["mail"]) == ["mail/archive", "mail/reply"]
    assert select_tasks(registry, skills=["typing"]) == [*crm_with("typing"), "mail/reply"]
    assert select_tasks(registry, skills=["drag", "shortcut"]) == [*crm_with("drag", "shortcut"), "mail/archive"]
    assert select_tasks(registry, ["mail/*"], skills=["typing"]) == ["mail/reply"]
    assert select_tasks(registry, apps=["crm"], skills=["click"]) == crm_with("click")
    assert "crm/add-lead-note" in crm_with("typing") and "crm/set-lead-status" in crm_with("click")


def test_a_selection_that_matches_nothing_names_the_apps_and_skills(two_packs):
    registry = load_registry(two_packs)
    with pytest.raises(TaskError) as err:
        select_tasks(registry, ["crm/*"], skills=["drag"])
    assert "mail" in err.value.hint and "drag" in err.value.hint and "typing" in err.value.hint


def test_the_plan_covers_every_task_seed_and_persona_once_with_stable_ids():
    plan = plan_episodes(["crm/a", "crm/b"], [3, 4], ["default", "fast", "default"])
    assert len(plan) == 2 * 2 * 2
    assert len({e.episode_id for e in plan}) == len(plan)
    assert [(e.task, e.seed, e.persona) for e in plan[:4]] == [
        ("crm/a", 3, "default"), ("crm/b", 3, "default"), ("crm/a", 3, "fast"), ("crm/b", 3, "fast"),
    ], "seeds outermost: a stopped run has covered its tasks evenly"
    assert all(e.episode_id == episode_id_for(e.task, e.seed, e.persona) for e in plan)
    assert episode_id_for("crm/a", 3, "fast") == "crm--a--s3--fast"


def row(episode_id: str, status: str, message: str = "") -> CatalogRow:
    return CatalogRow(episode_id=episode_id, task="crm/a", seed=0, performer="script", status=status,
                      success={"success": True, "failure": False}.get(status), message=message,
                      events=1, actions=1, frames=1, bytes=1)


def test_resume_bookkeeping_keeps_done_and_sets_aside_interrupted():
    catalog = [
        row("ok", "success").model_dump(), row("no", "failure").model_dump(),
        row("gone", "success").model_dump(),  # its folder was removed: it runs again
        row("ctrl-c", "incomplete", "interrupted by the user (Ctrl-C)").model_dump(),
        row("timeout", "incomplete", "timed out after 120 s").model_dump(),
        row("retried", "incomplete", "interrupted by the user (Ctrl-C)").model_dump(),
        row("retried", "success").model_dump(),  # the last row of an id counts
    ]
    from_meta = {"sealed-late": row("sealed-late", "success"), "runner-died": row("runner-died", "running")}
    folders = {"ok", "no", "ctrl-c", "timeout", "retried", "sealed-late", "runner-died", "no-meta"}
    book = bookkeeping(catalog, folders, from_meta.get)
    assert list(book.done) == ["ok", "no", "timeout", "retried", "sealed-late"], "catalog order, then recovered"
    assert book.done["retried"].status == "success"
    assert sorted(book.interrupted) == ["ctrl-c", "no-meta", "runner-died"]


def test_interrupted_means_not_ended_on_its_own():
    assert is_interrupted(row("a", "running"))
    assert is_interrupted(row("a", "incomplete", "interrupted: the run stopped after an error in b"))
    assert not is_interrupted(row("a", "incomplete", "SandboxError: the browser crashed"))
    assert not is_interrupted(row("a", "failure", "check failed"))


def test_the_catalog_writer_rewrites_then_appends_whole_lines_from_many_threads(tmp_path):
    path = tmp_path / files.CATALOG
    path.write_text('{"torn')
    writer = CatalogWriter(path, [row("kept", "success")])
    lock = threading.Lock()

    def add(n: int) -> None:
        with lock:  # the runner has one writer; the lock stands for it here
            writer.append(row(f"e{n}", "success"))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 21 and all(json.loads(x)["status"] == "success" for x in lines)
    assert json.loads(lines[0])["episode_id"] == "kept"


def test_moving_aside_keeps_every_attempt(tmp_path):
    output = RunOutput(OutputSpec(out=str(tmp_path), run_id="r"))
    output.prepare()
    for attempt in (1, 2):
        (output.local_dir / "ep").mkdir()
        (output.local_dir / "ep" / "events.jsonl").write_text(f"attempt {attempt}\n")
        (output.local_dir / "logs" / "ep.log").write_text(f"log {attempt}\n")
        assert output.move_aside("ep") == f"ep.{attempt}"
    kept = sorted((output.local_dir / "interrupted").iterdir())
    assert [p.name for p in kept] == ["ep.1", "ep.2"]
    assert [(p / "events.jsonl").read_text() for p in kept] == ["attempt 1\n", "attempt 2\n"]
    assert (output.local_dir / "logs" / "ep.2.log").read_text() == "log 2\n", "its log goes along"
    assert output.episode_folders() == set()


def test_remote_outputs_are_recognised():
    assert OutputSpec(out="s3://bucket/runs", run_id="r").remote
    assert not OutputSpec(out="runs", run_id="r").remote
    assert not OutputSpec(out="file:///tmp/runs", run_id="r").remote


@pytest.mark.parametrize(
    ("cores", "mem_mb", "workers", "limit"),
    [(2, 24000, 4, "cpu"), (16, 4000, 4, "memory"), (64, 512_000, 128, "cpu"), (8, 300, 1, "memory"),
     (1, 100_000, 2, "cpu")],
)
def test_workers_fit_the_scarcer_of_cpu_and_memory(cores, mem_mb, workers, limit):
    choice = choose_workers(cores, mem_mb)
    assert (choice.workers, choice.limit) == (workers, limit)
    assert choice.workers * MB_PER_SANDBOX <= max(mem_mb, MB_PER_SANDBOX)
    assert f"{workers} workers" in choice.describe() and limit in choice.describe()


def test_this_machine_gets_at_least_one_worker():
    choice = machine_workers()
    assert 1 <= choice.workers <= 2 * choice.cores and choice.mem_available_mb > 0


def test_rate_and_eta():
    assert rate_and_eta(0, 10, 5.0) == (0.0, None)
    per_minute, eta = rate_and_eta(5, 20, 60.0)
    assert per_minute == pytest.approx(5.0) and eta == pytest.approx(180.0)


def test_the_first_stop_reason_wins():
    stop = Stop()
    assert stop() is None
    stop.set("interrupted by the user (Ctrl-C)")
    stop.set("interrupted: something else")
    assert stop() == "interrupted by the user (Ctrl-C)"


def test_an_existing_run_needs_resume_and_a_resume_needs_a_run(tmp_path, tasks_dir):
    from cleantrace.fleet import run

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / files.CATALOG).write_text("")
    with pytest.raises(CleantraceError, match="run r already exists") as err:
        run(["crm/add-lead-note"], out=tmp_path, run_id="r", tasks_dir=tasks_dir)
    assert "--resume" in err.value.hint
    with pytest.raises(CleantraceError, match="no run nope to resume"):
        run(None, out=tmp_path, run_id="nope", resume=True, tasks_dir=tasks_dir)


def test_resuming_with_other_recording_settings_is_refused(tmp_path, tasks_dir):
    from cleantrace.fleet import run
    from cleantrace.fleet.plan import PLAN_FILE, RecordingSettings, RunPlan

    (tmp_path / "r").mkdir()
    plan = RunPlan(run_id="r", settings=RecordingSettings(fps=2.0), episodes=plan_episodes(["crm/a"], [0], ["default"]))
    (tmp_path / "r" / PLAN_FILE).write_text(plan.model_dump_json())
    with pytest.raises(CleantraceError, match="was recorded with") as err:
        run(["crm/add-lead-note"], out=tmp_path, run_id="r", resume=True, fps=5.0, tasks_dir=tasks_dir)
    assert "--fps" in err.value.hint


def test_the_ray_worker_dockerfile_lints_clean_and_holds_ray_and_bubblewrap():
    import shutil
    import subprocess
    import sys

    dockerfile = TASKS_DIR.parent / "docker" / "Dockerfile.ray"
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    done = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    text = dockerfile.read_text()
    assert "FROM cleantrace/sandbox" in text and "bubblewrap" in text and '".[fleet]"' in text


def test_a_remote_output_uploads_sealed_episodes_and_moves_interrupted_ones_aside(s3_endpoint, tmp_path):
    from cleantrace.fleet.resume import reconcile
    from cleantrace.spec import EpisodeSpec, placeholder_meta
    from cleantrace.trace.seal import seal_incomplete

    output = RunOutput(OutputSpec(out="s3://traces/runs", run_id="r", staging=str(tmp_path / "staging")))
    output.prepare()
    for episode_id, reason in (("done", "timed out after 120 s"), ("stopped", "interrupted by the user (Ctrl-C)")):
        folder = output.local_dir / episode_id
        (folder / "frames").mkdir(parents=True)
        (folder / "events.jsonl").write_text('{"t_ms":1.0,"kind":"move","x":1,"y":2}\n')
        (output.local_dir / "logs" / f"{episode_id}.log").write_text("stage launched\n")
        spec = EpisodeSpec(run_id="r", episode_id=episode_id, task="crm/a", seed=0, tasks_dir=str(tmp_path))
        seal_incomplete(folder, reason, placeholder_meta(spec))
        output.publish_episode(episode_id)
        assert not folder.exists(), "the staged copy goes once uploaded"
    fs = s3_endpoint
    fs.invalidate_cache()
    assert fs.exists("traces/runs/r/done/meta.json") and fs.exists("traces/runs/r/logs/done.log")
    assert output.episode_folders() == {"done", "stopped"}
    row = output.row_of("done")
    assert (row.status, row.message, row.events) == ("incomplete", "timed out after 120 s", 1)
    book = reconcile(output)
    assert list(book.done) == ["done"] and book.interrupted == ["stopped"]
    assert output.move_aside("stopped") == "stopped.1"
    fs.invalidate_cache()
    assert fs.exists("traces/runs/r/interrupted/stopped.1/meta.json") and not fs.exists("traces/runs/r/stopped")
    assert fs.exists("traces/runs/r/logs/stopped.1.log")
    output.finish()
    assert not (tmp_path / "staging" / "r").exists(), "nothing left in staging"


def test_a_run_logged_to_a_file_prints_n_of_total_per_episode():
    import io

    from rich.console import Console

    from cleantrace.fleet.progress import RunProgress
    from cleantrace.fleet.runner import RunStart
    from cleantrace.trace.schema import CatalogRow

    log = io.StringIO()
    console = Console(file=log, force_terminal=False, width=80)  # a log: not a terminal, rich's default width
    with RunProgress(console) as progress:
        progress.on_start(RunStart("runs/r", planned=3, already_done=0, to_run=3, workers="local: 1"))
        for n, status in enumerate(["success", "incomplete", "success"]):
            progress.on_episode(CatalogRow(episode_id=f"crm--t--s{n}--default", task="crm/t", seed=n,
                                           performer="script", status=status, success=status == "success" or None,
                                           message="[b]check[/b] passed"))
    lines = [ln for ln in log.getvalue().splitlines() if "crm--t--" in ln]
    assert [ln.split()[0] for ln in lines] == ["1/3", "2/3", "3/3"]
    assert all(ln.endswith(")") and "/min" in ln for ln in lines), "one line per episode, stats included"
    assert "[b]check[/b] passed" in lines[0], "messages are printed as they are, not as markup"
