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


def _recorded(tmp_path, app: str, task: str, params: dict, instruction: str, actions: list[dict]):
    """A registry holding the real `app` pack's app only, and an episode of `task` recorded on seed 3."""
    from tests.conftest import TASKS_DIR

    root = tmp_path / "tasks"
    (root / app).mkdir(parents=True)
    (root / app / "app").symlink_to(TASKS_DIR / app / "app")
    episode = tmp_path / "run" / f"{task.replace('/', '--')}--s3--default"
    episode.mkdir(parents=True)
    (episode / "meta.json").write_text(json.dumps({"task": task, "seed": 3, "params": params,
                                                   "instruction": instruction}))
    (episode / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in actions))
    return root, episode


def _seed3(registry, app: str, sql: str):
    from cleantrace.tasks.lint import SeededWorlds

    with SeededWorlds(registry) as worlds:
        world = worlds.fresh(app, 3)
        row = world.db.conn.execute(sql).fetchone()
        world.close()
    return tuple(row)


def _json_post(path: str, body: dict) -> dict:
    return {"method": "POST", "url": f"http://127.0.0.1:8000{path}", "body": json.dumps(body),
            "content_type": "application/json"}


def test_a_cell_edit_draft_makes_the_wrong_effect_write_another_value(tmp_path, monkeypatch):
    """sheet/edit-quantity: the changed cell names no parameter (the item is in another column), so another item
    as the mistake left the effect as it was and the check true; now wrong_params changes the quantity, which the
    check compares and the effect sends."""
    from cleantrace.fleet import draft

    root, episode = _recorded(tmp_path, "sheet", "sheet/edit-quantity", {}, "", [])
    sheet_id, item, qty = _seed3(load_registry(root), "sheet", "select s.id, b.raw, c.raw from sheets s join cells b "
                                 "on b.sheet_id=s.id and b.row=13 and b.col=2 join cells c on c.sheet_id=s.id and "
                                 "c.row=13 and c.col=3 where s.name='Inventory'")
    new = "270" if qty != "270" else "275"
    params = {"item": item, "qty": int(new), "ref": "C13"}
    (episode / "meta.json").write_text(json.dumps({"task": "sheet/edit-quantity", "seed": 3, "params": params,
                                                   "instruction": f"Set the Qty of {item} in Inventory to {new}."}))
    (episode / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in [
        {"kind": "click", "target": {"role": "link", "name": "Inventory"}},
        {"kind": "double_click", "target": {"role": "gridcell", "name": "C13"}},
        {"kind": "hotkey", "keys": ["ctrl", "a"]},
        {"kind": "type", "text": new, "target": {"role": "textbox", "name": "Edit C13"}},
        {"kind": "key", "keys": ["Return"]}]))
    cell = {"sheet_id": sheet_id, "row": 13, "col": 3, "raw": qty, "format": "", "value": qty}
    changes = [draft.Change("cells", "changed", cell, {"raw": (qty, new), "value": (qty, new)})]
    sent = [_json_post(f"/api/sheets/{sheet_id}/cells", {"cells": [[13, 3, new]]})]
    monkeypatch.setattr(draft, "_probe", lambda *a, **k: (changes, sent))
    made = draft.draft_task(load_registry(root), episode, "sheet/redo-qty")
    report = lint_tasks(load_registry(root), ["sheet/redo-qty"])
    assert [str(p) for p in report.problems] == [] and report.with_effect == 1
    assert 'return {**p, "qty": p["qty"] + 1}' in made.path.read_text()


def test_a_compose_draft_pins_the_recipient_to_the_message_it_sent(tmp_path, monkeypatch):
    """mail/compose-to-contact: 'a recipient of that name exists' held for a contact who had mail before; the
    recipient is now the one of the message in the new thread, and the address the page sent is the address
    of the contact p["contact"] names, so another contact as the mistake sends to them and fails the check."""
    from cleantrace.fleet import draft

    root, episode = _recorded(tmp_path, "mail", "mail/compose-to-contact", {}, "", [])
    name, email, thread, message = _seed3(load_registry(root), "mail", "select c.name, c.email, (select max(id) + 1 "
                                          "from threads), (select max(id) + 1 from messages) from contacts c join "
                                          "recipients r on r.name = c.name order by c.id")  # a contact who had mail
    params = {"contact": name, "person": {"name": name, "email": email}, "subject": "Slides for the demo",
              "body": "Please review it by Thursday."}
    (episode / "meta.json").write_text(json.dumps({"task": "mail/compose-to-contact", "seed": 3, "params": params,
                                                   "instruction": f'Mail {name}: "Slides for the demo".'}))
    (episode / "actions.jsonl").write_text("".join(json.dumps(a) + "\n" for a in [
        {"kind": "click", "target": {"role": "button", "name": "Compose"}},
        {"kind": "type", "text": name, "target": {"role": "combobox", "name": "To"}},
        {"kind": "click", "target": {"role": "option", "name": name}},
        {"kind": "type", "text": params["subject"], "target": {"role": "textbox", "name": "Subject"}},
        {"kind": "type", "text": params["body"], "target": {"role": "textbox", "name": "Message"}},
        {"kind": "hotkey", "keys": ["ctrl", "Return"]}]))
    changes = [
        draft.Change("messages", "inserted", {"id": message, "thread_id": thread, "sender_name": "Robin Vale",
                                              "outgoing": 1, "body": params["body"]}),
        draft.Change("recipients", "inserted", {"message_id": message, "name": name, "email": email}),
        draft.Change("threads", "inserted", {"id": thread, "subject": params["subject"], "folder": "sent"})]
    sent = [_json_post("/api/send", {"to": [email], "subject": params["subject"], "body": params["body"],
                                     "thread": None})]
    monkeypatch.setattr(draft, "_probe", lambda *a, **k: (changes, sent))
    made = draft.draft_task(load_registry(root), episode, "mail/redo-compose")
    report = lint_tasks(load_registry(root), ["mail/redo-compose"])
    assert [str(p) for p in report.problems] == [] and report.with_effect == 1
    text = made.path.read_text()
    assert ('"select count(*) from recipients where message_id in (select id from messages where thread_id in '
            '(select id from threads where subject=?) and body=?) and name=?", p["subject"], p["body"], '
            'p["contact"]) > 0') in text
    assert made.effect[0] == 'contact_email = world.db.scalar("select email from contacts where name=?", p["contact"])'


def test_a_rename_draft_varies_the_typed_name_when_there_are_few_sheets(tmp_path, monkeypatch):
    """sheet/rename-sheet: four sheets and a constant new name gave 4 parameter sets over 20 seeds; the typed
    name, found nowhere in the world, now varies with the seed (the recorded one keeps the recorded name)."""
    from cleantrace.fleet import draft

    params = {"sheet": "Inventory", "name": "Budget draft v2"}
    root, episode = _recorded(tmp_path, "sheet", "sheet/rename-sheet", params,
                              "Open Inventory and use the rename dialog to call it Budget draft v2.", [
                                  {"kind": "click", "target": {"role": "link", "name": "Inventory"}},
                                  {"kind": "click", "target": {"role": "menuitem", "name": "Rename sheet…"}},
                                  {"kind": "type", "text": "Budget draft v2",
                                   "target": {"role": "textbox", "name": "Sheet name"}},
                                  {"kind": "click", "target": {"role": "button", "name": "Rename"}}])
    (sheet_id,) = _seed3(load_registry(root), "sheet", "select id from sheets where name='Inventory'")
    changes = [draft.Change("sheets", "changed", {"id": sheet_id, "name": "Inventory", "position": sheet_id},
                            {"name": ("Inventory", "Budget draft v2")})]
    sent = [_json_post(f"/api/sheets/{sheet_id}/rename", {"name": "Budget draft v2"})]
    monkeypatch.setattr(draft, "_probe", lambda *a, **k: (changes, sent))
    draft.draft_task(load_registry(root), episode, "sheet/redo-rename")
    registry = load_registry(root)
    report = lint_tasks(registry, ["sheet/redo-rename"])
    assert [str(p) for p in report.problems] == []
    from cleantrace.tasks.lint import SeededWorlds

    task = registry.tasks["sheet/redo-rename"]()
    with SeededWorlds(registry) as worlds:
        names = set()
        for seed in (3, 0, 1):
            world = worlds.fresh("sheet", seed)
            names.add(task.setup(world)["name"])
            world.close()
    assert "Budget draft v2" in names and len(names) == 3
