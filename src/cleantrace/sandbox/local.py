"""The `local` backend: an episode in bubblewrap namespaces.

Inside: a minimal root of its own (see `rootfs`: /usr, the Python installation, the package and the
task packs read-only, a generated /etc, private tmpfs for /tmp, /var/tmp, /run and the home), so
nothing else of the host exists there; every process runs as an unprivileged user that owns nothing
on the host (`SANDBOX_UID`, no capabilities, no new privileges); a loopback-only network; its own
PID, UTS (host name "sandbox") and IPC namespaces; a cleared environment; and one writable host
path: the episode's folder, mounted at /tmp/episode and lent to the sandbox user for the run. When
the sandbox's first process ends, the kernel ends every process of its PID namespace, and the host
waits until that namespace is empty, so nothing outlives an episode.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cleantrace.sandbox.rootfs import SANDBOX_GID, SANDBOX_HOME, SANDBOX_UID, root_args, runtime_paths, write_etc
from cleantrace.spec import EpisodeSpec, ReplayPerformer, SandboxPaths, VolunteerPerformer, episode_args

INSIDE_OUT = "/tmp/episode"
INSIDE_REPLAY_SOURCE = "/tmp/replay-source"  # a replay's source episode, read-only
INSIDE_MOTION_LIBRARY = "/tmp/motion-library.npz"  # recorded movements for --motion library:RUN, read-only
INSIDE_CONTROL = "/tmp/control"  # a volunteer's control folder (the station's sockets)
INSIDE_KEEP = "/tmp/keep"  # `tasks try --keep`: the kept browser's DevTools socket
PR_SET_CHILD_SUBREAPER = 36
STOP_POLL_S = 0.25
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": SANDBOX_HOME,
    "LANG": "C.UTF-8",
    "DISPLAY": ":0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "USER": "sandbox",
}
NAMESPACES = ("--unshare-net", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--hostname", "sandbox")


@dataclass(frozen=True)
class SandboxExit:
    """How the sandbox process ended: its exit code, or that it was killed after a timeout."""

    code: int | None
    timed_out: bool = False
    stopped: bool = False  # killed because the run was stopped (`stop()` returned True)


def sandbox_command(
    argv: list[str], episode_dir: Path, tasks_dir: Path, etc_dir: Path, binds: dict[str, Path] | None = None,
    replay_source: Path | None = None, motion_library: Path | None = None,
) -> list[str]:
    """The bwrap command line that runs `argv` inside a fresh sandbox for `episode_dir`; `binds`
    maps more writable host folders (e.g. a volunteer's control folder) to paths inside; a
    replay's source episode folder is bound read-only at INSIDE_REPLAY_SOURCE."""
    cmd = ["bwrap", *root_args(etc_dir, runtime_paths(tasks_dir))]
    cmd += [
        "--bind", str(episode_dir), INSIDE_OUT,
        *[arg for inside, host in (binds or {}).items() for arg in ("--bind", str(host), inside)],
        *(["--ro-bind", str(replay_source), INSIDE_REPLAY_SOURCE] if replay_source else []),
        *(["--ro-bind", str(motion_library), INSIDE_MOTION_LIBRARY] if motion_library else []),
        "--remount-ro", "/", *NAMESPACES, *_user_args(), "--die-with-parent", "--new-session", "--clearenv",
    ]
    for key, value in SANDBOX_ENV.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--chdir", "/tmp", *_drop_privileges(), *argv]


def _user_args() -> list[str]:
    """Run as a non-root host user: map it to the sandbox user in a user namespace."""
    return [] if os.geteuid() == 0 else ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]


def _drop_privileges() -> list[str]:
    """Run as root: become the sandbox user for real (a user namespace would map it to host root, who
    can still read root's files), with no capabilities and no way to gain any."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def sandbox_paths(spec: EpisodeSpec, out: str = INSIDE_OUT, tasks: str | None = None) -> SandboxPaths:
    """Where the episode's folders are inside a sandbox: its folder at `out`, the task packs at
    `tasks` (by default where they are on the host), the performer's folders at their fixed places."""
    return SandboxPaths(
        out=out, tasks=tasks or spec.tasks_dir,
        replay_source=INSIDE_REPLAY_SOURCE if isinstance(spec.performer, ReplayPerformer) else None,
        control=INSIDE_CONTROL if isinstance(spec.performer, VolunteerPerformer) else None,
        motion_library=INSIDE_MOTION_LIBRARY if motion_library_file(spec) else None,
        keep=INSIDE_KEEP if spec.keep_dir else None,
    )


def motion_library_file(spec: EpisodeSpec) -> Path | None:
    """The host file of the movement library a scripted episode moves with (motion library:RUN)."""
    library = getattr(spec.performer, "motion_library", None)
    return Path(library).resolve() if library else None


def episode_argv(spec: EpisodeSpec) -> list[str]:
    """The command, run inside the sandbox, that performs and records one episode."""
    return [sys.executable, "-m", "cleantrace.episode", *episode_args(spec, sandbox_paths(spec))]


def performer_mounts(spec: EpisodeSpec) -> tuple[dict[str, Path], Path | None]:
    """The performer's host folders: writable binds (inside path → host path) and a read-only replay source."""
    performer = spec.performer
    binds = {INSIDE_CONTROL: Path(performer.control_dir)} if isinstance(performer, VolunteerPerformer) else {}
    if spec.keep_dir:
        binds[INSIDE_KEEP] = Path(spec.keep_dir)
    source = Path(performer.source).resolve() if isinstance(performer, ReplayPerformer) else None
    return binds, source


def run_sandboxed(
    spec: EpisodeSpec, episode_dir: Path, log_path: Path, timeout: float, stop: Callable[[], bool] | None = None
) -> SandboxExit:
    """Run one episode in a fresh sandbox; kill the whole sandbox after `timeout` seconds or once `stop()`.
    A kept sandbox (`spec.keep_dir`) has no deadline once its episode is sealed and its browser served."""
    from cleantrace.sandbox.keep import READY

    binds, source = performer_mounts(spec)
    return run_in_sandbox(
        episode_argv(spec), episode_dir, Path(spec.tasks_dir), log_path, timeout, binds=binds, stop=stop,
        replay_source=source, motion_library=motion_library_file(spec),
        web_apps=tuple(spec.web_apps) if spec.profile == "desktop" else None,
        kept=Path(spec.keep_dir) / READY if spec.keep_dir else None,
    )


def run_in_sandbox(
    argv: list[str], episode_dir: Path, tasks_dir: Path, log_path: Path, timeout: float,
    binds: dict[str, Path] | None = None, stop: Callable[[], bool] | None = None,
    replay_source: Path | None = None, motion_library: Path | None = None, kept: Path | None = None,
    web_apps: tuple[str, ...] | None = None,
) -> SandboxExit:
    """Run `argv` in a fresh sandbox, its output appended to `log_path` (no deadline once `kept` exists);
    `web_apps`: a desktop episode's (its hosts file and browser policy, `rootfs.write_etc`), None for a kiosk.

    Returns only once every process of the sandbox's PID namespace is gone, also after a timeout,
    once `stop()` returns True (polled a few times a second; for runs stopped from another thread)
    or Ctrl-C (which kill the sandbox and, for Ctrl-C, propagate). Safe to call from several threads
    at once: each call reaps only its own sandbox's processes.
    """
    _become_subreaper()
    writable = [Path(episode_dir), *(binds or {}).values()]
    with _sandbox_etc(web_apps) as etc_dir, lent(writable, SANDBOX_UID, SANDBOX_GID):
        info_read, info_write = os.pipe()
        command = sandbox_command(argv, episode_dir, tasks_dir, etc_dir, binds, replay_source, motion_library)
        command[1:1] = ["--info-fd", str(info_write)]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, pass_fds=(info_write,),
            )
        os.close(info_write)
        namespace, pin = _sandbox_namespace(info_read)
        try:
            return _wait(proc, timeout, stop, kept)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return SandboxExit(None, timed_out=True)
        except BaseException:  # Ctrl-C or an error on the host: the sandbox goes too
            _kill(proc)
            raise
        finally:
            _empty_namespace(namespace)
            if pin is not None:
                os.close(pin)


@contextmanager
def _sandbox_etc(web_apps: tuple[str, ...] | None = None) -> Iterator[Path]:
    """The generated /etc of one sandbox (users, host name, browser policy), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cleantrace-etc-") as etc:
        os.chmod(etc, 0o755)  # the sandbox user reads it
        write_etc(Path(etc), web_apps)
        yield Path(etc)


@contextmanager
def lent(folders: list[Path], uid: int, gid: int) -> Iterator[None]:
    """Lend the writable folders to the sandbox's user `uid` for the run (when the host runs as root),
    then give them and everything made in them back to the host user."""
    if os.geteuid() != 0:
        yield
        return
    for folder in folders:
        os.chown(folder, uid, gid)
    try:
        yield
    finally:
        for folder in folders:
            _chown_tree(Path(folder), os.getuid(), os.getgid())


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    with suppress(FileNotFoundError):
        os.lchown(folder, uid, gid)
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            with suppress(FileNotFoundError):
                os.lchown(os.path.join(root, name), uid, gid)


def _wait(proc: subprocess.Popen, timeout: float, stop: Callable[[], bool] | None,
          kept: Path | None = None) -> SandboxExit:
    """The sandbox's exit; TimeoutExpired after `timeout` (unless `kept` exists by then: a kept sandbox lives
    until it is told to stop); killed (and `stopped`) once `stop()` is True."""
    if stop is None and kept is None:
        return SandboxExit(proc.wait(timeout))
    deadline = time.monotonic() + timeout
    while True:
        try:
            return SandboxExit(proc.wait(max(0.0, min(STOP_POLL_S, deadline - time.monotonic()))))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                if kept is None or not kept.exists():
                    raise
                deadline = float("inf")
            if stop is not None and stop():
                _kill(proc)
                return SandboxExit(None, stopped=True)


def _kill(proc: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _sandbox_namespace(info_fd: int) -> tuple[str | None, int | None]:
    """The PID namespace of the sandbox (from the child pid bwrap reports on its info fd), and an fd pinning it.

    The open fd keeps the namespace's inode number from being reused: without it, a namespace
    created by a sandbox started meanwhile (in another thread) could get the same number once
    this one is gone, and its processes would be taken for this sandbox's, reaped and killed.
    """
    with os.fdopen(info_fd, "rb") as info:
        data = info.read()
    try:
        child = json.loads(data)["child-pid"]
        pin = os.open(f"/proc/{child}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except (ValueError, KeyError, OSError):
        return None, None  # the sandbox already ended
    return os.readlink(f"/proc/self/fd/{pin}"), pin


def _empty_namespace(namespace: str | None, grace: float = 5.0) -> None:
    """Wait until no process is left in `namespace`, killing stragglers after `grace` seconds.

    Exited processes of the sandbox are reparented to this process (a child subreaper) and
    reaped here, instead of waiting for the machine's init to reap them.
    """
    if namespace is None:
        return
    deadline = time.monotonic() + grace
    while pids := _pids_in(namespace):
        for pid in pids:
            _reap(pid, namespace)
        if time.monotonic() > deadline:
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _reap(pid: int, namespace: str) -> None:
    """Reap `pid` if it is an exited process of `namespace` adopted by this process.

    Through a pidfd, checked to still be in the namespace after it was opened: a pid freed and
    reused meanwhile (pids wrap around fast with many sandboxes) may belong to a child that a
    Popen of another thread waits for, and must not be reaped here.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return  # gone already
    try:
        if os.readlink(f"/proc/{pid}/ns/pid") == namespace:
            os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
    except OSError:  # ChildProcessError (not ours: its parent in the sandbox reaps it) or gone
        pass
    finally:
        os.close(pidfd)


def _become_subreaper() -> None:
    """Adopt orphaned descendants (the sandbox's processes), so that they can be reaped here."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _pids_in(namespace: str) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/ns/pid") == namespace:
                    pids.append(int(entry.name))
    return pids
