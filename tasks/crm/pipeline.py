"""Tasks on the pipeline: drag a deal card to another stage, set a close date through the date-picker
dialog, and a multi-step reassignment of one company's leads followed by its deal's close date."""

from __future__ import annotations

from cleantrace.tasks import Task

from ._common import bulk_edit, date_params, next_day, pick_date, post, row_named, save_deal, shifted_date
from .app import STAGES, lead_matches


def deal_row(world, name: str):
    return world.db.rows("select * from deals where name=?", name)[0]


class MoveDealStage(Task):
    id = "crm/move-deal-stage"
    app = "crm"
    skills = ("drag-drop",)
    difficulty = "medium"
    start_path = "/pipeline"
    instruction = (
        "On the pipeline board, move the deal {deal} to the {stage} stage.",
        "Drag {deal} into the {stage} column of the pipeline.",
        "The deal {deal} has reached {stage}: update the board.",
    )

    def setup(self, world):
        deal = world.pick("deals")
        return {"deal": deal.name, "stage": world.choice([s for s in STAGES if s != deal.stage])}

    def solve(self, actor, p):
        actor.drag(dict(role="listitem", name=p["deal"]), dict(role="region", name=p["stage"]))
        actor.wait_for(role="listitem", name=p["deal"], within=dict(role="region", name=p["stage"]))

    def check(self, world, p):
        return deal_row(world, p["deal"]).stage == p["stage"]

    def effect(self, app, world, p):
        post(app, f"/api/deals/{row_named(world, 'deals', p['deal']).id}/stage", json={"stage": p["stage"]})

    def wrong_params(self, world, p):
        current = deal_row(world, p["deal"]).stage
        return {**p, "stage": next(s for s in STAGES if s not in (p["stage"], current))}


class SetDealCloseDate(Task):
    id = "crm/set-deal-close-date"
    app = "crm"
    skills = ("date-picker", "modal-dialog", "form")
    difficulty = "medium"
    start_path = "/pipeline"
    instruction = (
        "Open the deal {deal} and set its close date to {date} with the date picker, then save.",
        "The deal {deal} will now close on {date}: change its close date and save.",
        "Move the close date of {deal} to {date} and save the deal.",
    )

    def setup(self, world):
        deal = world.pick("deals")
        return {"deal": deal.name, "current_iso": deal.close_date, **date_params(shifted_date(world, deal.close_date))}

    def solve(self, actor, p):
        actor.click(role="link", name=p["deal"])
        pick_date(actor, p["current_iso"], p["date_iso"])
        if actor.prefers_keyboard():
            actor.hotkey("ctrl", "s")
        else:
            actor.click(role="button", name="Save")
        actor.wait_for(text="Saved")

    def check(self, world, p):
        return deal_row(world, p["deal"]).close_date == p["date_iso"]

    def effect(self, app, world, p):
        save_deal(app, world, p["deal"], close_date=p["date_iso"])

    def wrong_params(self, world, p):
        return {**p, **date_params(next_day(p["date_iso"]))}


class ReassignCompanyLeads(Task):
    id = "crm/reassign-company-leads"
    app = "crm"
    skills = ("multi-step", "search", "multi-select", "bulk-edit", "modal-dialog", "date-picker")
    difficulty = "hard"
    instruction = (
        "Reassign every lead from {company} to {owner}, then set the close date of the deal {deal} to {date}.",
        "{owner} takes over {company}: give them all of that company's leads, and move the {deal} deal's close "
        "date to {date}.",
        "Search the leads of {company}, assign all of them to {owner} in one bulk edit, then change the close "
        "date of {deal} to {date} and save.",
    )

    def setup(self, world):
        leads = world.db.rows("select * from leads order by id")
        owners = [r.name for r in world.db.rows("select name from owners order by name")]
        candidates = []
        for deal in world.db.rows("select d.*, a.name as company from deals d join accounts a on a.id=d.account_id"
                                  " order by d.id"):
            found = [r for r in leads if lead_matches(r, deal.company)]
            if len(found) >= 2 and all(r.company == deal.company for r in found):
                candidates.append((deal, found))
        deal, found = world.choice(candidates)
        owner = world.choice([o for o in owners if any(r.owner != o for r in found)])
        moved = sum(r.owner != owner for r in found)
        return {"company": deal.company, "owner": owner, "deal": deal.name, "current_iso": deal.close_date,
                "leads": [r.name for r in found], "owner_total": sum(r.owner == owner for r in leads) + moved,
                **date_params(shifted_date(world, deal.close_date))}

    def solve(self, actor, p):
        actor.type(p["company"], label="Search leads")
        actor.press("Return")
        for name in p["leads"]:
            actor.click(role="checkbox", name=f"Select {name}")
        actor.click(role="button", name="Assign owner")
        actor.select(label="New owner", option=p["owner"])
        actor.click(role="button", name="Apply")
        actor.wait_for(text=f"{len(p['leads'])} leads updated")
        actor.click(role="link", name="Pipeline")
        actor.click(role="link", name=p["deal"])
        pick_date(actor, p["current_iso"], p["date_iso"])
        actor.click(role="button", name="Save")
        actor.wait_for(text="Saved")

    def check(self, world, p):
        owners = {r.owner for r in world.db.rows("select owner from leads where company=?", p["company"])}
        total = world.db.scalar("select count(*) from leads where owner=?", p["owner"])
        return owners == {p["owner"]} and total == p["owner_total"] and (
            deal_row(world, p["deal"]).close_date == p["date_iso"])

    def effect(self, app, world, p):
        bulk_edit(app, world, p["leads"], "owner", p["owner"])
        save_deal(app, world, p["deal"], close_date=p["date_iso"])

    def wrong_params(self, world, p):
        owners = [r.name for r in world.db.rows("select name from owners order by name") if r.name != p["owner"]]
        return {**p, "owner": world.choice(owners)}
