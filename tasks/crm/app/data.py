"""The CRM's schema and its seeded fake world: owners, accounts, contacts, leads, deals."""

from __future__ import annotations

import datetime as dt
import re
import zlib

from cleantrace.world import World
from cleantrace.world.fake import ascii_fold

STATUSES = ("New", "Contacted", "Qualified", "Proposal", "Won", "Lost")
PRIORITIES = ("Low", "Medium", "High", "Urgent")
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Logistics", "Education", "Energy")
TITLES = ("Buyer", "CFO", "Office Manager", "IT Director", "Head of Sales", "Operations Lead", "CEO")
DEAL_KINDS = ("renewal", "expansion", "pilot", "license", "rollout")
LEAD_COUNT = 64
ACCOUNT_COUNT = 30
OWNER_COUNT = 6
DEALS_PER_STAGE = 4
FIRST_CLOSE_DATE = dt.date(2026, 1, 5)  # seeded close dates fall in 2026, whatever the host's clock says

SCHEMA = """
create table owners (id integer primary key, name text not null unique);
create table accounts (
    id integer primary key,
    name text not null unique,
    industry text not null,
    phone text not null,
    email text not null
);
create table contacts (
    id integer primary key,
    account_id integer not null references accounts(id),
    name text not null,
    title text not null default '',
    email text not null default '',
    phone text not null default ''
);
create table leads (
    id integer primary key,
    name text not null unique,
    company text not null,
    email text not null,
    phone text not null,
    status text not null,
    priority text not null,
    owner text not null default '',
    starred integer not null default 0,
    notes text not null default '',
    saves integer not null default 0
);
create table deals (
    id integer primary key,
    name text not null unique,
    account_id integer not null references accounts(id),
    stage text not null,
    amount integer not null,
    close_date text not null,
    owner text not null,
    position integer not null default 0
);
create table ui_state (key text primary key, value text not null);
"""


def slug(text: str) -> str:
    """Lower-case letters and digits only: the local part of a made-up e-mail address."""
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower()) or f"office{zlib.crc32(text.encode()) % 10000}"


def populate(world: World) -> None:
    """Create the schema and fill it with seeded fake owners, accounts, contacts, leads and deals."""
    world.db.executescript(SCHEMA)
    with world.db.transaction():  # hundreds of rows, one disk sync
        _fill(world)


def _fill(world: World) -> None:
    db, fake, rng = world.db, world.fake, world.rng
    people = _unique(fake.name, OWNER_COUNT + LEAD_COUNT + 2 * ACCOUNT_COUNT)
    owners, people = sorted(people[:OWNER_COUNT]), people[OWNER_COUNT:]
    for owner in owners:
        db.execute("insert into owners (name) values (?)", owner)

    companies = sorted(_unique(fake.company, ACCOUNT_COUNT))
    for company in companies:
        db.execute(
            "insert into accounts (name, industry, phone, email) values (?,?,?,?)",
            company, rng.choice(INDUSTRIES), fake.phone(), f"{slug(company)[:20]}@example.com",
        )
    accounts = db.rows("select id, name from accounts order by id")
    contacts, people = people[: 2 * ACCOUNT_COUNT], people[2 * ACCOUNT_COUNT:]
    for n, name in enumerate(contacts):
        db.execute(
            "insert into contacts (account_id, name, title, email, phone) values (?,?,?,?,?)",
            accounts[n % ACCOUNT_COUNT].id, name, rng.choice(TITLES), fake.email(name), fake.phone(),
        )

    for name in sorted(people, key=lambda n: n.split()[-1]):
        db.execute(
            "insert into leads (name, company, email, phone, status, priority, owner) values (?,?,?,?,?,?,?)",
            name, rng.choice(companies), fake.email(name), fake.phone(), rng.choice(STATUSES),
            rng.choice(PRIORITIES), rng.choice(owners),
        )

    deal_accounts = rng.sample(accounts, DEALS_PER_STAGE * len(STAGES))
    for n, account in enumerate(deal_accounts):
        close = FIRST_CLOSE_DATE + dt.timedelta(days=rng.randint(0, 330))
        db.execute(
            "insert into deals (name, account_id, stage, amount, close_date, owner, position)"
            " values (?,?,?,?,?,?,?)",
            f"{account.name} {rng.choice(DEAL_KINDS)}", account.id, STAGES[n % len(STAGES)],
            rng.randrange(5, 250) * 1000, close.isoformat(), rng.choice(owners), n,
        )


def _unique(make, count: int) -> list[str]:
    """`count` distinct values of `make()`, in the order first made."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen.setdefault(make(), None)
    return list(seen)


def nice_date(iso: str) -> str:
    """'2026-04-03' → 'April 3, 2026' (how the app shows dates and how instructions name them)."""
    day = dt.date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"
