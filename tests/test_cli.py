"""Bad input gets one clear line naming the problem and the fix, never a traceback."""

import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "cleantrace.cli"]


def cleantrace(*args, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def error_line(done):
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_an_unknown_task_names_the_closest_ids():
    line = error_line(cleantrace("run", "crm/set-lead-statu"))
    assert line.startswith("error: unknown task 'crm/set-lead-statu'") and "crm/set-lead-status" in line


def test_an_output_folder_that_is_not_writable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = error_line(cleantrace("run", "crm/set-lead-status", "--out", str(blocker / "runs")))
    assert "is not writable" in line and "--out" in line


def test_missing_sandbox_tools_name_the_install_command(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    line = error_line(cleantrace("run", "crm/set-lead-status", "--out", str(tmp_path), env=env))
    assert "is not installed" in line and "apt-get install -y" in line


def test_an_unknown_persona():
    line = error_line(cleantrace("run", "crm/set-lead-status", "--persona", "sloth"))
    assert "unknown persona 'sloth'" in line


def test_validate_reports_an_invalid_trace(tmp_path):
    (tmp_path / "meta.json").write_text("{}")
    done = cleantrace("validate", str(tmp_path))
    assert done.returncode == 1 and "invalid" in done.stdout


def test_tasks_list_shows_every_id_whole_and_show_gives_an_instruction():
    from cleantrace.tasks import load_registry

    listing = cleantrace("tasks", "list", env={**os.environ, "COLUMNS": "80"})
    assert listing.returncode == 0
    cut = [task_id for task_id in load_registry().tasks if task_id not in listing.stdout]
    assert not cut, f"ids cut short in an 80-column terminal: {cut}"
    shown = cleantrace("tasks", "show", "crm/add-lead-note", "--seed", "2")
    assert shown.returncode == 0 and "instruction (seed 2)" in shown.stdout and "note" in shown.stdout


def test_doctor_checks_every_part_and_fails_when_one_is_missing(tmp_path):
    done = cleantrace("doctor")
    assert done.returncode == 0, done.stdout
    for part in ("Xvfb", "XTEST, RECORD", "chromium", "fonts", "bubblewrap", "disk", "docker engine"):
        assert part in done.stdout
    missing = cleantrace("doctor", env={**os.environ, "PATH": str(tmp_path)})
    assert missing.returncode == 1
    assert "apt-get install -y xvfb" in missing.stdout and "apt-get install -y bubblewrap" in missing.stdout


def test_tasks_new_writes_a_skeleton_that_loads_and_refuses_bad_ids(tmp_path):
    from tests.conftest import write_pack_with

    root = write_pack_with(tmp_path, "placeholder.py", "")
    done = cleantrace("tasks", "new", "crm/merge-leads", "--tasks-dir", str(root))
    assert done.returncode == 0, done.stderr
    skeleton = root / "crm" / "merge_leads.py"
    assert skeleton.is_file() and str(skeleton) in done.stdout.replace("\n", "")
    listing = cleantrace("tasks", "list", "--tasks-dir", str(root))
    assert "crm/merge-leads" in listing.stdout and "warning" not in listing.stderr
    assert "already exists" in error_line(cleantrace("tasks", "new", "crm/merge-leads", "--tasks-dir", str(root)))
    assert "there is no app 'mail'" in error_line(cleantrace("tasks", "new", "mail/x", "--tasks-dir", str(root)))
    assert "bad task id" in error_line(cleantrace("tasks", "new", "crm", "--tasks-dir", str(root)))


IDLE_AND_BROKEN_TASKS = '''
from cleantrace.tasks import Task

class Look(Task):
    id = "crm/look"; app = "crm"; instruction = "Look at the leads ({n})."
    def setup(self, world): return {"n": world.seed}
    def solve(self, actor, p): pass
    def check(self, world, p): return True

class LookAgain(Look):
    id = "crm/look-again"

class Breaks(Look):
    id = "crm/breaks"
    def solve(self, actor, p): raise ValueError("the script broke")
'''


@pytest.mark.e2e
def test_run_without_tasks_runs_every_task_and_exits_3_when_one_ends_incomplete(tmp_path):
    from tests.conftest import REPO, write_pack_with

    root = write_pack_with(tmp_path, "idle.py", IDLE_AND_BROKEN_TASKS)
    done = cleantrace("run", "--episodes", "1", "--out", str(tmp_path / "runs"), "--tasks-dir", str(root),
                      "--no-view")
    assert done.returncode == 3, done.stderr  # as the README's exit codes say
    assert "(2/3 successful)" in done.stdout.replace("\n", "")
    assert "`3` a `run`" in (REPO / "README.md").read_text()


def test_validate_and_view_of_a_missing_path_say_so_in_one_line(tmp_path):
    for command in ("validate", "view"):
        line = error_line(cleantrace(command, str(tmp_path / "nope")))
        assert line.startswith(f"error: {tmp_path / 'nope'} does not exist") and "runs/run-" in line


def test_validate_of_a_folder_that_is_not_a_run_says_why(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    line = error_line(cleantrace("validate", str(tmp_path)))
    assert "is not a run or an episode" in line and "meta.json" in line and "cleantrace run" in line


def test_a_usage_error_is_one_line_naming_the_help(tmp_path):
    line = error_line(cleantrace("run", "--bogus"))
    assert "--bogus" in line and "cleantrace run --help" in line


def test_zero_episodes_are_refused_before_a_folder_is_made(tmp_path):
    line = error_line(cleantrace("run", "crm/set-lead-status", "--episodes", "0", "--out", str(tmp_path / "runs")))
    assert "--episodes 0 records nothing" in line
    assert not (tmp_path / "runs").exists()


def test_without_an_engine_the_docker_row_is_one_readable_line(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/docker.sock", "COLUMNS": "400"}
    done = cleantrace("doctor", env=env)
    assert "Traceback" not in done.stderr
    text = " ".join(done.stdout.split())  # the table wraps long cells
    assert f"nothing listens at unix://{tmp_path}/docker.sock" in text
    assert "Connection aborted" not in text and "FileNotFoundError" not in text


@pytest.mark.parametrize(("blocked", "args", "extra"), [
    ("ray", ["run", "crm/set-lead-status", "--executor", "ray"], "fleet"),
    ("fsspec", ["run", "crm/set-lead-status", "--out", "s3://traces/x"], "fleet"),
    ("docker", ["run", "crm/set-lead-status", "--backend", "docker"], "fleet"),
    ("datasets", ["export", "RUN", "--format", "hf", "--out", "OUT"], "export"),
    ("sqlalchemy", ["record", "crm/set-lead-status", "--port", "0"], "station"),
])
def test_a_feature_of_a_missing_extra_names_the_extra(tmp_path, blocked, args, extra):
    """As in a lean install (scripts/install.sh without --dev): the package is there, the extra's is not."""
    (tmp_path / "shadow" / blocked).mkdir(parents=True)
    (tmp_path / "shadow" / blocked / "__init__.py").write_text(f"raise ImportError('no {blocked} here')\n")
    run = tmp_path / "run"
    (run / "ep").mkdir(parents=True)
    args = [str(run) if a == "RUN" else str(tmp_path / "export") if a == "OUT" else a for a in args]
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "shadow")}
    line = error_line(cleantrace(*args, "--out", str(tmp_path / "runs"), env=env) if args[0] == "run"
                      and "--out" not in args else cleantrace(*args, env=env))
    assert f'pip install "cleantrace[{extra}]"' in line
    assert not (tmp_path / "runs").exists(), "refused before a run folder was made"
