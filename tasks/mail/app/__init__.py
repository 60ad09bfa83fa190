"""mail: a small fake webmail client (folders, labels, threads, compose, search) on the episode's SQLite database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request
from markupsafe import Markup, escape

from cleantrace.world import Database, World

from .data import (
    BODY_CLOSINGS,
    BODY_OPENINGS,
    BODY_TOPICS,
    LABEL_POOL,
    SUBJECT_HEADS,
    SUBJECT_TAILS,
)

ME_NAME = "Robin Vale"
ME_EMAIL = "robin.vale@example.com"
CONTACT_COUNT = 24
THREAD_COUNT = 72
INBOX_COUNT = 62
SEEDED_LABELS = 5
FOLDERS = ("inbox", "archive", "spam", "trash")  # where a thread lives; "sent" holds threads I started
MOVE_TARGETS = ("Inbox", "Archive", "Spam", "Trash")
NEWEST = datetime(2026, 3, 20, 17, 45)

SCHEMA = """
create table contacts (id integer primary key, name text not null unique, email text not null unique);
create table threads (
    id integer primary key,
    subject text not null unique,
    folder text not null,
    starred integer not null default 0,
    unread integer not null default 0,
    updated_at text not null
);
create table messages (
    id integer primary key,
    thread_id integer not null references threads(id),
    sender_name text not null,
    sender_email text not null,
    outgoing integer not null default 0,
    sent_at text not null,
    body text not null
);
create table recipients (
    message_id integer not null references messages(id),
    name text not null,
    email text not null
);
create table labels (id integer primary key, name text not null unique);
create table thread_labels (
    thread_id integer not null references threads(id),
    label_id integer not null references labels(id),
    primary key (thread_id, label_id)
);
create index messages_by_thread on messages (thread_id, sent_at);  -- the list's per-thread subqueries
create index recipients_by_message on recipients (message_id);
"""


def populate(world: World) -> None:
    """Create the schema and fill it with seeded contacts, threads, messages and labels."""
    db, rng = world.db, world.rng
    db.executescript(SCHEMA)
    with db.transaction():  # one commit: hundreds of rows without a disk sync each
        names: list[str] = []
        while len(names) < CONTACT_COUNT:
            name = world.fake.name()
            if name not in names and name != ME_NAME and name.split()[0] not in {n.split()[0] for n in names}:
                names.append(name)
        contacts = []
        for name in sorted(names, key=lambda n: n.split()[-1]):
            email = world.fake.email(name)
            cur = db.execute("insert into contacts (name, email) values (?,?)", name, email)
            contacts.append((cur.lastrowid, name, email))

        for name in rng.sample(LABEL_POOL, SEEDED_LABELS):
            db.execute("insert into labels (name) values (?)", name)
        label_ids = [r.id for r in db.rows("select id from labels")]

        subjects = rng.sample([f"{h} {t}" for h in SUBJECT_HEADS for t in SUBJECT_TAILS], THREAD_COUNT)
        when = NEWEST
        folders = ["inbox"] * INBOX_COUNT + ["archive"] * 6 + ["spam"] * 2 + ["trash"] * 2
        rng.shuffle(folders)
        for subject, folder in zip(subjects, folders, strict=True):
            when -= timedelta(minutes=rng.randint(35, 600))
            _, sender, sender_email = rng.choice(contacts)
            count = rng.choice((1, 1, 2, 3))
            stamps = sorted(when - timedelta(minutes=rng.randint(20, 2000)) for _ in range(count - 1)) + [when]
            tid = db.execute(
                "insert into threads (subject, folder, starred, unread, updated_at) values (?,?,?,?,?)",
                subject, folder, int(rng.random() < 0.12), int(rng.random() < 0.4), when.isoformat(timespec="minutes"),
            ).lastrowid
            for i, stamp in enumerate(stamps):
                mine = (count - 1 - i) % 2 == 1  # the newest message is theirs, earlier ones alternate
                who, address = (ME_NAME, ME_EMAIL) if mine else (sender, sender_email)
                body = " ".join((rng.choice(BODY_OPENINGS), rng.choice(BODY_TOPICS), rng.choice(BODY_CLOSINGS)))
                mid = db.execute(
                    "insert into messages (thread_id, sender_name, sender_email, outgoing, sent_at, body)"
                    " values (?,?,?,?,?,?)", tid, who, address, int(mine), stamp.isoformat(timespec="minutes"), body,
                ).lastrowid
                to_name, to_email = (sender, sender_email) if mine else (ME_NAME, ME_EMAIL)
                db.execute("insert into recipients (message_id, name, email) values (?,?,?)", mid, to_name, to_email)
            if rng.random() < 0.25:
                db.execute("insert into thread_labels (thread_id, label_id) values (?,?)", tid, rng.choice(label_ids))


# -- queries the app and the tasks share ---------------------------------------------------------
VIEW_WHERE = {
    "inbox": "t.folder = 'inbox'",
    "starred": "t.starred = 1 and t.folder not in ('trash', 'spam')",
    "sent": "t.folder not in ('trash', 'spam') and exists (select 1 from messages m where m.thread_id = t.id"
            " and m.outgoing = 1)",
    "archive": "t.folder = 'archive'",
    "spam": "t.folder = 'spam'",
    "trash": "t.folder = 'trash'",
}
VIEW_TITLES = {"inbox": "Inbox", "starred": "Starred", "sent": "Sent", "archive": "Archive", "spam": "Spam",
               "trash": "Trash"}
THREAD_COLUMNS = """
    t.id, t.subject, t.folder, t.starred, t.unread, t.updated_at,
    (select count(*) from messages m where m.thread_id = t.id) as message_count,
    (select m.sender_name from messages m where m.thread_id = t.id and m.outgoing = 0
     order by m.sent_at desc limit 1) as correspondent,
    (select r.name from recipients r join messages m on m.id = r.message_id where m.thread_id = t.id
     order by m.sent_at limit 1) as first_recipient,
    (select m.body from messages m where m.thread_id = t.id order by m.sent_at desc limit 1) as snippet
"""


def threads_in(db: Database, view: str) -> list:
    """The threads of a folder view, newest first (as the list shows them)."""
    return db.rows(f"select {THREAD_COLUMNS} from threads t where {VIEW_WHERE[view]} order by t.updated_at desc")  # noqa: S608


def search_threads(db: Database, query: str) -> list:
    """Threads (outside Trash and Spam) whose subject, people or messages contain `query`."""
    like = f"%{query.strip()}%"
    return db.rows(
        f"select {THREAD_COLUMNS} from threads t where t.folder not in ('trash', 'spam') and ("  # noqa: S608
        " t.subject like ? or exists (select 1 from messages m where m.thread_id = t.id and"
        " (m.sender_name like ? or m.sender_email like ? or m.body like ?))) order by t.updated_at desc",
        like, like, like, like,
    )


def thread_labels(db: Database, thread_id: int) -> list[str]:
    return [r.name for r in db.rows(
        "select l.name from labels l join thread_labels tl on tl.label_id = l.id where tl.thread_id = ?"
        " order by l.name", thread_id)]


def _display_date(stamp: str) -> str:
    when = datetime.fromisoformat(stamp)
    return when.strftime("%H:%M") if when.date() == NEWEST.date() else when.strftime("%b %-d")


LINK = re.compile(r"https?://[a-z0-9-]+\.test(?:/[^\s<>\"']*)?")


def has_table(body: str) -> bool:
    return sum(" | " in line for line in body.split("\n")) >= 2


def message_body(body: str) -> Markup:
    """A message's body as HTML: links to the episode's `.test` apps clickable (they open in a new tab),
    and a run of lines with cells separated by " | " shown as a table (a plain body stays plain text)."""

    def linked(text: str) -> Markup:
        out, last = Markup(""), 0
        for m in LINK.finditer(text):
            out += escape(text[last:m.start()]) + Markup('<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(
                m[0])
            last = m.end()
        return out + escape(text[last:])

    lines = body.split("\n")
    if not has_table(body):
        return linked(body)
    out, rows = Markup(""), []
    for line in [*lines, ""]:
        if " | " in line:
            rows.append(line.split(" | "))
            continue
        if rows:
            head, *rest = rows
            out += Markup("<table class=\"mail-table\"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(
                Markup("").join(Markup("<th>{}</th>").format(c) for c in head),
                Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c)
                                                                              for c in row)) for row in rest))
            rows = []
        if line:
            out += Markup("<br>") + linked(line) if out else linked(line)
    return out


def create_app(db_path: str | Path) -> Flask:
    """The webmail app serving the database at `db_path`."""
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    db = Database(db_path)
    app.jinja_env.filters["maildate"] = _display_date
    app.jinja_env.filters["message_body"] = message_body
    app.jinja_env.filters["has_table"] = has_table

    def page_context(**extra):
        labels = db.rows("select id, name from labels order by name")
        counts = {v: db.scalar(f"select count(*) from threads t where {VIEW_WHERE[v]} and t.unread = 1")  # noqa: S608
                  for v in ("inbox", "spam")}
        contacts = db.rows("select name, email from contacts order by name")
        return dict(labels=labels, label_data=[vars(label) for label in labels], counts=counts,
                    contacts=[vars(c) for c in contacts],
                    titles=VIEW_TITLES, me=ME_NAME, **extra)

    def with_labels(rows):
        for row in rows:
            row.labels = thread_labels(db, row.id)
        return rows

    @app.get("/")
    def inbox():
        return folder("inbox")

    @app.get("/folder/<name>")
    def folder(name: str):
        if name not in VIEW_WHERE:
            abort(404)
        return render_template("list.html", **page_context(
            view=name, title=VIEW_TITLES[name], threads=with_labels(threads_in(db, name)), query=""))

    @app.get("/label/<int:label_id>")
    def label(label_id: int):
        name = db.scalar("select name from labels where id=?", label_id)
        if name is None:
            abort(404)
        rows = db.rows(f"select {THREAD_COLUMNS} from threads t join thread_labels tl on tl.thread_id = t.id"  # noqa: S608
                       " where tl.label_id = ? and t.folder not in ('trash', 'spam') order by t.updated_at desc",
                       label_id)
        return render_template("list.html", **page_context(
            view=f"label-{label_id}", title=name, threads=with_labels(rows), query=""))

    @app.get("/search")
    def search():
        query = request.args.get("q", "").strip()
        rows = with_labels(search_threads(db, query)) if query else []
        return render_template("list.html", **page_context(
            view="search", title=f"Results for “{query}”", threads=rows, query=query))

    @app.get("/thread/<int:thread_id>")
    def thread(thread_id: int):
        rows = db.rows(f"select {THREAD_COLUMNS} from threads t where t.id = ?", thread_id)  # noqa: S608
        if not rows:
            abort(404)
        db.execute("update threads set unread = 0 where id = ?", thread_id)
        messages = db.rows("select * from messages where thread_id = ? order by sent_at, id", thread_id)
        for m in messages:
            m.to = ", ".join(r.name for r in db.rows("select name from recipients where message_id=?", m.id))
        current = with_labels(rows)[0]
        incoming = [m for m in messages if not m.outgoing]
        last_people = db.rows("select email from recipients where message_id = ?", messages[-1].id)
        state = {
            "id": current.id, "subject": current.subject, "folder": current.folder, "labels": current.labels,
            "reply_to": [incoming[-1].sender_email] if incoming else [r.email for r in last_people],
            "last_body": messages[-1].body, "last_sender": messages[-1].sender_name,
        }
        return render_template("thread.html", **page_context(
            view="thread", thread=current, messages=messages, query="", move_targets=MOVE_TARGETS,
            thread_state=state, title=current.subject))

    # -- JSON endpoints: every change is stored at once -------------------------------------------
    def thread_ids() -> list[int]:
        ids = (request.get_json(silent=True) or {}).get("threads")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            abort(400)
        return ids

    @app.post("/api/move")
    def move():
        folder_name = (request.get_json(silent=True) or {}).get("folder")
        if folder_name not in FOLDERS:
            abort(400)
        for tid in thread_ids():
            db.execute("update threads set folder = ? where id = ?", folder_name, tid)
        return jsonify(ok=True)

    @app.post("/api/star")
    def star():
        on = bool((request.get_json(silent=True) or {}).get("starred"))
        for tid in thread_ids():
            db.execute("update threads set starred = ? where id = ?", int(on), tid)
        return jsonify(ok=True)

    @app.post("/api/read")
    def read():
        unread = bool((request.get_json(silent=True) or {}).get("unread"))
        for tid in thread_ids():
            db.execute("update threads set unread = ? where id = ?", int(unread), tid)
        return jsonify(ok=True)

    @app.post("/api/label")
    def apply_label():
        body = request.get_json(silent=True) or {}
        label_id = body.get("label")
        if db.scalar("select id from labels where id = ?", label_id) is None:
            abort(400)
        for tid in thread_ids():
            if body.get("on"):
                db.execute("insert or ignore into thread_labels (thread_id, label_id) values (?,?)", tid, label_id)
            else:
                db.execute("delete from thread_labels where thread_id = ? and label_id = ?", tid, label_id)
        return jsonify(ok=True)

    @app.post("/api/labels")
    def create_label():
        name = str((request.get_json(silent=True) or {}).get("name", "")).strip()
        if not name or len(name) > 40:
            return jsonify(error="Enter a label name."), 400
        if db.scalar("select id from labels where lower(name) = lower(?)", name) is not None:
            return jsonify(error=f"A label named {name} already exists."), 400
        return jsonify(id=db.execute("insert into labels (name) values (?)", name).lastrowid)

    @app.post("/api/send")
    def send():
        body = request.get_json(silent=True) or {}
        to = body.get("to")
        if not isinstance(to, list) or not to or not all(isinstance(a, str) for a in to):
            return jsonify(error="Add at least one recipient."), 400
        people = []
        for address in to:
            name = db.scalar("select name from contacts where email = ?", address)
            people.append((name or address, address))
        subject = str(body.get("subject", "")).strip() or "(no subject)"
        text = str(body.get("body", ""))
        now = datetime.fromisoformat(db.scalar("select max(updated_at) from threads")) + timedelta(minutes=1)
        stamp = now.isoformat(timespec="minutes")
        thread_id = body.get("thread")
        if thread_id is not None:
            if db.scalar("select id from threads where id = ?", thread_id) is None:
                abort(400)
            db.execute("update threads set updated_at = ? where id = ?", stamp, thread_id)
        else:
            if db.scalar("select id from threads where subject = ?", subject) is not None:
                subject = f"{subject} ({stamp[11:]})"  # subjects name threads: keep them unique
            thread_id = db.execute(
                "insert into threads (subject, folder, updated_at) values (?, 'sent', ?)", subject, stamp,
            ).lastrowid
        mid = db.execute(
            "insert into messages (thread_id, sender_name, sender_email, outgoing, sent_at, body)"
            " values (?,?,?,1,?,?)", thread_id, ME_NAME, ME_EMAIL, stamp, text,
        ).lastrowid
        for name, address in people:
            db.execute("insert into recipients (message_id, name, email) values (?,?,?)", mid, name, address)
        return jsonify(thread=thread_id, message=mid)

    @app.get("/favicon.ico")
    def favicon():
        return "", 204

    return app
