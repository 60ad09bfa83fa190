"""Serves a task pack's fake app on loopback, in its own process.

Run as `python -m cleantrace.sandbox.app_server TASKS_DIR PACK DB PORT [THEME SCHEME]`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from cleantrace.errors import SandboxError
from cleantrace.sandbox.processes import stop_process

HOST = "127.0.0.1"


class AppServer:
    """The app of one pack on 127.0.0.1:port, backed by the episode's database."""

    def __init__(self, tasks_dir: Path, pack: str, db_path: Path, port: int = 8000, theme: str = "classic",
                 scheme: str = "light") -> None:
        self.args = [str(tasks_dir), pack, str(db_path), str(port), theme, scheme]
        self.url = f"http://{HOST}:{port}"
        self.port = port
        self._proc: subprocess.Popen | None = None

    def launch(self) -> None:
        """Start the server process without waiting for it (see `wait_ready`)."""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cleantrace.sandbox.app_server", *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until the server accepts connections; a SandboxError if it exits or stays silent."""
        assert self._proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                stderr = self._proc.stderr.read() if self._proc.stderr else b""
                err = stderr.decode(errors="replace").strip().splitlines()
                raise SandboxError(f"the app server exited: {err[-1] if err else self._proc.returncode}",
                                   "fix the pack's app (see the message)")
            with socket.socket() as s:
                if s.connect_ex((HOST, self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise SandboxError(f"the app server did not listen on {self.url} in {timeout:.0f} s",
                                   "check the pack's create_app()")
            time.sleep(0.01)

    @property
    def exited(self) -> bool:
        """The server was launched and its process has ended."""
        return self._proc is not None and self._proc.poll() is not None

    def stop(self) -> None:
        stop_process(self._proc)


def main(argv: list[str]) -> None:
    from werkzeug.serving import make_server

    from cleantrace.sandbox.themes import themed
    from cleantrace.tasks.loader import Pack

    tasks_dir, pack, db_path, port, theme, scheme = (*argv, "classic", "light")[:6]
    app = themed(Pack(pack, Path(tasks_dir) / pack).load_app_module().create_app(db_path), theme, scheme)
    make_server(HOST, int(port), app, threaded=True).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
