"""The mail pack's app: seeded deterministically from reserved ranges; its endpoints store what the checks read."""

from __future__ import annotations

import pytest

from cleantrace.tasks import load_registry
from cleantrace.world import World
from cleantrace.world.fake import EMAIL_DOMAINS

REGISTRY = load_registry()
MAIL = REGISTRY.packs["mail"].load_app_module()


def seeded(tmp_path, seed: int = 3, name: str = "w.sqlite") -> World:
    world = World(seed, tmp_path / name)
    MAIL.populate(world)
    return world


def snapshot(world: World) -> list:
    return [
        [tuple(vars(r).values()) for r in world.db.rows(f"select * from {table} order by rowid")]  # noqa: S608
        for table in ("contacts", "threads", "messages", "recipients", "labels", "thread_labels")
    ]


@pytest.fixture
def mail(tmp_path):
    world = seeded(tmp_path)
    client = MAIL.create_app(world.db.path).test_client()
    yield world, client
    world.close()


def thread(world: World, subject: str):
    return world.db.rows("select * from threads where subject = ?", subject)[0]


def test_the_same_seed_gives_the_same_mailbox_and_another_seed_another(tmp_path):
    a, b, c = seeded(tmp_path, 5, "a.sqlite"), seeded(tmp_path, 5, "b.sqlite"), seeded(tmp_path, 6, "c.sqlite")
    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


def test_addresses_are_reserved_and_the_inbox_needs_scrolling(tmp_path):
    for seed in range(5):
        world = seeded(tmp_path, seed, f"{seed}.sqlite")
        addresses = [r.email for r in world.db.rows("select email from contacts union all select email from recipients"
                                                    " union all select sender_email from messages")]
        assert addresses and all(a.rsplit("@", 1)[1] in EMAIL_DOMAINS for a in addresses)
        assert len(MAIL.threads_in(world.db, "inbox")) == MAIL.INBOX_COUNT >= 60
        assert world.db.scalar("select count(distinct subject) = count(*) from threads") == 1
        world.close()


def test_pages_render_and_opening_a_thread_marks_it_read(mail):
    world, client = mail
    for path in ("/", "/folder/sent", "/folder/archive", "/folder/trash", "/label/1", "/search?q=review"):
        assert client.get(path).status_code == 200, path
    unread = world.db.rows("select id, subject from threads where unread = 1")[0]
    page = client.get(f"/thread/{unread.id}").get_data(as_text=True)
    assert unread.subject in page and 'aria-label="Move to"' in page
    assert world.db.scalar("select unread from threads where id = ?", unread.id) == 0
    assert client.get("/folder/nowhere").status_code == 404


def test_search_finds_subjects_and_senders_but_not_the_trash(mail):
    world, client = mail
    first = MAIL.threads_in(world.db, "inbox")[0]
    assert first.subject in [t.subject for t in MAIL.search_threads(world.db, first.subject)]
    assert first.subject in [t.subject for t in MAIL.search_threads(world.db, first.correspondent)]
    assert f'aria-label="{first.subject}"' in client.get(f"/search?q={first.correspondent}").get_data(as_text=True)
    client.post("/api/move", json={"threads": [first.id], "folder": "trash"})
    assert first.subject not in [t.subject for t in MAIL.search_threads(world.db, first.subject)]


def test_move_star_read_and_labels_are_stored_at_once(mail):
    world, client = mail
    a, b = (t.id for t in MAIL.threads_in(world.db, "inbox")[:2])
    assert client.post("/api/move", json={"threads": [a, b], "folder": "archive"}).status_code == 200
    assert world.db.scalar("select count(*) from threads where id in (?, ?) and folder = 'archive'", a, b) == 2
    assert client.post("/api/move", json={"threads": [a], "folder": "sent"}).status_code == 400
    client.post("/api/star", json={"threads": [a], "starred": True})
    client.post("/api/read", json={"threads": [b], "unread": True})
    assert world.db.scalar("select starred from threads where id = ?", a) == 1
    assert world.db.scalar("select unread from threads where id = ?", b) == 1

    made = client.post("/api/labels", json={"name": "Waiting"}).get_json()
    assert client.post("/api/labels", json={"name": "waiting"}).status_code == 400  # names are unique
    client.post("/api/label", json={"threads": [a, b], "label": made["id"], "on": True})
    assert MAIL.thread_labels(world.db, a) == MAIL.thread_labels(world.db, b) == sorted(
        MAIL.thread_labels(world.db, a)) and "Waiting" in MAIL.thread_labels(world.db, a)
    client.post("/api/label", json={"threads": [a], "label": made["id"], "on": False})
    assert "Waiting" not in MAIL.thread_labels(world.db, a) and "Waiting" in MAIL.thread_labels(world.db, b)


def test_sending_new_mail_and_replies_stores_recipients(mail):
    world, client = mail
    people = world.db.rows("select name, email from contacts order by id")[:2]
    sent = client.post("/api/send", json={"to": [p.email for p in people], "subject": "Desk move",
                                          "body": "See you there.", "thread": None}).get_json()
    row = world.db.rows("select * from threads where id = ?", sent["thread"])[0]
    assert (row.subject, row.folder) == ("Desk move", "sent")
    stored = world.db.rows("select name, email from recipients where message_id = ? order by rowid", sent["message"])
    assert [(r.name, r.email) for r in stored] == [(p.name, p.email) for p in people]
    assert "Desk move" in [t.subject for t in MAIL.threads_in(world.db, "sent")]

    first = MAIL.threads_in(world.db, "inbox")[0]
    reply = client.post("/api/send", json={"to": [people[0].email], "subject": f"Re: {first.subject}",
                                           "body": "Thanks.", "thread": first.id}).get_json()
    assert reply["thread"] == first.id and thread(world, first.subject).folder == "inbox"
    assert client.post("/api/send", json={"to": [], "subject": "x", "body": ""}).status_code == 400
