"""Exports of a run as training data: Hugging Face parquet, WebDataset shards, pyautogui code
trajectories, Mind2Web-style tasks (docs/export.md). Steps stream one episode at a time."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.export.layout import empty_out_dir
from cleantrace.export.steps import ExportPlan, Step, StepFilter, iter_steps, plan_export

# format → (module, function); imported when used: hf and webdataset need the `export` extra
EXPORTERS = {
    "hf": ("cleantrace.export.hf", "export_hf"),
    "webdataset": ("cleantrace.export.wds", "export_webdataset"),
    "pyautogui": ("cleantrace.export.pyautogui_actions", "export_pyautogui"),
    "mind2web": ("cleantrace.export.mind2web", "export_mind2web"),
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


def export_run(
    run_dir: Path, fmt: str, out: Path, selection: StepFilter | None = None, plan: ExportPlan | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> ExportResult:
    """Export the selected episodes of a run in format `fmt` into the new folder `out`."""
    exporter = exporter_for(fmt)
    plan = plan or plan_export(Path(run_dir), selection or StepFilter())
    out = empty_out_dir(Path(out))
    written = exporter(iter_steps(plan), out, on_step)
    return ExportResult(out, fmt, len(plan.episodes), plan.steps, written, plan.notes)


def exporter_for(fmt: str) -> Callable:
    """The export function of `fmt`; a one-line error for an unknown format or a missing extra."""
    if fmt not in EXPORTERS:
        raise CleantraceError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    module, function = EXPORTERS[fmt]
    try:
        return getattr(importlib.import_module(module), function)
    except ImportError as exc:
        raise CleantraceError(
            f"the {fmt} export needs {exc.name or 'the export extra'}, which is not installed",
            'pip install "cleantrace[export]"',
        ) from None


__all__ = ["FORMATS", "ExportPlan", "ExportResult", "Step", "StepFilter", "export_run", "exporter_for", "iter_steps",
           "plan_export"]
