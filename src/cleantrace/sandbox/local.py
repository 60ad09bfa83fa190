"""The `local` backend: an episode in bubblewrap namespaces.

Inside: read-only system, private /tmp, /root and /home (tmpfs), a loopback-only network, its own
PID, UTS (host name "sandbox") and IPC namespaces, a cleared environment, and one writable host
path: the episode's folder, mounted at /tmp/episode. When the sandbox's first process ends, the
kernel ends every process of its PID namespace, so nothing outlives an episode.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from cleantrace.episode import EpisodeSpec

INSIDE_OUT = "/tmp/episode"
HIDDEN_ROOTS = ("/root", "/home", "/tmp")
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "DISPLAY": ":0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "USER": "sandbox",
}


@dataclass(frozen=True)
class SandboxExit:
    """How the sandbox process ended: its exit code, or that it was killed after a timeout."""

    code: int | None
    timed_out: bool = False


def bwrap_command(spec: EpisodeSpec, episode_dir: Path, etc_dir: Path) -> list[str]:
    """The bwrap command line that runs `spec` inside a fresh sandbox."""
    cmd = [
        "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--tmpfs", "/tmp", "--tmpfs", "/root", "--tmpfs", "/home", "--tmpfs", "/run",
    ]
    for path in _paths_to_restore(spec):
        cmd += ["--ro-bind", path, path]
    cmd += [
        "--ro-bind", str(etc_dir / "hostname"), "/etc/hostname",
        "--ro-bind", str(etc_dir / "hosts"), "/etc/hosts",
        "--bind", str(episode_dir), INSIDE_OUT,
        "--unshare-net", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--hostname", "sandbox",
        "--die-with-parent", "--new-session", "--clearenv",
    ]
    for key, value in SANDBOX_ENV.items():
        cmd += ["--setenv", key, value]
    inner = spec.model_copy(update={"out_dir": INSIDE_OUT})
    cmd += ["--chdir", "/tmp", sys.executable, "-m", "cleantrace.episode", inner.model_dump_json()]
    return cmd


def run_sandboxed(spec: EpisodeSpec, episode_dir: Path, log_path: Path, timeout: float) -> SandboxExit:
    """Run one episode in a bubblewrap sandbox; kill the whole sandbox after `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="cleantrace-etc-") as etc:
        etc_dir = Path(etc)
        (etc_dir / "hostname").write_text("sandbox\n")
        (etc_dir / "hosts").write_text("127.0.0.1 localhost sandbox\n::1 localhost\n")
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                bwrap_command(spec, episode_dir, etc_dir), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                return SandboxExit(proc.wait(timeout))
            except subprocess.TimeoutExpired:
                _kill(proc)
                return SandboxExit(None, timed_out=True)
            except BaseException:  # Ctrl-C or an error on the host: the sandbox goes too
                _kill(proc)
                raise


def _kill(proc: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _paths_to_restore(spec: EpisodeSpec) -> list[str]:
    """Host paths the sandbox needs that the tmpfs mounts would hide (e.g. a pyenv under /root)."""
    import cleantrace

    needed = {sys.prefix, sys.base_prefix, str(Path(cleantrace.__file__).resolve().parents[1]), spec.tasks_dir}
    return sorted(p for p in needed if any(p == r or p.startswith(r + "/") for r in HIDDEN_ROOTS))
