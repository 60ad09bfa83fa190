"""Inside a sandbox: seed an app's world, open its pages in Chromium and write what the Actor can target.

Started by `cleantrace inspect` as `python -m cleantrace.sandbox.inspect_inside ARGS_JSON`; writes
`inspect.json` (per page: the ARIA snapshot and the (role, name) pairs on it) into `out_dir`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

SCRATCH = Path("/tmp/cleantrace")
MAX_PAGES = 12
ARIA_PAIR = re.compile(r'^\s*-\s+([a-z]+)\s+"((?:[^"\\]|\\.)*)"', re.MULTILINE)
LINKS_JS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"


def page_pattern(path: str) -> str:
    """/leads/12 → /leads/{id}: pages that differ only by a row id are one page."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def targets(snapshot: str) -> list[tuple[str, str]]:
    """The (role, accessible name) pairs of an ARIA snapshot, in page order, each once."""
    return list(dict.fromkeys((r, n.replace('\\"', '"')) for r, n in ARIA_PAIR.findall(snapshot) if n))


def main(argv: list[str]) -> int:
    from cleantrace.sandbox.session import SandboxSession
    from cleantrace.tasks import load_registry
    from cleantrace.world import World

    args = json.loads(argv[0])
    SCRATCH.mkdir(parents=True, exist_ok=True)
    db_path = SCRATCH / "world.sqlite"
    session = SandboxSession(Path(args["tasks_dir"]), args["app"], db_path, SCRATCH, (1280, 800), 8000)
    session.launch()
    pages: dict[str, dict] = {}
    try:
        world = World(args["seed"], db_path)
        load_registry(Path(args["tasks_dir"])).packs[args["app"]].load_app_module().populate(world)
        world.close()
        page = session.connect("/")
        todo = list(args["pages"]) or ["/"]
        crawl = not args["pages"]
        while todo and len(pages) < MAX_PAGES:
            path = todo.pop(0)
            if page_pattern(path) in pages:
                continue
            page.goto(session.app.url + path, wait_until="load")
            snapshot = page.locator("body").aria_snapshot()
            pages[page_pattern(path)] = {"path": path, "title": page.title(), "snapshot": snapshot,
                                         "targets": targets(snapshot)}
            if crawl:
                for href in page.evaluate(LINKS_JS):
                    url = urlparse(href)
                    if url.netloc == urlparse(session.app.url).netloc and url.path not in todo:
                        todo.append(url.path + (f"?{url.query}" if url.query else ""))
    finally:
        session.close()
    (Path(args["out_dir"]) / "inspect.json").write_text(json.dumps(pages, indent=1))
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)
