"""menus: a menu with a submenu that opens on hover, at fixed places on the page (volunteer tests steer to them)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from cleantrace.world import Database, World

PAGE = (Path(__file__).parent / "page.html").read_text()


def populate(world: World) -> None:
    world.db.executescript("create table log (id integer primary key, entry text not null);")


def create_app(db_path: str | Path) -> Flask:
    app = Flask(__name__)
    db = Database(db_path)

    @app.get("/")
    def page():
        return PAGE

    @app.post("/log")
    def log():
        db.execute("insert into log (entry) values (?)", request.get_json()["entry"])
        return {"ok": True}

    return app
