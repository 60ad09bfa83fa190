"""File names of an episode folder and crash-safe append/replace helpers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

META = "meta.json"
EVENTS = "events.jsonl"
ACTIONS = "actions.jsonl"
FRAMES = "frames.jsonl"
TARGETS = "targets.jsonl"  # each action's target as found, while recording: gone once actions.jsonl has them
FRAMES_DIR = "frames"
LABELS = "labels.jsonl"
LABELS_DIR = "labels"
CATALOG = "catalog.jsonl"
HOME_DOCUMENTS = "home.jsonl"  # desktop episodes: the text of each document left in the home (privacy scan)
TRACE_FILES = frozenset({META, EVENTS, ACTIONS, FRAMES, LABELS, TARGETS, HOME_DOCUMENTS})
FRAME_FILE_RE = re.compile(r"\d{6}\.(?:png|webp)")
LABELS_FILE_RE = re.compile(r"[0-9a-f]{20}\.json\.gz")  # labels/<content hash>.json.gz
LEFTOVER_SUFFIX = ".tmp"  # an atomic replace killed mid-way leaves `<name>.tmp` next to a whole file


def unexpected_files(folder: Path) -> list[str]:
    """Paths (relative to the episode folder) that are no part of a trace.

    Only the recorder writes an episode folder; anything else in it (a PDF the browser printed, a
    download, a file a volunteer managed to save) may hold host or personal data.
    """
    extra: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        name = str(rel).removesuffix(LEFTOVER_SUFFIX)
        if path.is_dir() and str(rel) in (FRAMES_DIR, LABELS_DIR):
            continue
        if len(rel.parts) == 1 and name in TRACE_FILES and path.is_file():
            continue
        if len(rel.parts) == 2 and rel.parts[0] == FRAMES_DIR and FRAME_FILE_RE.fullmatch(rel.parts[1]) \
                and path.is_file():
            continue
        if len(rel.parts) == 2 and rel.parts[0] == LABELS_DIR and LABELS_FILE_RE.fullmatch(
                rel.parts[1].removesuffix(LEFTOVER_SUFFIX)) and path.is_file():
            continue
        extra.append(str(rel))
    return extra


def dumps(record: BaseModel | dict[str, Any]) -> str:
    """One compact JSON line (None fields left out of models)."""
    if isinstance(record, BaseModel):
        return record.model_dump_json(exclude_none=True)
    return json.dumps(record, separators=(",", ":"))


class JsonlAppender:
    """Appends JSON lines and flushes them so a crash leaves every complete line readable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose

    def append(self, records: list[BaseModel] | list[dict[str, Any]]) -> None:
        if records:
            self._file.write("".join(dumps(r) + "\n" for r in records))
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def replace_json(path: Path, data: BaseModel | dict[str, Any]) -> None:
    """Write a whole JSON file atomically (temp file + fsync + rename)."""
    text = data.model_dump_json(indent=2) if isinstance(data, BaseModel) else json.dumps(data, indent=2)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # the old file stays whole
        raise


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a JSONL file; a torn last line (crash mid-write) is ignored."""
    if not path.exists():
        return []
    rows = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if n == len(lines) - 1:  # the last line, without its newline: a crash cut it
                break
            raise
    return rows
