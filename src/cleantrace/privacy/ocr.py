"""Text on screen, read from an episode's frames with Tesseract OCR (Debian: tesseract-ocr).

Only what is new is read: a frame is compared with the one before it and only the bands of rows
that changed (padded, full width so lines stay whole) are kept; a frame seen before is skipped.
So each piece of screen content is read once, in the first frame that shows it. The bands of an
episode are stacked (greyscale, white gaps) into a few tall images, one tesseract call each, and
every line read is mapped back to the frame it came from.

A line is split into cells where its words stand further apart than they are high: the
columns of a table, a sheet or a calendar are read as separate texts, so numbers in neighbouring
cells never join into one "phone" or "card". `read_closer` reads one cell again at three times
the size, for a second look at what the first read found.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import statistics
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cleantrace.trace.schema import Frame

TESSERACT = "tesseract"
PAD_PX = 12  # rows kept above and below a change, so a changed glyph's line is whole
WHOLE_FRAME_SHARE = 0.6  # above this share of changed rows the whole frame is read
GAP_PX = 24  # white rows between stacked bands
MAX_CANVAS_PX = 4000  # height of one stacked image
TIMEOUT_S = 300
CELL_GAP_LINE_HEIGHTS = 1.0  # a gap between words wider than their usual height separates two cells
CLOSER_SCALE = 3  # how much a second look enlarges a cell
CLOSER_PAD_PX = 6


@dataclass(frozen=True)
class OcrCell:
    """Text read in one cell of a line, and where it is on its frame: (left, top, width, height)."""

    text: str
    box: tuple[int, int, int, int]


@dataclass
class OcrResult:
    """Cells read per frame file; how many distinct frames and bands were read, in how long."""

    cells: dict[str, list[OcrCell]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # frame files that are missing or not images
    frames: int = 0
    bands: int = 0
    seconds: float = 0.0


@dataclass
class _Band:
    file: str
    y0: int  # where the band starts on its frame
    pixels: np.ndarray
    top: int = 0  # where the band starts in its stacked image


def tesseract_missing() -> str | None:
    """Why OCR cannot run here, or None when it can."""
    if shutil.which(TESSERACT) is None:
        return "tesseract is not installed (apt-get install tesseract-ocr)"
    return None


def changed_bands(before: np.ndarray | None, after: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges [y0, y1) of `after` that differ from `before` (all of it when there is no before)."""
    height = after.shape[0]
    if before is None or before.shape != after.shape:
        return [(0, height)]
    rows = np.flatnonzero((before != after).any(axis=1))
    if rows.size == 0:
        return []
    bands: list[list[int]] = []
    for y in rows:
        if bands and y - bands[-1][1] <= 2 * PAD_PX:
            bands[-1][1] = int(y) + 1
        else:
            bands.append([int(y), int(y) + 1])
    padded = [(max(0, y0 - PAD_PX), min(height, y1 + PAD_PX)) for y0, y1 in bands]
    if sum(y1 - y0 for y0, y1 in padded) > WHOLE_FRAME_SHARE * height:
        return [(0, height)]
    return padded


def read_frames(folder: Path, frames: list[Frame]) -> OcrResult:
    """OCR the new content of each distinct frame; raises OSError when tesseract fails."""
    start = time.perf_counter()
    result = OcrResult()
    bands: list[_Band] = []
    seen: set[str] = set()
    before: np.ndarray | None = None
    for frame in frames:
        try:
            with Image.open(folder / frame.file) as image:
                pixels = np.asarray(image.convert("L"))
        except (OSError, ValueError):
            result.unreadable.append(frame.file)
            continue
        if frame.sha256 not in seen:
            seen.add(frame.sha256)
            result.frames += 1
            bands += [_Band(frame.file, y0, pixels[y0:y1].copy())  # a copy: a view would keep the whole frame
                      for y0, y1 in changed_bands(before, pixels)]
        before = pixels
    result.bands = len(bands)
    cells: dict[str, list[OcrCell]] = defaultdict(list)
    for canvas, placed in _stack(bands):
        for text, (left, top, width, height) in _tesseract_cells(canvas):
            owner = next((b for b in reversed(placed) if b.top <= top), placed[0])
            cells[owner.file].append(OcrCell(text, (left, top - owner.top + owner.y0, width, height)))
    result.cells = dict(cells)
    result.seconds = time.perf_counter() - start
    return result


def _stack(bands: list[_Band]) -> list[tuple[np.ndarray, list[_Band]]]:
    """Greyscale bands stacked into images of at most MAX_CANVAS_PX rows (a taller band alone)."""
    groups: list[list[_Band]] = []
    height = 0
    for band in bands:
        rows = band.pixels.shape[0] + GAP_PX
        if not groups or height + rows > MAX_CANVAS_PX:
            groups.append([])
            height = 0
        band.top = height
        groups[-1].append(band)
        height += rows
    out = []
    for group in groups:
        width = max(b.pixels.shape[1] for b in group)
        canvas = np.full((sum(b.pixels.shape[0] + GAP_PX for b in group), width), 255, np.uint8)
        for b in group:
            canvas[b.top: b.top + b.pixels.shape[0], : b.pixels.shape[1]] = b.pixels
        out.append((canvas, group))
    return out


def read_closer(image_file: Path, box: tuple[int, int, int, int]) -> str:
    """Read one cell of a frame again, enlarged: small screen text is read much better at 3×."""
    left, top, width, height = box
    with Image.open(image_file) as image:
        grey = image.convert("L")
        pad = CLOSER_PAD_PX
        crop = grey.crop((max(0, left - pad), max(0, top - pad),
                          min(grey.width, left + width + pad), min(grey.height, top + height + pad)))
    crop = crop.resize((crop.width * CLOSER_SCALE, crop.height * CLOSER_SCALE), Image.Resampling.LANCZOS)
    return " ".join(text for text, _ in _tesseract_cells(np.asarray(crop), psm="7"))


def _tesseract_cells(canvas: np.ndarray, psm: str = "3") -> list[tuple[str, tuple[int, int, int, int]]]:
    """(text, box) of every cell of every line tesseract reads in a greyscale image."""
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="PPM")  # uncompressed: nothing to encode or decode
    try:
        done = subprocess.run(
            [TESSERACT, "stdin", "stdout", "--psm", psm, "tsv"], input=buffer.getvalue(), capture_output=True,
            timeout=TIMEOUT_S, env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=False,
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"tesseract took more than {TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise OSError(f"tesseract failed: {done.stderr.decode(errors='replace').strip()[-200:]}")
    lines: dict[tuple[str, str, str], list[tuple[int, int, int, int, str]]] = defaultdict(list)
    reader = csv.DictReader(io.StringIO(done.stdout.decode(errors="replace")), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") == "5" and text:
            box = (int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]))
            lines[(row["block_num"], row["par_num"], row["line_num"])].append((*box, text))
    return [cell for words in lines.values() for cell in _cells(sorted(words))]


def _cells(words: list[tuple[int, int, int, int, str]]) -> list[tuple[str, tuple[int, int, int, int]]]:
    """A line's words (left, top, width, height, text), left to right, grouped into cells at wide gaps."""
    line_height = statistics.median(h for _, _, _, h, _ in words)  # a highlighted word's box can be much taller
    groups: list[list[tuple[int, int, int, int, str]]] = [[words[0]]]
    for word in words[1:]:
        last = groups[-1][-1]
        if word[0] - (last[0] + last[2]) > CELL_GAP_LINE_HEIGHTS * line_height:
            groups.append([])
        groups[-1].append(word)
    cells = []
    for group in groups:
        left, top = min(w[0] for w in group), min(w[1] for w in group)
        right, bottom = max(w[0] + w[2] for w in group), max(w[1] + w[3] for w in group)
        cells.append((" ".join(w[4] for w in group), (left, top, right - left, bottom - top)))
    return cells
