"""A virtual X display (Xvfb) for one episode."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

from cleantrace.errors import SandboxError
from cleantrace.sandbox.processes import stop_process
from cleantrace.spec import DEFAULT_SCREEN


class VirtualDisplay:
    """Xvfb on display `:n` with XTEST and RECORD, no TCP listener."""

    def __init__(self, number: int = 0, size: tuple[int, int] = DEFAULT_SCREEN) -> None:
        self.number = number
        self.size = size
        self.name = f":{number}"
        self._proc: subprocess.Popen | None = None

    def launch(self) -> None:
        """Start Xvfb without waiting for it (see `wait_ready`)."""
        w, h = self.size
        self._proc = subprocess.Popen(
            ["Xvfb", self.name, "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp", "-noreset",
             "+extension", "RECORD", "+extension", "XTEST"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until the display accepts clients; a SandboxError if Xvfb exits or hangs."""
        assert self._proc is not None, "launch() first"
        socket = Path(f"/tmp/.X11-unix/X{self.number}")
        deadline = time.monotonic() + timeout
        while not socket.exists():
            if self._proc.poll() is not None:
                raise SandboxError(f"Xvfb {self.name} exited with code {self._proc.returncode}",
                                   "run `cleantrace doctor`")
            if time.monotonic() > deadline:
                raise SandboxError(f"Xvfb {self.name} did not start in {timeout:.0f} s", "run `cleantrace doctor`")
            time.sleep(0.005)

    @property
    def exited(self) -> bool:
        """Xvfb was launched and its process has ended."""
        return self._proc is not None and self._proc.poll() is not None

    def stop(self) -> None:
        stop_process(self._proc)


def start_free_xvfb(*args: str, timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Xvfb on the first display number free on the host (`-displayfd`: the server itself claims the
    number, so two programs starting one at once never pick the same); the process and ':n'."""
    read, write = os.pipe()
    try:
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", *args], pass_fds=(write,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.close(write)
    with os.fdopen(read) as said:
        ready, _, _ = select.select([said], [], [], timeout)
        number = said.readline().strip() if ready else ""
    if not number.isdigit():
        stop_process(proc)
        why = f"exited with code {proc.returncode}" if proc.returncode else f"named no display in {timeout:.0f} s"
        raise SandboxError(f"Xvfb {why}", "run `cleantrace doctor`")
    return proc, f":{number}"
