"""The sheet pack's app: seeded workbook, JSON endpoints persisting to SQLite, formulas, row shifting,
and that each task's check reads what the endpoints write (Flask test client, no sandbox)."""

from __future__ import annotations

import re

import pytest

from cleantrace.privacy.ranges import is_fictional_phone
from cleantrace.tasks import load_registry
from cleantrace.world import World
from cleantrace.world.fake import EMAIL_DOMAINS
from tests.conftest import TASKS_DIR


@pytest.fixture(scope="module")
def registry():
    return load_registry(TASKS_DIR)


@pytest.fixture(scope="module")
def app_module(registry):
    return registry.packs["sheet"].load_app_module()


@pytest.fixture
def world(tmp_path, app_module):
    w = World(7, tmp_path / "sheet.sqlite")
    app_module.populate(w)
    yield w
    w.close()


@pytest.fixture
def client(world, app_module):
    return app_module.create_app(world.db.path).test_client()


def dump(world: World) -> list[tuple]:
    return [tuple(vars(r).values()) for r in world.db.rows("select * from cells order by sheet_id, row, col")]


def sid(world: World, name: str) -> int:
    return world.db.scalar("select id from sheets where name=?", name)


def test_populate_is_deterministic_and_varies_with_the_seed(tmp_path, app_module):
    worlds = [World(seed, tmp_path / f"{n}.sqlite") for n, seed in enumerate((3, 3, 4))]
    for w in worlds:
        app_module.populate(w)
    assert dump(worlds[0]) == dump(worlds[1])
    assert dump(worlds[0]) != dump(worlds[2])
    names = [r.name for r in worlds[0].db.rows("select name from sheets order by position")]
    assert names == ["Q3 budget", "Inventory", "Contacts", "Orders"]
    assert len(app_module.table(worlds[0].db, "Orders")) > 80


def test_seeded_identifiers_come_from_reserved_ranges(world, app_module):
    contacts = app_module.table(world.db, "Contacts")[1:]
    assert contacts and all(row[2].split("@")[1] in EMAIL_DOMAINS for row in contacts)
    assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", row[3]) for row in contacts)
    everything = " ".join(r.raw for r in world.db.rows("select raw from cells"))
    assert {d for d in re.findall(r"@([\w.]+)", everything)} <= set(EMAIL_DOMAINS)
    assert all(is_fictional_phone(int(re.sub(r"\D", "", p))) for p in re.findall(r"\(\d{3}\) \d{3}-\d{4}", everything))


def test_pages_render_the_grid_menus_and_sheets(client):
    home = client.get("/").get_data(as_text=True)
    assert all(name in home for name in ("Q3 budget", "Inventory", "Contacts", "Orders"))
    page = client.get("/sheets/1").get_data(as_text=True)
    assert 'role="grid"' in page and 'role="menubar"' in page and "Currency" in page and "Z→A" in page
    assert client.get("/static/sheet.js").status_code == 200
    assert client.get("/sheets/99").status_code == 404


def test_an_edit_persists_and_a_sum_formula_stores_its_value(client, world, app_module):
    s = sid(world, "Q3 budget")
    july = sum(int(app_module.cell(world.db, "Q3 budget", f"B{r}").raw) for r in range(2, 10))
    state = client.post(f"/api/sheets/{s}/cells", json={"cells": [[10, 1, "Total"], [10, 2, "=SUM(B2:B9)"]]}).json
    assert state["cells"]["10:2"][:2] == ["=SUM(B2:B9)", str(july)]
    assert app_module.cell(world.db, "Q3 budget", "B10").value == str(july)
    client.post(f"/api/sheets/{s}/cells", json={"cells": [[2, 2, "1000.5"]]})
    assert app_module.cell(world.db, "Q3 budget", "B10").value != str(july)  # dependants follow


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("=SUM(A1:A3)", "6"), ("=AVERAGE(A1:A3)", "2"), ("=MAX(A1:A3)*2-1", "5"), ("=(A1+A2)/A3", "1"),
     ("=COUNT(A1:A4)", "3"), ("=A1/0", "#DIV/0!"), ("=B1", "#CYCLE!"), ("=NOPE(A1)", "#NAME?"), ("=A4+1", "#VALUE!")],
)
def test_formulas_evaluate_on_the_server(client, world, app_module, raw, shown):
    s = sid(world, "Inventory")
    client.post(f"/api/sheets/{s}/cells", json={"cells": [[1, 1, "1"], [2, 1, "2"], [3, 1, "3"], [4, 1, "x"]]})
    client.post(f"/api/sheets/{s}/cells", json={"cells": [[1, 2, raw if raw != "=B1" else "=B1+1"]]})
    assert app_module.cell(world.db, "Inventory", "B1").value == shown


def test_inserting_and_deleting_rows_shifts_cells_and_formula_references(client, world, app_module):
    s = sid(world, "Q3 budget")
    rent = app_module.table(world.db, "Q3 budget")[1]
    client.post(f"/api/sheets/{s}/insert-rows", json={"at": 2})
    assert app_module.cell(world.db, "Q3 budget", "A2").raw == ""
    assert app_module.cell(world.db, "Q3 budget", "A3").raw == "Rent"
    assert app_module.cell(world.db, "Q3 budget", "F3").raw == "=SUM(B3:E3)"
    assert app_module.cell(world.db, "Q3 budget", "F3").value == rent[5]
    client.post(f"/api/sheets/{s}/delete-rows", json={"r1": 2, "r2": 3})
    assert app_module.cell(world.db, "Q3 budget", "A2").raw == "Salaries"
    assert app_module.cell(world.db, "Q3 budget", "F2").raw == "=SUM(B2:E2)"
    assert len(app_module.table(world.db, "Q3 budget")) == 8


def test_paste_moves_copied_formulas_sort_keeps_rows_whole(client, world, app_module):
    s = sid(world, "Q3 budget")
    client.post(f"/api/sheets/{s}/paste", json={"row": 12, "col": 6, "block": [["=SUM(B2:E2)"]], "origin": [2, 6]})
    assert app_module.cell(world.db, "Q3 budget", "F12").raw == "=SUM(B12:E12)"
    client.post(f"/api/sheets/{s}/clear", json={"r1": 12, "c1": 6, "r2": 12, "c2": 6})
    before = {tuple(row) for row in app_module.table(world.db, "Q3 budget")[1:]}
    client.post(f"/api/sheets/{s}/sort", json={"col": 2, "descending": True})
    rows = app_module.table(world.db, "Q3 budget")
    july = [float(r[1]) for r in rows[1:]]
    assert rows[0][0] == "Category" and july == sorted(july, reverse=True)
    assert {tuple(r) for r in rows[1:]} == before  # each row moved whole, its Total still its own


def test_format_undo_redo_and_rename(client, world, app_module):
    s = sid(world, "Inventory")
    price = app_module.cell(world.db, "Inventory", "D2")
    state = client.post(f"/api/sheets/{s}/format", json={"r1": 2, "c1": 4, "r2": 3, "c2": 4, "format": "currency"}).json
    assert app_module.cell(world.db, "Inventory", "D2").format == "currency"
    assert state["cells"]["2:4"][1] == f"${float(price.value):,.2f}"
    client.post(f"/api/sheets/{s}/undo")
    assert app_module.cell(world.db, "Inventory", "D2").format == ""
    client.post(f"/api/sheets/{s}/redo")
    assert app_module.cell(world.db, "Inventory", "D3").format == "currency"
    assert client.post(f"/api/sheets/{s}/rename", json={"name": "Orders"}).status_code == 400
    assert client.post(f"/api/sheets/{s}/rename", json={"name": "Stock list"}).status_code == 200
    assert world.db.scalar("select name from sheets where id=?", s) == "Stock list"
    bad = {"r1": 1, "c1": 1, "r2": 1, "c2": 1, "format": "x"}
    assert client.post(f"/api/sheets/{s}/format", json=bad).status_code == 400
