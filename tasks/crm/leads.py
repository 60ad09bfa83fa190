"""Tasks on leads: one lead's detail form (native select, ARIA combobox, notes), and the long lead list
(filters, scrolling to a row, selecting rows for a bulk edit in a modal dialog)."""

from __future__ import annotations

from cleantrace.tasks import Task, expect

from ._common import SCREEN_ROWS, bulk_edit, post, row_named, save_lead
from .app import PRIORITIES, STATUSES

NOTE_TOPICS = ("the renewal quote", "the pilot timeline", "a volume discount", "the onboarding call")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def first_screen_lead(world):
    """A seeded lead among those "/" shows without scrolling (the list is long)."""
    return world.choice(world.db.rows("select * from leads order by id limit ?", SCREEN_ROWS))


def other_lead(world, name: str) -> str:
    """The lead next to `name` in the list: a plausible slip of the eye."""
    names = [r.name for r in world.db.rows("select name from leads order by id")]
    return names[(names.index(name) + 1) % len(names)]


class SetLeadStatus(Task):
    id = "crm/set-lead-status"
    app = "crm"
    skills = ("native-select", "click", "form")
    difficulty = "easy"
    instruction = (
        "Set the status of {lead}'s lead to {status} and save.",
        "Open the lead for {lead}, change its status to {status}, then click Save.",
        "Mark {lead} as {status} in the CRM and save the form.",
    )

    def setup(self, world):
        lead = first_screen_lead(world)
        return {"lead": lead.name, "status": world.choice([s for s in STATUSES if s != lead.status])}

    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.select(label="Status", option=p["status"])
        actor.click(role="button", name="Save")

    def check(self, world, p):
        status = world.db.scalar("select status from leads where name=?", p["lead"])
        return expect(status == p["status"], f"{p['lead']}'s status is {status}, not {p['status']}")

    def effect(self, app, world, p):
        save_lead(app, world, p["lead"], status=p["status"])

    def wrong_params(self, world, p):
        return {**p, "lead": other_lead(world, p["lead"])}


class SetLeadPriority(Task):
    id = "crm/set-lead-priority"
    app = "crm"
    skills = ("aria-combobox", "shortcut", "form")
    difficulty = "easy"
    instruction = (
        "Give {lead}'s lead {priority} priority and save it with Ctrl+S.",
        "Change the priority of {lead} to {priority}; save with the keyboard shortcut.",
        "Set {lead}'s priority to {priority} and press Ctrl+S to save.",
    )

    def setup(self, world):
        lead = first_screen_lead(world)
        options = [p for p in PRIORITIES if p != lead.priority]
        return {"lead": lead.name, "priority": world.choice(options)}

    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.select(label="Priority", option=p["priority"])
        actor.hotkey("ctrl", "s")

    def check(self, world, p):
        priority = world.db.scalar("select priority from leads where name=?", p["lead"])
        return expect(priority == p["priority"], f"{p['lead']}'s priority is {priority}, not {p['priority']}")

    def effect(self, app, world, p):
        save_lead(app, world, p["lead"], priority=p["priority"])

    def wrong_params(self, world, p):
        current = world.db.scalar("select priority from leads where name=?", p["lead"])
        return {**p, "priority": next(o for o in PRIORITIES if o not in (p["priority"], current))}


class AddLeadNote(Task):
    id = "crm/add-lead-note"
    app = "crm"
    skills = ("typing", "textarea", "form")
    difficulty = "medium"
    instruction = (
        'Add the note "{note}" to {lead}\'s lead and save.',
        'On {lead}\'s lead, write "{note}" in Notes and click Save.',
        'Record the note "{note}" for {lead} and save the lead.',
    )

    def setup(self, world):
        lead = first_screen_lead(world)
        note = f"Call back on {world.choice(WEEKDAYS)} about {world.choice(NOTE_TOPICS)}."
        return {"lead": lead.name, "note": note}

    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])
        actor.type(p["note"], label="Notes")
        actor.click(role="button", name="Save")

    def check(self, world, p):
        notes = world.db.scalar("select notes from leads where name=?", p["lead"]) or ""
        return p["note"] in notes

    def effect(self, app, world, p):
        notes = row_named(world, "leads", p["lead"]).notes or ""  # typing into Notes appends
        save_lead(app, world, p["lead"], notes=notes + p["note"])

    def wrong_params(self, world, p):
        return {**p, "lead": other_lead(world, p["lead"])}


class BulkChangeLeadStatus(Task):
    id = "crm/bulk-change-lead-status"
    app = "crm"
    skills = ("multi-select", "bulk-edit", "modal-dialog", "native-select")
    difficulty = "medium"
    instruction = (
        "Select the leads {lead1}, {lead2} and {lead3} and change their status to {status} in one go.",
        "Tick {lead1}, {lead2} and {lead3} in the lead list, then use Change status to set all three to {status}.",
        "With a single bulk edit, move {lead1}, {lead2} and {lead3} to status {status}.",
    )

    def setup(self, world):
        leads = sorted(world.rng.sample(world.db.rows("select * from leads order by id"), 3), key=lambda r: r.id)
        status = world.choice([s for s in STATUSES if s not in {r.status for r in leads}])
        before = world.db.scalar("select count(*) from leads where status=?", status)
        return {"lead1": leads[0].name, "lead2": leads[1].name, "lead3": leads[2].name, "status": status,
                "count_after": before + 3}

    def solve(self, actor, p):
        for key in ("lead1", "lead2", "lead3"):  # find the row first, then tick it once the list stands still
            actor.scroll_to(role="row", name=p[key])
            actor.click(role="checkbox", name=f"Select {p[key]}")
        actor.scroll_to(role="button", name="Change status")
        actor.click(role="button", name="Change status")
        actor.select(label="New status", option=p["status"])
        actor.click(role="button", name="Apply")
        actor.wait_for(text="3 leads updated")

    def check(self, world, p):
        names = (p["lead1"], p["lead2"], p["lead3"])
        statuses = [world.db.scalar("select status from leads where name=?", n) for n in names]
        total = world.db.scalar("select count(*) from leads where status=?", p["status"])
        return statuses == [p["status"]] * 3 and total == p["count_after"]  # only these three changed

    def effect(self, app, world, p):
        bulk_edit(app, world, [p["lead1"], p["lead2"], p["lead3"]], "status", p["status"])

    def wrong_params(self, world, p):
        taken = {p["lead1"], p["lead2"], p["lead3"]}
        names = [r.name for r in world.db.rows("select name from leads order by id") if r.name not in taken]
        return {**p, "lead3": world.choice(names)}


class FilterLeadsSetPriority(Task):
    id = "crm/filter-leads-set-priority"
    app = "crm"
    skills = ("filter", "native-select", "aria-combobox", "form")
    difficulty = "medium"
    instruction = (
        "Filter the leads to status {status} and owner {owner}, open {lead} from the result and set the priority "
        "to {priority}.",
        "Show only {owner}'s leads with status {status}; then give {lead} {priority} priority and save.",
        "In the lead list, filter by status {status} and by owner {owner}, then change {lead}'s priority to "
        "{priority} and save it.",
    )

    def setup(self, world):
        leads = world.db.rows("select * from leads order by id")
        groups = {}
        for lead in leads:
            groups.setdefault((lead.status, lead.owner), []).append(lead)
        status, owner = world.choice(sorted(k for k, v in groups.items() if len(v) >= 2))
        lead = world.choice(groups[status, owner])
        priority = world.choice([p for p in PRIORITIES if p != lead.priority])
        return {"status": status, "owner": owner, "lead": lead.name, "priority": priority}

    def solve(self, actor, p):
        actor.select(label="Filter by status", option=p["status"])
        actor.select(label="Filter by owner", option=p["owner"])
        actor.click(role="button", name="Filter")
        actor.click(role="link", name=p["lead"])
        actor.select(label="Priority", option=p["priority"])
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "s")
        else:
            actor.click(role="button", name="Save")

    def check(self, world, p):
        view = {r.key: r.value for r in world.db.rows("select key, value from ui_state")}
        priority = world.db.scalar("select priority from leads where name=?", p["lead"])
        return view.get("status") == p["status"] and view.get("owner") == p["owner"] and priority == p["priority"]

    def effect(self, app, world, p):
        app.get("/", query_string={"apply": "1", "status": p["status"], "owner": p["owner"], "q": ""})
        save_lead(app, world, p["lead"], priority=p["priority"])

    def wrong_params(self, world, p):
        same = world.db.rows("select name from leads where status=? and owner=? and name<>? order by id",
                             p["status"], p["owner"], p["lead"])
        return {**p, "lead": same[0].name}


class StarLeadByScrolling(Task):
    id = "crm/star-lead-scroll"
    app = "crm"
    skills = ("scroll", "click", "table")
    difficulty = "easy"
    instruction = (
        "Scroll down the lead list to {lead} and star that lead.",
        "Find {lead} further down the list of leads and click the star on that row.",
        "Star the lead {lead}; you will need to scroll the list to find it.",
    )

    def setup(self, world):
        below = world.db.rows("select * from leads order by id")[2 * SCREEN_ROWS:]
        return {"lead": world.choice(below).name}

    def solve(self, actor, p):
        actor.scroll_to(role="row", name=p["lead"])
        actor.click(role="button", name=f"Star {p['lead']}")
        actor.wait_for(role="button", name=f"Unstar {p['lead']}")  # the app saved it

    def check(self, world, p):
        starred = [r.name for r in world.db.rows("select name from leads where starred=1")]
        return starred == [p["lead"]]

    def effect(self, app, world, p):
        post(app, f"/api/leads/{row_named(world, 'leads', p['lead']).id}/star")

    def wrong_params(self, world, p):
        return {**p, "lead": other_lead(world, p["lead"])}
