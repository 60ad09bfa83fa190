"""Reads an episode folder back into records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from cleantrace.errors import TraceError
from cleantrace.trace import files
from cleantrace.trace.schema import Action, Event, Frame, Meta

R = TypeVar("R", bound=BaseModel)


@dataclass
class EpisodeTrace:
    folder: Path
    meta: Meta
    events: list[Event]
    actions: list[Action]
    frames: list[Frame]


def read_episode(folder: Path) -> EpisodeTrace:
    """Load every record of an episode (a crash-torn last line is ignored).

    Raises FileNotFoundError without meta.json, TraceError naming file and line for a bad record.
    """
    meta_path = folder / files.META
    try:
        meta = Meta.model_validate_json(meta_path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise TraceError(f"{meta_path}: {_first_error(exc)}", "see `cleantrace schema`") from None
    return EpisodeTrace(
        folder=folder, meta=meta,
        events=_records(folder / files.EVENTS, Event),
        actions=_records(folder / files.ACTIONS, Action),
        frames=_records(folder / files.FRAMES, Frame),
    )


def _records(path: Path, model: type[R]) -> list[R]:
    out = []
    try:
        rows = files.read_jsonl(path)
    except ValueError as exc:
        raise TraceError(f"{path}: not JSON lines ({exc})", "the file is damaged") from None
    for n, row in enumerate(rows):
        try:
            out.append(model.model_validate(row))
        except ValidationError as exc:
            raise TraceError(
                f"{path.name}:{n + 1}: {_first_error(exc)}", "see `cleantrace schema`"
            ) from None
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(x) for x in err['loc']) or 'record'}: {err['msg']}"


def episode_folders(run_dir: Path) -> list[Path]:
    """The episode folders of a run, in catalog order (folders with a meta.json otherwise)."""
    rows = files.read_jsonl(run_dir / files.CATALOG)
    if rows:
        return [run_dir / r["episode_id"] for r in rows]
    return sorted(p.parent for p in run_dir.glob(f"*/{files.META}"))
