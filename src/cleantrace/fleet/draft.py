"""`cleantrace tasks draft --from EPISODE APP/NAME`: a task module drafted from a recorded episode.

- `solve()` repeats the episode's grounded actions by role and accessible name (a drag onto its recorded
  drop element);
- the episode's parameter values found in those names and texts become `p[...]`;
- `setup()` returns the recorded values on the recorded seed, and elsewhere picks a row of the table
  where those values live (and another value of an option-like column; typed values found nowhere vary
  when those give too few choices);
- `check()` is suggested from the database difference between the start and the end of the
  episode, worked out by running the transcribed solution once in a sandbox;
- `effect()` makes that difference through the app's own HTTP API: the requests the page sent while
  the probe made it, with the parameters' values, row ids and the named rows' other values taken from `p`;
- `wrong_params()` changes a parameter both `check()` and `effect()` read;
- the instruction templates are the episode's instruction with the values as `{fields}`.

The draft loads and lints as written; generalising it is the author's job (comments say where).
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleantrace.errors import TaskError
from cleantrace.tasks.loader import TaskRegistry

PROBE_MODULE = "zz_draft_probe.py"
START_DB, END_DB, REQUESTS = "world-start.sqlite", "world-end.sqlite", "requests.json"
MAX_CONDITIONS = 4


@dataclass
class Episode:
    task: str
    seed: int
    params: dict[str, Any]
    instruction: str
    actions: list[dict]
    start_path: str = "/"
    appearance: dict | None = None  # the recorded look: its locale made the world's fake data


def read_episode(folder: Path) -> Episode:
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise TaskError(f"{folder} is not an episode (no meta.json)", "pass an episode folder: <run>/<episode_id>")
    meta = json.loads(meta_path.read_text())
    actions_path = folder / "actions.jsonl"
    actions = [json.loads(line) for line in actions_path.read_text().splitlines() if line.strip()] \
        if actions_path.is_file() else []
    if not actions:
        raise TaskError(f"{folder} has no actions", "draft from an episode with recorded actions")
    return Episode(meta["task"], int(meta["seed"]), meta.get("params") or {}, meta.get("instruction", ""), actions,
                   appearance=meta.get("appearance"))


# -- literals → parameters ----------------------------------------------------------------------------
@dataclass
class Lifter:
    """Replaces the episode's parameter values inside literals by references to `p`."""

    params: dict[str, str]  # only str/int top-level values (as text), longest first
    numbers: set[str] = field(default_factory=set)  # the keys whose value is an int
    used: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, params: dict[str, Any]) -> Lifter:
        flat = {k: str(v) for k, v in params.items() if isinstance(v, (str, int)) and not isinstance(v, bool)
                and len(str(v)) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", k)}
        numbers = {k for k in flat if isinstance(params[k], int)}
        return cls(dict(sorted(flat.items(), key=lambda kv: -len(kv[1]))), numbers)

    def expr(self, text: str) -> str:
        """A Python expression for `text`: p["k"] when it is a value, an f-string when it holds one."""
        for key, value in self.params.items():
            if text == value:
                self.used.add(key)
                return f'str(p["{key}"])' if key in self.numbers else f'p["{key}"]'
        parts, rest = [], text
        for key, value in self.params.items():
            if len(value) >= 3 and value in rest:
                self.used.add(key)
                rest = rest.replace(value, "\x00" + key + "\x00")
        if "\x00" not in rest:
            return repr(text)
        for n, chunk in enumerate(rest.split("\x00")):
            parts.append(f"{{p[{chunk!r}]}}" if n % 2 else chunk.replace("{", "{{").replace("}", "}}"))
        body = "".join(parts).replace("\\", "\\\\").replace('"', '\\"')
        return f'f"{body}"'

    def template(self, instruction: str) -> str:
        out = instruction.replace("{", "{{").replace("}", "}}")
        for key, value in self.params.items():
            if len(value) >= 2 and value in out:
                out = out.replace(value, "{" + key + "}")
        return out


def transcribe(actions: list[dict], lifter: Lifter) -> list[str]:
    """solve()'s body: one Actor call per grounded action (scrolls are implicit in every verb)."""
    lines: list[str] = []
    for a in _collapse_selects(actions, lifter):
        if a["kind"] == "select":
            lines.append(f"actor.select(label={lifter.expr(a['label'])}, option={a['option']})")
            continue
        kind, target = a["kind"], a.get("target") or {}
        locator = _locator(target, lifter)
        if kind in ("click", "double_click", "right_click"):
            verb = "double_click" if kind == "double_click" else "click"
            extra = ', button="right"' if kind == "right_click" else ""
            if locator:
                lines.append(f"actor.{verb}({locator}{extra})")
            else:
                lines.append(f"# {kind} at ({a.get('x')}, {a.get('y')}) hit no named element: name it and uncomment")
                lines.append(f"# actor.{verb}(role=..., name=...)")
        elif kind == "type" and a.get("text"):
            lines.append(f"actor.type({lifter.expr(a['text'])})")
        elif kind == "hotkey" and a.get("keys"):
            lines.append(f"actor.hotkey({', '.join(repr(k) for k in a['keys'])})")
        elif kind == "key" and a.get("keys"):
            key = a["keys"][-1]
            previous = re.fullmatch(r'actor\.press\((\'[^\']*\'|"[^"]*")(?:, times=(\d+))?\)', lines[-1]) \
                if lines else None
            if previous and previous.group(1) == repr(key):
                lines[-1] = f"actor.press({repr(key)}, times={int(previous.group(2) or 1) + 1})"
            else:
                lines.append(f"actor.press({key!r})")
        elif kind == "drag":
            drop = _locator(a.get("drop_target") or {}, lifter)
            if locator and drop:  # onto the recorded drop element: the app finds the drop zone under it
                lines.append(f"actor.drag(dict({locator}), dict({drop}))")
            else:
                lines.append(f"# a drag from {locator or 'an unnamed element'} to {drop or 'an unnamed element'} "
                             f"at ({a.get('x2')}, {a.get('y2')}): name both ends and uncomment")
                blank = "role=..., name=..."
                lines.append(f"# actor.drag(dict({locator or blank}), dict({drop or blank}))")
    if all(line.startswith("#") for line in lines):
        lines.append("pass  # no action could be transcribed")
    return lines


def _collapse_selects(actions: list[dict], lifter: Lifter) -> list[dict]:
    """A click on a combobox, then a click on an option (or keys ending in Return when a parameter is named
    like the box), is one `actor.select(label=…, option=…)`: it works whatever the current value."""
    out: list[dict] = []
    n = 0
    while n < len(actions):
        a = actions[n]
        target = a.get("target") or {}
        if a["kind"] == "click" and target.get("role") == "combobox" and target.get("name"):
            label = target["name"]
            nxt = actions[n + 1] if n + 1 < len(actions) else {}
            option = (nxt.get("target") or {}) if nxt.get("kind") == "click" else {}
            if option.get("role") == "option" and option.get("name"):
                out.append({"kind": "select", "label": label, "option": lifter.expr(option["name"])})
                n += 2
                continue
            key = next((k for k in lifter.params if k.lower() == label.lower().split()[0]), None)
            end = n + 1
            while end < len(actions) and actions[end]["kind"] == "key" and actions[end].get("keys") != ["Return"]:
                end += 1
            if key and end < len(actions) and actions[end].get("keys") == ["Return"]:
                lifter.used.add(key)
                out.append({"kind": "select", "label": label, "option": f'p["{key}"]'})
                n = end + 1
                continue
        out.append(a)
        n += 1
    return out


def _locator(target: dict, lifter: Lifter) -> str:
    role, name = target.get("role") or "", target.get("name") or ""
    if role and name:
        return f'role="{role}", name={lifter.expr(name)}'
    text = (target.get("text") or "").strip()
    if text and len(text) <= 60:
        return f"text={lifter.expr(text)}"
    return ""


# -- the database difference ----------------------------------------------------------------------------
@dataclass
class Change:
    table: str
    kind: str  # changed | inserted | deleted
    row: dict[str, Any]  # the row at the start (changed, deleted) or at the end (inserted)
    columns: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # changed: column → (before, after)


def db_difference(start: Path, end: Path) -> list[Change]:
    """Rows changed, inserted and deleted between two databases of the same schema (rows keyed by rowid)."""
    changes: list[Change] = []
    with sqlite3.connect(start) as a, sqlite3.connect(end) as b:
        a.row_factory = b.row_factory = sqlite3.Row
        tables = [r[0] for r in a.execute("select name from sqlite_master where type='table' "
                                          "and name not like 'sqlite_%' order by name")]
        for table in tables:
            before, after = _keyed(a, table), _keyed(b, table)
            for rowid, row in after.items():
                old = before.get(rowid)
                if old is None:
                    changes.append(Change(table, "inserted", _plain(row)))
                elif old != row:
                    diff = {c: (old[c], row[c]) for c in row if c != "_rid" and old.get(c) != row[c]}
                    changes.append(Change(table, "changed", _plain(old), diff))
            changes += [Change(table, "deleted", _plain(row)) for rowid, row in before.items() if rowid not in after]
    a.close()
    b.close()
    return changes


def _keyed(conn: sqlite3.Connection, table: str) -> dict[Any, dict]:
    """The rows of `table` by rowid (by their whole content for a table without rowid)."""
    try:
        return {r["_rid"]: dict(r) for r in conn.execute(f"select rowid as _rid, * from {table}")}  # noqa: S608
    except sqlite3.OperationalError:
        return {tuple(r): dict(r) for r in conn.execute(f"select * from {table}")}  # noqa: S608


def _plain(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "_rid"}


NOISE_COLUMNS = ("saves", "position", "updated", "updated_at", "unread")


IdMap = dict[int, list[tuple[str, str, str]]]  # a recorded row id → (table, column, parameter) naming that row


def named_row(ids: IdMap, value: int, context: str) -> tuple[str, str, str] | None:
    """(table, column, parameter) of the row whose recorded id is `value`, when `context` (a column, field or
    URL segment: `thread_id`, `threads`) names its table, or names none and only one such row exists."""
    candidates = ids.get(value, [])
    stem = _stem(context)
    hit = next((c for c in candidates if stem and stem == _stem(c[0])), None)
    if hit is None and not stem and len(candidates) == 1:
        hit = candidates[0]
    return hit


def _id_matches(row: dict[str, Any], ids: IdMap, lifter: Lifter, skip: tuple[str, ...] = ("id",)
                ) -> list[tuple[str, str]]:
    """`column=(select id …)` conditions for the integer columns of `row` that hold the id of a row a
    parameter names (`thread_id` = the thread whose subject is p["subject"])."""
    out = []
    for column, value in row.items():
        if column in skip or not isinstance(value, int) or isinstance(value, bool):
            continue
        if hit := named_row(ids, value, column):
            table, named_by, key = hit
            lifter.used.add(key)
            out.append((f"{column}=(select id from {table} where {named_by}=?)", f'p["{key}"]'))
    return out


def suggest_check(changes: list[Change], lifter: Lifter, ids: IdMap | None = None) -> tuple[list[str], str | None]:
    """check()'s body from the changes; and the parameter that identifies the changed row (for wrong_params).

    A changed row is named by a column holding a parameter (else by its unchanged integer columns: the id
    of a row a parameter names, else literals); an inserted row by its columns holding parameters or ids of
    rows parameters name (else, if nothing else changed, by its short literal values); a deleted row by a
    column holding a parameter."""
    ids = ids or {}
    conditions: list[str] = []
    inserted = {(_stem(c.table), c.row["id"]): c for c in changes if c.kind == "inserted" and isinstance(
        c.row.get("id"), int)}
    key_param = None
    lifted_first = sorted(changes, key=lambda c: not any(
        _value(new, lifter).startswith(("p[", "str(p[", 'f"')) for _, new in c.columns.values()))
    for change in lifted_first:
        ident = _identify(change.row, lifter)
        if change.kind == "changed":
            cols = [(c, new) for c, (_, new) in change.columns.items()
                    if c not in NOISE_COLUMNS and not isinstance(new, float)]
            where_args = _where(change, ident, ids, lifter)
            if not cols or where_args is None:
                continue
            if ident:
                key_param = key_param or ident[1]
            if ident and ident[0] in change.columns:  # a rename: the row now holds the new value, the old one is gone
                column, key = ident
                new = _value(change.columns[column][1], lifter)
                conditions += [f'world.db.scalar("select count(*) from {change.table} where {column}=?", {new}) > 0',
                               f'world.db.scalar("select count(*) from {change.table} where {column}=?", '
                               f'p["{key}"]) == 0']
                continue
            where, args = where_args
            conditions += [f'world.db.scalar("select {c} from {change.table} where {where}", {args}) == '
                           f"{_value(new, lifter)}" for c, new in cols[:2]]
        elif change.kind == "inserted":
            matched = _inserted_match(change, inserted, ids, lifter)
            if matched:
                where = " and ".join(c for c, _ in matched[:3])
                args = ", ".join(e for _, e in matched[:3])
                conditions.append(f'world.db.scalar("select count(*) from {change.table} where {where}", {args}) > 0')
        elif change.kind == "deleted" and ident is not None:
            column, key = ident
            key_param = key_param or key
            conditions.append(f'world.db.scalar("select count(*) from {change.table} where {column}=?", '
                              f'p["{key}"]) == 0')
    if not conditions:  # rows that name no parameter: their literal values, as recorded
        for change in [c for c in changes if c.kind == "inserted"][:2]:
            literal = [(c, v) for c, v in change.row.items()
                       if c not in ("id", "_rid") and (isinstance(v, int) or (isinstance(v, str) and len(v) <= 40))]
            if literal:
                where = " and ".join(f"{c}=?" for c, _ in literal[:3])
                args = ", ".join(repr(v) for _, v in literal[:3])
                conditions.append(f'world.db.scalar("select count(*) from {change.table} where {where}", {args}) > 0'
                                  "  # the recorded row: generalise")
    conditions = conditions[:MAX_CONDITIONS]
    if not conditions:
        return ["return False  # the episode changed nothing in the database that names a parameter: write it"], None
    return ["return (", *[f"    {'and ' if n else ''}{c}" for n, c in enumerate(conditions)], ")"], key_param


def _inserted_match(change: Change, inserted: dict[tuple[str, int], Change], ids: IdMap, lifter: Lifter,
                    depth: int = 0) -> list[tuple[str, str]]:
    """`column=?` conditions (with their arguments) naming an inserted row: its columns holding parameters, the
    ids of rows parameters name, and the ids of other inserted rows, named in turn (a recipient of the message
    in the thread whose subject is p["subject"]: not any recipient of that name)."""
    matched = [(f"{c}=?", lifter.expr(v)) for c, v in change.row.items()
               if isinstance(v, str) and len(v) <= 80 and lifter.expr(v).startswith(("p[", 'f"'))]
    matched += _id_matches(change.row, ids, lifter)
    for column, value in change.row.items():
        parent = inserted.get((_stem(column), value)) if column != "id" and isinstance(value, int) else None
        if parent is None or parent is change or depth >= 3:
            continue
        named = _inserted_match(parent, inserted, ids, lifter, depth + 1)[:3]
        if named:
            where = " and ".join(c for c, _ in named)
            matched.insert(0, (f"{column} in (select id from {parent.table} where {where})",
                               ", ".join(e for _, e in named)))
    return matched


def _where(change: Change, ident: tuple[str, str] | None, ids: IdMap, lifter: Lifter) -> tuple[str, str] | None:
    """The where clause (and its arguments) naming a changed row."""
    if ident:
        return f"{ident[0]}=?", f'p["{ident[1]}"]'
    unchanged = {c: v for c, v in change.row.items() if c not in change.columns}
    named = _id_matches(unchanged, ids, lifter)
    named_columns = {c.split("=")[0] for c, _ in named}
    keys = named + [(f"{c}=?", repr(v)) for c, v in unchanged.items() if c not in named_columns
                    and isinstance(v, int) and not isinstance(v, bool)]
    if not keys:
        return None
    return " and ".join(c for c, _ in keys[:3]), ", ".join(e for _, e in keys[:3])


def _identify(row: dict, lifter: Lifter) -> tuple[str, str] | None:
    """(column, param) naming this row: a text column whose value is a parameter's value."""
    for column, value in row.items():
        if isinstance(value, str):
            for key, pv in lifter.params.items():
                if value == pv:
                    return column, key
    return None


def _value(value: Any, lifter: Lifter) -> str:
    if isinstance(value, str):
        return lifter.expr(value)
    return repr(value)


# -- setup: the recorded values on the recorded seed, a seeded row elsewhere ----------------------------------
def locate_params(db: Path, lifter: Lifter) -> dict[str, tuple[str, str, bool]]:
    """For each parameter found in the seeded database: (table, column, unique column?)."""
    found: dict[str, tuple[str, str, bool]] = {}
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table' "
                                             "and name not like 'sqlite_%' order by name")]
        for key, value in lifter.params.items():
            for table in tables:
                columns = [r[1] for r in conn.execute(f"pragma table_info({table})") if r[2].lower() == "text"]
                hit = next((c for c in columns if conn.execute(
                    f"select 1 from {table} where {c}=? limit 1", (value,)).fetchone()), None)  # noqa: S608
                if hit:
                    unique = conn.execute(f"select count(*) = count(distinct {hit}) from {table}").fetchone()[0]
                    found[key] = (table, hit, bool(unique))
                    break
    conn.close()
    return found


def write_setup(params: dict[str, Any], located: dict[str, tuple[str, str, bool]], seed: int,
                key_param: str | None, changed_column: str | None, free: list[str] = ()) -> list[str]:
    lines = [f"recorded = {params!r}",
             f"if world.seed == {seed}:  # the recorded episode's own values",
             "    return dict(recorded)",
             "p = dict(recorded)  # elsewhere: a seeded row of the table the values came from (generalise the rest)"]
    rows: dict[str, str] = {}
    for key, (table, column, unique) in located.items():
        if unique:
            var = rows.setdefault(table, f"{table}_row")
            if len(rows) and f"{var} = " not in "\n".join(lines):
                lines.append(f'{var} = world.pick("{table}")')
            lines.append(f'p["{key}"] = {var}.{column}')
    for key, (table, column, unique) in located.items():
        if not unique:
            other = ""
            if table in rows and changed_column == column:
                other = f" if r.v != {rows[table]}.{column}"
            lines.append(f'p["{key}"] = world.choice([r.v for r in world.db.rows('
                         f'"select distinct {column} as v from {table} order by 1"){other}])')
    for key in free:  # typed, found nowhere: too few rows to vary the task, so these vary (write real values)
        if isinstance(params[key], int):
            lines.append(f'p["{key}"] = recorded["{key}"] + world.rng.randrange(1, 100)')
        else:
            lines.append(f'p["{key}"] = f"{{recorded[\'{key}\']}} {{world.rng.randrange(2, 100)}}"')
    lines.append("return p")
    return lines


def write_wrong(located: dict[str, tuple[str, str, bool]], key_param: str | None, params: dict[str, Any] | None = None,
                check: list[str] = (), effect: list[str] = ()) -> list[str]:
    """wrong_params()'s body: another value of a parameter that both check() compares and effect() sends (so the
    wrong effect really differs and the check sees it): the row key_param names, else another seeded value of a
    located parameter, else a changed free value; without an effect, the row key_param names."""
    params = params or {}
    both = [k for k in params if _refers(check, k) and (not effect or _refers(effect, k))]
    order = [k for k in (key_param,) if k in located and (k in both or not effect)]
    order += [k for k in both if k in located] + [k for k in both if k not in located]
    key = next(iter(order), None) or (key_param if key_param in located else next(iter(located), None))
    if key is None:
        return ['return {**p, "_wrong": True}  # write a plausible mistake (another row, option or date)']
    if key not in located:  # a value typed or sent as recorded: another one
        other = f'p["{key}"] + 1' if isinstance(params[key], int) else f'p["{key}"] + " (not this)"'
        return [f'return {{**p, "{key}": {other}}}  # another {key}: the check must fail for it']
    table, column, _ = located[key]
    return [f'others = world.db.rows("select {column} as v from {table} where {column}<>? order by rowid", p["{key}"])',
            f'return {{**p, "{key}": others[0].v}}  # another {table} row: the check must fail for it']


def _refers(lines: list[str], key: str) -> bool:
    """Whether the code in `lines` reads p[key]."""
    return any(f'p["{key}"]' in line or f"p['{key}']" in line for line in lines)


# -- effect: the requests that made the difference, through the app's HTTP API ---------------------------
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class EffectWriter:
    """effect()'s body from the mutating requests the page sent: values lifted into `p`, and a row id
    whose table the URL segment or field names (``/leads/4``, ``{"thread": 12}``) looked up by the
    parameter that names that row."""

    lifter: Lifter
    ids: IdMap
    columns: ColumnMap = field(default_factory=dict)
    lets: dict[str, str] = field(default_factory=dict)  # variable → expression, in order

    def lines(self, requests: list[dict]) -> list[str]:
        calls = [call for r in requests if (call := self.call(r))]
        if not calls:
            return []
        return [f"{var} = {expr}" for var, expr in self.lets.items()] + calls

    def call(self, request: dict) -> str | None:
        from urllib.parse import parse_qsl, urlsplit

        method = str(request.get("method", "")).upper()
        if method not in MUTATING:
            return None
        url = urlsplit(request.get("url", ""))
        args = [repr(method), self.path(url.path)]
        if url.query:
            args.append(f"query={self.value(dict(parse_qsl(url.query, keep_blank_values=True)), '')}")
        body, kind = request.get("body"), str(request.get("content_type") or "")
        if body and "json" in kind:
            try:
                args.append(f"json={self.value(json.loads(body), '')}")
            except ValueError:
                return f"# {method} {url.path}: a body that is not JSON was sent: write this request"
        elif body and "x-www-form-urlencoded" in kind:
            form: dict[str, Any] = {}
            for key, value in parse_qsl(body, keep_blank_values=True):
                form[key] = [*form[key], value] if isinstance(form.get(key), list) else \
                    [form[key], value] if key in form else value
            args.append(f"form={self.value(form, '')}")
        elif body:
            return f"# {method} {url.path} sent a {kind or 'raw'} body: write this request"
        return f"send(app, {', '.join(args)})"

    def path(self, path: str) -> str:
        segments = path.split("/")
        out, lifted = [], False
        for n, segment in enumerate(segments):
            var = self.row_id(int(segment), segments[n - 1]) if segment.isdigit() and n else None
            lifted = lifted or var is not None
            out.append("{" + var + "}" if var else segment.replace("{", "{{").replace("}", "}}"))
        return f'f"{"/".join(out)}"' if lifted else repr(path)

    def value(self, value: Any, context: str) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(v, str(k))}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v, context) for v in value) + "]"
        if isinstance(value, int) and not isinstance(value, bool):
            return self.row_id(value, context) or repr(value)
        if isinstance(value, str):
            var = self.row_id(int(value), context) if value.isdigit() else None
            expr = f"str({var})" if var else self.lifter.expr(value)
            return self.column_of(value) or expr if expr == repr(value) else expr
        return repr(value)

    def column_of(self, value: str) -> str | None:
        """A variable holding what, in the recording, was `value` in another column of a row a parameter names
        (the address of the contact p["contact"] names)."""
        if not self.columns.get(value):
            return None
        table, column, named_by, key = self.columns[value][0]
        var = f"{_stem(table)}_{column}"
        self.lets[var] = f'world.db.scalar("select {column} from {table} where {named_by}=?", p["{key}"])'
        self.lifter.used.add(key)
        return var

    def row_id(self, value: int, context: str) -> str | None:
        """A variable holding the id of the row `value` was in the recording, if `context` names its table."""
        hit = named_row(self.ids, value, context)
        if hit is None:
            return None
        table, column, key = hit
        var = f"{_stem(table)}_id"
        self.lets[var] = f'world.db.scalar("select id from {table} where {column}=?", p["{key}"])'
        self.lifter.used.add(key)
        return var


def _stem(name: str) -> str:
    """`threads`, `thread`, `thread_id`, `lead_ids` → the singular name they share; `ids` → ''."""
    name = re.sub(r"_?ids?$", "", name.lower())
    name = re.sub(r"[^a-z0-9_]", "", name)
    return name[:-1] if name.endswith("s") else name


ColumnMap = dict[str, list[tuple[str, str, str, str]]]  # a recorded text → (table, column, named_by, parameter)


def recorded_columns(db: Path, located: dict[str, tuple[str, str, bool]], params: dict[str, Any]) -> ColumnMap:
    """The other text values (of 3 or more characters), in the recorded world, of each row a unique parameter
    names: an address sent for a contact picked by name is that contact's address, whichever the seed."""
    found: ColumnMap = {}
    with sqlite3.connect(db) as conn:
        for key, (table, named_by, unique) in located.items():
            if not unique:
                continue
            conn.row_factory = sqlite3.Row
            row = conn.execute(f"select * from {table} where {named_by}=?", (str(params[key]),)).fetchone()  # noqa: S608
            for column in row.keys() if row else ():
                value = row[column]
                if column != named_by and isinstance(value, str) and len(value) >= 3 and value != str(params[key]):
                    found.setdefault(value, []).append((table, column, named_by, key))
    conn.close()
    return found


def recorded_ids(db: Path, located: dict[str, tuple[str, str, bool]], params: dict[str, Any]
                 ) -> dict[int, list[tuple[str, str, str]]]:
    """The id, in the recorded world, of each row a unique parameter names."""
    ids: dict[int, list[tuple[str, str, str]]] = {}
    with sqlite3.connect(db) as conn:
        for key, (table, column, unique) in located.items():
            columns = {r[1] for r in conn.execute(f"pragma table_info({table})")}
            if not unique or "id" not in columns:
                continue
            row = conn.execute(f"select id from {table} where {column}=?", (str(params[key]),)).fetchone()  # noqa: S608
            if row and isinstance(row[0], int):
                ids.setdefault(row[0], []).append((table, column, key))
    conn.close()
    return ids


# -- putting it together --------------------------------------------------------------------------------
MODULE = '''"""{task_id}: drafted from {source} (`cleantrace tasks draft`). Generalise it, then lint and check it."""

from __future__ import annotations

from cleantrace.tasks import {imports}


class {class_name}(Task):
    id = "{task_id}"
    app = "{app}"
    skills = {skills!r}  # from cleantrace.tasks.skills.SKILLS
    difficulty = "{difficulty}"
    start_path = "{start_path}"
    instruction = (  # paraphrase these three
{templates}
    )

    def setup(self, world):
{setup}

    def solve(self, actor, p):
{solve}

    def check(self, world, p):
{check}

    def wrong_params(self, world, p):
{wrong}
{effect}'''

EFFECT_METHOD = '''
    def effect(self, app, world, p):  # the requests the page sent in the recording, through the app's HTTP API
{body}
'''


@dataclass
class Draft:
    path: Path
    task_id: str
    episode: Episode
    changes: list[Change]
    requests: list[dict] = field(default_factory=list)
    effect: list[str] = field(default_factory=list)


def draft_task(registry: TaskRegistry, episode_dir: Path, task_id: str, probe: bool = True,
               timeout: float = 180.0) -> Draft:
    """Write `<pack>/<name>.py` drafted from the episode in `episode_dir`."""
    from cleantrace.tasks.skeleton import check_new_id

    path = check_new_id(registry, task_id)
    episode = read_episode(Path(episode_dir))
    source_task = registry.tasks.get(episode.task)
    app = task_id.split("/")[0]
    lifter = Lifter.of(episode.params)
    solve = transcribe(episode.actions, lifter)
    start_path = source_task.start_path if source_task else "/"
    changes, requests = _probe(registry, app, task_id, episode, solve, start_path, timeout) if probe else ([], [])
    located, ids, columns, choices = _located(registry, app, episode.seed, lifter, episode.params,
                                              (episode.appearance or {}).get("locale") or "en_US")
    located, ids = _as_changed(located, ids, changes, lifter)
    columns = {v: [e for e in named if located.get(e[3], ("", "", False))[2]] for v, named in columns.items()}
    check, key_param = suggest_check(changes, lifter, ids)
    effect = EffectWriter(lifter, ids, columns).lines(requests) if changes else []
    free = free_params(solve, episode.params, located) if choices < VARIED else []
    changed_column = next((c for ch in changes if ch.kind == "changed" for c in ch.columns), None)
    templates = [lifter.template(episode.instruction)]
    templates += [f"Please {templates[0][:1].lower()}{templates[0][1:]}", f"Your task: {templates[0]}"]
    text = MODULE.format(
        task_id=task_id, source=f"{Path(episode_dir).name} (seed {episode.seed})", app=app,
        class_name="".join(w.capitalize() for w in task_id.split("/")[1].split("-")),
        skills=tuple(source_task.skills) if source_task else ("click",),
        difficulty=source_task.difficulty if source_task else "easy", start_path=start_path,
        templates="\n".join(f"        {t!r}," for t in templates),
        setup=_indent(write_setup(episode.params, located, episode.seed, key_param, changed_column, free)),
        solve=_indent(solve), check=_indent(check),
        wrong=_indent(write_wrong(located, key_param, episode.params, check, effect)),
        imports="Task, send" if effect else "Task",
        effect=EFFECT_METHOD.format(body=_indent(effect)) if effect else "")
    path.write_text(text)
    return Draft(path, task_id, episode, changes, requests, effect)


def _as_changed(located: dict[str, tuple[str, str, bool]], ids: IdMap, changes: list[Change], lifter: Lifter
                ) -> tuple[dict[str, tuple[str, str, bool]], IdMap]:
    """A seeded value a changed column took lives in that column: 'Proposal' set as a lead's status is one of
    the leads' statuses (found first among the deals' stages, which hold the same word)."""
    located = dict(located)
    for change in changes:
        for column, (_, new) in change.columns.items():
            for key, value in lifter.params.items():
                if str(new) == value and key in located and located[key][:2] != (change.table, column):
                    located[key] = (change.table, column, False)
                    ids = {i: [e for e in named if e[2] != key] for i, named in ids.items()}
    return located, ids


def _indent(lines: list[str]) -> str:
    return "\n".join(f"        {line}" for line in lines)


def _located(registry: TaskRegistry, app: str, seed: int, lifter: Lifter, params: dict[str, Any], locale: str
             ) -> tuple[dict[str, tuple[str, str, bool]], IdMap, ColumnMap, int]:
    """Where each parameter lives in the world seeded with `seed` (fake data of `locale`, as recorded), the ids
    and other values of the rows they name, and how many parameter sets setup() can draw from there."""
    from cleantrace.tasks.lint import SeededWorlds

    with SeededWorlds(registry) as worlds:
        world = worlds.fresh(app, seed, locale=locale)
        world.close()
        located = locate_params(world.db.path, lifter)
        return (located, recorded_ids(world.db.path, located, params), recorded_columns(world.db.path, located, params),
                count_choices(world.db.path, located))


def count_choices(db: Path, located: dict[str, tuple[str, str, bool]]) -> int:
    """How many parameter sets setup() draws from the located values: rows of each table a unique parameter
    names, times the distinct values of each option-like one."""
    total = 1
    with sqlite3.connect(db) as conn:
        for table in {t for t, _, unique in located.values() if unique}:
            total *= conn.execute(f"select count(*) from {table}").fetchone()[0] or 1  # noqa: S608
        for table, column, unique in located.values():
            if not unique:
                total *= conn.execute(f"select count(distinct {column}) from {table}").fetchone()[0] or 1  # noqa: S608
    conn.close()
    return total


VARIED = 40  # fewer located choices than this (twice the seeds lint tries): the typed free values vary too


def free_params(solve: list[str], params: dict[str, Any], located: dict[str, tuple[str, str, bool]]) -> list[str]:
    """The parameters solve() only types (a new name, a note), found nowhere in the world: any value will do."""
    typed = [line for line in solve if line.startswith("actor.type(")]
    other = [line for line in solve if not line.startswith("actor.type(")]
    return [k for k, v in params.items() if k not in located and isinstance(v, (str, int)) and not isinstance(v, bool)
            and _refers(typed, k) and not _refers(other, k)]


def _probe(registry: TaskRegistry, app: str, task_id: str, episode: Episode, solve: list[str], start_path: str,
           timeout: float) -> tuple[list[Change], list[dict]]:
    """Run the transcribed solution once in a sandbox on the recorded seed; the database difference and the
    mutating requests the page sent meanwhile."""
    from cleantrace.appearance import Appearance
    from cleantrace.fleet.episodes import run_episode
    from cleantrace.fleet.verify import mirror_pack
    from cleantrace.spec import EpisodeSpec

    with tempfile.TemporaryDirectory(prefix="cleantrace-draft-") as tmp:
        root = mirror_pack(registry, app, Path(tmp) / "tasks")
        module = PROBE_TEMPLATE.format(task_id=task_id + "--probe", app=app, params=episode.params,
                                       start_path=start_path, solve=_indent(solve), start=START_DB, end=END_DB,
                                       requests=REQUESTS, mutating=MUTATING)
        (root / app / PROBE_MODULE).write_text(module)
        run_dir = Path(tmp) / "runs" / "probe"
        run_dir.mkdir(parents=True)
        (run_dir / "logs").mkdir()
        spec = EpisodeSpec(run_id="probe", episode_id="probe", task=task_id + "--probe", seed=episode.seed,
                           tasks_dir=str(root.resolve()),
                           appearance=Appearance.model_validate(episode.appearance or {}))  # as recorded
        run_episode(spec, run_dir, timeout)
        start, end = run_dir / "probe" / START_DB, run_dir / "probe" / END_DB
        if not (start.exists() and end.exists()):
            return [], []
        sent = run_dir / "probe" / REQUESTS
        return db_difference(start, end), json.loads(sent.read_text()) if sent.exists() else []


PROBE_TEMPLATE = '''import json
import sqlite3

from cleantrace.tasks import Task

OUT = "/tmp/episode"
SENT = []


def _sent(response):
    request = response.request
    if request.method in {mutating!r} and response.status < 400:
        SENT.append({{"method": request.method, "url": request.url, "body": request.post_data,
                     "content_type": request.headers.get("content-type", "")}})


def _keep(world, name):
    with sqlite3.connect(f"{{OUT}}/{{name}}") as copy:
        world.db.conn.backup(copy)
    copy.close()


class DraftProbe(Task):
    id = "{task_id}"
    app = "{app}"
    instruction = ("probe", "probe.", "probe!")
    start_path = "{start_path}"

    def setup(self, world):
        _keep(world, "{start}")
        return {params!r}

    def solve(self, actor, p):
        actor.page.on("response", _sent)
{solve}
        actor.page.evaluate("1")  # a round trip: the last responses' events are delivered

    def check(self, world, p):
        _keep(world, "{end}")
        with open(f"{{OUT}}/{requests}", "w") as out:
            json.dump(SENT, out)
        return True
'''
