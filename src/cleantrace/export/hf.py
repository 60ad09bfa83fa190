"""Hugging Face `datasets` export: parquet shards, one row per step, with the dataset's features
in the parquet metadata, so `load_dataset("parquet", data_files=…)` decodes the image column.

Rows are written in row groups as they come (streaming): memory holds one row group, not the run.
Images are the recorded bytes of the frame before (`image`) and after (`image_after`) the action
(lossless, not re-encoded).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from cleantrace.appearance import Appearance
from cleantrace.export.pyautogui_actions import action_code, action_code_abs, normalised
from cleantrace.export.steps import Step

ROWS_PER_GROUP = 64
ROWS_PER_SHARD = 2000
_string = datasets.Value("string")
_floats = datasets.Sequence(datasets.Value("float32"))
_element = {
    "role": _string, "name": _string, "tag": _string, "text": _string, "selector": _string,
    "bbox": _floats,  # [x, y, w, h] screen pixels, [] when unknown
}
FEATURES = datasets.Features({
    "image": datasets.Image(),
    "image_after": datasets.Image(),  # the screen once the action took effect
    "instruction": _string,
    "step_instruction": _string,  # this step in plain language ("Click the Save button")
    "why": _string,  # the reason the task gave for the step, "" when none
    "previous_steps": datasets.Sequence(_string),  # the step_instruction of every earlier step
    "action": _string,  # the reduced action record as JSON (absolute screen pixels)
    "action_kind": _string,
    "terminate": datasets.Value("bool"),  # the closing `done` step of a successful episode
    "point": _floats,  # normalised (x, y) of a pointer action, else []
    "drag_end": _floats,  # normalised (x2, y2) where a drag was released, else []
    "modifiers": datasets.Sequence(_string),  # keys held during a click or drag (["shift"])
    "code": _string,  # the action as pyautogui code, normalised coordinates
    "code_abs": _string,  # the same with absolute screen pixels
    "target": _element,
    "target_error": _string,  # why a pointer or typing step has no target, "" otherwise
    "drop_target": _element,  # a drag's drop element
    "episode_id": _string,
    "step": datasets.Value("int32"),
    "task": _string,
    "skills": datasets.Sequence(_string),
    "performer": _string,
    "success": datasets.Value("bool"),
    "screen_w": datasets.Value("int32"),
    "screen_h": datasets.Value("int32"),
    "device_scale_factor": datasets.Value("float32"),  # screen pixels per CSS pixel at 100 % zoom
    "appearance": {  # the episode's look (docs/appearance.md)
        "color_scheme": _string, "theme": _string, "zoom": datasets.Value("float32"), "font": _string,
        "locale": _string,
    },
})


def element_row(target) -> dict:
    """A target as a row's struct (empty strings and [] when there is none)."""
    return {
        "role": target.role if target else "", "name": target.name if target else "",
        "tag": target.tag if target else "", "text": target.text if target else "",
        "selector": target.selector if target else "",
        "bbox": list(target.bbox) if target and target.bbox else [],
    }


def image_of(path) -> dict | None:
    return {"bytes": path.read_bytes(), "path": path.name} if path is not None else None


def step_row(step: Step) -> dict:
    """One dataset row of a step."""
    a = step.action
    modified = a.kind in ("click", "double_click", "right_click", "drag")
    return {
        "image": image_of(step.frame_before),
        "image_after": image_of(step.frame_after),
        "instruction": step.instruction,
        "step_instruction": step.description,
        "why": a.why or "",
        "previous_steps": list(step.previous),
        "action": a.model_dump_json(exclude_none=True, exclude={"target", "drop_target"}),
        "action_kind": a.kind,
        "terminate": a.kind == "done",
        "point": list(normalised(a.x, a.y, step.screen)) if a.x is not None and a.y is not None else [],
        "drag_end": list(normalised(a.x2, a.y2, step.screen)) if a.x2 is not None and a.y2 is not None else [],
        "modifiers": list(a.keys or []) if modified else [],
        "code": action_code(a, step.screen),
        "code_abs": action_code_abs(a, step.screen),
        "target": element_row(a.target),
        "target_error": a.target_error or "",
        "drop_target": element_row(a.drop_target),
        "episode_id": step.episode_id, "step": step.index, "task": step.task, "skills": list(step.skills),
        "performer": step.performer, "success": step.success, "screen_w": step.screen.w, "screen_h": step.screen.h,
        "device_scale_factor": step.screen.device_scale_factor, "appearance": appearance_labels(step.appearance),
    }


def appearance_labels(look: Appearance) -> dict:
    """The look of a step beyond its screen size and scale (which have their own fields)."""
    return look.model_dump(include={"color_scheme", "theme", "zoom", "font", "locale"})


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
