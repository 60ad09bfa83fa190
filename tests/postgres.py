"""A throwaway Postgres cluster for tests: Debian's initdb/pg_ctl in a temp folder, unix socket only (no TCP
port), run as an unprivileged user (initdb refuses root), stopped and deleted afterwards."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT = 5432  # names the socket file only: the cluster listens on no TCP address


def postgres_bin() -> Path | None:
    """Debian's newest Postgres binaries (/usr/lib/postgresql/<major>/bin), or None when not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def _as_user() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that runs the cluster unprivileged: as `postgres` (or `nobody`) when we are root."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"], user
    raise RuntimeError("no unprivileged user to run Postgres as (postgres or nobody)")


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a cluster; yields the SQLAlchemy URL (psycopg) of its `postgres` database, as superuser `station`."""
    bin_dir = postgres_bin()
    assert bin_dir is not None, "Postgres is not installed"
    prefix, user = _as_user()
    home = Path(tempfile.mkdtemp(prefix="ct-pg-"))
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    data, log = home / "data", home / "log"
    def run(*argv: str) -> None:  # from the cluster's folder: the user may not enter the checkout (e.g. in /root)
        subprocess.run([*prefix, *argv], check=True, capture_output=True, text=True, cwd=home)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "station", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-k {home} -p {PORT} -c listen_addresses='' -F"
        try:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "120", "start")
        except subprocess.CalledProcessError as exc:
            said = log.read_text() if log.exists() else ""
            raise RuntimeError(f"Postgres did not start: {exc.stderr} {said}") from None
        try:
            yield f"postgresql+psycopg://station@/postgres?host={home}&port={PORT}"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def fresh_database(cluster_url: str, name: str) -> str:
    """Create database `name` in the cluster; its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return cluster_url.replace("/postgres?", f"/{name}?", 1)
