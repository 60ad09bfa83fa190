"""Writing new mail: recipients through the To combobox's autocomplete, Ctrl+Enter to send, filing what was sent."""

from __future__ import annotations

from cleantrace.tasks import Task, expect

from ._common import (
    add_recipient,
    contact_params,
    expect_sent,
    focus_page,
    has_label,
    label_menu,
    label_threads,
    new_subject,
    open_compose,
    send,
    send_mail,
)
from ._common import sentence as seeded_sentence


class ComposeToContact(Task):
    id = "mail/compose-to-contact"
    app = "mail"
    skills = ("aria-combobox", "autocomplete", "typing", "textarea")
    difficulty = "medium"
    instruction = (
        'Write a new email to {contact} with the subject "{subject}" and the text "{body}", then send it.',
        'Send {contact} a message that says "{body}" with the subject "{subject}".',
        'Compose a mail to {contact} (find them by typing part of their name), subject "{subject}", '
        'body "{body}", and send it.',
    )

    def setup(self, world):
        person = contact_params(world)
        return {"contact": person["name"], "person": person, "subject": new_subject(world),
                "body": seeded_sentence(world)}

    def solve(self, actor, p):
        open_compose(actor)
        add_recipient(actor, p["person"], keyboard=False)
        actor.type(p["subject"], label="Subject")
        actor.type(p["body"], label="Message")
        send(actor)

    def check(self, world, p):
        return expect_sent(world, p["subject"], {p["person"]["email"]}, p["body"])

    def effect(self, app, world, p):
        send_mail(app, world, [p["contact"]], p["subject"], p["body"])

    def wrong_params(self, world, p):
        other = contact_params(world, exclude=(p["contact"],))
        return {**p, "contact": other["name"], "person": other}


class KeyboardCompose(Task):
    id = "mail/keyboard-compose"
    app = "mail"
    skills = ("single-key-shortcut", "shortcut", "keyboard-nav", "autocomplete")
    difficulty = "medium"
    instruction = (
        'Without the mouse: press c, address the mail to {contact}, subject "{subject}", text "{body}", '
        "and send it with Ctrl+Enter.",
        'Using only the keyboard, send {contact} an email with subject "{subject}" saying "{body}" '
        "(Ctrl+Enter sends).",
        'Keyboard only: open a new message with the c key, pick {contact} as recipient, write "{body}" '
        'under the subject "{subject}" and press Ctrl+Enter.',
    )

    def setup(self, world):
        person = contact_params(world)
        return {"contact": person["name"], "person": person, "subject": new_subject(world),
                "body": seeded_sentence(world)}

    def solve(self, actor, p):
        focus_page(actor)
        actor.press("c")
        actor.wait_for(role="dialog", name="New message")
        add_recipient(actor, p["person"], keyboard=True, field=False)  # the To box has the focus
        actor.press("Tab")
        actor.type(p["subject"])
        actor.press("Tab")
        actor.type(p["body"])
        actor.hotkey("ctrl", "Return")
        actor.wait_for(text="Message sent")

    def check(self, world, p):
        return expect_sent(world, p["subject"], {p["person"]["email"]}, p["body"])

    def effect(self, app, world, p):
        send_mail(app, world, [p["contact"]], p["subject"], p["body"])

    def wrong_params(self, world, p):
        other = contact_params(world, exclude=(p["contact"],))
        return {**p, "contact": other["name"], "person": other}


class ComposeAndFile(Task):
    id = "mail/compose-and-file"
    app = "mail"
    skills = ("multi-step", "autocomplete", "aria-combobox", "textarea", "click")
    difficulty = "hard"
    instruction = (
        'Email {first} and {second} with the subject "{subject}" and the text "{body}"; after sending, '
        "find the message under Sent and give it the label {label}.",
        'Send "{body}" to both {first} and {second} (subject "{subject}"), then label the sent '
        "conversation {label}.",
        'Compose a mail to {first} and {second}, subject "{subject}", body "{body}"; send it, open it in '
        "Sent and file it under {label}.",
    )

    def setup(self, world):
        first = contact_params(world)
        second = contact_params(world, exclude=(first["name"],))
        label = world.choice([r.name for r in world.db.rows("select name from labels order by id")])
        return {"first": first["name"], "second": second["name"], "people": [first, second],
                "subject": new_subject(world), "body": seeded_sentence(world), "label": label}

    def solve(self, actor, p):
        keyboard = actor.prefers_keyboard()
        open_compose(actor)
        for person in p["people"]:
            add_recipient(actor, person, keyboard)
        actor.type(p["subject"], label="Subject")
        actor.type(p["body"], label="Message")
        send(actor)
        actor.click(role="link", name="Sent")
        actor.click(role="link", name=p["subject"])
        label_menu(actor, p["label"])

    def check(self, world, p):
        emails = {person["email"] for person in p["people"]}
        expect_sent(world, p["subject"], emails, p["body"])
        return expect(has_label(world, p["subject"], p["label"]), f"{p['subject']!r} is not labelled {p['label']}")

    def effect(self, app, world, p):
        send_mail(app, world, [p["first"], p["second"]], p["subject"], p["body"])
        label_threads(app, world, [p["subject"]], p["label"])

    def wrong_params(self, world, p):
        labels = [r.name for r in world.db.rows("select name from labels order by id") if r.name != p["label"]]
        return {**p, "label": world.choice(labels)}
