"""Documents left in a desktop episode's home folder, for the privacy scan.

The home folder lives inside the sandbox and goes with it, so at the end of a desktop episode (after
the check) `record_home_documents` reads the text of every document in it with the same libraries the
checks use (`cleantrace.world.documents`) and writes one line per file into the trace's `home.jsonl`
(path relative to the home, size, sha256, text or why it could not be read). The scan reads those
lines back (`home_texts`) and scans each text as typed text: a document is what a performer typed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from cleantrace.trace import files

SUFFIXES = (".xlsx", ".ods", ".docx", ".odt", ".csv", ".txt", ".md", ".pdf")
HIDDEN_KEPT = (".local/share/Trash/files",)  # hidden folders whose documents still count (the trash)
MAX_TEXT = 200_000  # characters kept per document
MAX_FILES = 200


def home_documents(home: Path) -> list[dict]:
    """One record per document under `home` (hidden folders skipped, but the trash kept)."""
    from cleantrace.tasks.spec import CheckFailed
    from cleantrace.world.documents import document_text

    records: list[dict] = []
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        hidden = any(part.startswith(".") for part in rel.parts)
        if hidden and not any(str(rel).startswith(kept + "/") for kept in HIDDEN_KEPT):
            continue
        if not path.is_file() or path.is_symlink() or path.suffix.lower() not in SUFFIXES:
            continue
        data = path.read_bytes()
        record = {"path": str(rel), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        try:
            record["text"] = (document_text(path) or "")[:MAX_TEXT]
        except CheckFailed as exc:
            record["error"] = exc.reason
        except Exception as exc:  # noqa: BLE001 - any parser failure is one line, never the episode's end
            record["error"] = f"{type(exc).__name__}: {exc}"[:300]
        records.append(record)
        if len(records) >= MAX_FILES:
            break
    return records


def record_home_documents(home: Path, out: Path) -> int:
    """Write `home.jsonl` into the episode folder `out`; the number of documents."""
    records = home_documents(home)
    if records:
        with open(out / files.HOME_DOCUMENTS, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return len(records)


def home_texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(record, text) of every readable document in an episode's `home.jsonl`; a document that could
    not be read gives its reason as the record's note (text "")."""
    path = folder / files.HOME_DOCUMENTS
    if not path.is_file():
        return
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            yield f"{files.HOME_DOCUMENTS}:{n} (unreadable line)", ""
            continue
        yield f"{files.HOME_DOCUMENTS}:{n} ~/{row.get('path', '?')}", str(row.get("text") or "")
