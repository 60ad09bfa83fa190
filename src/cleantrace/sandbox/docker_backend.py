"""The `docker` backend: one episode per container of the docker/ image, through the Docker SDK.

Works with a Docker engine or with podman's Docker API (`podman system service` + DOCKER_HOST).
The container is the sandbox: no network (`--network none`), a read-only root filesystem with a
private /tmp, no capabilities, no host environment, host name "sandbox", never root (the host's
user, or the image's unprivileged `performer` when the host runs as root), and one writable host
path: the episode's folder, mounted at /out. The image carries the package, the task packs and the
managed Chromium policy; the host's tasks folder is mounted over the packs read-only so that a run
uses the current tasks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleantrace.errors import SandboxError
from cleantrace.sandbox.local import SandboxExit, lent, motion_library_file, performer_mounts, sandbox_paths
from cleantrace.spec import EpisodeSpec, episode_args

DEFAULT_IMAGE = "cleantrace/sandbox:latest"
INSIDE_OUT = "/out"
INSIDE_TASKS = "/opt/cleantrace/tasks"
STOP_POLL_S = 0.5
X11VNC = "/usr/bin/x11vnc"
IMAGE_USER = (1000, 1000)  # `performer` in docker/Dockerfile


def container_options(spec: EpisodeSpec, episode_dir: Path, image: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """Keyword arguments for `docker.containers.run` that run `spec` in an isolated container."""
    binds, source = performer_mounts(spec)
    volumes = {
        str(Path(episode_dir).resolve()): {"bind": INSIDE_OUT, "mode": "rw"},
        str(Path(spec.tasks_dir).resolve()): {"bind": INSIDE_TASKS, "mode": "ro"},
        **{str(host.resolve()): {"bind": inside, "mode": "rw"} for inside, host in binds.items()},
    }
    paths = sandbox_paths(spec, out=INSIDE_OUT, tasks=INSIDE_TASKS)
    if source is not None:
        volumes[str(source)] = {"bind": paths.replay_source, "mode": "ro"}
    if (library := motion_library_file(spec)) is not None:
        volumes[str(library)] = {"bind": paths.motion_library, "mode": "ro"}
    return {
        "image": image,
        "command": episode_args(spec, paths),
        "network_mode": "none",
        "hostname": "sandbox",
        "read_only": True,
        "tmpfs": {"/tmp": "rw,size=1g", "/home/performer": "rw,size=64m", "/dev/shm": "rw,size=256m"},
        "volumes": volumes,
        "environment": {"LANG": "C.UTF-8", "DISPLAY": ":0"},
        "user": "{}:{}".format(*container_user()),
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": 512,
        "mem_limit": "2g",
        "detach": True,
    }


def container_user() -> tuple[int, int]:
    """The host's user, or the image's unprivileged one when the host runs as root."""
    return IMAGE_USER if os.geteuid() == 0 else (os.getuid(), os.getgid())


def docker_client():
    """A client of the local Docker engine, or a SandboxError saying there is none."""
    try:
        import docker
    except ImportError:
        raise SandboxError(
            "the Docker SDK is not installed", 'install the fleet extra: pip install "cleantrace[fleet]"'
        ) from None
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise SandboxError(
            f"no Docker engine is reachable ({_engine_problem(exc)})", "start one (dockerd) or use --backend local"
        ) from None
    return client


def _engine_problem(exc: BaseException) -> str:
    """Why the engine did not answer, in words (the SDK nests the socket's error in two wrappers)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, FileNotFoundError) or "FileNotFoundError" in str(seen):
            return f"nothing listens at {host}"
        if isinstance(seen, PermissionError) or "Permission denied" in str(seen):
            return f"no permission to use {host}"
        if "Connection refused" in str(seen):
            return f"connection refused at {host}"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def build_hint(image: str) -> str:
    """How to build `image` from the project checkout (its tag as asked, e.g. by --image)."""
    tag = image.removesuffix(":latest")
    return f"build it: docker build -f docker/Dockerfile -t {tag} . (podman without a registry: bench/images.py)"


def require_image(client: Any, image: str) -> None:
    """Raise a SandboxError with the build command when `image` is not in the engine."""
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise SandboxError(f"the container image {image} does not exist", build_hint(image)) from None


def require_x11vnc(client: Any, image: str) -> None:
    """Raise a SandboxError when `image` has no x11vnc (a volunteer's screen): looked up in a created,
    never started, container of it."""
    import docker.errors

    container = client.containers.create(image, entrypoint=["true"], network_mode="none")
    try:
        container.get_archive(X11VNC)
    except docker.errors.NotFound:
        raise SandboxError(f"the container image {image} has no x11vnc (for a volunteer's screen)",
                           build_hint(image).replace("build it:", "rebuild it:", 1)) from None
    finally:
        container.remove(force=True)


def run_in_docker(
    spec: EpisodeSpec, episode_dir: Path, log_path: Path, timeout: float, image: str = DEFAULT_IMAGE,
    stop: Callable[[], bool] | None = None, client: Any = None,
) -> SandboxExit:
    """Run one episode in a fresh container; kill it after `timeout` seconds or once `stop()`; always remove it."""
    if spec.profile != "kiosk":
        raise SandboxError(f"the docker backend has no {spec.profile} profile (task {spec.task})",
                           "use --backend local for desktop tasks (docs/desktop.md)")
    client = client or docker_client()
    require_image(client, image)
    binds, _ = performer_mounts(spec)
    with lent([Path(episode_dir), *binds.values()], *container_user()):
        return _run_container(client, spec, episode_dir, log_path, timeout, image, stop)


def _run_container(client, spec: EpisodeSpec, episode_dir: Path, log_path: Path, timeout: float,
                   image: str, stop: Callable[[], bool] | None) -> SandboxExit:
    import requests.exceptions

    container = client.containers.run(**container_options(spec, episode_dir, image))
    deadline = time.monotonic() + timeout
    try:
        while True:
            wait_s = max(0.1, min(STOP_POLL_S, deadline - time.monotonic())) if stop else max(0.1, timeout)
            try:
                return SandboxExit(container.wait(timeout=wait_s)["StatusCode"])
            except requests.exceptions.ConnectionError:  # this wait timed out; the container runs on
                pass
            if time.monotonic() >= deadline:
                container.kill()
                return SandboxExit(None, timed_out=True)
            if stop is not None and stop():
                container.kill()
                return SandboxExit(None, stopped=True)
    finally:
        with open(log_path, "ab") as log:
            log.write(container.logs())
        container.remove(force=True)
