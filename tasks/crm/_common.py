"""What the crm tasks share: seeded choices, the date-picker steps, and effects through the app's HTTP API."""

from __future__ import annotations

import calendar
import datetime as dt

from .app import nice_date

SCREEN_ROWS = 10  # leads visible on "/" without scrolling, at 1280x800
MONTH_SHIFTS = (-1, 1, 1, 2)


def shifted_date(world, iso: str) -> str:
    """A seeded date one month before, or one or two months after, the month of `iso`."""
    day = dt.date.fromisoformat(iso)
    shift = world.choice(MONTH_SHIFTS)
    year, month = divmod(day.year * 12 + day.month - 1 + shift, 12)
    return dt.date(year, month + 1, world.rng.randint(1, 28)).isoformat()


def next_day(iso: str) -> str:
    """The day after `iso` (a plausible off-by-one click in the grid)."""
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


def date_params(target_iso: str) -> dict:
    """The params a date-picker task carries: the date as people write it, and as the app stores it."""
    return {"date": nice_date(target_iso), "date_iso": target_iso}


def pick_date(actor, current_iso: str, target_iso: str) -> None:
    """On a deal page: open the close-date picker and choose `target_iso`, by pointer or by keyboard."""
    start, target = dt.date.fromisoformat(current_iso), dt.date.fromisoformat(target_iso)
    months = (target.year - start.year) * 12 + target.month - start.month
    actor.click(role="button", name="Choose date")
    if actor.prefers_keyboard():  # the APG keys: Page Up/Down a month, arrows a day or a week, Enter
        focus = start
        for _ in range(abs(months)):
            year, month = divmod(focus.year * 12 + focus.month - 1 + (1 if months > 0 else -1), 12)
            focus = dt.date(year, month + 1, min(focus.day, calendar.monthrange(year, month + 1)[1]))
            actor.press("pagedown" if months > 0 else "pageup")
        days = (target - focus).days
        if weeks := abs(days) // 7:
            actor.press("Down" if days > 0 else "Up", times=weeks)
        if rest := abs(days) % 7:
            actor.press("Right" if days > 0 else "Left", times=rest)
        actor.press("Return")
    else:
        for _ in range(abs(months)):
            actor.click(role="button", name="Next month" if months > 0 else "Previous month")
        actor.wait_for(role="heading", name=f"{target:%B} {target.year}")
        actor.click(role="gridcell", name=str(target.day))
        actor.click(role="button", name="OK")


# -- effects: what solve() does, through the app's own HTTP API (forms and JSON endpoints) -----------
def post(app, path: str, form: dict | None = None, json: dict | None = None):
    """POST a form (or JSON) to the app, as the page does; an error status raises."""
    response = app.post(path, data=form, json=json)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {response.status_code}")
    return response


def row_named(world, table: str, name: str):
    """The row of `table` (leads, accounts, deals) whose name is `name`."""
    return world.db.rows(f"select * from {table} where name=?", name)[0]  # noqa: S608 (a fixed table name)


def save_lead(app, world, name: str, **changes) -> None:
    """Save the lead form of `name` with `changes` (status, priority, notes) over its current values."""
    lead = row_named(world, "leads", name)
    form = {"status": lead.status, "priority": lead.priority, "notes": lead.notes or "", **changes}
    post(app, f"/leads/{lead.id}", form)


def bulk_edit(app, world, names: list[str], field: str, value: str) -> None:
    """Tick the leads `names` and set `field` (status or owner) of all of them to `value`."""
    ids = [str(row_named(world, "leads", n).id) for n in names]
    post(app, "/leads/bulk", {"ids": ids, "field": field, "value": value})


def save_deal(app, world, name: str, **changes) -> None:
    """Save the deal form of `name` with `changes` (stage, amount, close_date)."""
    deal = row_named(world, "deals", name)
    form = {"stage": deal.stage, "amount": str(deal.amount), "close_date": deal.close_date, **changes}
    post(app, f"/deals/{deal.id}", form)


def create_account(app, world, name: str, industry: str, phone: str = "", email: str = "") -> None:
    post(app, "/accounts", {"name": name, "industry": industry, "phone": phone, "email": email})


def add_contact(app, world, account: str, name: str, title: str = "", email: str = "", phone: str = "") -> None:
    post(app, f"/accounts/{row_named(world, 'accounts', account).id}/contacts",
         {"name": name, "title": title, "email": email, "phone": phone})
