"""Shared fixtures: the repo's task packs, a real Xvfb display on the host for recorder tests."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path

import pytest

from cleantrace.sandbox.local import _become_subreaper

REPO = Path(__file__).resolve().parents[1]
TASKS_DIR = REPO / "tasks"


@pytest.fixture
def tasks_dir() -> Path:
    return TASKS_DIR


@pytest.fixture
def xvfb():
    """A fresh Xvfb display (name like ':3', the first free on the host) with XTEST and RECORD."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed — run scripts/install.sh")
    from cleantrace.sandbox.display import start_free_xvfb

    proc, name = start_free_xvfb("-screen", "0", "1280x800x24", "+extension", "RECORD")
    yield name
    proc.terminate()
    proc.wait(5)


@contextmanager
def runner_scans_without_ocr() -> Iterator[None]:
    """The runner's own privacy scan of each episode, without OCR of its frames: for a test that asserts
    nothing the frames' OCR finds (reading every frame costs ~0.4 s each; the OCR has tests of its own)."""
    from cleantrace.privacy import scan

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "scan_episode", partial(scan.scan_episode, ocr=False))
        yield


def wait_until(condition, what: str, timeout: float = 60, poll: float = 0.02) -> None:
    """Wait for `condition()` to hold (a loaded machine only makes it later); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(poll)


def sandboxed_processes() -> frozenset[int]:
    """Processes started by this test process (its descendants) that live in another PID namespace
    than ours: the sandboxes this test run started, not those of other work on the machine. A test
    checks `sandboxed_processes() <= before`: none of its own is left (one left by an earlier test
    may end meanwhile).

    The first call makes this process a child subreaper, so a process that outlives its parent
    (a leaked sandbox process) is adopted here and still counted, instead of going to init.
    """
    _become_subreaper()
    own = os.readlink("/proc/self/ns/pid")
    parents: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with suppress(OSError, ValueError, IndexError):  # the process ended meanwhile
            stat = Path(f"/proc/{pid}/stat").read_text()
            parents[int(pid)] = int(stat[stat.rindex(")") + 2:].split()[1])
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        with suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/pid") != own:
                found.add(pid)
    return frozenset(found)


def write_pack_with(tmp_path: Path, module_name: str, source: str) -> Path:
    """A tasks folder holding the real crm app plus one extra task module."""
    root = tmp_path / "tasks"
    pack = root / "crm"
    pack.mkdir(parents=True)
    os.symlink(TASKS_DIR / "crm" / "app", pack / "app")
    (pack / module_name).write_text(source)
    return root


@pytest.fixture
def s3_endpoint(monkeypatch):
    """A moto S3 server on a free port with an empty bucket `traces`; AWS_* variables point s3fs at it."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import fsspec
    import requests

    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10)  # moto's state is per process, not per server
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.mkdir("traces")
    yield fs
    server.stop()


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway Postgres cluster for the session (tests/postgres.py); skipped when Postgres is not installed."""
    from tests.postgres import postgres_bin, throwaway_postgres

    if postgres_bin() is None:
        pytest.skip("Postgres is not installed (/usr/lib/postgresql/*/bin; scripts/install.sh --dev installs it)")
    with throwaway_postgres() as url:
        yield url


POSTGRES_DATABASES = itertools.count()


@pytest.fixture
def postgres_db(postgres_cluster) -> str:
    """The URL of a fresh, empty database in the throwaway cluster."""
    from tests.postgres import fresh_database

    return fresh_database(postgres_cluster, f"db{next(POSTGRES_DATABASES)}")
