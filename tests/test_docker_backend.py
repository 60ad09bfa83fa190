"""The docker backend, without a Docker engine: the image lints, the container is built isolated,
and a missing engine is one clear line."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cleantrace.sandbox.docker_backend import INSIDE_OUT, INSIDE_TASKS, container_options
from cleantrace.spec import EpisodeSpec, RecordingSettings
from tests.conftest import REPO

DOCKERFILE = REPO / "docker" / "Dockerfile"


def spec(tmp_path) -> EpisodeSpec:
    return EpisodeSpec(run_id="r", episode_id="ep", task="crm/set-lead-status", seed=3,
                       tasks_dir=str(REPO / "tasks"), settings=RecordingSettings(backend="docker"))


def test_the_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_holds_what_an_episode_needs():
    text = DOCKERFILE.read_text()
    for package in ("chromium", "xvfb", "fonts-dejavu-core", "python3", "x11vnc"):  # x11vnc: volunteers
        assert package in text
    assert "COPY tasks" in text and "COPY src" in text
    assert 'ENTRYPOINT ["python", "-m", "cleantrace.episode"]' in text


def test_the_container_is_isolated_and_writes_only_the_episode_folder(tmp_path):
    episode = tmp_path / "ep"
    options = container_options(spec(tmp_path), episode, image="img:1")
    assert options["image"] == "img:1"
    assert options["network_mode"] == "none"
    assert options["read_only"] is True
    assert options["cap_drop"] == ["ALL"] and "no-new-privileges" in options["security_opt"]
    writable = [host for host, mount in options["volumes"].items() if mount["mode"] == "rw"]
    assert writable == [str(episode.resolve())]
    assert options["volumes"][str(episode.resolve())]["bind"] == INSIDE_OUT
    assert options["volumes"][str((REPO / "tasks").resolve())] == {"bind": INSIDE_TASKS, "mode": "ro"}
    assert set(options["environment"]) == {"LANG", "DISPLAY"}, "no host variable enters the container"
    assert options["hostname"] == "sandbox"
    uid, gid = (1000, 1000) if os.geteuid() == 0 else (os.getuid(), os.getgid())  # never root
    assert options["user"] == f"{uid}:{gid}"
    inner, paths = (json.loads(arg) for arg in options["command"])
    assert paths["out"] == INSIDE_OUT and paths["tasks"] == INSIDE_TASKS
    assert inner["settings"]["backend"] == "docker" and "out_dir" not in inner
    assert (inner["task"], inner["seed"]) == ("crm/set-lead-status", 3)


def test_a_volunteers_container_gets_its_control_folder_and_nothing_more(tmp_path):
    from cleantrace.sandbox.backends import backend_named
    from cleantrace.sandbox.local import INSIDE_CONTROL
    from cleantrace.spec import VolunteerPerformer

    control, episode = tmp_path / "control", tmp_path / "ep"
    control.mkdir()
    volunteer = spec(tmp_path).model_copy(update={"performer": VolunteerPerformer(
        id="v1", consent_version="1", consent_time="2026-01-01T00:00:00Z", control_dir=str(control))})
    options = container_options(volunteer, episode)
    writable = {host: mount["bind"] for host, mount in options["volumes"].items() if mount["mode"] == "rw"}
    assert writable == {str(episode.resolve()): INSIDE_OUT, str(control.resolve()): INSIDE_CONTROL}
    assert (options["network_mode"], options["read_only"], options["cap_drop"]) == ("none", True, ["ALL"])
    assert json.loads(options["command"][1])["control"] == INSIDE_CONTROL
    assert backend_named("docker").capabilities.volunteer


def test_without_an_engine_the_docker_backend_says_so_in_one_line(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    done = subprocess.run(
        [sys.executable, "-m", "cleantrace.cli", "run", "crm/set-lead-status", "--backend", "docker",
         "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 1
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no Docker engine is reachable")
    assert "--backend local" in lines[0]
