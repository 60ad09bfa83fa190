"""The station's state in a real database (SQLAlchemy: SQLite by default, any URL such as Postgres).

What must survive a restart lives here: the session signing key, volunteers and their consents, the
sessions that opened booths, episodes and their states, reviews, payments, campaigns and assignments,
and an audit trail. The tables below are the schema's head; Alembic revisions in `migrations/versions/`
build it, and `Store()` brings any older database up to date (one transaction per revision), also one
made by the versioned schema that came before Alembic (its `schema_version` table).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from cleantrace.errors import CleantraceError

metadata = MetaData()

settings = Table("settings", metadata, Column("key", String(64), primary_key=True),
                 Column("value", Text, nullable=False))
volunteers = Table(
    "volunteers", metadata,
    Column("id", String(64), primary_key=True),  # pseudonymous: vol-<hex>
    Column("worker_id", String(128), index=True),  # given by a crowd platform or an invite, else NULL
    Column("source", String(32), nullable=False),  # browser, invite, crowd
    Column("created", String(32), nullable=False),
)
consents = Table(
    "consents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("volunteer_id", String(64), ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("version", String(64), nullable=False),
    Column("given", String(32), nullable=False),
    Column("withdrawn", String(32)),
)
campaigns = Table(
    "campaigns", metadata,
    Column("id", String(64), primary_key=True),
    Column("spec", Text, nullable=False),  # the campaign file, as JSON
    Column("created", String(32), nullable=False),
)
assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("volunteer_id", String(64), ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("task", String(128), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("episode_id", String(256)),
    Column("created", String(32), nullable=False),
)
sessions = Table(
    "sessions", metadata,
    Column("token", String(64), primary_key=True),  # the booth token held in the signed cookie
    Column("volunteer_id", String(64), ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("episode_id", String(256), nullable=False),
    Column("opened", String(32), nullable=False),
    Column("closed", String(32)),
)
episodes = Table(
    "episodes", metadata,
    Column("id", String(256), primary_key=True),
    Column("folder", Text, nullable=False),
    Column("volunteer_id", String(64), ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("task", String(128), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("state", String(32), nullable=False),  # the booth's: starting … submitted | discarded | incomplete
    Column("message", Text, nullable=False, default=""),
    Column("opened", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    Column("seconds_on_task", Float, nullable=False, default=0.0),  # since revision 0002
)
reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("episode_id", String(256), ForeignKey("episodes.id"), nullable=False, index=True),
    Column("reviewer", String(64), nullable=False),
    Column("decision", String(16), nullable=False),  # accepted, rejected
    Column("reason", Text, nullable=False, default=""),
    Column("at", String(32), nullable=False),
)
payments = Table(
    "payments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("volunteer_id", String(64), ForeignKey("volunteers.id"), nullable=False, index=True),
    Column("episode_id", String(256)),
    Column("amount", Float, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("at", String(32), nullable=False),
)
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)


LIVE = ("starting", "ready", "recording", "paused", "finishing", "discarding")  # an open booth's states


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def shown_url(url: str) -> str:
    """`url` as it may be printed: its password replaced by ***."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return url.split("@", 1)[-1] if "@" in url else url


def default_url(out: Path) -> str:
    """The station database beside the runs: `<out>/station.sqlite`."""
    return f"sqlite:///{(Path(out) / 'station.sqlite').resolve()}"


class Store:
    """The station's database; every method is one short transaction (safe from any thread)."""

    def __init__(self, url: str, revision: str = "head") -> None:
        try:
            self.engine = sa.create_engine(url, future=True)
            self.revision = migrate(self.engine, revision)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise CleantraceError(f"cannot open the station database {shown_url(url)} ({detail})",
                                  "check --db (an SQLAlchemy URL such as sqlite:///station.sqlite)") from None

    def close(self) -> None:
        self.engine.dispose()

    def signing_key(self) -> bytes:
        """The key that signs session cookies: made once, then the same at every start."""
        with self.engine.begin() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == "signing_key")).first()
            if row:
                return bytes.fromhex(row[0])
            key = secrets.token_bytes(32)
            conn.execute(settings.insert().values(key="signing_key", value=key.hex()))
            return key

    def add_volunteer(self, volunteer_id: str, source: str = "browser", worker_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            if conn.execute(select(volunteers.c.id).where(volunteers.c.id == volunteer_id)).first() is None:
                conn.execute(volunteers.insert().values(id=volunteer_id, worker_id=worker_id, source=source,
                                                        created=now()))

    def add_consent(self, volunteer_id: str, version: str, given: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(consents.insert().values(volunteer_id=volunteer_id, version=version, given=given))

    def consented(self, volunteer_id: str) -> bool:
        """The volunteer gave consent and has not withdrawn it."""
        with self.engine.connect() as conn:
            return conn.execute(select(consents.c.id).where(
                consents.c.volunteer_id == volunteer_id, consents.c.withdrawn.is_(None))).first() is not None

    def open_episode(self, token: str, episode_id: str, folder: Path, volunteer_id: str, task: str, seed: int) -> None:
        """A booth opened: its episode (state `starting`) and the session that may view it."""
        at = now()
        with self.engine.begin() as conn:
            conn.execute(episodes.insert().values(id=episode_id, folder=str(folder), volunteer_id=volunteer_id,
                                                  task=task, seed=seed, state="starting", message="", opened=at,
                                                  updated=at))
            conn.execute(sessions.insert().values(token=token, volunteer_id=volunteer_id, episode_id=episode_id,
                                                  opened=at))

    def set_state(self, episode_id: str, state: str, message: str = "", seconds_on_task: float | None = None) -> None:
        values: dict[str, Any] = {"state": state, "message": message, "updated": now()}
        if seconds_on_task is not None:
            values["seconds_on_task"] = seconds_on_task
        with self.engine.begin() as conn:
            conn.execute(update(episodes).where(episodes.c.id == episode_id).values(**values))
            if state not in LIVE and state not in ("review", "blocked"):
                conn.execute(update(sessions).where(sessions.c.episode_id == episode_id,
                                                    sessions.c.closed.is_(None)).values(closed=now()))

    def session_open(self, token: str) -> bool:
        """The booth session `token` was opened and is not closed (a replayed cookie of an ended booth is not)."""
        with self.engine.connect() as conn:
            return conn.execute(select(sessions.c.token).where(
                sessions.c.token == token, sessions.c.closed.is_(None))).first() is not None

    def episode(self, episode_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(episodes).where(episodes.c.id == episode_id)).mappings().first()
            return dict(row) if row else None

    def episodes(self, volunteer_id: str | None = None) -> list[dict]:
        query = select(episodes).order_by(episodes.c.opened)
        if volunteer_id is not None:
            query = query.where(episodes.c.volunteer_id == volunteer_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def interrupted(self) -> list[dict]:
        """Episodes a previous station process left live (it was killed without a chance to seal them)."""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(episodes).where(episodes.c.state.in_(LIVE))).mappings()]

    def volunteer_of_worker(self, worker_id: str) -> str | None:
        """The volunteer a crowd or invite worker id was given before (the same person, another browser)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(volunteers.c.id).where(volunteers.c.worker_id == worker_id)).first()
            return row[0] if row else None

    def worker_of(self, volunteer_id: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(volunteers.c.worker_id).where(volunteers.c.id == volunteer_id)).first()
            return row[0] if row else None

    def add_campaign(self, campaign_id: str, spec_json: str) -> None:
        """Record the campaign (its file as it is now: a changed file replaces the stored one)."""
        with self.engine.begin() as conn:
            if conn.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id)).first() is None:
                conn.execute(campaigns.insert().values(id=campaign_id, spec=spec_json, created=now()))
            else:
                conn.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(spec=spec_json))

    def assign(self, campaign_id: str, volunteer_id: str, task: str, seed: int, episode_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(assignments.insert().values(campaign_id=campaign_id, volunteer_id=volunteer_id, task=task,
                                                     seed=seed, episode_id=episode_id, created=now()))

    def assignments(self, campaign_id: str) -> list[dict]:
        """The campaign's assignments with their episode's state and latest review decision (or None)."""
        latest = (select(reviews.c.decision).where(reviews.c.episode_id == assignments.c.episode_id)
                  .order_by(reviews.c.id.desc()).limit(1).scalar_subquery())
        query = (select(assignments.c.volunteer_id, assignments.c.task, assignments.c.seed, assignments.c.episode_id,
                        episodes.c.state, latest.label("decision"))
                 .join(episodes, episodes.c.id == assignments.c.episode_id, isouter=True)
                 .where(assignments.c.campaign_id == campaign_id))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def set_reviewer(self, name: str, password: str) -> None:
        """Add a reviewer (or change their password); only a salted hash is kept."""
        from werkzeug.security import generate_password_hash

        key, value = f"reviewer:{name}", generate_password_hash(password)
        with self.engine.begin() as conn:
            conn.execute(settings.delete().where(settings.c.key == key))
            conn.execute(settings.insert().values(key=key, value=value))
            conn.execute(audit.insert().values(at=now(), actor="cli", action="reviewer", subject=name, detail=""))

    def check_reviewer(self, name: str, password: str) -> bool:
        from werkzeug.security import check_password_hash

        with self.engine.connect() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == f"reviewer:{name}")).first()
        return bool(row) and check_password_hash(row[0], password)

    def decide(self, episode_id: str, reviewer: str, decision: str, reason: str, pay: float, currency: str) -> None:
        """A reviewer's decision on a submitted episode; an accepted one is owed `pay` (its payment row)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(episodes.c.volunteer_id).where(episodes.c.id == episode_id)).first()
            if row is None:
                raise CleantraceError(f"no episode {episode_id!r}", "pick one from the review list")
            conn.execute(reviews.insert().values(episode_id=episode_id, reviewer=reviewer, decision=decision,
                                                 reason=reason, at=now()))
            conn.execute(payments.delete().where(payments.c.episode_id == episode_id))  # a changed decision
            if decision == "accepted" and pay > 0:
                conn.execute(payments.insert().values(volunteer_id=row[0], episode_id=episode_id, amount=pay,
                                                      currency=currency, at=now()))
            conn.execute(audit.insert().values(at=now(), actor=f"reviewer:{reviewer}", action=decision,
                                               subject=episode_id, detail=reason))

    def decisions(self) -> dict[str, dict]:
        """Each reviewed episode's latest decision."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(reviews).order_by(reviews.c.id)).mappings()
            return {r["episode_id"]: dict(r) for r in rows}

    def ledger(self) -> list[dict]:
        """Per volunteer: worker id, time on task, accepted and rejected counts, amount owed."""
        decided = self.decisions()
        with self.engine.connect() as conn:
            people = [dict(r) for r in conn.execute(select(volunteers).order_by(volunteers.c.created)).mappings()]
            owed: dict[str, tuple[float, str]] = {}
            for r in conn.execute(select(payments)).mappings():
                amount, _ = owed.get(r["volunteer_id"], (0.0, r["currency"]))
                owed[r["volunteer_id"]] = (amount + r["amount"], r["currency"])
        rows = []
        for person in people:
            mine = self.episodes(person["id"])
            if not mine:
                continue
            verdicts = [decided[e["id"]]["decision"] for e in mine if e["id"] in decided]
            amount, currency = owed.get(person["id"], (0.0, ""))
            rows.append({
                "worker_id": person["worker_id"] or "", "volunteer_id": person["id"],
                "seconds_on_task": round(sum(e["seconds_on_task"] for e in mine), 1), "episodes": len(mine),
                "accepted": verdicts.count("accepted"), "rejected": verdicts.count("rejected"),
                "amount_owed": round(amount, 2), "currency": currency,
            })
        return rows

    def withdraw(self, volunteer_id: str, deleted: list[str]) -> None:
        """Close the volunteer's consent and record what was deleted (the audit row)."""
        with self.engine.begin() as conn:
            conn.execute(update(consents).where(consents.c.volunteer_id == volunteer_id,
                                                consents.c.withdrawn.is_(None)).values(withdrawn=now()))
            conn.execute(audit.insert().values(at=now(), actor=volunteer_id, action="withdraw", subject=volunteer_id,
                                               detail=f"deleted {len(deleted)} episode(s): {', '.join(deleted)}"))

    def log(self, actor: str, action: str, subject: str, detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(audit.insert().values(at=now(), actor=actor, action=action, subject=subject, detail=detail))

    def audit_rows(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(audit).order_by(audit.c.id)).mappings()]


LEGACY_REVISIONS = {1: "0001", 2: "0002"}  # the versioned schema's versions as Alembic revisions


def alembic_config(conn: sa.Connection):
    """Alembic's configuration for the migrations shipped in this package, running on `conn`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = conn
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> str:
    """Bring the database to Alembic `revision` (the latest by default), all in one transaction (where the
    database has transactional DDL, as Postgres does: a failed upgrade changes nothing); its revision now."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with engine.connect() as conn:
        config = alembic_config(conn)
        scripts = ScriptDirectory.from_config(config)
        _adopt_versioned_schema(conn, config)
        current = MigrationContext.configure(conn).get_current_revision()
        try:
            if current is not None:
                scripts.get_revision(current)
        except CommandError:
            raise CleantraceError(f"the station database is at schema revision {current}, newer than this "
                                  f"cleantrace ({scripts.get_current_head()})", "upgrade cleantrace") from None
        command.upgrade(config, revision)  # inside this connection's transaction: alembic leaves it to us
        now_at = MigrationContext.configure(conn).get_current_revision() or ""
        conn.commit()
        return now_at


def _adopt_versioned_schema(conn: sa.Connection, config) -> None:
    """A database of the versioned schema before Alembic (a `schema_version` table holding 1 or 2): mark it
    with the Alembic revision that builds the same tables, and drop that table."""
    from alembic import command

    inspector = sa.inspect(conn)
    if not inspector.has_table("schema_version") or inspector.has_table("alembic_version"):
        return
    version = conn.execute(text("SELECT version FROM schema_version")).scalar_one_or_none() or 0
    if version not in LEGACY_REVISIONS:
        raise CleantraceError(f"the station database has schema version {version}, which this cleantrace does not "
                              "know", "open it with the cleantrace that made it, or start a new database with --db")
    command.stamp(config, LEGACY_REVISIONS[version])
    conn.execute(text("DROP TABLE schema_version"))
