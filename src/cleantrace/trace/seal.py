"""Sealing on the host: an episode whose sandbox died keeps its trace, marked incomplete."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cleantrace.trace import files
from cleantrace.trace.reduce import TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import (
    CatalogRow,
    Clock,
    Event,
    Frame,
    Meta,
    Outcome,
    Performer,
    SandboxInfo,
    Screen,
    Target,
)


def seal_incomplete(folder: Path, message: str, fallback: dict) -> Meta:
    """Mark an unfinished episode incomplete, keeping every record; derive actions if missing.

    `fallback` holds the meta fields known on the host (ids, task, seed, screen, persona) for an
    episode that died before writing its meta.
    """
    meta_path = folder / files.META
    if meta_path.exists():
        meta = Meta.model_validate_json(meta_path.read_text(encoding="utf-8"))
    else:
        meta = Meta(
            run_id=fallback["run_id"], episode_id=fallback["episode_id"], task=fallback["task"],
            task_version=0, seed=fallback["seed"], params={}, instruction="",
            performer=Performer(kind="script", id=f"script:{fallback['task']}", persona=fallback["persona"]),
            sandbox=SandboxInfo(backend=fallback["backend"], screen=Screen(w=fallback["w"], h=fallback["h"])),
            clock=Clock(start=datetime.now(UTC).isoformat(timespec="milliseconds")),
            outcome=Outcome(status="incomplete"),
        )
    if not (folder / files.ACTIONS).exists():
        events = [Event.model_validate(r) for r in files.read_jsonl(folder / files.EVENTS)]
        frames = [Frame.model_validate(r) for r in files.read_jsonl(folder / files.FRAMES)]
        actions = attach_observations(reduce_events(events), events, frames, read_probes(folder))
        (folder / files.ACTIONS).write_text("".join(files.dumps(a) + "\n" for a in actions), encoding="utf-8")
    meta = meta.model_copy(update={"outcome": Outcome(status="incomplete", message=message)})
    files.replace_json(meta_path, meta)
    return meta


def read_probes(folder: Path) -> list[TargetProbe]:
    """The action targets an episode found before it ended (targets.jsonl), in order."""
    return [
        TargetProbe(row["t_ms"], row.get("x"), row.get("y"), Target.model_validate(row["target"]))
        for row in files.read_jsonl(folder / files.TARGETS)
    ]


def catalog_row(folder: Path, meta: Meta) -> CatalogRow:
    """The catalog row of a sealed episode."""

    def count(name: str) -> int:
        path = folder / name
        return sum(1 for line in path.open(encoding="utf-8") if line.strip()) if path.exists() else 0

    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return CatalogRow(
        episode_id=meta.episode_id, task=meta.task, seed=meta.seed, performer=meta.performer.kind,
        status=meta.outcome.status, success=meta.outcome.success, message=meta.outcome.message,
        events=count(files.EVENTS), actions=count(files.ACTIONS), frames=count(files.FRAMES), bytes=size,
    )
