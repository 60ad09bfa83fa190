"""One task that uses every Actor verb; its check reads what the page logged."""

from __future__ import annotations

from cleantrace.tasks import Task

EXPECTED = ["clicked Item 47", "double Twice", "dropped Zone B", "menu Deeper", "selected Red",
            "selected Red,Blue", "saved new words", "key j", "key j", "key #", "clicked Far away"]


class EveryVerb(Task):
    id = "playground/every-verb"
    app = "playground"
    instruction = "Use every verb."

    def setup(self, world):
        return {}

    def solve(self, actor, p):
        actor.scroll_to(role="button", name="Item 47")
        actor.click(role="button", name="Item 47")
        actor.double_click(role="button", name="Twice")
        actor.drag(dict(role="listitem", name="Card"), dict(role="region", name="Zone B"))
        actor.hover(role="menuitem", name="More ▸")
        actor.click(role="menuitem", name="Deeper", within=dict(role="menu", name="More actions"))
        actor.click(role="option", name="Red", within=dict(role="listbox", name="Pick"))
        actor.click(role="option", name="Blue", hold=("ctrl",))
        actor.type("new words", label="Field", replace=True)
        actor.click(role="button", name="Save")
        actor.click(text="Zone A")  # leave the field, so that keys go to the page
        actor.press("j", times=2)  # single-key shortcuts, as in the mail app: a step each
        actor.press("#")
        # below the fold, no scroll_to: the click scrolls the page itself first, as a step of its own
        actor.click(role="button", name="Far away", why="the last widget is below the fold")

    def check(self, world, p):
        return [r.entry for r in world.db.rows("select entry from log order by id")] == EXPECTED
