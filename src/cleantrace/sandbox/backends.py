"""Backends run one episode in a fresh sandbox; every backend has the same interface, chosen by name.

`local` (bubblewrap namespaces on this machine) and `docker` (a container of the docker/ image,
through the Docker API: a Docker engine, or podman's `podman system service`). Both stop a
running episode, replay and host the volunteer station (x11vnc runs inside the sandbox, its
unix socket in the booth's control folder). `capabilities` says what a
backend can do, so that callers ask instead of assuming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cleantrace.errors import CleantraceError
from cleantrace.sandbox.local import SandboxExit
from cleantrace.spec import EpisodeSpec


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do with an episode."""

    stop: bool  # a running episode is killed once `stop()` returns True
    replay: bool  # a replay performer's source episode is mounted read-only
    volunteer: bool  # a volunteer's control folder is mounted (the station's sockets)
    isolation: str  # one line: how the episode is kept apart from the host


class Backend(Protocol):
    """Runs episodes, each in a fresh sandbox, until `teardown()`."""

    name: str
    capabilities: Capabilities

    def check(self, volunteer: bool = False) -> None:
        """Raise a SandboxError (with the fix) when this backend cannot run an episode here (`volunteer`:
        nor host a volunteer's episode)."""

    def run(
        self, spec: EpisodeSpec, folder: Path, log: Path, timeout: float, stop: Callable[[], bool] | None = None
    ) -> SandboxExit:
        """Run `spec` in a fresh sandbox writing only to `folder` (its output appended to `log`);
        kill it after `timeout` seconds or once `stop()` is True; return once nothing of it is left."""

    def teardown(self) -> None:
        """Free what the backend holds (connections); running episodes are not its to end."""


class LocalBackend:
    """Bubblewrap namespaces on this machine (`cleantrace.sandbox.local`)."""

    name = "local"
    capabilities = Capabilities(
        stop=True, replay=True, volunteer=True,
        isolation="bubblewrap: read-only system, private /tmp, loopback-only network, own PID namespace",
    )

    def __init__(self, image: str | None = None) -> None:
        del image  # no image: the sandbox is made of this machine's own files

    def check(self, volunteer: bool = False) -> None:
        import shutil

        from cleantrace.errors import SandboxError
        from cleantrace.sandbox.requirements import require_host_tools

        require_host_tools()
        if volunteer and shutil.which("x11vnc") is None:
            raise SandboxError("x11vnc is not installed", "install it: apt-get install -y x11vnc")

    def run(
        self, spec: EpisodeSpec, folder: Path, log: Path, timeout: float, stop: Callable[[], bool] | None = None
    ) -> SandboxExit:
        from cleantrace.sandbox.local import run_sandboxed

        return run_sandboxed(spec, folder, log, timeout, stop)

    def teardown(self) -> None:
        pass


class DockerBackend:
    """A container of the docker/ image per episode (`cleantrace.sandbox.docker_backend`)."""

    name = "docker"
    capabilities = Capabilities(
        stop=True, replay=True, volunteer=True,
        isolation="container: no network, read-only root, no capabilities, no host environment",
    )

    def __init__(self, image: str | None = None) -> None:
        from cleantrace.sandbox.docker_backend import DEFAULT_IMAGE

        self.image = image or DEFAULT_IMAGE
        self._client: Any = None

    def check(self, volunteer: bool = False) -> None:
        from cleantrace.sandbox.docker_backend import docker_client, require_image, require_x11vnc

        self._client = self._client or docker_client()
        require_image(self._client, self.image)
        if volunteer:
            require_x11vnc(self._client, self.image)

    def run(
        self, spec: EpisodeSpec, folder: Path, log: Path, timeout: float, stop: Callable[[], bool] | None = None
    ) -> SandboxExit:
        from cleantrace.sandbox.docker_backend import docker_client, run_in_docker

        self._client = self._client or docker_client()
        return run_in_docker(spec, folder, log, timeout, self.image, stop=stop, client=self._client)

    def teardown(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


BACKENDS: dict[str, Callable[..., Backend]] = {"local": LocalBackend, "docker": DockerBackend}


def backend_named(name: str, image: str | None = None) -> Backend:
    """The backend registered as `name` (`image`: the container image, for backends that use one)."""
    if name not in BACKENDS:
        choices = ", ".join(f"--backend {b}" for b in BACKENDS)
        raise CleantraceError(f"unknown backend {name!r}", f"use one of: {choices}")
    return BACKENDS[name](image=image)
