"""`cleantrace tasks draft`: a recorded episode becomes a task module that loads and lints (no sandbox here:
the database difference is given, as the sandbox probe would find it)."""

from __future__ import annotations

import json
import sqlite3

from cleantrace.fleet.draft import Lifter, db_difference, suggest_check, transcribe
from cleantrace.tasks import load_registry
from cleantrace.tasks.lint import lint_tasks
from tests.conftest import write_pack_with

ACTIONS = [
    {"kind": "scroll"},
    {"kind": "click", "target": {"role": "link", "name": "Ada Lovelace"}},
    {"kind": "click", "target": {"role": "combobox", "name": "Status"}},
    {"kind": "key", "keys": ["Down"]},
    {"kind": "key", "keys": ["Down"]},
    {"kind": "key", "keys": ["Return"]},
    {"kind": "click", "target": {"role": "combobox", "name": "Priority"}},
    {"kind": "click", "target": {"role": "option", "name": "High"}},
    {"kind": "click", "target": {"role": "textbox", "name": "Notes"}},
    {"kind": "type", "text": "Call Ada Lovelace back."},
    {"kind": "key", "keys": ["Tab"]},
    {"kind": "key", "keys": ["Tab"]},
    {"kind": "hotkey", "keys": ["ctrl", "s"]},
    {"kind": "click", "target": {"role": "button", "name": "Star Ada Lovelace"}},
    {"kind": "click", "x": 5, "y": 9},
]


def test_actions_become_actor_calls_with_the_parameters_lifted():
    lifter = Lifter.of({"lead": "Ada Lovelace", "status": "Qualified", "priority": "High", "steps": 3})
    assert transcribe(ACTIONS, lifter) == [
        'actor.click(role="link", name=p["lead"])',
        'actor.select(label=\'Status\', option=p["status"])',
        'actor.select(label=\'Priority\', option=p["priority"])',
        "actor.click(role=\"textbox\", name='Notes')",
        'actor.type(f"Call {p[\'lead\']} back.")',
        "actor.press('Tab', times=2)",
        "actor.hotkey('ctrl', 's')",
        'actor.click(role="button", name=f"Star {p[\'lead\']}")',
        "# click at (5, 9) hit no named element: name it and uncomment",
        "# actor.click(role=..., name=...)",
    ]
    assert lifter.template("Set Ada Lovelace to Qualified {now}.") == "Set {lead} to {status} {{now}}."


def test_the_check_is_suggested_from_the_database_difference(tmp_path):
    start, end = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for path, status in ((start, "New"), (end, "Qualified")):
        with sqlite3.connect(path) as db:
            db.execute("create table leads (id integer primary key, name text, status text, saves integer)")
            db.execute("insert into leads values (1, 'Ada Lovelace', ?, ?)", (status, 0 if status == "New" else 1))
            db.execute("create table notes (lead text, body text)")
            if path == end:
                db.execute("insert into notes values ('Ada Lovelace', 'hello')")
        db.close()
    changes = db_difference(start, end)
    assert [(c.table, c.kind) for c in changes] == [("leads", "changed"), ("notes", "inserted")]
    body, key = suggest_check(changes, Lifter.of({"lead": "Ada Lovelace", "status": "Qualified"}))
    assert key == "lead"
    assert 'world.db.scalar("select status from leads where name=?", p["lead"]) == p["status"]' in body[1]
    assert 'select count(*) from notes where lead=?", p["lead"]) > 0' in body[2]


def test_a_draft_from_an_episode_loads_and_lints_clean(tmp_path, monkeypatch):
    from cleantrace.fleet import draft

    episode = tmp_path / "run" / "crm--set-lead-status--s3--default"
    episode.mkdir(parents=True)
    root = write_pack_with(tmp_path, "unused.py", "")
    registry = load_registry(root)
    lead = lint_world_lead(registry)
    (episode / "meta.json").write_text(json.dumps({
        "task": "crm/set-lead-status", "seed": 3, "params": {"lead": lead, "status": "Lost"},
        "instruction": f"Set the status of {lead}'s lead to Lost and save."}))
    (episode / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ACTIONS[1:6] + [
        {"kind": "click", "target": {"role": "button", "name": "Save"}}]))
    changes = [draft.Change("leads", "changed", {"name": lead, "status": "New"}, {"status": ("New", "Lost")})]
    lead_id, priority = lint_world_lead(registry, f"select id, priority from leads where name='{lead}'")
    sent = [  # what the probe's page sent: the lead form, saved (a GET and a failed POST are not replayed)
        {"method": "GET", "url": f"http://127.0.0.1:8000/leads/{lead_id}", "body": None, "content_type": ""},
        {"method": "POST", "url": f"http://127.0.0.1:8000/leads/{lead_id}", "content_type":
         "application/x-www-form-urlencoded", "body": f"status=Lost&priority={priority}&notes="}]
    monkeypatch.setattr(draft, "_probe", lambda *a, **k: (changes, sent))
    made = draft.draft_task(registry, episode, "crm/redo-status")
    assert made.path.name == "redo_status.py"
    report = lint_tasks(load_registry(root), ["crm/redo-status"])
    assert [str(p) for p in report.problems] == []
    assert report.with_effect == 1  # lint proved check True after the effect, False after the wrong one
    text = made.path.read_text()
    assert 'actor.select(label=\'Status\', option=p["status"])' in text and "{lead}" in text
    assert made.effect == [  # the form's other fields are sent as the lead named by p["lead"] has them
        'lead_id = world.db.scalar("select id from leads where name=?", p["lead"])',
        'lead_priority = world.db.scalar("select priority from leads where name=?", p["lead"])',
        "send(app, 'POST', f\"/leads/{lead_id}\", form={'status': p[\"status\"], 'priority': lead_priority, "
        "'notes': ''})"]


def lint_world_lead(registry, sql: str = "select name from leads where status <> 'Lost' order by id"):
    """The answer to `sql` in the crm world of seed 3 (a value, or a row of several)."""
    from cleantrace.tasks.lint import SeededWorlds

    with SeededWorlds(registry) as worlds:
        world = worlds.fresh("crm", 3)
        row = world.db.conn.execute(sql).fetchone()
        world.close()
    return row[0] if len(row) == 1 else tuple(row)


def test_an_inserted_row_of_ids_is_named_by_the_rows_its_parameters_name():
    """mail/search-and-label: the new thread_labels row holds two ids; the check looks them up from p, so it
    holds for whatever thread and label setup() picks (and fails for another thread)."""
    from cleantrace.fleet.draft import Change

    lifter = Lifter.of({"subject": "Budget review", "label": "Clients"})
    ids = {30: [("threads", "subject", "subject")], 1: [("labels", "name", "label")]}
    body, _ = suggest_check([Change("thread_labels", "inserted", {"thread_id": 30, "label_id": 1})], lifter, ids)
    assert body[1].strip() == (
        'world.db.scalar("select count(*) from thread_labels where thread_id=(select id from threads where '
        'subject=?) and label_id=(select id from labels where name=?)", p["subject"], p["label"]) > 0')


def test_a_renamed_row_is_found_by_its_new_value_and_its_old_one_is_gone():
    from cleantrace.fleet.draft import Change

    lifter = Lifter.of({"sheet": "Inventory", "name": "Budget draft v2"})
    rename = Change("sheets", "changed", {"id": 2, "name": "Inventory"}, {"name": ("Inventory", "Budget draft v2")})
    body, key = suggest_check([rename], lifter)
    assert key == "sheet" and [line.strip() for line in body[1:3]] == [
        'world.db.scalar("select count(*) from sheets where name=?", p["name"]) > 0',
        'and world.db.scalar("select count(*) from sheets where name=?", p["sheet"]) == 0']


def test_a_value_a_changed_column_took_is_drawn_from_that_column():
    from cleantrace.fleet.draft import Change, _as_changed

    lifter = Lifter.of({"lead": "Ada Lovelace", "status": "Proposal", "note": "Call back."})
    located = {"lead": ("leads", "name", True), "status": ("deals", "stage", False)}  # 'Proposal' is a stage too
    change = Change("leads", "changed", {"name": "Ada Lovelace"},
                    {"status": ("New", "Proposal"), "notes": ("", "Call back.")})
    moved, _ = _as_changed(located, {}, [change], lifter)
    assert moved == {"lead": ("leads", "name", True), "status": ("leads", "status", False)}  # free text stays free


def test_a_drag_is_repeated_onto_its_recorded_drop_element():
    """crm/move-deal-stage: the card is dropped on another card of the target lane (the element under the
    release point); the draft drags it there, so the probe sees the stage change."""
    lifter = Lifter.of({"deal": "Acme rollout", "stage": "Closed Won"})
    drag = {"kind": "drag", "x": 707, "y": 667, "x2": 1484, "y2": 507,
            "target": {"role": "link", "name": "Acme rollout", "tag": "a"},
            "drop_target": {"role": "link", "name": "Initech pilot", "tag": "a"}}
    assert transcribe([drag], lifter) == [
        'actor.drag(dict(role="link", name=p["deal"]), dict(role="link", name=\'Initech pilot\'))']
    unnamed = transcribe([{**drag, "drop_target": None}], lifter)
    assert unnamed[0].startswith("# a drag from") and "(1484, 507)" in unnamed[0] and unnamed[-1].startswith("pass")
