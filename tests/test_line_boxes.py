"""The Actor aims into one line box of a wrapped link (in a real Chromium): a name link wrapped over
two lines in a narrow table cell ('Orhan' / 'Birnbaum', crm/set-lead-status at 1366×768, scale 1.5)
has a bounding box whose corners belong to the row, and a click there did not open the lead."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from cleantrace.perform.actor import LINE_BOXES_JS, largest_line_box
from cleantrace.sandbox.browser import QUIET_FLAGS
from cleantrace.sandbox.requirements import chromium_path

WRAPPED_LINK = """
<table style="font: 20px sans-serif"><tr id=row><td style="width: 110px">
  <a id=t href="#lead">Orhan Birnbaumgartner</a></td><td>Wohlgemut</td></tr></table>"""

HIT_JS = "([x, y]) => document.elementFromPoint(x, y).id"


def test_a_wrapped_link_is_aimed_at_in_its_largest_line_box():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=list(QUIET_FLAGS))
        try:
            page = browser.new_page()
            page.set_content(WRAPPED_LINK)
            link = page.locator("#t")
            bbox = link.bounding_box()
            lines = link.evaluate(LINE_BOXES_JS)
            assert len(lines) == 2  # the name wraps
            corner = (bbox["x"] + bbox["width"] - 2, bbox["y"] + 2)  # right of the short first line
            assert page.evaluate(HIT_JS, corner) != "t"  # the bounding box holds points off the link
            x, y, w, h = largest_line_box(bbox, lines)
            assert w * h < bbox["width"] * bbox["height"]
            inner = [(x + dx * w, y + dy * h) for dx in (0.05, 0.5, 0.95) for dy in (0.1, 0.5, 0.9)]
            assert [page.evaluate(HIT_JS, point) for point in inner] == ["t"] * len(inner)
        finally:
            browser.close()


def test_an_element_of_one_box_keeps_its_bounding_box():
    bbox = {"x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0}
    assert largest_line_box(bbox, [[10.0, 20.0, 30.0, 40.0]]) == (10.0, 20.0, 30.0, 40.0)
    assert largest_line_box(bbox, []) == (10.0, 20.0, 30.0, 40.0)


def test_line_boxes_in_a_frame_are_placed_like_the_bounding_box():
    bbox = {"x": 110.0, "y": 220.0, "width": 80.0, "height": 40.0}  # the frame sits at (100, 200)
    lines = [[30.0, 20.0, 60.0, 20.0], [10.0, 40.0, 40.0, 20.0]]
    assert largest_line_box(bbox, lines) == (130.0, 220.0, 60.0, 20.0)
