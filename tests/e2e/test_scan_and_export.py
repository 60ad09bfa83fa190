"""End to end: a real recorded episode is scanned by the runner and is clean (no false positives), and
exports to a dataset that reads back with its frames and normalised coordinates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleantrace.export import export_run
from cleantrace.privacy import scan_episode
from cleantrace.trace.reader import read_episode

pytestmark = pytest.mark.e2e
CLI = [sys.executable, "-m", "cleantrace.cli"]


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    done = subprocess.run([*CLI, "run", "crm/add-lead-note", "--episodes", "1", "--out", str(out), "--run-id", "r",
                           "--no-view", "--appearance", "default"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "r"


def test_the_runner_scans_every_sealed_episode_and_a_real_one_is_clean(recorded_run):
    row = json.loads((recorded_run / "catalog.jsonl").read_text().splitlines()[0])
    assert row["privacy"] == "clean"
    meta = read_episode(recorded_run / row["episode_id"]).meta
    assert meta.privacy.scan == "clean" and meta.privacy.findings == [] and meta.privacy.notes == []


def test_a_real_episode_read_by_ocr_has_no_findings_and_its_text_was_read(recorded_run):
    folder = recorded_run / "crm--add-lead-note--s0--default"
    scan = scan_episode(folder)
    assert scan.clean, scan.findings
    assert scan.ocr_frames >= 3
    note = read_episode(folder).meta.params["note"]
    planted = scan_episode(folder, ocr=True, canaries=[note.split()[-1].rstrip(".")])  # a word typed on screen
    assert any(f.record.endswith("(ocr)") for f in planted.findings)
    done = subprocess.run([*CLI, "scan", str(recorded_run)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "1/1 clean" in done.stdout


def test_a_real_run_exports_to_a_dataset_with_its_frames(recorded_run, tmp_path):
    import datasets

    result = export_run(recorded_run, "hf", tmp_path / "hf")
    trace = read_episode(recorded_run / "crm--add-lead-note--s0--default")
    assert result.steps == result.written == len(trace.actions)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "hf" / "data" / "*.parquet"), split="train",
                               cache_dir=str(tmp_path / "cache"))
    for row, action in zip(ds, trace.actions, strict=True):
        assert row["image"].size == (1280, 800) and row["success"] is True
        assert row["skills"] == ["typing", "textarea", "form"]
        if action.x is not None:
            assert row["point"] == pytest.approx([action.x / 1280, action.y / 800], abs=1e-4)
