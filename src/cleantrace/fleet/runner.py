"""Runs a run's episodes, several at once, each in a fresh sandbox, and keeps the run's catalog.

The driver (this process) plans the episodes, hands them to an executor (threads here, or Ray
tasks), and is the catalog's only writer: one row per episode, appended as each one ends. The
episode function (`execute_episode`) is the same for every executor: sandbox → seal →
`_finish_episode` → publish to the run's output.
"""

from __future__ import annotations

import errno
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleantrace.episode import EpisodeSpec
from cleantrace.errors import CleantraceError
from cleantrace.fleet.executors import LocalExecutor, Stop
from cleantrace.fleet.output import LOGS_DIR, OutputSpec, RunOutput
from cleantrace.fleet.plan import (
    PLAN_FILE,
    PlannedEpisode,
    RecordingSettings,
    RunPlan,
    episode_id_for,
    parse_seeds,
    plan_episodes,
    select_tasks,
)
from cleantrace.fleet.resume import (
    INTERRUPTED,
    RUNNER_DIED,
    CatalogWriter,
    reconcile,
    seal_unfinished,
    set_aside_leftover,
)
from cleantrace.fleet.sizing import WorkerChoice, machine_workers
from cleantrace.perform.persona import persona_named
from cleantrace.privacy import scan_sealed
from cleantrace.sandbox.docker_backend import DEFAULT_IMAGE, docker_client, run_in_docker
from cleantrace.sandbox.local import run_sandboxed
from cleantrace.sandbox.requirements import require_host_tools
from cleantrace.tasks import load_registry
from cleantrace.trace import files
from cleantrace.trace.schema import CatalogRow, Meta
from cleantrace.trace.seal import catalog_row, seal_incomplete

DEFAULT_TIMEOUT = 120.0
MIN_FREE_BYTES = 1_000_000  # below this no episode starts: it could not even write its first frames
CTRL_C = "interrupted by the user (Ctrl-C)"

__all__ = ["RunResult", "RunStart", "episode_id_for", "execute_episode", "run", "run_episode"]


@dataclass
class RunResult:
    run_dir: Path  # the run folder on this machine (for a remote output: its staging folder, emptied at the end)
    rows: list[CatalogRow] = field(default_factory=list)
    location: str = ""  # where the run is: the run folder, or its URL

    @property
    def successes(self) -> int:
        return sum(1 for r in self.rows if r.success)


@dataclass(frozen=True)
class RunStart:
    """What a run is about to do (given to `on_start`, e.g. to size a progress bar)."""

    location: str
    planned: int
    already_done: int
    to_run: int
    workers: str  # the executor and its worker count, with the reason


def run(
    tasks: list[str] | None = None, episodes: int = 1, seed: int = 0, out: Path | str = Path("runs"),
    run_id: str | None = None, persona: str = "default", tasks_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT, screen: tuple[int, int] = (1280, 800), fps: float = 2.0,
    change_fps: float = 5.0, backend: str = "local", image: str | None = None,
    on_episode: Callable[[CatalogRow], None] | None = None, *,
    seeds: str | list[int] | None = None, personas: list[str] | None = None, skills: list[str] | None = None,
    apps: list[str] | None = None, workers: int | None = None, resume: bool = False, executor: str = "local",
    address: str | None = None, staging: Path | None = None, storage_options: dict[str, Any] | None = None,
    on_start: Callable[[RunStart], None] | None = None,
) -> RunResult:
    """Record every (task, seed, persona) of the selection, `workers` at a time; returns the run's catalog.

    Tasks are ids or globs, narrowed by `apps` and `skills`. Seeds are `seeds` (e.g. "0-9", "1,5,7")
    or else `seed`, …, `seed + episodes - 1`; personas are `personas` or else `[persona]`. `out` is
    a folder or an fsspec URL (s3://bucket/prefix). `executor` is "local" (threads, one sandbox
    each; `workers` default: what the machine holds) or "ray" (`address` of a cluster, default a
    local instance or $RAY_ADDRESS). `resume=True` continues the run `run_id` (see docs/fleet.md):
    done episodes are kept, interrupted ones set aside under `interrupted/` and run again; without
    tasks, the stored plan (run.json) is used. `backend` is "local" (bubblewrap) or "docker".
    """
    registry = load_registry(tasks_dir)
    if executor not in ("local", "ray"):
        raise CleantraceError(f"unknown executor {executor!r}", "use --executor local or --executor ray")
    if backend not in ("local", "docker"):
        raise CleantraceError(f"unknown backend {backend!r}", "use --backend local or --backend docker")
    run_id = run_id or (_latest_run(out) if resume else None) or time.strftime("run-%Y%m%d-%H%M%S")
    settings = RecordingSettings(screen=tuple(screen), fps=fps, change_fps=change_fps, backend=backend)
    asked = None
    if tasks or skills or apps or not resume:  # a selection; checked before anything is written
        chosen = select_tasks(registry, list(tasks or []), skills, apps)
        if seeds is None and episodes < 1:
            raise CleantraceError(f"--episodes {episodes} records nothing", "use --episodes 1 or more")
        seed_list = parse_seeds(seeds) if seeds is not None else list(range(seed, seed + episodes))
        asked = RunPlan(run_id=run_id, settings=settings, episodes=plan_episodes(chosen, seed_list,
                                                                                 personas or [persona]))
        for name in {e.persona for e in asked.episodes}:
            persona_named(name)
    if backend == "local":
        require_host_tools()
    else:
        docker_client()
    where = str(out) if "://" in str(out) else str(Path(out).resolve())  # Ray workers may start elsewhere
    output = RunOutput(OutputSpec(out=where, run_id=run_id, staging=str(Path(staging).resolve()) if staging else None,
                                  storage_options=storage_options or {}))
    if asked is None and not output.remote and not (output.local_dir / PLAN_FILE).exists():
        raise CleantraceError(f"no run {run_id} to resume in {output.url}", "check --out and --run-id")
    output.prepare()
    if resume:
        output.fetch_run_file(PLAN_FILE)
        output.fetch_run_file(files.CATALOG)
    plan = _plan(output, resume, asked)
    if plan.settings.backend != backend and plan.settings.backend == "docker":
        docker_client()
    files.replace_json(output.local_dir / PLAN_FILE, plan)
    output.publish_run_file(PLAN_FILE)

    book = reconcile(output)
    catalog = CatalogWriter(output.local_dir / files.CATALOG, list(book.done.values()))
    output.publish_run_file(files.CATALOG)
    specs = {e.episode_id: _spec(e, plan, registry.root) for e in plan.episodes}
    for episode_id in book.interrupted:
        if not output.remote and episode_id in specs:  # remote episodes are sealed before their upload
            seal_unfinished(output.local_dir / episode_id, specs[episode_id], RUNNER_DIED)
        output.move_aside(episode_id)
    todo = [spec for episode_id, spec in specs.items() if episode_id not in book.done]
    pool, how = _executor(executor, workers, address, len(todo))
    if on_start:
        already = sum(1 for e in plan.episodes if e.episode_id in book.done)
        on_start(RunStart(output.url, len(plan.episodes), already, len(todo), how))

    _drive(pool, todo, output, catalog, timeout, image, on_episode)
    order = {e.episode_id: n for n, e in enumerate(plan.episodes)}
    rows = sorted(catalog.rows, key=lambda r: order.get(r.episode_id, len(order)))
    return RunResult(output.local_dir, rows, output.url)


def _drive(
    pool, todo: list[EpisodeSpec], output: RunOutput, catalog: CatalogWriter, timeout: float, image: str | None,
    on_episode: Callable[[CatalogRow], None] | None,
) -> None:
    """Run `todo` on `pool`, cataloging each row as it comes; on Ctrl-C or an error stop the rest, then raise."""
    stop = Stop()
    error: BaseException | None = None
    interrupted = False
    pool.start(todo, output.spec, timeout, image, stop)
    try:
        while pool.pending:
            try:
                finished = pool.wait(0.5)
            except KeyboardInterrupt:  # running episodes are stopped, sealed and cataloged; then it propagates
                stop.set(CTRL_C)
                interrupted = True
                continue
            for spec, outcome in finished:
                if isinstance(outcome, BaseException):
                    error = error or outcome
                    stop.set(f"{INTERRUPTED}: the run stopped after an error in {spec.episode_id}")
                elif outcome is not None:
                    try:
                        catalog.append(outcome)
                        output.publish_run_file(files.CATALOG, force=False)
                    except OSError as exc:
                        error = error or _disk_error(output.local_dir, exc)
                        stop.set(f"{INTERRUPTED}: the run stopped: its catalog cannot be written")
                    if on_episode:
                        on_episode(outcome)
    finally:
        stop.set(f"{INTERRUPTED}: the runner stopped")  # no-op after a normal end; else ends what still runs
        pool.close()
    output.finish()
    if interrupted:
        raise KeyboardInterrupt
    if error is not None:
        raise error


def execute_episode(
    spec: EpisodeSpec, output: OutputSpec, timeout: float = DEFAULT_TIMEOUT, image: str | None = None,
    stop: Callable[[], str | None] = lambda: None,
) -> CatalogRow | None:
    """Run one episode in a fresh sandbox on this machine and make it final at the run's output.

    Returns its catalog row, or None when the run was stopped before the episode started. The
    same function runs in a local worker thread and as a Ray task on any node.
    """
    if stop():
        return None
    target = RunOutput(output)
    run_dir = target.local_dir
    (run_dir / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    set_aside_leftover(target, spec)  # an earlier attempt on this machine (a crashed worker, a retried task)
    _require_free_space(run_dir)
    try:
        meta = _record(spec, run_dir, timeout, image, stop)
        row = _finish_episode(run_dir / spec.episode_id, meta)
        target.publish_episode(spec.episode_id)
    except OSError as exc:  # the host could not seal or catalog the episode: the disk is full
        raise _disk_error(run_dir, exc) from None
    return row


def run_episode(
    spec: EpisodeSpec, run_dir: Path, timeout: float = DEFAULT_TIMEOUT, image: str | None = None
) -> CatalogRow:
    """One episode in a fresh sandbox, in `run_dir`; its row is appended to the run's catalog."""
    output = OutputSpec(out=str(Path(run_dir).parent), run_id=Path(run_dir).name)
    row = execute_episode(spec, output, timeout, image)
    assert row is not None  # never stopped
    CatalogWriter(Path(run_dir) / files.CATALOG).append(row)
    return row


def _record(spec: EpisodeSpec, run_dir: Path, timeout: float, image: str | None, stop) -> Meta:
    """Run the sandbox; the episode comes back sealed (incomplete with the reason if the sandbox did not seal it)."""
    folder = run_dir / spec.episode_id
    folder.mkdir()
    log_path = run_dir / LOGS_DIR / f"{spec.episode_id}.log"
    try:
        if spec.backend == "docker":
            ended = run_in_docker(spec, folder, log_path, timeout, image or DEFAULT_IMAGE)
        else:
            ended = run_sandboxed(spec, folder, log_path, timeout, stop=lambda: stop() is not None)
    except KeyboardInterrupt:
        _seal(folder, spec, CTRL_C)
        raise
    meta_path = folder / files.META
    meta = Meta.model_validate_json(meta_path.read_text()) if meta_path.exists() else None
    if meta is not None and meta.outcome.status != "running":
        return meta
    if ended.stopped:
        reason = stop() or f"{INTERRUPTED}: the run was stopped"
    elif ended.timed_out:
        reason = f"timed out after {timeout:.0f} s"
    else:
        reason = f"the sandbox exited with code {ended.code}: {_last_line(log_path)}"
    return _seal(folder, spec, reason)


def _spec(episode: PlannedEpisode, plan: RunPlan, tasks_dir: Path) -> EpisodeSpec:
    settings = plan.settings
    return EpisodeSpec(
        run_id=plan.run_id, episode_id=episode.episode_id, task=episode.task, seed=episode.seed,
        persona=episode.persona, tasks_dir=str(Path(tasks_dir).resolve()), out_dir="", screen=settings.screen,
        fps=settings.fps, change_fps=settings.change_fps, backend=settings.backend,
    )


def _finish_episode(folder: Path, meta: Meta) -> CatalogRow:
    """Post-process a sealed episode on the machine that recorded it, and return its catalog row.

    The one place where every sealed episode passes (success, failure or incomplete), before it is
    published to the run's output: the privacy scan, recorded in its meta and catalog row.
    """
    return scan_sealed(folder, catalog_row(folder, meta))


def _seal(folder: Path, spec: EpisodeSpec, reason: str) -> Meta:
    fallback = {
        "run_id": spec.run_id, "episode_id": spec.episode_id, "task": spec.task, "seed": spec.seed,
        "persona": spec.persona, "backend": spec.backend, "w": spec.screen[0], "h": spec.screen[1],
    }
    return seal_incomplete(folder, reason, fallback)


def _executor(kind: str, workers: int | None, address: str | None, jobs: int):
    if kind == "ray":
        from cleantrace.fleet.ray_executor import RayExecutor

        pool = RayExecutor(address, workers)
        return pool, f"ray: {pool.describe()}"
    choice: WorkerChoice | None = None
    if workers is None:
        choice = machine_workers()
        workers = choice.workers
    if workers < 1:
        raise CleantraceError(f"--workers must be at least 1, not {workers}", "pass --workers 1 or more")
    how = choice.describe() if choice else f"{workers} workers (as asked)"
    return LocalExecutor(min(workers, max(1, jobs))), f"local: {how}"


def _plan(output: RunOutput, resume: bool, asked: RunPlan | None) -> RunPlan:
    """The plan to run: `asked`, or on --resume without a selection the stored one; checked against the run."""
    path = output.local_dir / PLAN_FILE
    stored = RunPlan.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None
    run_id = output.spec.run_id
    if not resume and (output.episode_folders() or (output.local_dir / files.CATALOG).exists()):
        raise CleantraceError(
            f"run {run_id} already exists in {output.spec.out}", "add --resume to continue it, or use a new --run-id"
        )
    if asked is None and stored is None:
        raise CleantraceError(f"no run {run_id} to resume in {output.url}", "check --out and --run-id")
    if asked is not None and stored is not None and stored.settings != asked.settings:
        raise CleantraceError(
            f"run {run_id} was recorded with {stored.settings.model_dump()}",
            "pass the same --fps/--change-fps/--backend to resume it, or use a new --run-id",
        )
    return asked or stored


def _latest_run(out: Path | str) -> str | None:
    """The most recently started run under a local `out` (the one `--resume` continues without --run-id)."""
    if "://" in str(out):
        return None
    plans = sorted(Path(out).glob(f"*/{PLAN_FILE}"), key=lambda p: p.stat().st_mtime)
    return plans[-1].parent.name if plans else None


def _require_free_space(run_dir: Path) -> None:
    free = shutil.disk_usage(run_dir).free
    if free < MIN_FREE_BYTES:
        raise CleantraceError(
            f"the disk of {run_dir} is full ({free / 1e6:.1f} MB free)", "free disk space or choose another --out"
        )


def _disk_error(run_dir: Path, exc: OSError) -> CleantraceError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    return CleantraceError(f"cannot write to {run_dir}: {reason}", "free disk space or choose another --out")


def _last_line(log_path: Path) -> str:
    try:
        lines = [ln.strip() for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    errors = [ln for ln in lines if ln.startswith("error:")]
    return (errors or lines or ["no output"])[-1][:300]
