"""Runs a run's episodes, several at once, each in a fresh sandbox, and keeps the run's catalog.

The driver (this process) plans the episodes, hands them to an executor (threads here, or Ray
tasks), and is the catalog's only writer: one row per episode, appended as each one ends. The
episode function (`cleantrace.fleet.episodes.execute_episode`) is the same for every executor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleantrace.appearance import Choice, draw, load_choice
from cleantrace.errors import CleantraceError
from cleantrace.fleet.episodes import CTRL_C, disk_error
from cleantrace.fleet.executors import LocalExecutor, Stop
from cleantrace.fleet.output import OutputSpec, RunOutput
from cleantrace.fleet.plan import (
    PLAN_FILE,
    PlannedEpisode,
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
)
from cleantrace.fleet.sizing import WorkerChoice, machine_workers
from cleantrace.perform.persona import expand_persona_names, persona_named, persona_params
from cleantrace.sandbox.backends import backend_named
from cleantrace.spec import (
    DEFAULT_BACKEND,
    DEFAULT_CHANGE_FPS,
    DEFAULT_FPS,
    DEFAULT_MOTION,
    DEFAULT_PERSONA,
    EPISODE_TIMEOUT_S,
    EpisodeSpec,
    RecordingSettings,
    ScriptPerformer,
)
from cleantrace.tasks import load_registry
from cleantrace.tasks.lint import check_setups
from cleantrace.tasks.loader import TaskRegistry
from cleantrace.trace import files
from cleantrace.trace.schema import CatalogRow

__all__ = ["RunResult", "RunStart", "episode_id_for", "run"]


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
    run_id: str | None = None, persona: str = DEFAULT_PERSONA, tasks_dir: Path | None = None,
    timeout: float = EPISODE_TIMEOUT_S, screen: tuple[int, int] | None = None, fps: float = DEFAULT_FPS,
    change_fps: float = DEFAULT_CHANGE_FPS, backend: str = DEFAULT_BACKEND, image: str | None = None,
    on_episode: Callable[[CatalogRow], None] | None = None, *,
    seeds: str | list[int] | None = None, personas: list[str] | None = None, skills: list[str] | None = None,
    apps: list[str] | None = None, workers: int | None = None, resume: bool = False, executor: str = "local",
    address: str | None = None, staging: Path | None = None, storage_options: dict[str, Any] | None = None,
    on_start: Callable[[RunStart], None] | None = None, motion: str = DEFAULT_MOTION, frame_format: str = "png",
    appearance: str | Path | Choice | dict | None = "random", keep_dir: Path | None = None,
) -> RunResult:
    """Record every (task, seed, persona) of the selection, `workers` at a time; returns the run's catalog.

    Tasks are ids or globs, narrowed by `apps` and `skills`. Seeds are `seeds` (e.g. "0-9", "1,5,7")
    or else `seed`, …, `seed + episodes - 1`; personas are `personas` or else `[persona]`. `out` is
    a folder or an fsspec URL (s3://bucket/prefix). `executor` is "local" (threads, one sandbox
    each; `workers` default: what the machine holds) or "ray" (`address` of a cluster, default a
    local instance or $RAY_ADDRESS). `resume=True` continues the run `run_id` (see docs/fleet.md):
    done episodes are kept, interrupted ones set aside under `interrupted/` and run again; without
    tasks, the stored plan (run.json) is used. `backend` names one of `cleantrace.sandbox.backends.BACKENDS`
    ("local": bubblewrap, "docker": a container of `image` per episode).
    `frame_format` is how frames are stored: "png" or "webp" (both lossless).
    `appearance` is "random" (each episode's look drawn from its seed), "default" (the look of
    1280×800, light, classic theme, en_US) or a file / mapping fixing or narrowing axes
    (docs/appearance.md); `screen` overrides the drawn screen size. `keep_dir` (one episode, local
    backend: `tasks try --keep`) keeps the sandbox after its episode, its browser reachable through
    that folder (`cleantrace.sandbox.keep`), until a `stop` file is written there.
    """
    registry = load_registry(tasks_dir)
    if executor not in ("local", "ray"):
        raise CleantraceError(f"unknown executor {executor!r}", "use --executor local or --executor ray")
    backend_named(backend, image)  # an unknown backend fails before anything is written
    run_id = run_id or (_latest_run(out) if resume else None) or time.strftime("run-%Y%m%d-%H%M%S")
    motion = _checked_motion(motion, backend)
    settings = RecordingSettings(screen=tuple(screen) if screen else None, appearance=load_choice(appearance),
                                 fps=fps, change_fps=change_fps, backend=backend, motion=motion,
                                 frame_format=frame_format)
    asked = None
    if tasks or skills or apps or not resume:  # a selection; checked before anything is written
        chosen = select_tasks(registry, list(tasks or []), skills, apps)
        if seeds is None and episodes < 1:
            raise CleantraceError(f"--episodes {episodes} records nothing", "use --episodes 1 or more")
        seed_list = parse_seeds(seeds) if seeds is not None else list(range(seed, seed + episodes))
        asked = RunPlan(run_id=run_id, settings=settings, episodes=plan_episodes(
            chosen, seed_list, expand_persona_names(personas or [persona])))
        for name in {e.persona for e in asked.episodes}:
            persona_named(name)
        check_setups(registry, [(e.task, e.seed) for e in asked.episodes])  # setup errors before any sandbox
    _check_backend(backend, image)
    if executor == "ray":  # before the run folder is made
        from cleantrace.fleet.ray_executor import require_ray

        require_ray()
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
    if plan.settings.backend != backend:
        _check_backend(plan.settings.backend, image)
    files.replace_json(output.local_dir / PLAN_FILE, plan)
    output.publish_run_file(PLAN_FILE)

    book = reconcile(output)
    catalog = CatalogWriter(output.local_dir / files.CATALOG, list(book.done.values()))
    output.publish_run_file(files.CATALOG)
    library = _save_library(plan.settings.motion, output.local_dir)
    specs = {e.episode_id: _spec(e, plan, registry.root, library, registry) for e in plan.episodes}
    if keep_dir is not None:
        if len(specs) != 1 or plan.settings.backend != "local":
            raise CleantraceError("only one episode in the local backend can be kept", "keep one task, one seed")
        specs = {k: s.model_copy(update={"keep_dir": str(Path(keep_dir).resolve())}) for k, s in specs.items()}
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
                        error = error or disk_error(output.local_dir, exc)
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


def _spec(episode: PlannedEpisode, plan: RunPlan, tasks_dir: Path, library: Path | None = None,
          registry: TaskRegistry | None = None) -> EpisodeSpec:
    sandbox = registry.tasks[episode.task].sandbox_fields() if registry and episode.task in registry.tasks else {}
    return EpisodeSpec(**sandbox,
        run_id=plan.run_id, episode_id=episode.episode_id, task=episode.task, seed=episode.seed,
        persona=episode.persona, persona_params=persona_params(episode.persona),
        tasks_dir=str(Path(tasks_dir).resolve()), settings=plan.settings,
        performer=ScriptPerformer(motion_library=str(library) if library else None),
        appearance=draw(episode.seed, plan.settings.appearance),
    )


MOTION_LIBRARY = "motion-library.npz"


def _checked_motion(motion: str, backend: str) -> str:
    """`model`, or `library:<absolute run folder>` once the library is known to hold movements."""
    from cleantrace.perform.library import LIBRARY_PREFIX, motion_source

    if motion.startswith(LIBRARY_PREFIX):
        if backend != "local":
            raise CleantraceError("--motion library: needs the local backend", "use --backend local")
        motion = LIBRARY_PREFIX + str(Path(motion[len(LIBRARY_PREFIX):]).resolve())
    motion_source(motion)  # a clear error now rather than in every episode
    return motion


def _save_library(motion: str, run_dir: Path) -> Path | None:
    """For --motion library:RUN, the movements of RUN saved in this run's folder as MOTION_LIBRARY
    (each sandbox gets that one file read-only: other runs are out of its sight)."""
    from cleantrace.perform.library import LIBRARY_PREFIX, MovementLibrary

    if not motion.startswith(LIBRARY_PREFIX):
        return None
    path = run_dir / MOTION_LIBRARY
    MovementLibrary.from_run(Path(motion[len(LIBRARY_PREFIX):])).save(path)
    return path


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
            "pass the same --fps/--change-fps/--frame-format/--backend to resume it, or use a new --run-id",
        )
    return asked or stored


def _check_backend(name: str, image: str | None) -> None:
    """Raise the backend's own error (with its fix) when it cannot run an episode here."""
    backend = backend_named(name, image)
    try:
        backend.check()
    finally:
        backend.teardown()


def _latest_run(out: Path | str) -> str | None:
    """The most recently started run under a local `out` (the one `--resume` continues without --run-id)."""
    if "://" in str(out):
        return None
    plans = sorted(Path(out).glob(f"*/{PLAN_FILE}"), key=lambda p: p.stat().st_mtime)
    return plans[-1].parent.name if plans else None


