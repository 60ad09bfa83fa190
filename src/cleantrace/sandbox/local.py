"""The `local` backend: an episode in bubblewrap namespaces.

Inside: read-only system, private /tmp, /root and /home (tmpfs), a loopback-only network, its own
PID, UTS (host name "sandbox") and IPC namespaces, a cleared environment, and one writable host
path: the episode's folder, mounted at /tmp/episode. When the sandbox's first process ends, the
kernel ends every process of its PID namespace, so nothing outlives an episode.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
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
    """Run one episode in a bubblewrap sandbox; kill the whole sandbox after `timeout` seconds.

    Returns only once every process of the sandbox's PID namespace is gone.
    """
    with tempfile.TemporaryDirectory(prefix="cleantrace-etc-") as etc:
        etc_dir = Path(etc)
        (etc_dir / "hostname").write_text("sandbox\n")
        (etc_dir / "hosts").write_text("127.0.0.1 localhost sandbox\n::1 localhost\n")
        info_read, info_write = os.pipe()
        command = bwrap_command(spec, episode_dir, etc_dir)
        command[1:1] = ["--info-fd", str(info_write)]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, pass_fds=(info_write,),
            )
        os.close(info_write)
        namespace = _sandbox_namespace(info_read)
        try:
            return SandboxExit(proc.wait(timeout))
        except subprocess.TimeoutExpired:
            _kill(proc)
            return SandboxExit(None, timed_out=True)
        except BaseException:  # Ctrl-C or an error on the host: the sandbox goes too
            _kill(proc)
            raise
        finally:
            _empty_namespace(namespace)


def _kill(proc: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _sandbox_namespace(info_fd: int) -> str | None:
    """The PID namespace of the sandbox, from the child pid bwrap reports on its info fd."""
    with os.fdopen(info_fd, "rb") as info:
        data = info.read()
    try:
        child = json.loads(data)["child-pid"]
        return os.readlink(f"/proc/{child}/ns/pid")
    except (ValueError, KeyError, OSError):
        return None  # the sandbox already ended


def _empty_namespace(namespace: str | None, grace: float = 5.0) -> None:
    """Wait until no process is left in `namespace`, killing stragglers after `grace` seconds."""
    if namespace is None:
        return
    deadline = time.monotonic() + grace
    while pids := _pids_in(namespace):
        if time.monotonic() > deadline:
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def _pids_in(namespace: str) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/ns/pid") == namespace:
                    pids.append(int(entry.name))
    return pids


def _paths_to_restore(spec: EpisodeSpec) -> list[str]:
    """Host paths the sandbox needs that the tmpfs mounts would hide (e.g. a pyenv under /root)."""
    import cleantrace

    tasks_dir = Path(spec.tasks_dir)
    linked = {str(p.resolve()) for p in tasks_dir.glob("*/*") if p.is_symlink()}  # packs may link their app
    needed = {sys.prefix, sys.base_prefix, str(Path(cleantrace.__file__).resolve().parents[1]), spec.tasks_dir, *linked}
    return sorted(p for p in needed if any(p == r or p.startswith(r + "/") for r in HIDDEN_ROOTS))
