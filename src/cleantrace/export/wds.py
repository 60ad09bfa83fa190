"""WebDataset export: tar shards of samples `<key>.png` (the frame before the action, as recorded;
`.webp` for WebP frames), `<key>.after.png` (the frame after) and `<key>.json` (the hf row without
images), readable by the `webdataset` package."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import webdataset

from cleantrace.export.hf import step_row
from cleantrace.export.layout import step_key
from cleantrace.export.steps import Step

SAMPLES_PER_SHARD = 1000
SHARD_PATTERN = "shard-%06d.tar"


def export_webdataset(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `shard-000000.tar`, …; returns the number of samples."""
    total = 0
    with webdataset.ShardWriter(str(out / SHARD_PATTERN), maxcount=SAMPLES_PER_SHARD, verbose=0) as sink:
        for step in steps:
            row = step_row(step)
            image, after = row.pop("image"), row.pop("image_after")
            sample = {"__key__": step_key(step.episode_id, step.index), "json": row}
            if image is not None:
                sample[step.frame_before.suffix.lstrip(".")] = image["bytes"]
            if after is not None:
                sample["after." + step.frame_after.suffix.lstrip(".")] = after["bytes"]
            sink.write(sample)
            total += 1
            if on_step:
                on_step(step)
    return total
