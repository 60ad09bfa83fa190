"""Checks a trace against the schema and its invariants."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from pydantic import ValidationError

from cleantrace.errors import TraceError
from cleantrace.trace import files
from cleantrace.trace.reader import episode_folders, read_episode
from cleantrace.trace.schema import SCHEMA_VERSION, CatalogRow


@dataclass
class EpisodeReport:
    folder: Path
    status: str = "unknown"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_episode(folder: Path, check_pixels: bool = True) -> EpisodeReport:
    """Schema of every record, then: monotonic time, frames exist (and match their hash),
    actions cover events in order, coordinates on screen, a sealed outcome."""
    report = EpisodeReport(folder)
    if folder.is_dir() and not any(folder.iterdir()):
        report.status = "incomplete"
        report.notes.append("empty: the episode was killed before it recorded anything")
        return report
    try:
        trace = read_episode(folder)
    except FileNotFoundError as exc:
        report.problems.append(f"missing {Path(exc.filename).name}")
        return report
    except TraceError as exc:
        report.problems.append(exc.message)
        return report
    meta, events, actions, frames = trace.meta, trace.events, trace.actions, trace.frames
    report.status = meta.outcome.status
    p = report.problems
    if meta.schema_version != SCHEMA_VERSION:
        p.append(f"meta.json: schema_version {meta.schema_version}, expected {SCHEMA_VERSION}")
    if meta.outcome.status == "running":
        report.status = "incomplete"
        report.notes.append("never sealed (its recording process was killed): read as an incomplete prefix")
    if meta.outcome.status in ("success", "failure") and not (folder / files.ACTIONS).exists():
        p.append("actions.jsonl: missing in a finished episode")
    for extra in files.unexpected_files(folder):
        p.append(f"{extra}: not part of a trace (only the recorder writes an episode folder) — "
                 "delete the episode; it may hold what the sandbox let out")
    w, h = meta.sandbox.screen.w, meta.sandbox.screen.h

    for n in range(1, len(events)):
        if events[n].t_ms < events[n - 1].t_ms:
            p.append(f"events.jsonl:{n + 1}: time goes backwards ({events[n].t_ms} < {events[n - 1].t_ms})")
            break
    for n, e in enumerate(events):
        if not (0 <= e.x < w and 0 <= e.y < h):
            p.append(f"events.jsonl:{n + 1}: ({e.x}, {e.y}) is off the {w}x{h} screen")
            break

    for n, f in enumerate(frames):
        if f.i != n:
            p.append(f"frames.jsonl:{n + 1}: index {f.i}, expected {n}")
        path = folder / f.file
        if not path.exists():
            p.append(f"frames.jsonl:{n + 1}: {f.file} does not exist")
        elif check_pixels and hashlib.sha256(Image.open(path).convert("RGB").tobytes()).hexdigest() != f.sha256:
            p.append(f"frames.jsonl:{n + 1}: {f.file} does not match its sha256")
        if n and f.t_ms < frames[n - 1].t_ms:
            p.append(f"frames.jsonl:{n + 1}: time goes backwards")

    expected_first = 0
    for n, a in enumerate(actions):
        where = f"actions.jsonl:{n + 1}"
        first, last = a.events
        if a.i != n:
            p.append(f"{where}: index {a.i}, expected {n}")
        if first != expected_first or last < first or last >= len(events):
            p.append(f"{where}: events [{first}, {last}] do not continue the previous action's range "
                     f"(expected to start at {expected_first}, {len(events)} events)")
        expected_first = last + 1
        if a.t1_ms < a.t0_ms:
            p.append(f"{where}: t1_ms before t0_ms")
        for ref in (a.frame_before, a.frame_after):
            if ref is not None and not 0 <= ref < len(frames):
                p.append(f"{where}: frame {ref} does not exist")
        for x, y in ((a.x, a.y), (a.x2, a.y2)):
            if x is not None and y is not None and not (0 <= x < w and 0 <= y < h):
                p.append(f"{where}: ({x}, {y}) is off the screen")
    return report


def validate_run(run_dir: Path, check_pixels: bool = True) -> list[EpisodeReport]:
    """Validate the catalog and every episode of a run (or a single episode folder)."""
    if (run_dir / files.META).exists():
        return [validate_episode(run_dir, check_pixels)]
    reports = []
    catalog_problems = []
    for n, row in enumerate(files.read_jsonl(run_dir / files.CATALOG)):
        try:
            CatalogRow.model_validate(row)
        except ValidationError as exc:
            catalog_problems.append(f"catalog.jsonl:{n + 1}: {_first_error(exc)}")
    for folder in episode_folders(run_dir):
        reports.append(validate_episode(folder, check_pixels))
    if catalog_problems:
        reports.insert(0, EpisodeReport(run_dir / files.CATALOG, "catalog", catalog_problems))
    return reports


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
    return str(exc).splitlines()[0]
