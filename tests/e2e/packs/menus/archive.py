"""Archive through a submenu that opens on hover (More ▸ Move to ▸ Archive)."""

from __future__ import annotations

from cleantrace.tasks import Task


class ArchiveFromSubmenu(Task):
    id = "menus/archive-from-submenu"
    app = "menus"
    skills = ("nested-menu",)
    instruction = ("Archive it: More, Move to, Archive.", "Move it to the archive.", "Use More ▸ Move to ▸ Archive.")

    def setup(self, world):
        return {}

    def solve(self, actor, p):
        actor.click(role="button", name="More")
        actor.hover(role="menuitem", name="Move to")
        actor.click(role="menuitem", name="Archive")

    def check(self, world, p):
        return [r.entry for r in world.db.rows("select entry from log order by id")] == ["archived"]
