"""Exports of a run as training data: Hugging Face parquet, WebDataset shards, pyautogui code
trajectories, Mind2Web-style tasks, AgentNet-style tasks, grounding pairs (docs/export.md). Steps
stream one episode at a time."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.export.images import ImageOptions, convert_frames
from cleantrace.export.layout import empty_out_dir
from cleantrace.export.steps import ExportPlan, Step, StepFilter, iter_steps, plan_export

# format → (module, function); imported when used: hf, webdataset and grounding need the `export` extra
EXPORTERS = {
    "hf": ("cleantrace.export.hf", "export_hf"),
    "webdataset": ("cleantrace.export.wds", "export_webdataset"),
    "pyautogui": ("cleantrace.export.pyautogui_actions", "export_pyautogui"),
    "mind2web": ("cleantrace.export.mind2web", "export_mind2web"),
    "agentnet": ("cleantrace.export.agentnet", "export_agentnet"),
    "grounding": ("cleantrace.export.grounding", "export_grounding"),
}
FORMATS = tuple(EXPORTERS)


@dataclass
class ExportResult:
    out: Path
    format: str
    episodes: int
    steps: int
    written: int  # rows, samples, trajectories or tasks
    notes: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # episodes left out as invalid, with the reason


def export_run(
    run_dir: Path, fmt: str, out: Path, selection: StepFilter | None = None, plan: ExportPlan | None = None,
    on_step: Callable[[Step], None] | None = None, images: ImageOptions | None = None,
) -> ExportResult:
    """Export the selected episodes of a run in format `fmt` into the new folder `out`; `images`
    re-encodes the frames (lossless WebP) or draws the pointer into them."""
    if fmt not in EXPORTERS:
        raise CleantraceError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    exporter = _exporter(fmt)
    plan = plan or plan_export(Path(run_dir), selection or StepFilter())
    out = empty_out_dir(Path(out))
    images = images or ImageOptions()
    with tempfile.TemporaryDirectory(prefix="cleantrace-frames-") as scratch:
        steps = iter_steps(plan)
        if images != ImageOptions():
            steps = convert_frames(steps, images, Path(scratch))
        written = exporter(steps, out, on_step)
    return ExportResult(out, fmt, len(plan.episodes), plan.steps, written, plan.notes, plan.invalid)


def _exporter(fmt: str) -> Callable:
    module, function = EXPORTERS[fmt]
    try:
        return getattr(importlib.import_module(module), function)
    except ImportError as exc:
        raise CleantraceError(
            f"the {fmt} export needs {exc.name}, which is not installed", 'pip install "cleantrace[export]"'
        ) from None


__all__ = ["FORMATS", "ExportPlan", "ExportResult", "ImageOptions", "Step", "StepFilter", "export_run", "iter_steps",
           "plan_export"]
