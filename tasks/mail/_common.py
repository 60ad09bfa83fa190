"""What the mail tasks share: picking threads and contacts from the seeded mailbox, composing, checking sent mail."""

from __future__ import annotations

from typing import Any

from cleantrace.tasks import CheckFailed

from .app import threads_in

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ASKS = (
    "Can we meet on {day}", "I will send the figures on {day}", "Please review it by {day}",
    "Let us talk it over on {day}", "I am out of office on {day}", "The call moves to {day}",
)
NEW_SUBJECTS = (
    "Lunch plans", "Slides for the demo", "Desk move", "Team photo", "Parking passes", "Visitor badges",
    "Coffee machine", "Printer access", "Holiday rota", "Book club", "Kickoff agenda", "Office plants",
)


def sentence(world) -> str:
    """A short seeded sentence to type into a message."""
    return world.choice(ASKS).format(day=world.choice(WEEKDAYS)) + "."


def new_subject(world) -> str:
    """A subject no thread has yet."""
    taken = {r.subject for r in world.db.rows("select subject from threads")}
    return world.choice([s for s in NEW_SUBJECTS if s not in taken])


def inbox(world) -> list:
    """The inbox's threads in the order the list shows them (newest first)."""
    return threads_in(world.db, "inbox")


def contact_matches(contacts: list, query: str) -> list:
    """The contacts the To box suggests for `query` (the same rule as the app's script)."""
    q = query.lower()
    return [c for c in contacts if any(w.startswith(q) for w in c.name.lower().split())
            or c.name.lower().startswith(q) or c.email.startswith(q)]


def prefix_for(world, name: str) -> str:
    """The shortest start (of 3+ letters) of the contact's last or first name that suggests only them."""
    contacts = world.db.rows("select name, email from contacts order by name")
    for word in (name.split()[-1], name.split()[0]):
        for n in range(3, len(word) + 1):
            if [c.name for c in contact_matches(contacts, word[:n])] == [name]:
                return word[:n]
    return name


def contact_params(world, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """A seeded contact other than `exclude`: name, address and what to type to find them."""
    row = world.choice([c for c in world.db.rows("select * from contacts order by id") if c.name not in exclude])
    return {"name": row.name, "email": row.email, "prefix": prefix_for(world, row.name)}


def add_recipient(actor, person: dict[str, str], keyboard: bool, field: bool = True) -> None:
    """Type part of a contact's name into To and take the suggestion (Enter, or a click on it)."""
    if field:
        actor.type(person["prefix"], label="To")
    else:
        actor.type(person["prefix"])
    actor.wait_for(role="option", name=person["name"])
    if keyboard:
        actor.press("Return")
    else:
        actor.click(role="option", name=person["name"])


def focus_page(actor) -> None:
    """Click the list's heading, as a person clicks into a window before typing shortcuts into it
    (a freshly opened kiosk window does not have the keyboard focus yet)."""
    actor.click(role="heading", name="Inbox")


def open_compose(actor) -> None:
    if actor.prefers_keyboard():
        focus_page(actor)
        actor.press("c")
    else:
        actor.click(role="button", name="Compose")
    actor.wait_for(role="dialog", name="New message")


def send(actor) -> None:
    if actor.prefers_keyboard():
        actor.hotkey("ctrl", "Return")
    else:
        actor.click(role="button", name="Send")
    actor.wait_for(text="Message sent")


def sent_to(world, subject: str) -> list[dict[str, Any]]:
    """Outgoing messages in the thread with this subject: their body and set of recipient addresses."""
    found = []
    for m in world.db.rows(
        "select m.id, m.body from messages m join threads t on t.id = m.thread_id"
        " where t.subject = ? and m.outgoing = 1", subject,
    ):
        to = {r.email for r in world.db.rows("select email from recipients where message_id = ?", m.id)}
        found.append({"body": m.body, "to": to})
    return found


def sent_ok(world, subject: str, emails: set[str], text: str) -> bool:
    """A message was sent in the thread `subject` to exactly `emails` with `text` in its body."""
    return any(m["to"] == emails and text in m["body"] for m in sent_to(world, subject))


def expect_sent(world, subject: str, emails: set[str], text: str) -> bool:
    """In a check: `sent_ok`, else fail the check saying what was (not) sent."""
    if sent_ok(world, subject, emails, text):
        return True
    sent = sent_to(world, subject)
    if not sent:
        raise CheckFailed(f"nothing was sent in the thread {subject!r}")
    if not any(m["to"] == emails for m in sent):
        got = ", ".join(sorted(sent[-1]["to"])) or "nobody"
        raise CheckFailed(f"the message in {subject!r} went to {got}, not {', '.join(sorted(emails))}")
    raise CheckFailed(f"the message to {', '.join(sorted(emails))} in {subject!r} does not say {text!r}")


def thread_id(world, subject: str) -> int | None:
    return world.db.scalar("select id from threads where subject = ?", subject)


def has_label(world, subject: str, label: str) -> bool:
    return bool(world.db.scalar(
        "select count(*) from thread_labels tl join threads t on t.id = tl.thread_id"
        " join labels l on l.id = tl.label_id where t.subject = ? and l.name = ?", subject, label))


def label_menu(actor, label: str) -> None:
    """Open the Labels menu, tick `label`, close the menu."""
    actor.click(role="button", name="Labels")
    actor.click(role="menuitemcheckbox", name=label)
    actor.press("Escape")


# -- effects: what solve() does to the mailbox, done through the app's own HTTP API -------------------
def api(app, path: str, body: dict) -> dict:
    """POST `body` to the app; the JSON answer (an error status raises)."""
    response = app.post(path, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    return response.get_json(silent=True) or {}


def send_mail(app, world, to: list[str], subject: str, body: str, reply_to: str | None = None) -> None:
    """Send a message to the contacts named `to` (a reply in the thread `reply_to` when given)."""
    emails = [world.db.scalar("select email from contacts where name = ?", name) for name in to]
    api(app, "/api/send", {"to": emails, "subject": subject, "body": body,
                           "thread": thread_id(world, reply_to) if reply_to else None})


def label_threads(app, world, subjects: list[str], label: str) -> None:
    """Put `label` (created if missing) on the threads with these subjects."""
    label_id = world.db.scalar("select id from labels where name = ?", label)
    if label_id is None:
        label_id = api(app, "/api/labels", {"name": label})["id"]
    api(app, "/api/label", {"threads": [thread_id(world, s) for s in subjects], "label": label_id, "on": True})


def move_threads(app, world, subjects: list[str], folder: str) -> None:
    api(app, "/api/move", {"threads": [thread_id(world, s) for s in subjects], "folder": folder})


def star_thread(app, world, subject: str) -> None:
    api(app, "/api/star", {"threads": [thread_id(world, subject)], "starred": True})
