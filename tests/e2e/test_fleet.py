"""Fleet end to end: real sandboxes several at once, resume after a stop, Ray tasks writing to S3 (moto)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.sandbox.processes import descendants
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-m", "cleantrace.cli"]


def _commands(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
    return out


def reap_adopted_orphans(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (pids := descendants()) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _reap_what_earlier_tests_left():
    """This process is a child subreaper once it has run a sandbox, so exited processes of earlier
    tests (their own helpers) may wait here as zombies; reap them, so the checks see only this test's."""
    reap_adopted_orphans(timeout=1)


def catalog(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "catalog.jsonl").read_text().splitlines()]


def window(run_dir: Path, episode_id: str) -> tuple[float, float]:
    meta = read_episode(run_dir / episode_id).meta
    start = datetime.fromisoformat(meta.clock.start).timestamp()
    return start, start + meta.duration_ms / 1000


def test_two_workers_record_distinct_valid_episodes_at_once_and_leave_nothing(tmp_path):
    result = run(["crm/set-lead-status", "crm/set-lead-priority"], seeds="0-1", workers=2, out=tmp_path, run_id="r")
    rows = catalog(result.run_dir)
    assert len(rows) == 4 and len({r["episode_id"] for r in rows}) == 4
    assert {(r["task"], r["seed"]) for r in rows} == {(t, s) for t in ("crm/set-lead-status", "crm/set-lead-priority")
                                                      for s in (0, 1)}
    assert all(r["status"] == "success" for r in rows), [r["message"] for r in rows]
    reports = validate_run(result.run_dir)
    assert len(reports) == 4 and all(r.ok for r in reports), [r.problems for r in reports]
    params = {json.dumps(read_episode(result.run_dir / r["episode_id"]).meta.params, sort_keys=True) for r in rows}
    assert len(params) == 4, "every episode has its own world"
    windows = sorted(window(result.run_dir, r["episode_id"]) for r in rows)
    assert any(b[0] < a[1] for a, b in zip(windows, windows[1:], strict=False)), "episodes ran at the same time"
    assert descendants() == [], f"no sandbox process outlives its episode: {_commands(descendants())}"
    assert not list(result.run_dir.glob("*/*.tmp"))


def start_cli(out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "run", *args, "--out", str(out), "--run-id", "r", "--no-view"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_rows(run_dir: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ((run_dir / "catalog.jsonl").exists() and len(catalog(run_dir)) >= n):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)


def ended(folder: Path) -> bool:
    """Sealed on its own (an episode sealed just before the runner was killed counts, without its catalog row)."""
    try:
        outcome = json.loads((folder / "meta.json").read_text())["outcome"]
    except (OSError, ValueError):
        return False
    return outcome["status"] != "running" and not outcome.get("message", "").startswith("interrupted")


@pytest.mark.parametrize("how", ["ctrl-c", "kill"])
def test_a_stopped_run_resumes_without_duplicating_or_losing_an_episode(tmp_path, how):
    """Stopped after its first episode (Ctrl-C, or the runner killed outright), then resumed to the end."""
    run_dir = tmp_path / "r"
    proc = start_cli(tmp_path, "crm/add-lead-note", "--seeds", "0-2", "--workers", "2")
    wait_for_rows(run_dir, 1, proc)
    first = catalog(run_dir)[0]
    kept = (run_dir / first["episode_id"] / "meta.json").read_bytes()
    time.sleep(1.5)  # the next episode has started recording
    proc.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    if how == "ctrl-c":
        assert proc.returncode == 130 and "Traceback" not in err
        rows = catalog(run_dir)
        assert all(r["status"] == "success" or r["message"] == "interrupted by the user (Ctrl-C)" for r in rows)
        assert any(r["status"] == "incomplete" for r in rows), "the running episodes were sealed and cataloged"
    else:
        reap_adopted_orphans()  # the killed runner's sandboxes die with it; this process, a subreaper, adopts them
    unfinished = {p.name for p in run_dir.iterdir() if p.name.startswith("crm--") and not ended(p)}
    assert unfinished, "the stop caught episodes in flight"

    result = run(None, resume=True, out=tmp_path, run_id="r", workers=2)
    rows = catalog(run_dir)
    assert sorted(r["episode_id"] for r in rows) == [f"crm--add-lead-note--s{s}--default" for s in range(3)]
    assert all(r["status"] == "success" for r in rows), rows
    assert [r.episode_id for r in result.rows] == [f"crm--add-lead-note--s{s}--default" for s in range(3)]
    assert (run_dir / first["episode_id"] / "meta.json").read_bytes() == kept, "done episodes are not re-run"
    aside = sorted(p.name for p in (run_dir / "interrupted").iterdir())
    assert aside == sorted(f"{e}.1" for e in unfinished), "interrupted attempts are kept, not deleted"
    for name in aside:
        meta = read_episode(run_dir / "interrupted" / name).meta
        assert meta.outcome.status == "incomplete" and meta.outcome.message.startswith("interrupted")
    assert all(r.ok for r in validate_run(run_dir))
    again = run(None, resume=True, out=tmp_path, run_id="r")
    assert len(catalog(run_dir)) == 3 and len(again.rows) == 3, "resuming a finished run does nothing"
    assert descendants() == []


@pytest.mark.ray
def test_ray_tasks_record_episodes_into_s3(s3_endpoint, tmp_path):
    ray = pytest.importorskip("ray")
    staging = tmp_path / "staging"
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=ray_tmp, log_to_driver=False)
    try:
        result = run(["crm/set-lead-status"], seeds="3-4", out="s3://traces/runs", run_id="r",
                     executor="ray", staging=staging)
    finally:
        ray.shutdown()
        subprocess.run(["rm", "-rf", ray_tmp], check=False)
    assert [r.status for r in result.rows] == ["success", "success"], [r.message for r in result.rows]
    fs = s3_endpoint
    fs.invalidate_cache()
    rows = [json.loads(x) for x in fs.cat("traces/runs/r/catalog.jsonl").decode().splitlines()]
    assert sorted(r["episode_id"] for r in rows) == ["crm--set-lead-status--s3--default",
                                                       "crm--set-lead-status--s4--default"]
    local = tmp_path / "downloaded"
    fs.get("traces/runs/r/", str(local), recursive=True)
    assert (local / "run.json").exists() and (local / "logs" / f"{rows[0]['episode_id']}.log").exists()
    reports = validate_run(local)
    assert len(reports) == 2 and all(r.ok for r in reports), [r.problems for r in reports]
    assert not staging.exists() or not any(staging.rglob("*")), "the staging folder is emptied after the upload"
    assert result.location == "s3://traces/runs/r"
