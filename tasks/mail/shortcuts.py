"""Gmail-style single-key shortcuts: j/k move through the inbox, then e, s, # or o + r act on a conversation."""

from __future__ import annotations

from cleantrace.tasks import Task

from ._common import focus_page, inbox, move_threads, send_mail, sent_ok, star_thread
from ._common import sentence as seeded_sentence
from .app import INBOX_COUNT

REACH = range(1, 10)  # how many rows down the target may be (the cursor starts on the first row)


def _target(world, steps: int) -> dict:
    """The inbox thread `steps` rows below the first, as the parameters of a keyboard task."""
    rows = inbox(world)
    return {"subject": rows[steps].subject, "sender": rows[steps].correspondent, "steps": steps}


def _seeded_target(world, keep=lambda t: True) -> dict:
    rows = inbox(world)
    steps = world.choice([i for i in REACH if keep(rows[i])])
    return _target(world, steps)


def _neighbour(world, p: dict, keep=lambda t: True) -> dict:
    """The same task aimed one row off (the classic slip of j/k)."""
    rows = inbox(world)
    for steps in (p["steps"] + 1, p["steps"] - 1, p["steps"] + 2):
        if 0 <= steps < len(rows) and keep(rows[steps]):
            return {**p, **_target(world, steps)}
    raise LookupError("no neighbouring thread fits")


def _go_to(actor, steps: int) -> None:
    """Move the list cursor down `steps` rows with j (a keyboard person overshoots and comes back with k)."""
    focus_page(actor)
    if actor.prefers_keyboard() and steps > 1:
        actor.press("j", times=steps + 1)
        actor.press("k")
    else:
        actor.press("j", times=steps)


def _folder(world, subject: str) -> str:
    return world.db.scalar("select folder from threads where subject = ?", subject)


class ArchiveWithKeys(Task):
    id = "mail/archive-with-keys"
    app = "mail"
    skills = ("single-key-shortcut", "keyboard-nav")
    difficulty = "easy"
    instruction = (
        'Using only the keyboard, move to "{subject}" from {sender} with j/k and archive it with e.',
        'Archive the conversation "{subject}" ({sender}) with Gmail-style keys: j to reach it, then e.',
        'With keyboard shortcuts only, select "{subject}" from {sender} in the inbox and archive it.',
    )

    def setup(self, world):
        return _seeded_target(world)

    def solve(self, actor, p):
        _go_to(actor, p["steps"])
        actor.press("e")
        actor.wait_for(text="Conversation archived")

    def check(self, world, p):
        return _folder(world, p["subject"]) == "archive" and len(inbox(world)) == INBOX_COUNT - 1

    def effect(self, app, world, p):
        move_threads(app, world, [p["subject"]], "archive")

    def wrong_params(self, world, p):
        return _neighbour(world, p)


class StarWithKeys(Task):
    id = "mail/star-with-keys"
    app = "mail"
    skills = ("single-key-shortcut", "keyboard-nav")
    difficulty = "easy"
    instruction = (
        'Star the conversation "{subject}" from {sender} using only keys: j/k to get there, s to star.',
        'Keyboard only: move the inbox cursor to "{subject}" ({sender}) and press s to star it.',
        'Without the mouse, give "{subject}" from {sender} a star.',
    )

    def setup(self, world):
        p = _seeded_target(world, keep=lambda t: not t.starred)
        return {**p, "starred_before": world.db.scalar("select count(*) from threads where starred = 1")}

    def solve(self, actor, p):
        _go_to(actor, p["steps"])
        actor.press("s")

    def check(self, world, p):
        starred = world.db.scalar("select starred from threads where subject = ?", p["subject"])
        total = world.db.scalar("select count(*) from threads where starred = 1")
        return starred == 1 and total == p["starred_before"] + 1

    def effect(self, app, world, p):
        star_thread(app, world, p["subject"])

    def wrong_params(self, world, p):
        return _neighbour(world, p, keep=lambda t: not t.starred)


class DeleteWithKeys(Task):
    id = "mail/delete-with-keys"
    app = "mail"
    skills = ("single-key-shortcut", "keyboard-nav")
    difficulty = "easy"
    instruction = (
        'Delete "{subject}" from {sender} with keyboard shortcuts: j/k to reach it, # to delete.',
        'Using only keys, move to the conversation "{subject}" ({sender}) and send it to the Trash.',
        'Keyboard only: put "{subject}" from {sender} in the Trash with the # shortcut.',
    )

    def setup(self, world):
        return _seeded_target(world)

    def solve(self, actor, p):
        _go_to(actor, p["steps"])
        actor.press("#")
        actor.wait_for(text="Conversation moved to Trash")

    def check(self, world, p):
        return _folder(world, p["subject"]) == "trash" and len(inbox(world)) == INBOX_COUNT - 1

    def effect(self, app, world, p):
        move_threads(app, world, [p["subject"]], "trash")

    def wrong_params(self, world, p):
        return _neighbour(world, p)


class ReplyWithKeys(Task):
    id = "mail/reply-with-keys"
    app = "mail"
    skills = ("keyboard-nav", "single-key-shortcut", "shortcut")
    difficulty = "medium"
    instruction = (
        'Keyboard only: open "{subject}" from {sender} (j/k, then o or Enter), reply with r, write '
        '"{body}" and send with Ctrl+Enter.',
        'Reply "{body}" to {sender}\'s conversation "{subject}" without touching the mouse.',
        'Using Gmail-style keys, reach "{subject}" ({sender}), open it, answer "{body}" and send it with '
        "Ctrl+Enter.",
    )

    def setup(self, world):
        p = _seeded_target(world)
        p["email"] = world.db.scalar("select email from contacts where name = ?", p["sender"])
        return {**p, "body": seeded_sentence(world), "open_key": world.choice(["o", "Return"])}

    def solve(self, actor, p):
        _go_to(actor, p["steps"])
        actor.press(p["open_key"])
        actor.wait_for(role="button", name="Reply")
        actor.press("r")
        actor.wait_for(role="dialog", name="Reply")
        actor.type(p["body"])
        actor.hotkey("ctrl", "Return")
        actor.wait_for(text="Message sent")

    def check(self, world, p):
        return sent_ok(world, p["subject"], {p["email"]}, p["body"])

    def effect(self, app, world, p):
        send_mail(app, world, [p["sender"]], f"Re: {p['subject']}", p["body"], reply_to=p["subject"])

    def wrong_params(self, world, p):
        wrong = _neighbour(world, p)
        return {**wrong, "email": world.db.scalar("select email from contacts where name = ?", wrong["sender"])}
