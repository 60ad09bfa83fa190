"""The privacy scan of an episode: every identifier in its meta, typed text, action targets and
screen text (OCR) must come from the reserved fake ranges, and no host canary may appear.

Typed text is rebuilt from the raw key events (`keystrokes`): text erased afterwards, keys typed
with no field focused and the clipboard's text at each paste are scanned too. So is the text of each
document a desktop episode left in its home folder (`home.jsonl`, see `documents`). A file in the episode
folder that the trace format does not name is a finding of its own (only the recorder writes there).
Typed words that neither the task (its parameters, instruction), the targets acted on nor the
screen explain are flagged for a reviewer (`review`), without blocking.
Findings are stored and shown masked (`Finding.line`): the report and the station's review never
show the identifier itself.

What OCR finds is looked at again, enlarged (`read_closer`): small screen text is often misread
(`example.com` as `examole.cd`), so an identifier counts only if the closer look finds it too.
A canary needs no second look (it is matched exactly, never guessed from noise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from cleantrace.errors import CleantraceError
from cleantrace.privacy.canaries import canary_pattern, host_canaries
from cleantrace.privacy.detect import find_identifiers
from cleantrace.privacy.documents import home_texts
from cleantrace.privacy.explain import unexplained_words, vocabulary
from cleantrace.privacy.keystrokes import typed_spans
from cleantrace.privacy.ocr import OcrCell, read_closer, read_frames, tesseract_missing
from cleantrace.trace import files
from cleantrace.trace.reader import episode_folders, read_episode
from cleantrace.trace.schema import CatalogRow, Meta, Privacy
from cleantrace.trace.seal import folder_bytes

ACTION_FIELDS = ("text", "target.name", "target.text", "target.selector", "target.window")  # window: native titles


class Finding(BaseModel):
    """An identifier outside the reserved ranges: where (`file`, `record`) and what (`kind`, `text`)."""

    episode_id: str
    file: str
    record: str  # e.g. "actions.jsonl:7 text", "meta.json params.lead", "frames/000003.png (ocr)"
    kind: str  # email | phone | card | ip | url | iban | national-id | address | birth-date | canary | file
    text: str

    @property
    def masked(self) -> str:
        """The text as it may be shown anywhere (meta.json, the report, the station's review, logs)."""
        return mask(self.text, strict=self.kind == "canary")

    def line(self) -> str:
        """One line for meta.json, the report and the station's review: the text masked, never whole."""
        return f"{self.record}: {self.kind} {self.masked}"


def mask(text: str, strict: bool = False) -> str:
    """`jo…om (17 chars)`: enough for a reviewer to tell findings apart, not enough to read one
    (`strict`: the first character only, for a host's own names and secrets)."""
    if strict or len(text) < 12:
        return f"{text[:1]}… ({len(text)} chars)"
    return f"{text[:2]}…{text[-2:]} ({len(text)} chars)"


class PrivacyScan(BaseModel):
    """The findings of one episode and how the scan went (OCR frames, time, what was skipped)."""

    episode_id: str = ""
    findings: list[Finding] = Field(default_factory=list)
    review: list[str] = Field(default_factory=list)  # for a reviewer's eye, not blocking
    notes: list[str] = Field(default_factory=list)
    ocr_frames: int = 0
    ocr_seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings


def scan_episode(folder: Path, *, ocr: bool = True, canaries: Sequence[str] = ()) -> PrivacyScan:
    """Find identifiers outside the reserved ranges, and host canaries (plus `canaries`), in an episode."""
    trace = read_episode(folder)
    episode_id = trace.meta.episode_id
    pattern = canary_pattern(host_canaries(extra=canaries))
    scan = PrivacyScan(episode_id=episode_id)

    def look(file: str, record: str, text: str, typed: bool = False) -> None:
        for hit in find_identifiers(text, pattern, typed=typed):
            scan.findings.append(Finding(episode_id=episode_id, file=file, record=record, kind=hit.kind, text=hit.text))

    for extra in files.unexpected_files(folder):
        scan.findings.append(Finding(episode_id=episode_id, file=extra, record=extra, kind="file", text=extra))

    meta_raw = json.loads((folder / files.META).read_text(encoding="utf-8"))
    for path, value in _strings(meta_raw, ()):
        if path and path[0] != "privacy":  # the scan's own findings are not scanned again
            look(files.META, f"{files.META} {'.'.join(path)}", value)
    spans = typed_spans(trace.events)
    for span in spans:
        look(files.EVENTS, span.record, span.text, typed=True)
    for record, text in home_texts(folder):  # documents left in a desktop episode's home: typed by the performer
        look(files.HOME_DOCUMENTS, record, text, typed=True)
    for n, action in enumerate(trace.actions, start=1):
        raw = action.model_dump(exclude_none=True)
        for name in ACTION_FIELDS:
            value = _get(raw, name)
            if isinstance(value, str):
                look(files.ACTIONS, f"{files.ACTIONS}:{n} {name}", value)
        if action.keys:
            look(files.ACTIONS, f"{files.ACTIONS}:{n} keys", " ".join(action.keys))
    known = vocabulary(meta_raw, trace.actions)
    if not ocr:
        scan.notes.append("OCR of frames was turned off")
    elif missing := tesseract_missing():
        scan.notes.append(f"frames were not read: {missing}")
    elif trace.frames:
        try:
            result = read_frames(folder, trace.frames)
        except OSError as exc:
            scan.notes.append(f"frames were not read: {exc}")
            _flag_unexplained(scan, spans, known)
            return scan
        scan.ocr_frames, scan.ocr_seconds = result.frames, round(result.seconds, 3)
        if result.unreadable:
            scan.notes.append(f"{len(result.unreadable)} frame file(s) missing or unreadable: {result.unreadable[0]}…")
        dropped = 0
        for file, cells in result.cells.items():
            for cell in cells:
                for hit in find_identifiers(cell.text, pattern, ocr=True):
                    if hit.kind == "canary" or _seen_closer(folder / file, cell, hit.kind, pattern):
                        scan.findings.append(Finding(episode_id=episode_id, file=file, record=f"{file} (ocr)",
                                                     kind=hit.kind, text=hit.text))
                    else:
                        dropped += 1
        if dropped:
            scan.notes.append(f"{dropped} OCR reading(s) not confirmed by a closer look (3×) were not counted")
        known |= vocabulary({"screen": [c.text for cells in result.cells.values() for c in cells]}, [])
    _flag_unexplained(scan, spans, known)
    return scan


def _flag_unexplained(scan: PrivacyScan, spans: list, known: set[str]) -> None:
    """Typed text the task, its targets and the screen don't explain: shown to a reviewer, masked."""
    for span in spans:
        words = unexplained_words(span.text, known)
        if words:
            shown = ", ".join(mask(w) for w in words[:5]) + (f" and {len(words) - 5} more" if len(words) > 5 else "")
            scan.review.append(f"{span.record}: {len(words)} word(s) not from the task or the screen: {shown}")


def _seen_closer(image_file: Path, cell: OcrCell, kind: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether reading `cell` again, enlarged, still finds an identifier of this kind."""
    try:
        again = read_closer(image_file, cell.box)
    except OSError:
        return True  # no second look possible: the first reading stands
    return any(hit.kind == kind for hit in find_identifiers(again, pattern, ocr=True))


def record_scan(folder: Path, scan: PrivacyScan) -> Meta:
    """Store the scan in meta.json's `privacy` field; returns the new meta."""
    meta_path = folder / files.META
    meta = Meta.model_validate_json(meta_path.read_text(encoding="utf-8"))
    privacy = Privacy(
        scan="clean" if scan.clean else "findings", findings=[f.line() for f in scan.findings], review=scan.review,
        notes=scan.notes,
    )
    meta = meta.model_copy(update={"privacy": privacy})
    files.replace_json(meta_path, meta)
    return meta


def scan_run(run_dir: Path, *, ocr: bool = True, canaries: Sequence[str] = ()) -> list[PrivacyScan]:
    """Scan every episode of a run and record each result in its meta.json."""
    folders = episode_folders(run_dir)
    if not folders:
        raise CleantraceError(f"no episodes in {run_dir}", "give a run folder made by `cleantrace run`, or an episode")
    scans = []
    for folder in folders:
        scan = scan_episode(folder, ocr=ocr, canaries=canaries)
        record_scan(folder, scan)
        scans.append(scan)
    return scans


def scan_sealed(folder: Path, row: CatalogRow) -> CatalogRow:
    """Scan a sealed episode, record it in its meta, and return its catalog row with the verdict.

    Called by the runner before the catalog row is written; a scan that fails leaves the episode
    as recorded (privacy "not_run") rather than losing its row.
    """
    try:
        meta = record_scan(folder, scan_episode(folder))
    except Exception:  # noqa: BLE001 - never lose an episode's catalog row to its scan
        return row
    return row.model_copy(update={"privacy": meta.privacy.scan, "bytes": folder_bytes(folder)})


def _strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, text) of every string and integer inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, (*path, str(n)))
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, str(value)


def _get(raw: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(raw, dict):
            return None
        raw = raw.get(part)
    return raw


