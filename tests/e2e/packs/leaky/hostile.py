"""A volunteer who leaves personal data everywhere the privacy scan must look (a test task)."""

from __future__ import annotations

from cleantrace.tasks import Task

ERASED = "jane.doe@gmail.com"
UNFOCUSED = "call 030 12345678"
TYPED = ("IBAN DE89 3704 0044 0532 0130 00, SSN 536-90-4399, lives at 350 Fifth Avenue, New York, NY 10118, "
         "Maria Gonzalez born 14/03/1984")


class LeaveDataEverywhere(Task):
    id = "leaky/leave-data-everywhere"
    app = "leaky"
    instruction = "Write a note and save it."

    def setup(self, world):
        return {}

    def solve(self, actor, p):
        actor.click(role="region", name="Blank area")  # nothing focused: keys reach no field
        actor.type(UNFOCUSED)
        actor.type(ERASED, label="Note")
        actor.press("BackSpace", times=len(ERASED))
        actor.type(TYPED, label="Note")
        actor.click(role="button", name="Copy reference")
        actor.click(role="textbox", name="Note")
        actor.hotkey("ctrl", "v")
        actor.click(role="button", name="Save")

    def check(self, world, p):
        return world.db.scalar("select count(*) from notes") == 1
