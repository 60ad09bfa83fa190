"""The container images, built and run for real (bench/images.py): only with `-m engine` and podman;
a volunteer's episode through the station on the docker backend among them.

Deselected by default (pyproject's addopts) and so in `.ci/run`: a build takes minutes.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.e2e]


@pytest.mark.skipif(shutil.which("podman") is None or os.geteuid() != 0, reason="needs podman, as root")
def test_both_images_build_and_run_their_episodes(tmp_path):
    from bench.images import run_all

    result = run_all(tmp_path, results=tmp_path / "images.json")
    assert all(b["size_mb"] > 100 for b in result["builds"].values())
    by_backend = {e["backend"]: e for e in result["episodes"]}
    assert by_backend["docker"]["status"] == "success", by_backend["docker"]
    assert by_backend["local"]["status"] == "success", by_backend["local"]
    assert by_backend["docker"]["start_to_first_frame_s"] is not None
    assert result["docker_stop"] == {**result["docker_stop"], "stopped": True, "containers_left": 0}
    if shutil.which("docker"):
        assert result["by_hand_docker_run"]["status"] == "success", result["by_hand_docker_run"]
    ray = result["ray_image"]
    assert (ray["status"], ray["privacy_scan"], ray["privacy_notes"]) == ("success", "clean", []), ray
    assert not any("SYS_ADMIN" in option for option in ray["run_options"])
    volunteer = result["docker_volunteer"]  # a station on the docker backend, input through its websocket
    assert (volunteer["start"], volunteer["done"], volunteer["performer"]) == ("recording", "review", "volunteer")
    assert volunteer["status"] in ("success", "failure"), volunteer  # sealed (the check judged the input)
    assert volunteer["moves_recorded"] == volunteer["moves_sent"], volunteer
    assert volunteer["click_recorded"] and volunteer["key_recorded"], volunteer
    assert not volunteer["pre_start_move_recorded"], volunteer
