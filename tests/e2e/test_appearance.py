"""End to end: episodes recorded at device scale 1.5 and 2 (zoomed, dark, non-English data) succeed, act
on the elements they name, and export normalised coordinates that point at the same screen pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cleantrace.appearance import choice_from_mapping, draw
from cleantrace.export import export_run
from cleantrace.fleet import run
from cleantrace.trace.reader import read_episode
from cleantrace.trace.validate import validate_run
from tests.conftest import runner_scans_without_ocr

pytestmark = pytest.mark.e2e
TASKS = ["crm/create-account", "crm/star-lead-scroll"]  # a dialog, a native select, typing; scrolling a list
LOOK = {"screen": "1920x1080", "device_scale_factor": [1.5, 2], "color_scheme": "dark", "zoom": [1.0, 1.1],
        "locale": ["ja_JP", "de_DE"], "theme": ["airy", "compact", "warm"]}


def seeds_for_each_scale() -> list[int]:
    choice = choice_from_mapping(LOOK, "test")
    found: dict[float, int] = {}
    for seed in range(100):
        found.setdefault(draw(seed, choice).device_scale_factor, seed)
    return [found[1.5], found[2.0]]


@pytest.fixture(scope="module")
def scaled_run(tmp_path_factory):
    seeds = seeds_for_each_scale()
    with runner_scans_without_ocr():  # nothing here is about privacy; OCR of 1920×1080 frames is the slow part
        result = run(TASKS, seeds=seeds, workers=2, out=tmp_path_factory.mktemp("runs"), run_id="scaled",
                     appearance=LOOK)
    return result, seeds


def test_episodes_at_scale_1_5_and_2_succeed_and_act_on_what_they_name(scaled_run):
    result, seeds = scaled_run
    assert [r.status for r in result.rows] == ["success"] * 4, [r.message for r in result.rows]
    assert all(r.ok for r in validate_run(result.run_dir)), [r.problems for r in validate_run(result.run_dir)]
    scales = set()
    for row in result.rows:
        ep = read_episode(result.run_dir / row.episode_id)
        look = ep.meta.appearance
        scales.add(look.device_scale_factor)
        assert look == draw(row.seed, choice_from_mapping(LOOK, "test")) and row.appearance == look
        assert ep.meta.sandbox.screen.device_scale_factor == look.device_scale_factor
        first = np.asarray(Image.open(ep.folder / ep.frames[0].file).convert("L"))
        assert first.shape == (1080, 1920) and first.mean() < 110, "the app honours the dark scheme"
        clicks = [a for a in ep.actions if a.kind == "click"]
        assert clicks
        for action in clicks:  # the element grounded under the press (CDP) contains the pressed screen pixel
            x, y, w, h = action.target.bbox
            assert x <= action.x <= x + w and y <= action.y <= y + h, (look.device_scale_factor, action)
        if row.task == "crm/create-account":
            typed = "".join(a.text or "" for a in ep.actions if a.kind == "type")
            assert ep.meta.params["account"] in typed and not typed.isascii()  # non-ASCII typed through XTest
        else:
            assert any(a.kind == "scroll" for a in ep.actions), "the list does not fit a 960×540 or 1280×720 page"
    assert scales == {1.5, 2.0}


def test_exported_normalised_points_land_on_the_recorded_pixels(scaled_run, tmp_path):
    import datasets

    result, _ = scaled_run
    export_run(result.run_dir, "hf", tmp_path / "hf")
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "hf" / "data" / "*.parquet"), split="train",
                               cache_dir=str(tmp_path / "cache"))
    checked = 0
    for row in ds:
        ep = read_episode(result.run_dir / row["episode_id"])
        action = ep.actions[row["step"]]
        assert row["image"].size == (row["screen_w"], row["screen_h"]) == (1920, 1080)
        assert row["device_scale_factor"] == ep.meta.appearance.device_scale_factor
        assert row["appearance"]["locale"] == ep.meta.appearance.locale
        if action.kind == "click":
            px, py = row["point"][0] * row["image"].size[0], row["point"][1] * row["image"].size[1]
            assert abs(px - action.x) <= 0.2 and abs(py - action.y) <= 0.2
            x, y, w, h = row["target"]["bbox"]
            assert x <= px <= x + w and y <= py <= y + h
            checked += 1
    assert checked >= 6
