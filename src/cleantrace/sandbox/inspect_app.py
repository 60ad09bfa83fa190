"""`cleantrace inspect APP`: what a task author needs to know about an app, from the app itself.

The database schema (tables, columns, row counts of a seeded world, worked out on the host) and,
per page, the roles and accessible names the Actor can target, read from a real sandbox (Xvfb,
the app, Chromium) through Playwright's ARIA snapshot.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cleantrace.errors import TaskError
from cleantrace.tasks.loader import TaskRegistry

SANDBOX_TIMEOUT_S = 180.0


@dataclass
class Table:
    name: str
    columns: list[tuple[str, str]]  # (name, type)
    rows: int


@dataclass
class AppInspection:
    app: str
    seed: int
    tables: list[Table] = field(default_factory=list)
    pages: dict[str, dict] = field(default_factory=dict)  # pattern → {path, title, targets, snapshot}

    def markdown(self) -> str:
        """A reference page: the schema, then per page the targets by role."""
        out = [f"# `{self.app}`: generated reference (`cleantrace inspect {self.app} --seed {self.seed}`)", "",
               "Do not edit: regenerate with `cleantrace inspect` (docs/authoring.md).", "",
               "## Database", "", f"| table | columns | rows (seed {self.seed}) |", "|---|---|---|"]
        for t in self.tables:
            cols = ", ".join(f"`{c}` {kind.lower()}".rstrip() for c, kind in t.columns)
            out.append(f"| `{t.name}` | {cols} | {t.rows} |")
        if self.pages:
            out += ["", "## Pages", "", "What the Actor can target on each page (role and accessible name; form "
                    "fields are targeted by `label=` with the same name).", ""]
        for pattern, page in self.pages.items():
            out += [f"### `{pattern}` — {page['title']}", ""]
            by_role: dict[str, list[str]] = {}
            for role, name in page["targets"]:
                by_role.setdefault(role, []).append(name)
            for role, names in by_role.items():
                shown = ", ".join(f"`{n}`" for n in names[:12])
                more = f" … (+{len(names) - 12})" if len(names) > 12 else ""
                out.append(f"- **{role}**: {shown}{more}")
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def inspect_schema(registry: TaskRegistry, app: str, seed: int) -> list[Table]:
    """The tables of `app`'s database after seeding with `seed` (on the host, no sandbox)."""
    from cleantrace.tasks.lint import SeededWorlds

    with SeededWorlds(registry) as worlds:
        world = worlds.fresh(app, seed)
        try:
            names = [r.name for r in world.db.rows(
                "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by name")]
            return [Table(n, [(c.name, c.type) for c in world.db.rows(f"pragma table_info({n})")],
                          world.db.scalar(f"select count(*) from {n}")) for n in names]  # noqa: S608
        finally:
            world.close()


def inspect_pages(registry: TaskRegistry, app: str, seed: int, pages: list[str]) -> dict[str, dict]:
    """Per page (given, or found by following the links of "/"): targets and ARIA snapshot, from a sandbox."""
    from cleantrace.sandbox.local import INSIDE_OUT, run_in_sandbox
    from cleantrace.sandbox.requirements import require_host_tools

    require_host_tools()
    with tempfile.TemporaryDirectory(prefix="cleantrace-inspect-") as tmp:
        folder = Path(tmp) / "inspect" / "pages"
        folder.mkdir(parents=True)
        log = Path(tmp) / "sandbox.log"
        args = {"tasks_dir": str(registry.root.resolve()), "app": app, "seed": seed, "pages": pages,
                "out_dir": INSIDE_OUT}
        argv = [sys.executable, "-m", "cleantrace.sandbox.inspect_inside", json.dumps(args)]
        ended = run_in_sandbox(argv, folder, registry.root, log, SANDBOX_TIMEOUT_S)
        result = folder / "inspect.json"
        if not result.exists():
            tail = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise TaskError(f"the inspection sandbox of {app!r} ended without a result (exit {ended.code}): {tail}",
                            "run `cleantrace doctor`; or pass --no-pages for the schema alone")
        return json.loads(result.read_text())


def inspect_app(registry: TaskRegistry, app: str, seed: int = 0, pages: list[str] | None = None,
                with_pages: bool = True) -> AppInspection:
    if app not in registry.packs:
        known = ", ".join(sorted(registry.packs)) or "none"
        raise TaskError(f"there is no app {app!r} in {registry.root}", f"use one of: {known}")
    found = AppInspection(app, seed, inspect_schema(registry, app, seed))
    if with_pages:
        found.pages = inspect_pages(registry, app, seed, pages or [])
    return found
