"""Which tab the web Actor and the CDP grounding follow in a desktop's browser with tabs, and
which way the Actor scrolls to a target outside a small window's page."""

from __future__ import annotations

from cleantrace.perform.actor import _span
from cleantrace.sandbox.browser import BROWSER_TITLE, front_page


class Context:
    def __init__(self) -> None:
        self.pages: list[Tab] = []


class Tab:
    """A tab as front_page asks it: its title, whether it closed, its browser's other tabs."""

    def __init__(self, context: Context, title: str, closed: bool = False) -> None:
        self.context, self._title, self.closed = context, title, closed
        context.pages.append(self)

    def title(self) -> str:
        return self._title

    def is_closed(self) -> bool:
        return self.closed


def test_the_actor_follows_the_tab_whose_title_the_window_bears():
    ctx = Context()
    mail, crm = Tab(ctx, "Inbox · Quill Mail"), Tab(ctx, "Ada Lovelace · Northwind CRM")
    assert front_page(mail, {"Ada Lovelace · Northwind CRM" + BROWSER_TITLE, "notes.txt - Mousepad"}) is crm
    assert front_page(mail, {"Inbox · Quill Mail" + BROWSER_TITLE}) is mail
    assert front_page(crm, {"Inbox · Quill Mail" + BROWSER_TITLE}) is mail  # back with Ctrl+Shift+Tab


def test_with_no_window_naming_a_tab_the_actor_stays_unless_its_tab_closed():
    ctx = Context()
    mail, crm = Tab(ctx, "Inbox · Quill Mail"), Tab(ctx, "Leads · Northwind CRM")
    assert front_page(mail, {"orders.xlsx - LibreOffice Calc"}) is mail
    mail.closed = True
    assert front_page(mail, set()) is crm
    lone = Context()
    only = Tab(lone, "Inbox · Quill Mail")
    assert front_page(only, set()) is only  # one tab: no need to ask the display


def test_two_windows_showing_tabs_keep_the_actor_on_its_own():
    ctx = Context()
    mail, crm = Tab(ctx, "Inbox · Quill Mail"), Tab(ctx, "Leads · Northwind CRM")
    both = {"Inbox · Quill Mail" + BROWSER_TITLE, "Leads · Northwind CRM" + BROWSER_TITLE}
    assert front_page(mail, both) is mail and front_page(crm, both) is crm


def test_scrolling_measures_the_target_along_the_axis_it_turns():
    bbox = {"x": 900.0, "y": 120.0, "width": 240.0, "height": 36.0}
    view = [0.0, 60.0, 700.0, 400.0]
    assert _span(bbox, view, "y") == (120.0, 36.0, 60.0, 400.0)  # in view vertically
    start, size, lo, room = _span(bbox, view, "x")
    assert start + size > lo + room  # right of the view: the wheel turns right (button 7)


def test_a_desktop_without_a_browser_has_no_tab_to_follow():
    """Every native-only desktop task (Calc, Writer, the editor) failed at its first verb: `page` is None."""
    assert front_page(None, {"orders-8.xlsx - LibreOffice Calc"}) is None
