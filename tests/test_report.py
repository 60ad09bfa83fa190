"""The HTML report, built from synthetic episodes (schema records + real PNG frames) and opened in
a real headless Chromium over file://."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from cleantrace.sandbox.browser import QUIET_FLAGS
from cleantrace.sandbox.requirements import chromium_path
from cleantrace.trace import files
from cleantrace.trace.reduce import TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import Clock, Frame, Meta, Outcome, Performer, SandboxInfo, Screen, Target
from cleantrace.view import write_report
from cleantrace.view.report import PAGES_DIR, action_label
from tests.test_reduce import Stream

W, H = 1280, 800
TRICKY_TEXT = "a</script><b>x"  # typed text must not break out of the embedded JSON


def write_png(path: Path, shade: int) -> str:
    img = Image.new("RGB", (W, H), (shade, 240, 250 - shade))
    ImageDraw.Draw(img).rectangle((100, 100, 300, 140), fill=(38, 128, 194))
    img.save(path)
    return hashlib.sha256(img.tobytes()).hexdigest()


def make_episode(run_dir: Path, name: str, task: str, status: str, typed: str, duration_ms: float) -> dict:
    """A recorded-looking episode: a click on a button, typing into a field, a click on Save."""
    folder = run_dir / name
    (folder / files.FRAMES_DIR).mkdir(parents=True)
    s = Stream().move(200, 120).click().wait(600).move(400, 300).click().wait(300)
    for ch in typed:
        s.tap(ch)
    s.wait(500).move(150, 500).click()
    events = s.events
    frames = []
    for i, t in enumerate([0.0, events[10].t_ms, events[-5].t_ms, events[-1].t_ms + 50]):
        file = f"{files.FRAMES_DIR}/{i:06d}.png"
        frames.append(Frame(i=i, t_ms=t, file=file, sha256=write_png(folder / file, 40 * i), reason="action"))
    downs = [e for e in events if e.kind == "down"]
    open_, note = Target(role="button", name="Open", tag="button", bbox=(100, 100, 200, 40)), Target(
        role="textbox", name="Note", tag="input", bbox=(350, 280, 300, 40))
    save = Target(role="button", name="Save", tag="button", bbox=(120, 480, 80, 40))
    probes = [
        TargetProbe(downs[0].t_ms - 1, 200, 120, open_), TargetProbe(downs[1].t_ms - 1, 400, 300, note),
        TargetProbe(downs[1].t_ms + 5, None, None, note), TargetProbe(downs[2].t_ms - 1, 150, 500, save),
    ]
    actions = attach_observations(reduce_events(events), events, frames, probes)
    meta = Meta(
        run_id=run_dir.name, episode_id=name, task=task, task_version=1, seed=1, params={"note": typed},
        instruction=f"Write {typed} and save.", performer=Performer(kind="script", id=f"script:{task}"),
        sandbox=SandboxInfo(backend="local", screen=Screen(w=W, h=H)), clock=Clock(start="2026-11-24T10:00:00+00:00"),
        outcome=Outcome(status=status, success={"success": True, "failure": False}.get(status), message=status),
        duration_ms=duration_ms,
    )
    files.replace_json(folder / files.META, meta)
    for path, records in ((files.EVENTS, events), (files.ACTIONS, actions), (files.FRAMES, frames)):
        (folder / path).write_text("".join(files.dumps(r) + "\n" for r in records))
    with open(run_dir / files.CATALOG, "a") as f:
        f.write(json.dumps({"episode_id": name}) + "\n")
    return {"name": name, "events": events, "actions": actions}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list[dict]]:
    run_dir = tmp_path_factory.mktemp("runs") / "run-x"
    run_dir.mkdir()
    episodes = [
        make_episode(run_dir, "crm--set-lead-status--s1--default", "crm/set-lead-status", "success", "hello", 6000),
        make_episode(run_dir, "crm--add-lead-note--s1--default", "crm/add-lead-note", "failure", TRICKY_TEXT, 8000),
        make_episode(run_dir, "demo--unknown--s1--default", "demo/unknown", "success", "Hi!", 10000),
    ]
    return write_report(run_dir), episodes


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), headless=True, args=list(QUIET_FLAGS))
        yield chromium
        chromium.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_the_index_summarizes_the_run(report, browser):
    index, episodes = report
    page, errors = open_page(browser, index)
    assert page.locator("#episode-count").inner_text() == "3"
    assert page.locator("#success-rate").inner_text() == "2 / 3 (67 %)"
    tasks = page.locator("table.per-task tr").all_inner_texts()[1:]
    assert [t.split("\t") for t in tasks] == [
        ["crm/add-lead-note", "1", "0"], ["crm/set-lead-status", "1", "1"], ["demo/unknown", "1", "1"]]
    skill_rows = page.locator("table.per-skill tr").all_inner_texts()[1:]
    skills = {row.split("\t")[0]: row.split("\t")[1:] for row in skill_rows}
    # from the task library: set-lead-status is native-select, click, form; add-lead-note typing, textarea, form
    assert skills["form"] == ["2", "1"] and skills["native-select"] == ["1", "1"] and skills["typing"] == ["1", "0"]
    assert not any("unknown" in s for s in skills), "an unknown task has no skills"
    assert "mean 8.0 s" in page.locator("table.summary").inner_text()
    look = page.locator("tr.episode td.appearance").first.inner_text()
    assert look == "1280×800@1 light classic 100% DejaVu Sans en_US"
    links = page.locator("tr.episode a.open")
    assert links.count() == 3
    links.nth(2).click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{PAGES_DIR}/demo--unknown--s1--default.html")
    page.close()
    assert errors == []


@pytest.mark.parametrize("n", [0, 1, 2])
def test_an_episode_page_shows_every_action_over_its_frames(report, browser, n):
    index, episodes = report
    ep = episodes[n]
    page, errors = open_page(browser, index.parent / PAGES_DIR / f"{ep['name']}.html")
    widths = page.evaluate("""async () => {
        for (const img of document.images) { img.scrollIntoView(); await img.decode().catch(() => {}); }
        return [...document.images].map(i => i.naturalWidth);
    }""")
    assert widths and all(w == W for w in widths), widths
    actions = ep["actions"]
    rows = page.locator("article.action")
    assert rows.count() == len(actions)
    assert [rows.nth(k).locator("h3").inner_text() for k in range(len(actions))] == [
        f"{a.i} · {action_label(a)}" for a in actions]
    boxes = [a for a in actions if a.target and a.target.bbox]
    assert len(boxes) == 3 and page.locator("article.action rect.box").count() == len(boxes)
    for a in boxes:
        rect = page.locator(f"#a{a.i} rect.box")
        assert [float(rect.get_attribute(k)) for k in ("x", "y", "width", "height")] == list(a.target.bbox)
        assert rect.bounding_box()["width"] > 10, "the box is drawn at the frame's scale"
    assert page.locator("article.action path.cursor").count() == len(actions)
    assert page.locator("article.action polyline.path").count() >= 3
    assert page.locator(".timeline a.mark").count() == len(actions)
    page.close()
    assert errors == []


def test_raw_events_render_on_demand(report, browser):
    index, episodes = report
    ep = episodes[1]
    page, errors = open_page(browser, index.parent / PAGES_DIR / f"{ep['name']}.html")
    typed = next(a for a in ep["actions"] if a.kind == "type")
    raw = page.locator(f"#a{typed.i} details.raw")
    assert raw.locator("tbody tr").count() == 0, "nothing rendered before it is asked for"
    raw.locator("summary").click()
    rows = raw.locator("tbody tr")
    expect(rows).to_have_count(typed.events[1] - typed.events[0] + 1)  # rendered on the toggle event
    keys = [rows.nth(k).locator("td").nth(6).inner_text() for k in range(rows.count())]
    assert "".join(k for k, e in zip(keys, ep["events"][typed.events[0]:], strict=False) if e.kind == "key_down") \
        == TRICKY_TEXT
    img, svg = page.locator(f"#a{typed.i} .shot img"), page.locator(f"#a{typed.i} .shot svg")
    assert svg.bounding_box() == img.bounding_box(), "a long table beside it does not stretch the overlay"
    everything = page.locator("details.raw.all")
    everything.locator("summary").click()
    expect(everything.locator("tbody tr")).to_have_count(len(ep["events"]))
    assert page.locator("b").count() == 0, "typed markup stays text"
    page.close()
    assert errors == []


def test_frames_are_referenced_not_inlined(report):
    index, episodes = report
    html = (index.parent / PAGES_DIR / f"{episodes[0]['name']}.html").read_text()
    assert "data:image" not in html and f'src="../{episodes[0]["name"]}/frames/000000.png"' in html


def test_a_done_step_and_step_descriptions_render(tmp_path):
    """The closing `done` step covers no events: the report (and the volunteer review) must show it."""
    from cleantrace.station.review import review_of
    from tests.synthetic import write_episode

    run_dir = tmp_path / "run"
    folder = write_episode(run_dir / "ep", done=True)
    (run_dir / files.CATALOG).write_text(json.dumps({"episode_id": "ep", "task": "crm/add-lead-note", "seed": 0,
                                                     "performer": "script", "status": "success"}) + "\n")
    write_report(run_dir)
    page = (run_dir / PAGES_DIR / "ep.html").read_text()
    assert "Click the Save button" in page and "Done: the task is complete" in page
    assert [s.label for s in review_of(folder).steps][-1] == "done"
def visible_tasks(page) -> list[str]:
    return page.eval_on_selector_all("tr.episode:not([hidden])", "rows => rows.map(r => r.dataset.task)")


def test_the_episode_table_comes_first_and_sorts_and_filters(report, browser):
    index, _ = report
    page, errors = open_page(browser, index)
    assert page.evaluate("""() => !!(document.querySelector('table.episodes').compareDocumentPosition(
        document.querySelector('table.summary')) & Node.DOCUMENT_POSITION_FOLLOWING)"""), "episodes before the summary"
    assert visible_tasks(page) == ["crm/add-lead-note", "crm/set-lead-status", "demo/unknown"]
    first = page.locator("tr.episode").first
    assert first.locator("td.instruction").inner_text() == f"Write {TRICKY_TEXT} and save."
    widths = page.evaluate("""async () => Promise.all([...document.querySelectorAll('img.thumb')].map(
        async i => { await i.decode(); return i.naturalWidth; }))""")
    assert widths == [W, W, W], "a thumbnail of the final screen per row"
    assert "script (default)" in first.inner_text() and "script script:" not in page.content()

    page.locator("th[data-key=time] button").click()  # 8.0 s, 6.0 s, 10.0 s → ascending
    assert visible_tasks(page) == ["crm/set-lead-status", "crm/add-lead-note", "demo/unknown"]
    page.locator("th[data-key=task] button").click()
    page.locator("th[data-key=task] button").click()
    assert visible_tasks(page) == ["demo/unknown", "crm/set-lead-status", "crm/add-lead-note"]
    assert page.locator("th[data-key=task]").get_attribute("aria-sort") == "descending"

    page.select_option("select[data-filter=outcome]", "failure")
    assert visible_tasks(page) == ["crm/add-lead-note"]
    assert page.locator("#shown").inner_text() == "1 of 3 shown"
    page.select_option("select[data-filter=outcome]", "")
    page.select_option("select[data-filter=skill]", "native-select")  # a skill of set-lead-status only
    assert visible_tasks(page) == ["crm/set-lead-status"]
    page.select_option("select[data-filter=skill]", "")
    page.select_option("select[data-filter=app]", "crm")
    page.fill("#search", "hello")  # set-lead-status's instruction says "Write hello and save."
    assert visible_tasks(page) == ["crm/set-lead-status"]
    page.fill("#search", "")
    assert len(visible_tasks(page)) == 2
    assert page.locator("select[data-filter=appearance]").count() == 1, "every episode has a look: it can be filtered"
    page.close()
    assert errors == []


def test_an_episode_page_plays_back_with_the_cursor_and_links_its_neighbours(report, browser):
    index, episodes = report
    order = ["crm--add-lead-note--s1--default", "crm--set-lead-status--s1--default", "demo--unknown--s1--default"]
    ep = next(e for e in episodes if e["name"] == order[1])
    page, errors = open_page(browser, index.parent / PAGES_DIR / f"{order[1]}.html")
    assert page.locator("a[rel=prev]").get_attribute("href") == f"{order[0]}.html"
    assert page.locator("a[rel=next]").get_attribute("href") == f"{order[2]}.html"
    rows = page.locator("table.timing tbody tr")
    assert rows.count() == len(ep["actions"])
    second = ep["actions"][1]
    gap = (second.t0_ms - ep["actions"][0].t1_ms) / 1000
    assert rows.nth(1).locator("td").nth(4).inner_text() == f"{gap:.2f} s", "the time since the previous action"

    t = ep["events"][-1].t_ms  # the end: the last frame, the cursor at the last click
    page.locator("#scrub").fill(str(round(t / 10) * 10))
    last = [e for e in ep["events"] if e.kind in ("move", "down", "up") and e.t_ms <= round(t / 10) * 10][-1]
    assert page.locator("#play-cursor").get_attribute("transform") == f"translate({last.x} {last.y}) scale(1.6)"
    assert page.locator("#play-frame").get_attribute("src").endswith("frames/000002.png")
    assert page.locator("#play-trail").get_attribute("points"), "the cursor's recent path is drawn"

    page.locator("#scrub").fill("0")
    page.locator("#play").click()
    expect(page.locator("#play")).to_have_text("pause")
    page.wait_for_function("Number(document.getElementById('scrub').value) > 0")  # time moves while playing
    page.locator("#play").click()
    expect(page.locator("#play")).to_have_text("play")
    paused_at = page.locator("#scrub").input_value()
    page.wait_for_timeout(300)  # a negative check: nothing may move while paused
    assert page.locator("#scrub").input_value() == paused_at

    page.locator("a[rel=next]").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"{order[2]}.html") and page.locator("a[rel=next]").count() == 0
    page.close()
    assert errors == []


def test_an_episode_the_privacy_scan_blocked_shows_no_frame_typed_text_or_key(tmp_path):
    """The report must not become a copy of what the scan blocked: findings masked, nothing typed shown."""
    from cleantrace.privacy import record_scan, scan_episode
    from tests.synthetic import write_episode

    run_dir = tmp_path / "run"
    secret = "jane.doe@gmail.com"
    folder = write_episode(run_dir / "ep", typed=f"mail {secret}")
    record_scan(folder, scan_episode(folder, ocr=False))
    (run_dir / files.CATALOG).write_text(json.dumps({"episode_id": "ep", "task": "crm/add-lead-note", "seed": 0,
                                                     "performer": "script", "status": "success"}) + "\n")
    index = write_report(run_dir)
    page = (run_dir / PAGES_DIR / "ep.html").read_text()
    assert "Withheld" in page and "ja…om (18 chars)" in page
    assert secret not in page and "gmail" not in page and '"key_down",10,10,null,"j"' not in page.replace(" ", "")
    assert "frames/000000.png" not in page and "frames/000000.png" not in index.read_text()
