"""crm: a small fake CRM (leads table, lead detail form) on the episode's SQLite database."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, redirect, render_template, request, url_for

from cleantrace.world import Database, World

STATUSES = ("New", "Contacted", "Qualified", "Proposal", "Won", "Lost")
PRIORITIES = ("Low", "Medium", "High", "Urgent")
LEAD_COUNT = 12

SCHEMA = """
create table leads (
    id integer primary key,
    name text not null unique,
    company text not null,
    email text not null,
    phone text not null,
    status text not null,
    priority text not null,
    notes text not null default '',
    saves integer not null default 0
);
"""


def populate(world: World) -> None:
    """Create the schema and fill it with seeded fake leads."""
    world.db.executescript(SCHEMA)
    names: set[str] = set()
    while len(names) < LEAD_COUNT:
        names.add(world.fake.name())
    for name in sorted(names, key=lambda n: n.split()[-1]):
        world.db.execute(
            "insert into leads (name, company, email, phone, status, priority) values (?,?,?,?,?,?)",
            name,
            world.fake.company(),
            world.fake.email(name),
            world.fake.phone(),
            world.rng.choice(STATUSES),
            world.rng.choice(PRIORITIES),
        )


def create_app(db_path: str | Path) -> Flask:
    """The CRM web app serving the database at `db_path`."""
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    db = Database(db_path)

    @app.get("/")
    def leads():
        rows = db.rows("select * from leads order by id")
        return render_template("leads.html", leads=rows)

    @app.get("/leads/<int:lead_id>")
    def lead(lead_id: int):
        rows = db.rows("select * from leads where id=?", lead_id)
        if not rows:
            abort(404)
        return render_template(
            "lead.html", lead=rows[0], statuses=STATUSES, priorities=PRIORITIES,
            saved=request.args.get("saved") == "1",
        )

    @app.post("/leads/<int:lead_id>")
    def save_lead(lead_id: int):
        form = request.form
        if form.get("status") not in STATUSES or form.get("priority") not in PRIORITIES:
            abort(400)
        db.execute(
            "update leads set status=?, priority=?, notes=?, saves=saves+1 where id=?",
            form["status"], form["priority"], form.get("notes", ""), lead_id,
        )
        return redirect(url_for("lead", lead_id=lead_id, saved=1))

    return app
