"""Checks a trace against the schema and its invariants."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from pydantic import ValidationError

from cleantrace.errors import TraceError
from cleantrace.trace import files
from cleantrace.trace.reader import episode_folders, read_episode
from cleantrace.trace.schema import READABLE_VERSIONS, SCHEMA_VERSION, CatalogRow, LabelRow, ScreenLabels


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
    except (OSError, ValueError) as exc:  # unreadable bytes: a damaged file is invalid, not a crash
        report.problems.append(f"unreadable trace file: {type(exc).__name__}: {_first_line(exc)}")
        return report
    meta, events, actions, frames = trace.meta, trace.events, trace.actions, trace.frames
    report.status = meta.outcome.status
    p = report.problems
    if meta.schema_version not in READABLE_VERSIONS:
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
        elif check_pixels:
            try:
                pixels = Image.open(path).convert("RGB").tobytes()
            except (OSError, ValueError, SyntaxError) as exc:  # PIL raises these for damaged images
                p.append(f"frames.jsonl:{n + 1}: {f.file} is not a readable image ({_first_line(exc)})")
            else:
                if hashlib.sha256(pixels).hexdigest() != f.sha256:
                    p.append(f"frames.jsonl:{n + 1}: {f.file} does not match its sha256")
        if n and f.t_ms < frames[n - 1].t_ms:
            p.append(f"frames.jsonl:{n + 1}: time goes backwards")

    for n, row in enumerate(files.read_jsonl(folder / files.LABELS)):
        where = f"labels.jsonl:{n + 1}"
        try:
            label = LabelRow.model_validate(row)
        except ValidationError as exc:
            p.append(f"{where}: {_first_error(exc)}")
            continue
        if not 0 <= label.frame < len(frames):
            p.append(f"{where}: frame {label.frame} does not exist")
        if label.file is not None:
            try:
                ScreenLabels.model_validate_json(gzip.decompress((folder / label.file).read_bytes()))
            except (OSError, EOFError, ValueError) as exc:
                p.append(f"{where}: {label.file} is not readable labels ({_first_line(exc)})")

    expected_first = 0
    for n, a in enumerate(actions):
        where = f"actions.jsonl:{n + 1}"
        if a.i != n:
            p.append(f"{where}: index {a.i}, expected {n}")
        if a.events is None:
            if a.kind != "done" or n != len(actions) - 1:
                p.append(f"{where}: only the closing done action may cover no events")
            continue
        first, last = a.events
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
    return str(exc).splitlines()[0]
