"""A volunteer's episode is labelled like a scripted one: driven through x11vnc (XTest) in a real sandbox, a
menu opened by a click and a submenu opened by resting on its item give click, hover and click steps, each
described from its grounded target, each frame_before labelled with the elements on screen then."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from cleantrace.fleet.episodes import run_episode
from cleantrace.perform.volunteer import send_command
from cleantrace.spec import EpisodeSpec, VolunteerPerformer
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode
from tests.conftest import runner_scans_without_ocr, wait_until

pytestmark = pytest.mark.e2e
PACKS = Path(__file__).parent / "packs"
MORE, MOVE_TO, ARCHIVE = (180, 120), (180, 160), (340, 160)  # centres on tests/e2e/packs/menus/app/page.html


def glide(vnc, start: tuple[int, int], end: tuple[int, int], steps: int = 12) -> None:
    """Move the VNC pointer from start to end in small steps, then rest (as a hand does before a click)."""
    for k in range(1, steps + 1):
        vnc.mouseMove(round(start[0] + (end[0] - start[0]) * k / steps),
                      round(start[1] + (end[1] - start[1]) * k / steps))
        time.sleep(0.02)
    time.sleep(0.8)


def state(control: Path) -> str:
    try:
        return send_command(control, "status", timeout=2).get("state", "")
    except OSError:  # not listening yet
        return ""


def test_a_volunteers_steps_get_hovers_descriptions_and_labels(tmp_path):
    from vncdotool import api

    control = Path(tempfile.mkdtemp(prefix="ct-test-"))  # short: unix socket paths
    spec = EpisodeSpec(run_id="vol", episode_id="menus-volunteer", task="menus/archive-from-submenu", seed=0,
                       tasks_dir=str(PACKS), performer=VolunteerPerformer(
                           id="vol-test", consent_version="test", consent_time="2026-11-30T00:00:00Z",
                           control_dir=str(control)))
    run_dir = tmp_path / "vol"
    run_dir.mkdir()
    ended: dict = {}

    def episode() -> None:
        with runner_scans_without_ocr():  # nothing here is about privacy
            ended["row"] = run_episode(spec, run_dir, timeout=300)

    sandbox = threading.Thread(target=episode, daemon=True)
    sandbox.start()
    try:
        wait_until(lambda: state(control) == "ready" or not sandbox.is_alive(), "the volunteer's sandbox ready",
                   timeout=120, poll=0.2)
        assert send_command(control, "start")["state"] == "recording"
        vnc = api.connect(str(control / "vnc.sock"), password=None)
        try:
            glide(vnc, (640, 600), MORE)
            vnc.mousePress(1)  # the menu opens
            time.sleep(0.8)
            glide(vnc, MORE, MOVE_TO)  # resting on "Move to" opens its submenu: no press
            glide(vnc, MOVE_TO, ARCHIVE)
            vnc.mousePress(1)
            time.sleep(1.0)
        finally:
            vnc.disconnect()
        assert send_command(control, "done")["state"] == "done"
        sandbox.join(300)
    finally:
        if sandbox.is_alive():
            send_command(control, "discard")
            sandbox.join(60)
        shutil.rmtree(control, ignore_errors=True)
    assert ended["row"].status == "success", ended["row"].message

    folder = run_dir / spec.episode_id
    trace = read_episode(folder)
    steps = [(a.kind, a.target.name if a.target else None) for a in trace.actions]
    wanted = [("click", "More"), ("hover", "Move to"), ("click", "Archive")]
    assert [s for s in steps if s in wanted] == wanted, steps  # the hover is a step of its own, in order
    assert steps[-1] == ("done", None)
    by_step = {(a.kind, a.target.name if a.target else None): a for a in trace.actions}
    assert by_step[("click", "More")].description == "Click the More button"  # from the grounded target
    assert by_step[("hover", "Move to")].description == "Hover over the Move to menu item"
    assert by_step[("click", "Archive")].description == "Click the Archive menu item"

    rows = {r["frame"]: r for r in map(json.loads, (folder / files.LABELS).read_text().splitlines())}
    for step in wanted:
        a = by_step[step]
        row = rows.get(a.frame_before)
        assert row and "file" in row, f"{step}: its frame_before {a.frame_before} is not labelled ({sorted(rows)})"
        shown = json.loads(gzip.decompress((folder / row["file"]).read_bytes()))["elements"]
        assert (a.target.role, a.target.name) in {(e["role"], e["name"]) for e in shown}, (step, shown)
    hover = by_step[("hover", "Move to")]
    assert hover.frame_after is not None and hover.frame_after != hover.frame_before  # it opened the submenu
