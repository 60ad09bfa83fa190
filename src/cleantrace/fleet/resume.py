"""Resume bookkeeping: which episodes of a run are done, which were interrupted; the catalog.

An episode is *done* when its folder holds a sealed meta.json whose outcome is success, failure,
or incomplete for a reason of its own (a missing element, a timeout, a crash). It is
*interrupted* when its folder has no meta.json, a meta.json still `running` (the runner died), or
an incomplete outcome whose message starts with "interrupted" (Ctrl-C, a run stopped by an error).
Done episodes keep their folder and their one catalog row; interrupted ones are moved, whole, to
`interrupted/<episode_id>.<n>` and run again under the same id. Nothing recorded is deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.fleet.output import RunOutput
from cleantrace.spec import EpisodeSpec, placeholder_meta
from cleantrace.trace import files
from cleantrace.trace.schema import CatalogRow, Meta
from cleantrace.trace.seal import seal_incomplete

INTERRUPTED = "interrupted"
LEFTOVER = f"{INTERRUPTED}: left behind by an earlier attempt (its worker stopped)"
RUNNER_DIED = f"{INTERRUPTED}: the runner stopped before the episode ended"


@dataclass
class Bookkeeping:
    """The state of a run's episodes at the output."""

    done: dict[str, CatalogRow] = field(default_factory=dict)
    interrupted: list[str] = field(default_factory=list)


def is_interrupted(row: CatalogRow) -> bool:
    """An episode that did not end on its own: it is run again on --resume."""
    return row.status == "running" or (row.status == "incomplete" and row.message.startswith(INTERRUPTED))


def bookkeeping(
    catalog: list[dict], folders: set[str], row_of: Callable[[str], CatalogRow | None]
) -> Bookkeeping:
    """Done and interrupted episodes, from the catalog's rows and the episode folders present.

    A folder's row comes from the catalog (its last row for that id), else from its meta.json
    (`row_of`, None when there is none). Catalog rows without a folder are dropped (run again).
    """
    rows: dict[str, CatalogRow] = {}
    for raw in catalog:
        row = CatalogRow.model_validate(raw)
        rows[row.episode_id] = row
    book = Bookkeeping()
    for episode_id in sorted(folders):
        row = rows.get(episode_id) or row_of(episode_id)
        if row is None or is_interrupted(row):
            book.interrupted.append(episode_id)
        else:
            book.done[episode_id] = row
    order = list(rows)
    book.done = dict(sorted(book.done.items(), key=lambda kv: order.index(kv[0]) if kv[0] in rows else len(order)))
    return book


def reconcile(output: RunOutput) -> Bookkeeping:
    """`bookkeeping` of a run at its output (the catalog as fetched into the local folder)."""
    return bookkeeping(files.read_jsonl(output.local_dir / files.CATALOG), output.episode_folders(), output.row_of)


class CatalogWriter:
    """The run's catalog.jsonl, written by one writer: whole lines, flushed and synced one at a time."""

    def __init__(self, path: Path, rows: list[CatalogRow] | None = None) -> None:
        self.path = path
        self.rows: list[CatalogRow] = []
        if rows is not None:  # start from these rows (the done episodes on --resume), atomically
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text("".join(files.dumps(r) + "\n" for r in rows), encoding="utf-8")
            os.replace(tmp, path)
            self.rows = list(rows)

    def append(self, row: CatalogRow) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(files.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.rows.append(row)


def set_aside_leftover(output: RunOutput, spec: EpisodeSpec) -> str | None:
    """Seal (as interrupted) and set aside a folder an earlier attempt left for this episode on this machine."""
    folder = output.local_dir / spec.episode_id
    if not folder.exists():
        return None
    seal_unfinished(folder, spec, LEFTOVER)
    return output.set_aside_staged(spec.episode_id)


def seal_unfinished(folder: Path, spec: EpisodeSpec, reason: str) -> None:
    """Seal an episode folder as incomplete with `reason` unless its meta.json is already sealed."""
    meta_path = folder / files.META
    try:
        meta = Meta.model_validate_json(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else None
    except ValueError:
        meta = None
    if meta is not None and meta.outcome.status != "running":
        return
    seal_incomplete(folder, reason, placeholder_meta(spec))
