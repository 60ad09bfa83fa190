"""A target's text is cut at 200 characters between words (in a real Chromium): a word cut short
('gottlieb.scholl@example.or' of a sheet's text) was read by the privacy scan as a real address."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from cleantrace.record.grounding import DESCRIBE_JS
from cleantrace.sandbox.browser import QUIET_FLAGS
from cleantrace.sandbox.requirements import chromium_path


def described_text(html: str) -> str:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=list(QUIET_FLAGS))
        try:
            page = browser.new_page()
            page.set_content(html)
            return page.locator("#t").evaluate(f"el => ({DESCRIBE_JS}).call(el)")["text"]
        finally:
            browser.close()


def test_a_long_text_ends_on_a_whole_word():
    words = ["Name Company E-mail"] + [f"person{n}@example.org" for n in range(12)]
    text = described_text(f"<div id=t>{' '.join(words)}</div>")
    assert len(text) <= 200 and ' '.join(words).startswith(text)
    assert text.split(" ")[-1] in words  # the last word is whole, not 'person7@example.or'
    assert described_text("<div id=t>a  short\n text</div>") == "a short text"
