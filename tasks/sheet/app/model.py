"""The workbook's state in SQLite: sheets and cells, every edit kept at once, with per-sheet undo/redo.

Rows and columns are 1-based; row 1 of every seeded sheet holds the column titles. A cell keeps what
was typed (`raw`), what it shows before formatting (`value`: a formula's result), and its `format`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import ParamSpec, TypeVar

from cleantrace.world import Database

from .formula import (
    FormulaError,
    as_number,
    col_index,
    evaluate,
    number_text,
    offset_refs,
    parse_ref,
    renumber_row_refs,
    shift_refs,
)

FORMATS = ("", "currency", "percent")
HISTORY_LIMIT = 100

SCHEMA = """
create table sheets (
    id integer primary key,
    name text not null unique,
    position integer not null
);
create table cells (
    sheet_id integer not null references sheets(id),
    row integer not null,
    col integer not null,
    raw text not null default '',
    format text not null default '',
    value text not null default '',
    primary key (sheet_id, row, col)
);
create table history (
    id integer primary key,
    sheet_id integer not null references sheets(id),
    stack text not null check (stack in ('undo', 'redo')),
    snapshot text not null
);
"""

Snapshot = list[list]
P = ParamSpec("P")
R = TypeVar("R")  # [[row, col, raw, format], ...]


# -- reading -------------------------------------------------------------------------------------
def sheet_id(db: Database, name: str) -> int:
    """The id of the sheet called `name`."""
    found = db.scalar("select id from sheets where name=?", name)
    if found is None:
        raise LookupError(f"no sheet named {name!r}")
    return int(found)


def cell(db: Database, sheet: str, ref: str) -> SimpleNamespace:
    """The cell `ref` (e.g. "B3") of the named sheet; an empty cell has raw = value = format = ""."""
    row, col = parse_ref(ref)
    found = db.rows(
        "select raw, value, format from cells where sheet_id=? and row=? and col=?", sheet_id(db, sheet), row, col
    )
    return found[0] if found else SimpleNamespace(raw="", value="", format="")


def column(db: Database, sheet: str, col: str) -> dict[int, SimpleNamespace]:
    """Every non-empty cell of column `col` (a letter) by row number."""
    rows = db.rows(
        "select row, raw, value, format from cells where sheet_id=? and col=? order by row",
        sheet_id(db, sheet), col_index(col),
    )
    return {r.row: r for r in rows}


def table(db: Database, sheet: str) -> list[list[str]]:
    """The sheet's values as rows of text, from row 1 to the last used row, as wide as the widest."""
    rows = db.rows("select row, col, value from cells where sheet_id=?", sheet_id(db, sheet))
    if not rows:
        return []
    height, width = max(r.row for r in rows), max(r.col for r in rows)
    grid = [[""] * width for _ in range(height)]
    for r in rows:
        grid[r.row - 1][r.col - 1] = r.value
    return grid


def find_row(db: Database, sheet: str, col: str, text: str) -> int | None:
    """The first row whose cell in column `col` holds exactly `text`."""
    found = db.scalar(
        "select min(row) from cells where sheet_id=? and col=? and raw=?", sheet_id(db, sheet), col_index(col), text
    )
    return None if found is None else int(found)


def last_row(db: Database, sid: int) -> int:
    """The last row with any content (0 for an empty sheet)."""
    return int(db.scalar("select coalesce(max(row), 0) from cells where sheet_id=? and raw != ''", sid))


# -- writing -------------------------------------------------------------------------------------
def atomic(write: Callable[P, R]) -> Callable[P, R]:
    """Run a write (its first argument the Database) as one transaction."""

    @functools.wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0].transaction():  # type: ignore[attr-defined]
            return write(*args, **kwargs)

    return run


@atomic
def add_sheet(db: Database, name: str, rows: list[list[object]]) -> int:
    """A new sheet filled with `rows` (row 1 first); numbers are stored as their text."""
    position = int(db.scalar("select coalesce(max(position), 0) + 1 from sheets"))
    sid = int(db.execute("insert into sheets (name, position) values (?, ?)", name, position).lastrowid)
    for r, values in enumerate(rows, start=1):
        for c, raw in enumerate(values, start=1):
            if raw not in ("", None):
                db.execute(
                    "insert into cells (sheet_id, row, col, raw) values (?,?,?,?)", sid, r, c, _raw_text(raw)
                )
    recalc(db, sid)
    return sid


@atomic
def set_cells(db: Database, sid: int, updates: list[tuple[int, int, str]]) -> None:
    """Type `raw` into each (row, col); an empty text clears the cell's content (its format stays)."""
    _remember(db, sid)
    for row, col, raw in updates:
        _put(db, sid, row, col, raw)
    recalc(db, sid)


@atomic
def paste(db: Database, sid: int, row: int, col: int, block: list[list[str]], origin: list[int] | None) -> None:
    """Paste `block` with its top-left at (row, col); formulas copied from `origin` move with the paste."""
    drow, dcol = (row - origin[0], col - origin[1]) if origin else (0, 0)
    set_cells(db, sid, [
        (row + i, col + j, offset_refs(raw, drow, dcol) if origin else raw)
        for i, line in enumerate(block) for j, raw in enumerate(line)
    ])


@atomic
def clear_range(db: Database, sid: int, r1: int, c1: int, r2: int, c2: int) -> None:
    """Empty every cell of the range (content and format)."""
    _remember(db, sid)
    db.execute(
        "delete from cells where sheet_id=? and row between ? and ? and col between ? and ?",
        sid, min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2),
    )
    recalc(db, sid)


@atomic
def format_range(db: Database, sid: int, r1: int, c1: int, r2: int, c2: int, fmt: str) -> None:
    """Give every non-empty cell of the range the number format `fmt` ("", "currency" or "percent")."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    _remember(db, sid)
    db.execute(
        "update cells set format=? where sheet_id=? and row between ? and ? and col between ? and ?",
        fmt, sid, min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2),
    )


@atomic
def insert_rows(db: Database, sid: int, at: int, count: int = 1) -> None:
    """Insert `count` empty rows before row `at`; rows below (and formulas pointing at them) move down."""
    _remember(db, sid)
    _shift_rows(db, sid, at, count)
    recalc(db, sid)


@atomic
def delete_rows(db: Database, sid: int, r1: int, r2: int) -> None:
    """Delete rows r1..r2; rows below (and formulas pointing at them) move up."""
    r1, r2 = min(r1, r2), max(r1, r2)
    _remember(db, sid)
    db.execute("delete from cells where sheet_id=? and row between ? and ?", sid, r1, r2)
    _shift_rows(db, sid, r2 + 1, -(r2 - r1 + 1))
    recalc(db, sid)


@atomic
def sort_rows(db: Database, sid: int, col: int, descending: bool = False) -> None:
    """Sort the rows below the title row by column `col`: numbers before text, empty cells last."""
    _remember(db, sid)
    cells = db.rows("select row, col, raw, value, format from cells where sheet_id=? and row > 1", sid)
    by_row: dict[int, list[SimpleNamespace]] = {}
    for c in cells:
        by_row.setdefault(c.row, []).append(c)
    keys = {row: sort_key(next((c.value for c in line if c.col == col), "")) for row, line in by_row.items()}
    filled = sorted((r for r in by_row if keys[r][0] < 2), key=lambda r: keys[r], reverse=descending)
    order = filled + sorted(r for r in by_row if keys[r][0] == 2)
    db.execute("delete from cells where sheet_id=? and row > 1", sid)
    for new_row, old_row in enumerate(order, start=2):
        for c in by_row[old_row]:
            db.execute(
                "insert into cells (sheet_id, row, col, raw, format) values (?,?,?,?,?)",
                sid, new_row, c.col, renumber_row_refs(c.raw, old_row, new_row), c.format,
            )
    recalc(db, sid)


@atomic
def rename_sheet(db: Database, sid: int, name: str) -> None:
    """Give the sheet a new, unique, non-empty name."""
    name = name.strip()
    if not name:
        raise ValueError("a sheet needs a name")
    if db.scalar("select 1 from sheets where name=? and id != ?", name, sid):
        raise ValueError(f"a sheet named {name!r} already exists")
    db.execute("update sheets set name=? where id=?", name, sid)


@atomic
def undo(db: Database, sid: int) -> bool:
    """Undo the sheet's last change; False when there is nothing to undo."""
    return _travel(db, sid, "undo", "redo")


@atomic
def redo(db: Database, sid: int) -> bool:
    """Redo the sheet's last undone change; False when there is nothing to redo."""
    return _travel(db, sid, "redo", "undo")


def recalc(db: Database, sid: int) -> None:
    """Store every cell's value: a number normalised, a text as typed, a formula's result (or error code)."""
    raws = {(c.row, c.col): c.raw for c in db.rows("select row, col, raw from cells where sheet_id=?", sid)}
    values: dict[tuple[int, int], float | str | None] = {}
    visiting: set[tuple[int, int]] = set()

    def value_of(row: int, col: int) -> float | str | None:
        key = (row, col)
        if key in values:
            return values[key]
        raw = raws.get(key, "")
        if not raw:
            return None
        if not raw.startswith("="):
            number = as_number(raw)
            values[key] = raw if number is None else number
            return values[key]
        if key in visiting:
            raise FormulaError("#CYCLE!")
        visiting.add(key)
        try:
            values[key] = evaluate(raw, value_of)
        except FormulaError as err:
            values[key] = str(err)
        except RecursionError:
            values[key] = "#CYCLE!"
        finally:
            visiting.discard(key)
        return values[key]

    for key in raws:
        try:
            value = value_of(*key)
        except FormulaError as err:
            value = str(err)
        text = number_text(value) if isinstance(value, float) else (value or "")
        db.execute("update cells set value=? where sheet_id=? and row=? and col=?", text, sid, *key)


# -- internals -----------------------------------------------------------------------------------
def _raw_text(raw: object) -> str:
    return number_text(float(raw)) if isinstance(raw, int | float) and not isinstance(raw, bool) else str(raw)


def _put(db: Database, sid: int, row: int, col: int, raw: str) -> None:
    db.execute(
        "insert into cells (sheet_id, row, col, raw) values (?,?,?,?) "
        "on conflict (sheet_id, row, col) do update set raw=excluded.raw",
        sid, row, col, raw,
    )
    db.execute("delete from cells where sheet_id=? and row=? and col=? and raw='' and format=''", sid, row, col)


def _shift_rows(db: Database, sid: int, at: int, delta: int) -> None:
    cells = db.rows("select row, col, raw, format from cells where sheet_id=?", sid)
    db.execute("delete from cells where sheet_id=?", sid)
    for c in cells:
        row = c.row + delta if c.row >= at else c.row
        db.execute(
            "insert into cells (sheet_id, row, col, raw, format) values (?,?,?,?,?)",
            sid, row, c.col, shift_refs(c.raw, at, delta), c.format,
        )


def sort_key(value: str) -> tuple[int, float, str]:
    """How sorting orders a value: numbers (by size) before texts (ignoring case), empty cells last."""
    if value == "":
        return (2, 0.0, "")
    number = as_number(value)
    return (0, number, "") if number is not None else (1, 0.0, value.lower())


def _snapshot(db: Database, sid: int) -> Snapshot:
    return [[c.row, c.col, c.raw, c.format] for c in db.rows(
        "select row, col, raw, format from cells where sheet_id=? order by row, col", sid)]


def _restore(db: Database, sid: int, snapshot: Snapshot) -> None:
    db.execute("delete from cells where sheet_id=?", sid)
    for row, col, raw, fmt in snapshot:
        db.execute("insert into cells (sheet_id, row, col, raw, format) values (?,?,?,?,?)", sid, row, col, raw, fmt)
    recalc(db, sid)


def _push(db: Database, sid: int, stack: str, snapshot: Snapshot) -> None:
    db.execute("insert into history (sheet_id, stack, snapshot) values (?,?,?)", sid, stack, json.dumps(snapshot))
    db.execute(
        "delete from history where sheet_id=? and stack=? and id not in "
        "(select id from history where sheet_id=? and stack=? order by id desc limit ?)",
        sid, stack, sid, stack, HISTORY_LIMIT,
    )


def _remember(db: Database, sid: int) -> None:
    """Keep the sheet as it is now on the undo stack; a new change forgets what could be redone."""
    _push(db, sid, "undo", _snapshot(db, sid))
    db.execute("delete from history where sheet_id=? and stack='redo'", sid)


def _travel(db: Database, sid: int, source: str, target: str) -> bool:
    found = db.rows(
        "select id, snapshot from history where sheet_id=? and stack=? order by id desc limit 1", sid, source
    )
    if not found:
        return False
    _push(db, sid, target, _snapshot(db, sid))
    db.execute("delete from history where id=?", found[0].id)
    _restore(db, sid, json.loads(found[0].snapshot))
    return True
