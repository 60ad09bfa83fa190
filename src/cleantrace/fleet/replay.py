"""Replays recorded episodes in fresh sandboxes and reports how many replay to success.

A replay re-executes a recorded episode's raw input (see `cleantrace.perform.replay`) with the
same task and seed, so the same world and start page, records it like any episode into a new run,
and lets the task's `check` decide again. The replay success rate of a run says how much of its
traces is a complete, faithful record of what made the task succeed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.fleet.episodes import run_episode
from cleantrace.fleet.output import OutputSpec, RunOutput
from cleantrace.sandbox.backends import backend_named
from cleantrace.spec import DEFAULT_BACKEND, EPISODE_TIMEOUT_S, EpisodeSpec, RecordingSettings, ReplayPerformer
from cleantrace.tasks import load_registry
from cleantrace.trace import files
from cleantrace.trace.reader import episode_folders
from cleantrace.trace.schema import CatalogRow, Meta

REPLAY_SUFFIX = "--replay"


@dataclass(frozen=True)
class Replayed:
    """One source episode and the catalog row of its replay."""

    source: Meta
    row: CatalogRow


@dataclass
class ReplayResult:
    run_dir: Path
    replays: list[Replayed] = field(default_factory=list)

    @property
    def successes(self) -> int:
        return sum(1 for r in self.replays if r.row.success)

    @property
    def rate(self) -> float:
        """The share of replays whose check passed (0 for no replays)."""
        return self.successes / len(self.replays) if self.replays else 0.0

    def per_task(self) -> dict[str, tuple[int, int]]:
        """task → (successful replays, replays)."""
        total: Counter[str] = Counter()
        ok: Counter[str] = Counter()
        for r in self.replays:
            total[r.source.task] += 1
            ok[r.source.task] += bool(r.row.success)
        return {task: (ok[task], total[task]) for task in sorted(total)}


def replay_sources(path: Path) -> list[Path]:
    """The episodes to replay: `path` itself if it is an episode folder, else every successful
    scripted episode of the run at `path`."""
    path = Path(path)
    if (path / files.META).is_file():
        return [path]
    if not path.is_dir() or not ((path / files.CATALOG).is_file() or any(path.glob(f"*/{files.META}"))):
        raise CleantraceError(f"{path} is neither an episode folder nor a run", "pass a run or episode folder")
    chosen = []
    for folder in episode_folders(path):
        meta = _read_meta(folder)
        if meta is not None and meta.outcome.success and meta.performer.kind == "script":
            chosen.append(folder)
    if not chosen:
        raise CleantraceError(f"the run {path} has no successful scripted episode", "replay a run that has some")
    return chosen


def replay(
    source: Path, out: Path = Path("runs"), run_id: str | None = None, tasks_dir: Path | None = None,
    timeout: float = EPISODE_TIMEOUT_S, on_episode: Callable[[Replayed], None] | None = None,
    backend: str = DEFAULT_BACKEND, image: str | None = None,
) -> ReplayResult:
    """Replay one episode, or every successful scripted episode of a run, each in a fresh sandbox
    of `backend` (any backend whose capabilities include replay).

    The replays are recorded into a new run `<out>/<run_id>` (default run id: replay-<time>);
    the result holds the replay success rate, overall and per task.
    """
    folders = replay_sources(source)
    registry = load_registry(tasks_dir)
    metas = [_require_meta(f) for f in folders]
    for meta in metas:
        registry.get(meta.task)  # an unknown task fails before any sandbox starts
    sandbox = backend_named(backend, image)
    try:
        if not sandbox.capabilities.replay:
            raise CleantraceError(f"the {backend} backend cannot replay", "use --backend local")
        sandbox.check()
    finally:
        sandbox.teardown()
    run_id = run_id or time.strftime("replay-%Y%m%d-%H%M%S")
    if any(_is_within(Path(out) / run_id, f) or _is_within(f, Path(out) / run_id) for f in folders):
        raise CleantraceError(f"the replay run {Path(out) / run_id} overlaps its source", "choose another --out")
    output = RunOutput(OutputSpec(out=str(out), run_id=run_id))
    output.prepare()
    run_dir = output.local_dir
    result = ReplayResult(run_dir)
    for folder, meta in zip(folders, metas, strict=True):
        screen = meta.sandbox.screen
        spec = EpisodeSpec(
            **registry.get(meta.task).sandbox_fields(),
            run_id=run_dir.name, episode_id=meta.episode_id + REPLAY_SUFFIX, task=meta.task, seed=meta.seed,
            persona=_known_persona(meta.performer.persona), tasks_dir=str(registry.root.resolve()),
            settings=RecordingSettings(screen=(screen.w, screen.h), backend=backend),
            performer=ReplayPerformer(source=str(folder.resolve())),
            appearance=meta.appearance,  # the recorded look: the same pixels under the same input
        )
        done = Replayed(meta, run_episode(spec, run_dir, timeout, image))
        result.replays.append(done)
        if on_episode:
            on_episode(done)
    return result


def _known_persona(name: str) -> str:
    """The source's persona if the episode runner knows it (a volunteer's "human" it does not; the
    replay's meta keeps the source's persona either way)."""
    from cleantrace.perform.persona import persona_named

    try:
        persona_named(name)
    except CleantraceError:
        return "default"
    return name


def _read_meta(folder: Path) -> Meta | None:
    try:
        return Meta.model_validate_json((folder / files.META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _require_meta(folder: Path) -> Meta:
    meta = _read_meta(folder)
    if meta is None:
        raise CleantraceError(f"{folder / files.META} cannot be read", "pass an episode folder of a run")
    return meta


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve() == folder.resolve() or folder.resolve() in path.resolve().parents
