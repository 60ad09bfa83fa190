"""bench/data_quality.py over several run folders, a kiosk and a desktop one, on synthetic episodes."""

import json
import subprocess
import sys
from pathlib import Path

from cleantrace.trace import files
from cleantrace.trace.schema import Meta, Target
from tests.synthetic import write_episode

BENCH = Path(__file__).parents[1] / "bench" / "data_quality.py"
# a LibreOffice tool bar button as AT-SPI gives it (press at its centre; labels from AT-SPI)
SORT = Target(role="push button", name="Sort Descending", bbox=(775.0, 50.0, 33.0, 35.0), source="atspi",
              app="soffice", window="purchases-9.xlsx - LibreOffice Calc")


def as_desktop(folder: Path, decisions: int) -> None:
    meta = Meta.model_validate_json((folder / files.META).read_text())
    files.replace_json(folder / files.META, meta.model_copy(update={
        "sandbox": meta.sandbox.model_copy(update={"profile": "desktop"}), "decisions": decisions}))


def test_kiosk_and_desktop_runs_are_measured_together_and_apart(tmp_path):
    kiosk = write_episode(tmp_path / "kiosk" / "crm--a--s1--default", labels=True, done=True)
    desk = write_episode(tmp_path / "desk" / "desktop--b--s1--default", target=SORT, size=(900, 300),
                         screens=(("Calc",), ("Sorted",), ("Saved",)), labels=True, done=True)
    as_desktop(desk, decisions=2)
    out = tmp_path / "dq.json"
    subprocess.run([sys.executable, str(BENCH), str(tmp_path / "kiosk"), str(tmp_path / "desk"), "--results",
                    str(out), "--note", "synthetic"], check=True, capture_output=True, cwd=BENCH.parents[1])
    result = json.loads(out.read_text())
    assert result["runs"] == [str(tmp_path / "kiosk"), str(tmp_path / "desk")] and result["note"] == "synthetic"
    assert {r["episode_id"]: r["profile"] for r in result["episodes"]} == {kiosk.name: "kiosk", desk.name: "desktop"}
    both, apart = result["summary"], result["by_profile"]
    assert (both["episodes"], both["pointer_actions"]) == (2, 3)
    assert (apart["kiosk"]["pointer_actions"], apart["desktop"]["pointer_actions"]) == (1, 2)
    # the AT-SPI target holds its press and is among its frame's AT-SPI labels
    assert apart["desktop"]["share_pointer_target_in_labels"] == 1.0
    assert apart["desktop"]["share_pointer_target_contains_press"] == 1.0
    assert apart["desktop"]["steps_per_decision"] == 1.0 and apart["kiosk"]["steps_per_decision"] is None


def test_seeds_and_a_webp_sample_bound_what_is_measured(tmp_path):
    run = tmp_path / "run"
    for seed in (0, 1, 2):
        folder = write_episode(run / f"crm--a--s{seed}--default", labels=True, done=True)
        meta = Meta.model_validate_json((folder / files.META).read_text())
        files.replace_json(folder / files.META, meta.model_copy(update={"seed": seed}))
    out = tmp_path / "dq.json"
    subprocess.run([sys.executable, str(BENCH), str(run), "--seeds", "0,2", "--webp-every", "2", "--results",
                    str(out)], check=True, capture_output=True, cwd=BENCH.parents[1])
    result = json.loads(out.read_text())
    assert sorted(r["episode_id"] for r in result["episodes"]) == ["crm--a--s0--default", "crm--a--s2--default"]
    assert [r["frame_bytes_webp"] is not None for r in result["episodes"]] == [True, False]
    summary = result["summary"]
    assert summary["episodes"] == 2 and summary["webp_episodes"] == 1 and 0 < summary["webp_size_ratio"] < 1
    assert result["seeds"] == [0, 2] and result["webp_every"] == 2
