"""A target's text is cut at 200 characters between words (in a real Chromium): a word cut short
('gottlieb.scholl@example.or' of a sheet's text) was read by the privacy scan as a real address."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from cleantrace.record.grounding import DESCRIBE_JS
from cleantrace.sandbox.browser import QUIET_FLAGS
from cleantrace.sandbox.requirements import chromium_path


def described_texts(*htmls: str) -> list[str]:
    """The grounding's text of element #t in each page, in one real Chromium."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=list(QUIET_FLAGS))
        try:
            page = browser.new_page()
            texts = []
            for html in htmls:
                page.set_content(html)
                texts.append(page.locator("#t").evaluate(f"el => ({DESCRIBE_JS}).call(el)")["text"])
            return texts
        finally:
            browser.close()


def test_a_long_text_ends_on_a_whole_word():
    words = ["Name, Company, E-mail"] + [f"person{n}@example.org" for n in range(12)]
    whole = " ".join(words)
    assert whole[:200].endswith("person8@example.or")  # where a plain cut at 200 falls: inside a word
    long, short = described_texts(f"<div id=t>{whole}</div>", "<div id=t>a  short\n text</div>")
    assert len(long) <= 200 and whole.startswith(long)
    assert long.split(" ")[-1] == "person7@example.org"  # the last whole word, not 'person8@example.or'
    assert short == "a short text"
