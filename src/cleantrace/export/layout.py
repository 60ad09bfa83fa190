"""Output folders of exports: created empty, frames linked into them rather than copied."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cleantrace.errors import CleantraceError


def empty_out_dir(out: Path) -> Path:
    """Create `out` (it must not exist or be empty, so no earlier export is mixed in)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CleantraceError(f"output folder {out} is not empty", "choose a new --out folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CleantraceError(f"cannot create {out} ({exc.strerror or exc})", "choose another --out") from None
    return out


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link a frame into the export (same disk), else copy it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def step_key(episode_id: str, index: int) -> str:
    """A file-name-safe key of one step (no dots: WebDataset splits names at the first dot)."""
    return f"{episode_id.replace('.', '_').replace('/', '_')}--{index:04d}"


def copy_frame_image(frame: Path | None, episode_id: str, index: int, out: Path) -> str | None:
    """Put a step's frame under `out/images/` (linked when it can be); its path relative to `out`, or None."""
    if frame is None:
        return None
    image = f"images/{step_key(episode_id, index)}{frame.suffix}"
    link_or_copy(frame, out / image)
    return image
