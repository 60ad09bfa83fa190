"""One episode of a run, on whichever machine runs it: sandbox → seal → post-process → publish.

The same function (`execute_episode`) runs in a local worker thread and as a Ray task; the run's
driver (`cleantrace.fleet.runner`) only hands episodes to an executor and catalogs their rows.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.fleet.output import LOGS_DIR, OutputSpec, RunOutput
from cleantrace.fleet.resume import INTERRUPTED, CatalogWriter, set_aside_leftover
from cleantrace.privacy import scan_sealed
from cleantrace.sandbox.backends import backend_named
from cleantrace.spec import EPISODE_TIMEOUT_S, EpisodeSpec, placeholder_meta
from cleantrace.trace import files
from cleantrace.trace.schema import CatalogRow, Meta
from cleantrace.trace.seal import catalog_row, discard_targets, seal_incomplete

MIN_FREE_BYTES = 1_000_000  # below this no episode starts: it could not even write its first frames
CTRL_C = "interrupted by the user (Ctrl-C)"


def execute_episode(
    spec: EpisodeSpec, output: OutputSpec, timeout: float = EPISODE_TIMEOUT_S, image: str | None = None,
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
        raise disk_error(run_dir, exc) from None
    return row


def run_episode(
    spec: EpisodeSpec, run_dir: Path, timeout: float = EPISODE_TIMEOUT_S, image: str | None = None
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
    backend = backend_named(spec.backend, image)
    try:
        ended = backend.run(spec, folder, log_path, timeout, stop=lambda: stop() is not None)
    except KeyboardInterrupt:
        _seal(folder, spec, CTRL_C)
        raise
    finally:
        backend.teardown()
    meta_path = folder / files.META
    meta = Meta.model_validate_json(meta_path.read_text()) if meta_path.exists() else None
    if meta is not None and meta.outcome.status != "running":
        return meta
    if ended.stopped:
        reason = stop() or f"{INTERRUPTED}: the run was stopped"
    elif ended.timed_out:
        reason = f"timed out after {timeout:.0f} s{_last_action(log_path)}"
    else:
        reason = f"the sandbox exited with code {ended.code}: {_last_line(log_path)}"
    return _seal(folder, spec, reason)


def _finish_episode(folder: Path, meta: Meta) -> CatalogRow:
    """Post-process a sealed episode on the machine that recorded it, and return its catalog row.

    The one place where every sealed episode passes (success, failure or incomplete), before it is
    published to the run's output: the privacy scan, recorded in its meta and catalog row.
    """
    discard_targets(folder)
    return scan_sealed(folder, catalog_row(folder, meta))


def _seal(folder: Path, spec: EpisodeSpec, reason: str) -> Meta:
    return seal_incomplete(folder, without_host_paths(reason, spec), placeholder_meta(spec))


def without_host_paths(reason: str, spec: EpisodeSpec) -> str:
    """`reason` with the task library's host folder cut from its paths (`…/tasks/crm/x.py:31` →
    `crm/x.py:31`): where the library lives on the host is no part of a trace."""
    root = str(Path(spec.tasks_dir).resolve()).rstrip("/") + "/"
    return reason.replace(root, "").replace(spec.tasks_dir.rstrip("/") + "/", "")


def _require_free_space(run_dir: Path) -> None:
    free = shutil.disk_usage(run_dir).free
    if free < MIN_FREE_BYTES:
        raise CleantraceError(
            f"the disk of {run_dir} is full ({free / 1e6:.1f} MB free)", "free disk space or choose another --out"
        )


def disk_error(run_dir: Path, exc: OSError) -> CleantraceError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    return CleantraceError(f"cannot write to {run_dir}: {reason}", "free disk space or choose another --out")


def _last_action(log_path: Path) -> str:
    """`; last action: click(…) at tasks/…py:31`: the Actor's last verb, from the sandbox's log."""
    try:
        lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.startswith("actor: ")]
    except OSError:
        return ""
    return f"; last action: {lines[-1].removeprefix('actor: ')[:300]}" if lines else "; no action was begun"


def _last_line(log_path: Path) -> str:
    try:
        lines = [ln.strip() for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    errors = [ln for ln in lines if ln.startswith("error:")]
    return (errors or lines or ["no output"])[-1][:300]
