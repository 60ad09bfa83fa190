"""How exported frames look: as recorded, or re-encoded as lossless WebP, or with the pointer drawn
in (screenshots never show it; the trace records where it was for every frame)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from cleantrace.errors import CleantraceError
from cleantrace.export.steps import Step

FORMATS = ("png", "webp")
# An arrow cursor, tip at (0, 0), as most desktops draw it (pixels at scale 1).
ARROW = [(0, 0), (0, 17), (4, 13), (7, 20), (10, 19), (7, 12), (12, 12)]


@dataclass(frozen=True)
class ImageOptions:
    """`frame_format`: None (as recorded), png or webp (both lossless); `cursor`: draw the pointer
    where it was when the frame was taken."""

    frame_format: str | None = None
    cursor: bool = False

    def __post_init__(self) -> None:
        if self.frame_format is not None and self.frame_format not in FORMATS:
            raise CleantraceError(f"unknown frame format {self.frame_format!r}", f"use one of {', '.join(FORMATS)}")


def draw_cursor(image: Image.Image, x: int, y: int, scale: float = 1.0) -> Image.Image:
    """`image` with an arrow cursor (black, white outline) whose tip is at (x, y)."""
    out = image.convert("RGB")
    points = [(x + px * scale, y + py * scale) for px, py in ARROW]
    ImageDraw.Draw(out).polygon(points, fill=(0, 0, 0), outline=(255, 255, 255), width=max(1, round(scale)))
    return out


def convert_frames(steps: Iterator[Step], options: ImageOptions, scratch: Path) -> Iterator[Step]:
    """The steps with their frames re-encoded into `scratch` as asked (each distinct result once)."""
    done: dict[tuple[Path, tuple[int, int] | None], Path] = {}

    def convert(path: Path | None, pointer: tuple[int, int] | None) -> Path | None:
        if path is None:
            return None
        pointer = pointer if options.cursor else None
        fmt = options.frame_format or path.suffix.lstrip(".")
        if path.suffix == f".{fmt}" and pointer is None:
            return path
        key = (path, pointer)
        if key not in done:
            with Image.open(path) as image:
                out = draw_cursor(image, *pointer) if pointer is not None else image.convert("RGB")
                name = hashlib.sha256(f"{path}|{pointer}".encode()).hexdigest()[:24]
                target = scratch / f"{name}.{fmt}"
                if fmt == "webp":
                    out.save(target, "WEBP", lossless=True, method=4)
                else:
                    out.save(target, "PNG", compress_level=1)
            done[key] = target
        return done[key]

    for step in steps:
        yield dataclasses.replace(
            step, frame_before=convert(step.frame_before, step.pointer_before),
            frame_after=convert(step.frame_after, step.pointer_after),
        )
