"""The station's database on SQLite and on a real Postgres: Alembic migrations (from an empty database, from
the previous revision, from the versioned schema before Alembic) and every kind of row the station keeps."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from cleantrace.errors import CleantraceError
from cleantrace.station.store import Store, metadata


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """An empty database: an SQLite file, or a fresh database in the throwaway Postgres cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'station.sqlite'}"
    return request.getfixturevalue("postgres_db")


def _differences(store: Store) -> list:
    """What the database lacks or has beyond the station's tables (Alembic's autogenerate comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def _head() -> str:
    from alembic.script import ScriptDirectory

    from cleantrace.station.store import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def test_an_empty_database_is_migrated_to_the_tables_the_station_uses(db_url):
    store = Store(db_url)
    assert store.revision == _head() == "0002"
    assert _differences(store) == []  # the migrations build exactly the models
    key = store.signing_key()
    store.close()
    again = Store(db_url)  # nothing to do the second time
    assert again.revision == "0002" and again.signing_key() == key
    again.close()


def test_the_previous_revision_is_upgraded_keeping_every_row(db_url):
    old = Store(db_url, revision="0001")
    assert old.revision == "0001"
    old.add_volunteer("vol-aaaaaaaaaaaa")
    with old.engine.begin() as conn:
        assert "seconds_on_task" not in {c["name"] for c in sa.inspect(conn).get_columns("episodes")}
        conn.execute(text("INSERT INTO episodes (id, folder, volunteer_id, task, seed, state, message, opened, updated)"
                          " VALUES ('e1', '/x/e1', 'vol-aaaaaaaaaaaa', 'crm/t', 3, 'submitted', '', 'a', 'b')"))
    key = old.signing_key()
    old.close()

    new = Store(db_url)
    assert new.revision == "0002" and _differences(new) == []
    (row,) = new.episodes()
    assert row["id"] == "e1" and row["seed"] == 3 and row["seconds_on_task"] == 0
    assert new.signing_key() == key  # the key survives the upgrade and every restart
    new.set_state("e1", "submitted", "ok", seconds_on_task=12.5)
    assert new.episode("e1")["seconds_on_task"] == 12.5
    new.close()


@pytest.mark.parametrize("version", [1, 2])
def test_a_database_of_the_versioned_schema_before_alembic_is_adopted_and_upgraded(db_url, version):
    """What cleantrace made before Alembic: the same tables and a `schema_version` table holding 1 or 2."""
    made = Store(db_url, revision=f"000{version}")
    made.add_volunteer("vol-bbbbbbbbbbbb", "crowd", "W-7")
    with made.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        conn.execute(text(f"INSERT INTO schema_version (version) VALUES ({version})"))
    made.close()

    store = Store(db_url)
    assert store.revision == "0002" and _differences(store) == []  # schema_version dropped, the column added
    assert store.volunteer_of_worker("W-7") == "vol-bbbbbbbbbbbb"
    store.close()


def test_a_newer_or_unknown_or_unreachable_database_is_one_clear_error(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = Store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.close()
    with pytest.raises(CleantraceError, match="schema revision 0099, newer than this cleantrace"):
        Store(url)
    legacy = f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    with sa.create_engine(legacy).begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (7)"))
    with pytest.raises(CleantraceError, match="schema version 7, which this cleantrace does not know"):
        Store(legacy)
    with pytest.raises(CleantraceError, match="cannot open the station database"):
        Store(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite'}")
    with pytest.raises(CleantraceError, match="cannot open the station database"):
        Store("nosuchdialect://x")
    with pytest.raises(CleantraceError, match="cannot open the station database") as err:
        Store(f"postgresql+psycopg://station:s3cret@/x?host={tmp_path}")  # no server there
    assert "s3cret" not in str(err.value) and "station:***@" in str(err.value)


def test_the_station_store_keeps_a_campaign_its_assignments_reviews_pay_and_withdrawals(db_url, tmp_path):
    """Everything the station writes, on each database: read back after a restart of the store."""
    store = Store(db_url)
    store.add_campaign("pilot", '{"id": "pilot"}')
    store.add_campaign("pilot", '{"id": "pilot", "quota": 2}')  # a changed file replaces the stored one
    for who, worker in (("vol-a", "W-1"), ("vol-b", "W-2")):
        store.add_volunteer(who, "crowd", worker)
        store.add_volunteer(who, "crowd", worker)  # a second visit adds nobody
        store.add_consent(who, "v2", "2026-01-01T00:00:00+00:00")
        key = f"run/crm--set-lead-status--s{worker[-1]}--{who}"
        store.open_episode(f"tok-{who}", key, tmp_path / key, who, "crm/set-lead-status", int(worker[-1]))
        store.assign("pilot", who, "crm/set-lead-status", int(worker[-1]), key)
        assert store.session_open(f"tok-{who}")
        store.set_state(key, "recording")
    assert sorted(r["id"] for r in store.interrupted()) == ["run/crm--set-lead-status--s1--vol-a",
                                                            "run/crm--set-lead-status--s2--vol-b"]
    a, b = (r["id"] for r in store.episodes())
    store.set_state(a, "submitted", "", seconds_on_task=100.0)
    store.set_state(b, "submitted", "", seconds_on_task=50.0)
    assert not store.session_open("tok-vol-a")  # an ended booth's session opens nothing
    store.decide(a, "rita", "rejected", "wrong lead", pay=0.5, currency="USD")
    store.decide(a, "rita", "accepted", "", pay=0.5, currency="USD")  # a changed decision: paid once
    store.decide(b, "rita", "rejected", "paused mid-task", pay=0.5, currency="USD")
    with pytest.raises(CleantraceError, match="no episode"):
        store.decide("run/nope", "rita", "accepted", "", pay=0.5, currency="USD")
    store.set_reviewer("rita", "correct horse")
    store.withdraw("vol-b", [b])
    store.close()

    store = Store(db_url)  # a restart
    assert store.check_reviewer("rita", "correct horse") and not store.check_reviewer("rita", "wrong")
    assert [(r["task"], r["seed"], r["decision"]) for r in store.assignments("pilot")] == [
        ("crm/set-lead-status", 1, "accepted"), ("crm/set-lead-status", 2, "rejected")]
    assert store.decisions()[b]["reason"] == "paused mid-task"
    ledger = {r["worker_id"]: r for r in store.ledger()}
    assert (ledger["W-1"]["accepted"], ledger["W-1"]["amount_owed"], ledger["W-1"]["currency"]) == (1, 0.5, "USD")
    assert (ledger["W-2"]["rejected"], ledger["W-2"]["amount_owed"], ledger["W-2"]["seconds_on_task"]) == (1, 0.0, 50)
    assert store.consented("vol-a") and not store.consented("vol-b")
    assert store.volunteer_of_worker("W-2") == "vol-b" and store.worker_of("vol-a") == "W-1"
    actions = [(r["actor"], r["action"]) for r in store.audit_rows()]
    assert ("reviewer:rita", "accepted") in actions and ("vol-b", "withdraw") in actions
    store.close()
