"""leaky: a page where a hostile volunteer leaves personal data in every form the scan must read."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from cleantrace.world import Database, World

PAGE = (Path(__file__).parent / "page.html").read_text()


def populate(world: World) -> None:
    world.db.executescript("create table notes (id integer primary key, body text not null);")


def create_app(db_path: str | Path) -> Flask:
    app = Flask(__name__)
    db = Database(db_path)

    @app.get("/")
    def page():
        return PAGE

    @app.post("/note")
    def note():
        db.execute("insert into notes (body) values (?)", request.get_json()["body"])
        return {"ok": True}

    return app
