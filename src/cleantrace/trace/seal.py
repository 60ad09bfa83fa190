"""Sealing on the host: an episode whose sandbox died keeps its trace, marked incomplete."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cleantrace.appearance import Appearance
from cleantrace.spec import PlaceholderMeta
from cleantrace.trace import files
from cleantrace.trace.reduce import REDUCTION, TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import (
    Action,
    CatalogRow,
    Clock,
    Consent,
    Event,
    Frame,
    Meta,
    Outcome,
    Performer,
    SandboxInfo,
    Screen,
    Target,
)


def seal_incomplete(folder: Path, message: str, placeholder: PlaceholderMeta) -> Meta:
    """Mark an unfinished episode incomplete, keeping every record; derive actions if missing.

    `placeholder` (`cleantrace.spec.placeholder_meta`) holds what the host knows of the meta, for
    an episode that died before writing its meta.json.
    """
    meta_path = folder / files.META
    if meta_path.exists():
        meta = Meta.model_validate_json(meta_path.read_text(encoding="utf-8"))
    else:
        meta = meta_from_placeholder(placeholder)
    if not (folder / files.ACTIONS).exists():
        try:
            actions = _derive_actions(folder)
        except Exception as exc:  # a log cut anywhere must not take the run down: keep the raw records
            actions = []
            message += f" (its actions could not be derived from the events: {type(exc).__name__}: {exc})"
        (folder / files.ACTIONS).write_text("".join(files.dumps(a) + "\n" for a in actions), encoding="utf-8")
        meta = meta.model_copy(update={"reduction": REDUCTION})
    discard_targets(folder)
    meta = meta.model_copy(update={"outcome": Outcome(status="incomplete", message=message)})
    files.replace_json(meta_path, meta)
    return meta


def _derive_actions(folder: Path) -> list:
    """The actions of a recording cut short, from its events, frames and the targets it found."""
    events = [Event.model_validate(r) for r in files.read_jsonl(folder / files.EVENTS)]
    frames = [Frame.model_validate(r) for r in files.read_jsonl(folder / files.FRAMES)]
    probes = read_probes(folder)
    return attach_observations(reduce_events(events, probes), events, frames, probes)


def discard_targets(folder: Path) -> None:
    """Remove the recording's working targets.jsonl of a sealed episode: actions.jsonl carries its
    targets, and a file the host does not read back (nor scan) must not be published."""
    (folder / files.TARGETS).unlink(missing_ok=True)


def read_probes(folder: Path) -> list[TargetProbe]:
    """The action targets an episode found before it ended (targets.jsonl), in order."""
    return [
        TargetProbe(row["t_ms"], row.get("x"), row.get("y"),
                    Target.model_validate(row["target"]) if "target" in row else None, row.get("error"),
                    row.get("kind", "press"))
        for row in files.read_jsonl(folder / files.TARGETS)
    ]


def meta_from_placeholder(known: PlaceholderMeta) -> Meta:
    """The meta.json of an episode that never wrote one: what the host knew, task version 0, no params."""
    consent = Consent(version=known.consent_version, time=known.consent_time) if known.consent_version else None
    look = known.appearance or Appearance(screen=known.screen)
    return Meta(
        run_id=known.run_id, episode_id=known.episode_id, task=known.task, task_version=0, seed=known.seed,
        params={}, instruction="", consent=consent,
        performer=Performer(kind=known.performer, id=known.performer_id, persona=known.persona),
        sandbox=SandboxInfo(backend=known.backend, screen=Screen(w=known.screen[0], h=known.screen[1],
                                                                 device_scale_factor=look.device_scale_factor),
                            profile=known.profile),
        clock=Clock(start=datetime.now(UTC).isoformat(timespec="milliseconds")),
        outcome=Outcome(status="incomplete"), appearance=look,
    )


def catalog_row(folder: Path, meta: Meta) -> CatalogRow:
    """The catalog row of a sealed episode."""

    def count(name: str) -> int:
        path = folder / name
        return sum(1 for line in path.open(encoding="utf-8") if line.strip()) if path.exists() else 0

    actions = [Action.model_validate(r) for r in files.read_jsonl(folder / files.ACTIONS)]
    return CatalogRow(
        episode_id=meta.episode_id, task=meta.task, seed=meta.seed, performer=meta.performer.kind,
        status=meta.outcome.status, success=meta.outcome.success, message=meta.outcome.message,
        events=count(files.EVENTS), actions=count(files.ACTIONS), frames=count(files.FRAMES),
        bytes=folder_bytes(folder), missing_targets=sum(1 for a in actions if a.target_error),
        appearance=meta.appearance,
    )


def folder_bytes(folder: Path) -> int:
    """The size of every file of an episode folder; count it after the last write to meta.json."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
