"""Tasks on accounts and their contacts: a "New account" modal dialog, search then act, a contact added
with the keyboard alone, and onboarding a new account with its first contacts."""

from __future__ import annotations

import re
import zlib

from cleantrace.tasks import Task, expect
from cleantrace.world.fake import ascii_fold

from ._common import add_contact, create_account, post, row_named
from .app import INDUSTRIES, TITLES, slug


def new_company(world) -> str:
    """A seeded company name that is not an account yet."""
    taken = {r.name for r in world.db.rows("select name from accounts")}
    while (name := world.fake.company()) in taken:
        pass
    return name


def fake_phone(world) -> str:
    return f"555-01{world.rng.randint(0, 99):02d}"


def new_person(world) -> tuple[str, str]:
    """A seeded contact name that is nobody in the CRM yet, and an e-mail at example.com."""
    taken = {r.name for r in world.db.rows("select name from contacts union select name from leads")}
    while (name := world.fake.name()) in taken:
        pass
    local = name.lower().replace(" ", ".").replace(chr(39), "")
    if not local.isascii():  # a name of another locale: its letters without accents, or a made-up mailbox
        local = re.sub(r"[^a-z.]", "", ascii_fold(local)).strip(".") or f"contact{zlib.crc32(name.encode()) % 10000}"
    return name, f"{local}@example.com"


def other_account(world, name: str) -> str:
    names = [r.name for r in world.db.rows("select name from accounts order by name")]
    return names[(names.index(name) + 1) % len(names)]


def account_row(world, name: str):
    rows = world.db.rows("select * from accounts where name=?", name)
    return rows[0] if rows else None


def has_contact(world, account: str, name: str, **fields: str) -> bool:
    rows = world.db.rows(
        "select c.* from contacts c join accounts a on a.id=c.account_id where a.name=? and c.name=?", account, name
    )
    return any(all(getattr(r, k) == v for k, v in fields.items()) for r in rows)


class CreateAccount(Task):
    id = "crm/create-account"
    app = "crm"
    skills = ("modal-dialog", "form", "native-select", "typing")
    difficulty = "medium"
    start_path = "/accounts"
    instruction = (
        "Create a new account {account} in the {industry} industry, phone {phone}, e-mail {email}.",
        "Add the account {account} ({industry}); its phone is {phone} and its e-mail {email}.",
        "Use New account to register {account}: industry {industry}, phone {phone}, e-mail {email}.",
    )

    def setup(self, world):
        account = new_company(world)
        return {"account": account, "industry": world.choice(INDUSTRIES), "phone": fake_phone(world),
                "email": f"{slug(account)[:20]}@example.com"}

    def solve(self, actor, p):
        actor.click(role="button", name="New account")
        actor.type(p["account"], label="Account name")
        actor.select(label="Industry", option=p["industry"])
        actor.type(p["phone"], label="Phone")
        actor.type(p["email"], label="E-mail")
        if actor.prefers_keyboard():
            actor.press("Return")
        else:
            actor.click(role="button", name="Create account")
        actor.wait_for(text="Account created")

    def check(self, world, p):
        row = account_row(world, p["account"])
        return row is not None and (row.industry, row.phone, row.email) == (p["industry"], p["phone"], p["email"])

    def effect(self, app, world, p):
        create_account(app, world, p["account"], p["industry"], p["phone"], p["email"])

    def wrong_params(self, world, p):
        return {**p, "industry": next(i for i in INDUSTRIES if i != p["industry"])}


class SearchAccountSetIndustry(Task):
    id = "crm/search-account-set-industry"
    app = "crm"
    skills = ("search", "native-select", "form")
    difficulty = "easy"
    start_path = "/accounts"
    instruction = (
        "Search for the account {account} and change its industry to {industry}.",
        "Find {account} with the account search, then set its industry to {industry} and save.",
        "{account} is now in {industry}: look the account up and update its industry.",
    )

    def setup(self, world):
        account = world.pick("accounts")
        return {"account": account.name, "industry": world.choice([i for i in INDUSTRIES if i != account.industry])}

    def solve(self, actor, p):
        actor.type(p["account"], label="Search accounts")
        if actor.prefers_keyboard():
            actor.press("Return")
        else:
            actor.click(role="button", name="Search")
        actor.click(role="link", name=p["account"])
        actor.select(label="Industry", option=p["industry"])
        actor.click(role="button", name="Save account")

    def check(self, world, p):
        row = account_row(world, p["account"])
        expect(row is not None, f"there is no account {p['account']}")
        why = f"{p['account']}'s industry is {row.industry}, not {p['industry']}"
        return expect(row.industry == p["industry"], why)

    def effect(self, app, world, p):
        account = row_named(world, "accounts", p["account"])
        form = {"industry": p["industry"], "phone": account.phone, "email": account.email}
        post(app, f"/accounts/{account.id}", form)

    def wrong_params(self, world, p):
        return {**p, "account": other_account(world, p["account"])}


class AddContactWithKeyboard(Task):
    id = "crm/add-contact-keyboard"
    app = "crm"
    skills = ("keyboard-nav", "search", "form", "typing")
    difficulty = "hard"
    start_path = "/accounts"
    instruction = (
        "Click into the account search, then with the keyboard only add {contact} ({title}, {email}, {phone}) "
        "as a contact of {account}.",
        "From the account search box on, without touching the mouse again, open {account} and add the contact "
        "{contact}: title {title}, e-mail {email}, phone {phone}.",
        "Keyboard only after one click in the search box: find {account} and add {contact} to its contacts "
        "(job title {title}, e-mail {email}, phone {phone}).",
    )

    def setup(self, world):
        contact, email = new_person(world)
        return {"account": world.pick("accounts").name, "contact": contact, "title": world.choice(TITLES),
                "email": email, "phone": fake_phone(world)}

    def solve(self, actor, p):
        # one click gives the browser window the keyboard focus (a fresh window has none); then keys only
        actor.type(p["account"], label="Search accounts")
        actor.press("Return")
        actor.press("Tab", times=2)  # past the Search button to the first result, the exact match
        actor.press("Return")
        actor.type(p["contact"])  # the new-contact form has the focus on the account's page
        for value in (p["title"], p["email"], p["phone"]):
            actor.press("Tab")
            actor.type(value)
        actor.press("Return")
        actor.wait_for(text=f"Contact {p['contact']} added")

    def check(self, world, p):
        return has_contact(world, p["account"], p["contact"], title=p["title"], email=p["email"], phone=p["phone"])

    def effect(self, app, world, p):
        add_contact(app, world, p["account"], p["contact"], p["title"], p["email"], p["phone"])

    def wrong_params(self, world, p):
        return {**p, "account": other_account(world, p["account"])}


class OnboardAccount(Task):
    id = "crm/onboard-account"
    app = "crm"
    skills = ("multi-step", "modal-dialog", "form", "native-select", "typing")
    difficulty = "hard"
    start_path = "/accounts"
    instruction = (
        "Create the account {account} ({industry}, phone {phone}) and add two contacts to it: {contact1}, "
        "{title1}, {email1}; and {contact2}, {title2}, {email2}.",
        "Onboard {account}: a new {industry} account with phone {phone}, then the contacts {contact1} "
        "({title1}, {email1}) and {contact2} ({title2}, {email2}).",
        "Set up a new account {account} in {industry} (phone {phone}) with two contacts, {contact1} as "
        "{title1} ({email1}) and {contact2} as {title2} ({email2}).",
    )

    def setup(self, world):
        account = new_company(world)
        (contact1, email1), (contact2, email2) = new_person(world), new_person(world)
        title1, title2 = world.rng.sample(TITLES, 2)
        return {"account": account, "industry": world.choice(INDUSTRIES), "phone": fake_phone(world),
                "contact1": contact1, "title1": title1, "email1": email1,
                "contact2": contact2, "title2": title2, "email2": email2}

    def solve(self, actor, p):
        actor.click(role="button", name="New account")
        actor.type(p["account"], label="Account name")
        actor.select(label="Industry", option=p["industry"])
        actor.type(p["phone"], label="Phone")
        actor.click(role="button", name="Create account")
        for n in ("1", "2"):
            actor.type(p[f"contact{n}"], label="Contact name")
            actor.type(p[f"title{n}"], label="Job title")
            actor.type(p[f"email{n}"], label="Contact e-mail")
            if actor.prefers_keyboard():
                actor.press("Return")
            else:
                actor.click(role="button", name="Add contact")
            actor.wait_for(text=f"Contact {p[f'contact{n}']} added")

    def check(self, world, p):
        row = account_row(world, p["account"])
        return (
            row is not None and (row.industry, row.phone) == (p["industry"], p["phone"])
            and has_contact(world, p["account"], p["contact1"], title=p["title1"], email=p["email1"])
            and has_contact(world, p["account"], p["contact2"], title=p["title2"], email=p["email2"])
        )

    def effect(self, app, world, p):
        create_account(app, world, p["account"], p["industry"], p["phone"])
        for n in ("1", "2"):
            add_contact(app, world, p["account"], p[f"contact{n}"], p[f"title{n}"], p[f"email{n}"])

    def wrong_params(self, world, p):
        return {**p, "industry": next(i for i in INDUSTRIES if i != p["industry"])}
