"""Hugging Face `datasets` export: parquet shards, one row per step, with the dataset's features
in the parquet metadata, so `load_dataset("parquet", data_files=…)` decodes the image column.

Rows are written in row groups as they come (streaming): memory holds one row group, not the run.
Images are the recorded PNG bytes of the frame before the action (lossless, not re-encoded).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from cleantrace.export.pyautogui_actions import action_code, normalised
from cleantrace.export.steps import Step

ROWS_PER_GROUP = 64
ROWS_PER_SHARD = 2000
_string = datasets.Value("string")
FEATURES = datasets.Features({
    "image": datasets.Image(),
    "instruction": _string,
    "action": _string,  # the reduced action record as JSON (schema v1, absolute screen pixels)
    "action_kind": _string,
    "point": datasets.Sequence(datasets.Value("float64")),  # normalised (x, y) to 4 decimals, or []
    "code": _string,  # the action as pyautogui code, normalised coordinates
    "target": {
        "role": _string, "name": _string, "tag": _string, "text": _string, "selector": _string,
        "bbox": datasets.Sequence(datasets.Value("float32")),  # [x, y, w, h] screen pixels, [] when unknown
    },
    "episode_id": _string,
    "step": datasets.Value("int32"),
    "task": _string,
    "skills": datasets.Sequence(_string),
    "performer": _string,
    "success": datasets.Value("bool"),
    "screen_w": datasets.Value("int32"),
    "screen_h": datasets.Value("int32"),
})


def step_row(step: Step) -> dict:
    """One dataset row of a step."""
    a = step.action
    target = a.target
    image = None
    if step.frame_before is not None:
        image = {"bytes": step.frame_before.read_bytes(), "path": step.frame_before.name}
    return {
        "image": image,
        "instruction": step.instruction,
        "action": a.model_dump_json(exclude_none=True, exclude={"target"}),
        "action_kind": a.kind,
        "point": list(normalised(a.x, a.y, step.screen)) if a.x is not None and a.y is not None else [],
        "code": action_code(a, step.screen),
        "target": {
            "role": target.role if target else "", "name": target.name if target else "",
            "tag": target.tag if target else "", "text": target.text if target else "",
            "selector": target.selector if target else "",
            "bbox": list(target.bbox) if target and target.bbox else [],
        },
        "episode_id": step.episode_id, "step": step.index, "task": step.task, "skills": list(step.skills),
        "performer": step.performer, "success": step.success, "screen_w": step.screen.w, "screen_h": step.screen.h,
    }


def export_hf(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `data/train-NNNNN.parquet` and `dataset_info.json`; returns the number of rows."""
    schema = FEATURES.arrow_schema
    (out / "data").mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    rows: list[dict] = []
    total = shard = 0

    def flush() -> None:
        if rows and writer is not None:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            rows.clear()

    for step in steps:
        if writer is None or (total and total % ROWS_PER_SHARD == 0):
            flush()
            if writer is not None:
                writer.close()
            writer = pq.ParquetWriter(out / "data" / f"train-{shard:05d}.parquet", schema)
            shard += 1
        rows.append(FEATURES.encode_example(step_row(step)))
        total += 1
        if len(rows) >= ROWS_PER_GROUP:
            flush()
        if on_step:
            on_step(step)
    flush()
    if writer is not None:
        writer.close()
    (out / "dataset_info.json").write_text(json.dumps({"features": FEATURES.to_dict(), "num_rows": total}, indent=2))
    return total
