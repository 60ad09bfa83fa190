"""Organising the mailbox: search then act, checkboxes and the bulk toolbar, labels, the More ▸ Move to menu,
scrolling far down the inbox."""

from __future__ import annotations

from datetime import datetime

from cleantrace.tasks import Task

from ._common import (
    focus_page,
    has_label,
    inbox,
    label_menu,
    label_threads,
    move_threads,
    send_mail,
    sent_ok,
    star_thread,
)
from ._common import sentence as seeded_sentence
from .app import INBOX_COUNT
from .app.data import NEW_LABEL_NAMES

FIRST_SCREEN = 12  # rows a person sees or reaches without much scrolling
OLD_ROWS = range(40, 60)  # rows far down the inbox


def _day(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%b %-d")


def _label_names(world) -> list[str]:
    return [r.name for r in world.db.rows("select name from labels order by id")]


def _other_label(world, subject: str, but: str = "") -> str:
    return world.choice([n for n in _label_names(world) if n != but and not has_label(world, subject, n)])


def _folder(world, subject: str) -> str:
    return world.db.scalar("select folder from threads where subject = ?", subject)


def _search(actor, text: str) -> None:
    """Find conversations through the search box (focused by a click, or with / by a keyboard person)."""
    if actor.prefers_keyboard():
        focus_page(actor)
        actor.press("slash")
        actor.type(text)
    else:
        actor.type(text, label="Search mail")
    actor.press("Return")
    actor.wait_for(role="heading", name=f"Results for “{text}”")


class SearchAndLabel(Task):
    id = "mail/search-and-label"
    app = "mail"
    skills = ("search", "click")
    difficulty = "medium"
    instruction = (
        'Search for the conversation "{subject}" from {sender} and give it the label {label}.',
        'Find "{subject}" with the search box, open it and label it {label}.',
        'Use search to locate {sender}\'s mail "{subject}", then apply the {label} label to it.',
    )

    def setup(self, world):
        thread = world.choice(inbox(world)[FIRST_SCREEN:])
        return {"subject": thread.subject, "sender": thread.correspondent,
                "label": _other_label(world, thread.subject)}

    def solve(self, actor, p):
        _search(actor, p["subject"])
        actor.click(role="link", name=p["subject"])
        label_menu(actor, p["label"])

    def check(self, world, p):
        return has_label(world, p["subject"], p["label"])

    def effect(self, app, world, p):
        label_threads(app, world, [p["subject"]], p["label"])

    def wrong_params(self, world, p):
        return {**p, "label": _other_label(world, p["subject"], but=p["label"])}


class SelectAndArchive(Task):
    id = "mail/select-and-archive"
    app = "mail"
    skills = ("multi-select", "bulk-edit", "click")
    difficulty = "medium"
    instruction = (
        'Tick the checkboxes of "{first}", "{second}" and "{third}" in the inbox and archive them together.',
        'Select the conversations "{first}", "{second}" and "{third}" and archive all three at once.',
        'Archive "{first}", "{second}" and "{third}" in one go using the selection checkboxes.',
    )

    def setup(self, world):
        rows = inbox(world)[:FIRST_SCREEN]
        picked = sorted(world.rng.sample(range(len(rows)), 3))
        return dict(zip(("first", "second", "third"), (rows[i].subject for i in picked), strict=True))

    def solve(self, actor, p):
        for key in ("first", "second", "third"):
            actor.click(role="checkbox", name=f"Select {p[key]}")
        if actor.prefers_keyboard():
            actor.press("e")
        else:
            actor.click(role="button", name="Archive")
        actor.wait_for(text="3 conversations archived")

    def check(self, world, p):
        chosen = [p["first"], p["second"], p["third"]]
        return all(_folder(world, s) == "archive" for s in chosen) and len(inbox(world)) == INBOX_COUNT - 3

    def effect(self, app, world, p):
        move_threads(app, world, [p["first"], p["second"], p["third"]], "archive")

    def wrong_params(self, world, p):
        taken = {p["first"], p["second"], p["third"]}
        other = world.choice([t.subject for t in inbox(world)[:FIRST_SCREEN] if t.subject not in taken])
        return {**p, "third": other}


class LabelSelected(Task):
    id = "mail/label-selected"
    app = "mail"
    skills = ("multi-select", "bulk-edit", "click")
    difficulty = "medium"
    instruction = (
        'Select "{first}" and "{second}" in the inbox and apply the label {label} to both.',
        'Give the conversations "{first}" and "{second}" the label {label} using the checkboxes and the '
        "Labels menu.",
        'Tick "{first}" and "{second}", then label them {label} from the toolbar.',
    )

    def setup(self, world):
        rows = inbox(world)[:FIRST_SCREEN]
        label = world.choice(_label_names(world))
        free = [t.subject for t in rows if not has_label(world, t.subject, label)]
        first, second = sorted(world.rng.sample(free, 2), key=[t.subject for t in rows].index)
        return {"first": first, "second": second, "label": label}

    def solve(self, actor, p):
        for key in ("first", "second"):
            actor.click(role="checkbox", name=f"Select {p[key]}")
        if actor.prefers_keyboard():
            actor.press("l")
            actor.click(role="menuitemcheckbox", name=p["label"])
            actor.press("Escape")
        else:
            label_menu(actor, p["label"])

    def check(self, world, p):
        return has_label(world, p["first"], p["label"]) and has_label(world, p["second"], p["label"])

    def effect(self, app, world, p):
        label_threads(app, world, [p["first"], p["second"]], p["label"])

    def wrong_params(self, world, p):
        return {**p, "label": world.choice([n for n in _label_names(world) if n != p["label"]])}


class CreateLabelAndApply(Task):
    id = "mail/create-label-and-apply"
    app = "mail"
    skills = ("modal-dialog", "form", "click")
    difficulty = "medium"
    instruction = (
        'Create a new label called "{label}" and put the conversation "{subject}" under it.',
        'Open "{subject}", make a new label named "{label}" from the Labels menu and apply it.',
        'Label "{subject}" with a label "{label}" that does not exist yet (create it).',
    )

    def setup(self, world):
        thread = world.choice(inbox(world)[:FIRST_SCREEN])
        taken = set(_label_names(world))
        return {"subject": thread.subject, "label": world.choice([n for n in NEW_LABEL_NAMES if n not in taken])}

    def solve(self, actor, p):
        actor.click(role="link", name=p["subject"])
        actor.click(role="button", name="Labels")
        actor.click(role="menuitem", name="Create new label")
        actor.type(p["label"], label="Label name")
        if actor.prefers_keyboard():
            actor.press("Return")
        else:
            actor.click(role="button", name="Create")
        actor.wait_for(role="link", name=p["label"])

    def check(self, world, p):
        return has_label(world, p["subject"], p["label"])

    def effect(self, app, world, p):
        label_threads(app, world, [p["subject"]], p["label"])

    def wrong_params(self, world, p):
        other = world.choice([t.subject for t in inbox(world)[:FIRST_SCREEN] if t.subject != p["subject"]])
        return {**p, "subject": other}


class MoveWithMoreMenu(Task):
    id = "mail/move-with-more-menu"
    app = "mail"
    skills = ("nested-menu", "click")
    difficulty = "medium"
    instruction = (
        'Open "{subject}" and move it to {folder} through More ▸ Move to.',
        'Use the More menu\'s "Move to" submenu to file the conversation "{subject}" in {folder}.',
        'Move "{subject}" from {sender} to the {folder} folder (More, then Move to).',
    )

    def setup(self, world):
        thread = world.choice(inbox(world)[:FIRST_SCREEN])
        return {"subject": thread.subject, "sender": thread.correspondent,
                "folder": world.choice(["Archive", "Spam", "Trash"])}

    def solve(self, actor, p):
        actor.click(role="link", name=p["subject"])
        actor.click(role="button", name="More")
        actor.hover(role="menuitem", name="Move to")
        actor.click(role="menuitem", name=p["folder"])
        actor.wait_for(text=f"Conversation moved to {p['folder']}")

    def check(self, world, p):
        return _folder(world, p["subject"]) == p["folder"].lower()

    def effect(self, app, world, p):
        move_threads(app, world, [p["subject"]], p["folder"].lower())

    def wrong_params(self, world, p):
        return {**p, "folder": world.choice([f for f in ("Archive", "Spam", "Trash") if f != p["folder"]])}


class ScrollAndStar(Task):
    id = "mail/scroll-and-star"
    app = "mail"
    skills = ("scroll", "click")
    difficulty = "easy"
    instruction = (
        'Scroll down the inbox to the older conversation "{subject}" from {sender} and star it.',
        'Find "{subject}" ({sender}, {date}) far down the inbox and give it a star.',
        'Star the old mail "{subject}" from {sender}; it is further down the inbox.',
    )

    def setup(self, world):
        rows = inbox(world)
        thread = rows[world.choice([i for i in OLD_ROWS if not rows[i].starred])]
        return {"subject": thread.subject, "sender": thread.correspondent,
                "date": _day(thread.updated_at)}

    def solve(self, actor, p):
        actor.scroll_to(role="listitem", name=p["subject"])
        actor.click(role="button", name=f"Star {p['subject']}")

    def check(self, world, p):
        return world.db.scalar("select starred from threads where subject = ?", p["subject"]) == 1

    def effect(self, app, world, p):
        star_thread(app, world, p["subject"])

    def wrong_params(self, world, p):
        rows = inbox(world)
        at = [t.subject for t in rows].index(p["subject"])
        near = [t for t in rows[at - 3:at + 4] if t.subject != p["subject"] and not t.starred]
        thread = world.choice(near)
        return {"subject": thread.subject, "sender": thread.correspondent, "date": _day(thread.updated_at)}


class ReplyAndLabel(Task):
    id = "mail/reply-and-label"
    app = "mail"
    skills = ("multi-step", "search", "textarea", "click")
    difficulty = "hard"
    instruction = (
        'Search for "{subject}", reply to {sender} with "{body}", then label the conversation {label}.',
        'Answer {sender}\'s mail "{subject}" with the sentence "{body}" and file the thread under {label}.',
        'Find the conversation "{subject}" through search, send the reply "{body}" and apply the label {label}.',
    )

    def setup(self, world):
        thread = world.choice(inbox(world)[FIRST_SCREEN:])
        return {"subject": thread.subject, "sender": thread.correspondent,
                "email": world.db.scalar("select email from contacts where name = ?", thread.correspondent),
                "body": seeded_sentence(world), "label": _other_label(world, thread.subject)}

    def solve(self, actor, p):
        _search(actor, p["subject"])
        actor.click(role="link", name=p["subject"])
        actor.click(role="button", name="Reply")
        actor.type(p["body"], label="Message")
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "Return")
        else:
            actor.click(role="button", name="Send")
        actor.wait_for(text="Message sent")
        label_menu(actor, p["label"])

    def check(self, world, p):
        return sent_ok(world, p["subject"], {p["email"]}, p["body"]) and has_label(world, p["subject"], p["label"])

    def effect(self, app, world, p):
        send_mail(app, world, [p["sender"]], f"Re: {p['subject']}", p["body"], reply_to=p["subject"])
        label_threads(app, world, [p["subject"]], p["label"])

    def wrong_params(self, world, p):
        return {**p, "label": _other_label(world, p["subject"], but=p["label"])}
