"""Grounding export (OS-Atlas / ShowUI style): (screenshot, element description → box) pairs from
every labelled frame a step was decided on.

One row per distinct screenshot (frames with the same pixels, in any episode, are exported once),
with the visible interactive elements of that screen: a description made from the element's role
and name ("the Save button"), its box normalised to [0, 1] as [x1, y1, x2, y2] and in screen pixels
as [x, y, w, h]. Elements without a name, and descriptions that name more than one box on the same
screen (which box would be meant?), are left out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from cleantrace.export.hf import image_of
from cleantrace.export.steps import Step
from cleantrace.trace.describe import element_phrase
from cleantrace.trace.schema import Element, Screen

ROWS_PER_GROUP = 32
_string = datasets.Value("string")
FEATURES = datasets.Features({
    "image": datasets.Image(),
    "image_id": _string,  # sha256 of the screenshot's pixels
    "width": datasets.Value("int32"),
    "height": datasets.Value("int32"),
    "elements": [{
        "instruction": _string,  # "the Save button"
        "role": _string,
        "name": _string,
        "bbox": datasets.Sequence(datasets.Value("float32")),  # [x1, y1, x2, y2] normalised to [0, 1]
        "bbox_px": datasets.Sequence(datasets.Value("float32")),  # [x, y, w, h] screen pixels
    }],
    "episode_id": _string,
    "task": _string,
    "url": _string,
})


def grounding_pairs(elements: list[Element], screen: Screen) -> list[dict]:
    """The unambiguous (description → box) pairs of a screen's elements, clipped to the screen."""
    named = [(element_phrase(e.role, e.name), e) for e in elements if e.name.strip()]
    counts = Counter(d for d, _ in named)
    pairs = []
    for description, e in named:
        if counts[description] > 1:
            continue
        x, y, w, h = e.bbox
        x1, y1 = max(x, 0.0), max(y, 0.0)
        x2, y2 = min(x + w, screen.w), min(y + h, screen.h)
        if x2 <= x1 or y2 <= y1:
            continue
        pairs.append({
            "instruction": description, "role": e.role, "name": e.name,
            "bbox": [round(x1 / screen.w, 4), round(y1 / screen.h, 4), round(x2 / screen.w, 4),
                     round(y2 / screen.h, 4)],
            "bbox_px": [x1, y1, x2 - x1, y2 - y1],
        })
    return pairs


def export_grounding(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `data/train-00000.parquet` and `dataset_info.json`; returns the number of screenshots."""
    schema = FEATURES.arrow_schema
    (out / "data").mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    rows: list[dict] = []
    total = 0
    with pq.ParquetWriter(out / "data" / "train-00000.parquet", schema) as writer:
        for step in steps:
            if on_step:
                on_step(step)
            labels = step.screen_labels()
            if labels is None or step.frame_before is None or step.frame_sha256 in seen:
                continue
            seen.add(step.frame_sha256)
            pairs = grounding_pairs(labels.elements, step.screen)
            if not pairs:
                continue
            rows.append(FEATURES.encode_example({
                "image": image_of(step.frame_before), "image_id": step.frame_sha256, "width": step.screen.w,
                "height": step.screen.h, "elements": pairs, "episode_id": step.episode_id, "task": step.task,
                "url": labels.url,
            }))
            total += 1
            if len(rows) >= ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows.clear()
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    (out / "dataset_info.json").write_text(json.dumps({"features": FEATURES.to_dict(), "num_rows": total}, indent=2))
    return total
