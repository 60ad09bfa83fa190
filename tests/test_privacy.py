"""Privacy scan: planted real-looking identifiers and host canaries are found, with their record;
the reserved fake ranges are not."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cleantrace.privacy import Finding, record_scan, scan_episode, scan_run
from cleantrace.privacy import ocr as ocr_module
from cleantrace.privacy import scan as scan_module
from cleantrace.privacy.canaries import canary_pattern, env_canaries, host_canaries
from cleantrace.privacy.cards import NETWORKS, issuing_network, luhn_ok
from cleantrace.privacy.detect import Hit, find_identifiers
from cleantrace.privacy.ocr import changed_bands, read_closer, read_frames
from cleantrace.privacy.ranges import DOCUMENTED_TEST_CARDS
from cleantrace.trace.reader import read_episode
from cleantrace.trace.schema import Meta, Target
from cleantrace.world.fake import TEST_CARD_NUMBERS, FakeData
from tests.synthetic import write_episode

REAL = {
    "email": ["jane.doe@gmail.com", "ceo@bigcorp.co.uk"],
    "phone": ["(415) 867-5309", "+44 20 7946 0958", "+49 30 901820"],
    "card": ["4556 7375 8689 9855", "5425233430109903", "3782 822463 11235"],
    "ip": ["8.8.8.8", "10.0.0.12", "2a00:1450:4001:82a::200e"],
    "url": ["https://github.com/someone", "http://intranet.corp.com/wiki", "file:///home/jane/notes.txt"],
}
RESERVED = [
    "lisa.barrera@corp.test", "kyle@example.com", "a@mail.example.org", "(977) 555-0153", "(212) 555-0199",
    "4242 4242 4242 4242", "4111111111111111", "378282246310005", "127.0.0.1", "192.0.2.10", "198.51.100.7",
    "203.0.113.99", "2001:db8::1", "::1", "http://127.0.0.1:8000/leads/3", "https://localhost/x",
    "https://www.example.com/a?b=c", "http://shop.test/", "2026-11-24T11:03:55.289+00:00",
    "html > body > main > table > tbody > tr:nth-of-type(11) > td:nth-of-type(1) > a", "run-20261124-110355",
]


@pytest.fixture
def host(monkeypatch):
    """A host with an identifying name, user, home and secret token."""
    monkeypatch.setattr(socket, "gethostname", lambda: "jdoe-thinkpad")
    monkeypatch.setattr(socket, "getfqdn", lambda: "jdoe-thinkpad.lan")
    for var in ("LOGNAME", "USER"):
        monkeypatch.setenv(var, "jdoe")
    monkeypatch.setenv("HOME", "/home/jdoe")
    monkeypatch.setenv("SERVICE_TOKEN", "tok_9f8e7d6c5b4a")


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in REAL.items() for t in texts])
def test_each_real_looking_identifier_is_found(kind, text):
    assert find_identifiers(f"please use {text}, thanks") == [Hit(kind, text)]


@pytest.mark.parametrize("text", RESERVED)
def test_reserved_ranges_and_ordinary_trace_text_are_not_findings(text):
    assert find_identifiers(f"see {text} now") == []


def test_the_world_generates_only_unflagged_identifiers():
    fake = FakeData(7)
    for _ in range(200):
        name = fake.name()
        assert find_identifiers(f"{name} {fake.email(name)} {fake.phone()} {fake.card()}") == []
    assert all(luhn_ok(c) for c in TEST_CARD_NUMBERS)


def test_ocr_noise_in_reserved_names_is_tolerated_only_in_ocr_text():
    noisy = "thomas.silva@exampie.com lisa@corp.tesl kyle@exarnple.org (578) 555-0712"
    assert find_identifiers(noisy, ocr=True) == []
    assert {h.kind for h in find_identifiers(noisy)} == {"email"}
    assert find_identifiers("jo@sample.com", ocr=True) == [Hit("email", "jo@sample.com")]  # a real domain


def test_host_canaries_name_user_home_and_specific_environment_values(host):
    canaries = host_canaries()
    for expected in ("jdoe-thinkpad", "jdoe-thinkpad.lan", "jdoe", "/home/jdoe", "tok_9f8e7d6c5b4a"):
        assert expected in canaries
    pattern = canary_pattern(canaries)
    assert [m.group(0) for m in pattern.finditer("by JDOE at /home/jdoe/x; malice-jdoex")] == ["JDOE", "/home/jdoe"]


def test_common_environment_values_are_not_canaries():
    env = {
        "LANG": "en_US.UTF-8", "TERM": "xterm-256color", "SHELL": "/bin/bash", "MODE": "production",
        "FLAG": "true", "VERSION": "528.0.0", "CA": "/etc/ssl/certs/ca-certificates.crt", "SHORT": "abc",
        "PATH": "/usr/local/bin:/usr/bin:/home/jdoe/.local/bin", "NAME": "false-font-qwhztd-ghmhxp",
    }
    assert env_canaries(env) == {"/home/jdoe/.local/bin", "false-font-qwhztd-ghmhxp"}


def planted_episode(tmp_path):
    """One identifier of each kind, each in another source of the trace."""
    return write_episode(
        tmp_path / "ep",
        params={"lead": "Kristen Turner", "contact": "jane.doe@gmail.com", "card": 5425233430109903},
        instruction="Call (415) 867-5309 about jdoe-thinkpad.",
        typed="see 8.8.8.8 and https://github.com/someone",
        target=Target(role="link", name="Open tok_9f8e7d6c5b4a", text="+49 30 901820", selector="#lead",
                      bbox=(40.0, 100.0, 120.0, 20.0)),
        screens=(("Leads", "Kristen Turner kristen@acme.test (212) 555-0142"),
                 ("Lead saved", "Contact bob.smith@outlook.com"), ("Files in /home/jdoe/Documents",)),
    )


def found(scan) -> set[tuple[str, str, str]]:
    return {(f.record, f.kind, f.text) for f in scan.findings}


def test_planted_identifiers_are_found_in_every_source(tmp_path, host):
    scan = scan_episode(planted_episode(tmp_path))
    assert found(scan) == {
        ("meta.json params.contact", "email", "jane.doe@gmail.com"),
        ("meta.json params.card", "card", "5425233430109903"),
        ("meta.json instruction", "phone", "(415) 867-5309"),
        ("meta.json instruction", "canary", "jdoe-thinkpad"),
        ("events.jsonl:9-92 typed", "url", "https://github.com/someone"),
        ("events.jsonl:9-92 typed", "ip", "8.8.8.8"),
        ("actions.jsonl:3 text", "url", "https://github.com/someone"),
        ("actions.jsonl:3 text", "ip", "8.8.8.8"),
        *((f"actions.jsonl:{n} target.name", "canary", "tok_9f8e7d6c5b4a") for n in (1, 2, 3)),
        *((f"actions.jsonl:{n} target.text", "phone", "+49 30 901820") for n in (1, 2, 3)),
        ("frames/000001.png (ocr)", "email", "bob.smith@outlook.com"),
        ("frames/000002.png (ocr)", "canary", "/home/jdoe"),
    }
    assert scan.ocr_frames == 3 and scan.ocr_seconds > 0 and not scan.clean
    assert all(isinstance(f, Finding) and f.episode_id == "ep" for f in scan.findings)


def test_extra_canaries_are_looked_for(tmp_path):
    folder = write_episode(tmp_path / "ep", instruction="Ask Project Nightjar about it.")
    assert found(scan_episode(folder, ocr=False, canaries=["project nightjar"])) == {
        ("meta.json instruction", "canary", "Project Nightjar")}


def test_a_clean_episode_is_recorded_clean_and_findings_are_recorded_masked(tmp_path, host):
    clean = write_episode(tmp_path / "clean", params={"email": "a@example.org"})
    meta = record_scan(clean, scan_episode(clean))
    assert meta.privacy.scan == "clean" and meta.privacy.findings == []
    dirty = planted_episode(tmp_path)
    record_scan(dirty, scan_episode(dirty, ocr=False))
    stored = Meta.model_validate_json((dirty / "meta.json").read_text()).privacy
    assert stored.scan == "findings" and stored.notes == ["OCR of frames was turned off"]
    assert "meta.json params.contact: email ja…om (18 chars)" in stored.findings
    assert not any("jane.doe" in line for line in stored.findings)  # never stored unmasked
    assert "meta.json instruction: canary j… (13 chars)" in stored.findings
    assert not any("tok_9f8e7d6c5b4a" in line for line in stored.findings)
    assert found(scan_episode(dirty, ocr=False)) == found(scan_episode(dirty, ocr=False))  # own findings not re-read


def test_without_tesseract_the_scan_says_so_and_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr_module.shutil, "which", lambda name: None)
    folder = write_episode(tmp_path / "ep", params={"email": "x@gmail.com"}, screens=(("mail y@gmail.com",),))
    scan = scan_episode(folder)
    assert [f.kind for f in scan.findings] == ["email"] and scan.ocr_frames == 0
    assert scan.notes == ["frames were not read: tesseract is not installed (apt-get install tesseract-ocr)"]


def test_only_changed_rows_are_read_again():
    import numpy as np

    before = np.zeros((200, 50), np.uint8)
    after = before.copy()
    after[100:104, 10:20] = 255
    assert changed_bands(None, after) == [(0, 200)]
    assert changed_bands(before, before) == []
    assert changed_bands(before, after) == [(88, 116)]
    after[0:150] = 1
    assert changed_bands(before, after) == [(0, 200)]


def test_repeated_screens_are_read_once(tmp_path):
    folder = write_episode(tmp_path / "ep", screens=(("A",), ("B",), ("A",), ("B",)))
    assert scan_episode(folder).ocr_frames == 2


def test_scan_run_records_every_episode_and_the_cli_exits_non_zero_on_findings(tmp_path, host):
    run_dir = tmp_path / "run"
    write_episode(run_dir / "a", params={"email": "a@example.com"})
    write_episode(run_dir / "b", params={"email": "b@gmail.com"})
    assert [s.clean for s in scan_run(run_dir, ocr=False)] == [True, False]
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "scan", str(run_dir), "--no-ocr"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "1/2 clean" in done.stdout
    assert "b… (11 chars)" in done.stdout and "b@gmail.com" not in done.stdout  # shown masked
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "scan", str(run_dir / "a"), "--no-ocr"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "1/1 clean" in done.stdout
    assert json.loads((run_dir / "b" / "meta.json").read_text())["privacy"]["scan"] == "findings"


def test_unreadable_frames_and_empty_runs_are_said_plainly(tmp_path):
    folder = write_episode(tmp_path / "run" / "ep", screens=(("A",), ("B",)))
    (folder / "frames" / "000001.png").write_bytes(b"not a png")
    scan = scan_episode(folder)
    assert scan.ocr_frames == 1 and scan.notes == ["1 frame file(s) missing or unreadable: frames/000001.png…"]
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "scan", str(empty)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("error: no episodes in") and "Traceback" not in done.stderr


def luhn_complete(body: str) -> str:
    """`body` plus the check digit that makes it pass the Luhn check."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@st.composite
def issued_numbers(draw) -> str:
    """A Luhn-valid number in some network's IIN range, of a length that network issues."""
    _, prefixes, lengths = draw(st.sampled_from(NETWORKS))
    low, _, high = draw(st.sampled_from(prefixes)).partition("-")
    head = str(draw(st.integers(int(low), int(high or low)))).zfill(len(low))
    rest = draw(st.sampled_from(lengths)) - 1 - len(head)
    return luhn_complete(head + draw(st.text(alphabet="0123456789", min_size=rest, max_size=rest)))


@given(issued_numbers(), st.sampled_from(["", " ", "-"]))
def test_any_number_a_card_network_could_issue_is_found_unless_documented(number, sep):
    shown = sep.join(number[i:i + 4] for i in range(0, len(number), 4)) if len(number) == 16 else number
    hits = find_identifiers(f"card {shown} on file")
    assert hits == ([] if number in DOCUMENTED_TEST_CARDS else [Hit("card", shown)])


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_luhn_valid_digit_runs_that_no_network_issues_are_not_cards(body):
    number = luhn_complete(body)
    assume(issuing_network(number) is None)
    assert [h for h in find_identifiers(f"total {number} units") if h.kind == "card"] == []


def test_a_row_of_sheet_figures_is_not_a_card():
    grid = "A B C D E 1 Category July August September 2 Rent 4940 6470 4020 3 Salaries 2930 1610 2100 6640 4 Software"
    assert luhn_ok("29301610210066404") and find_identifiers(grid) == []
    assert find_identifiers("3 Salaries 4556 7375 8689 9855 4") == [Hit("card", "4556 7375 8689 9855")]


@given(st.integers(201, 989), st.integers(0, 99))
def test_every_fictional_555_01xx_number_is_allowed(area, line):
    assert find_identifiers(f"call ({area}) 555-01{line:02d} or {area}-555-01{line:02d}") == []


def test_ocr_allows_reserved_addresses_clipped_at_a_cell_edge_but_not_real_ones():
    from cleantrace.privacy.detect import find_identifiers

    assert find_identifiers("erin.grant@acme.te  x@example.c", ocr=True) == []
    assert [h.text for h in find_identifiers("erin.grant@acme.in", ocr=True)] == ["erin.grant@acme.in"]
    assert [h.text for h in find_identifiers("erin.grant@acme.te", ocr=False)] == ["erin.grant@acme.te"]


def test_ocr_allows_names_being_typed_and_domains_under_no_top_level_name_but_not_real_ones():
    for noise in ("whitney.reid@example.cq", "carter@acme.ted", "joseph.rose@corp.tel", "ren.mueller@example.xo"):
        assert find_identifiers(noise, ocr=True) == [], noise
        assert find_identifiers(noise) != [], f"{noise}: exact sources get no OCR tolerance"
    for real in ("b@gmail.co", "jo@sample.com", "jane@gmail.corn", "x@bigcorp.co.uk"):
        assert [h.kind for h in find_identifiers(real, ocr=True)] == ["email"], real


def test_ocr_needs_an_area_code_for_a_phone_number():
    assert find_identifiers("Qty 310 1740", ocr=True) == []
    assert find_identifiers("call (415) 867-5309", ocr=True) == [Hit("phone", "(415) 867-5309")]


def test_table_columns_are_read_as_separate_cells(tmp_path):
    days = " " * 12
    folder = write_episode(tmp_path / "ep", screens=(("Pick a date",), (days.join(["25", "26", "27", "28", "29"]),)))
    assert find_identifiers("25 26 27 28 29") != [], "read as one line, the days would be a phone number"
    trace = read_episode(folder)
    cells = read_frames(folder, trace.frames).cells[trace.frames[-1].file]
    assert [c.text for c in cells] == ["25", "26", "27", "28", "29"]
    assert all(a.box[0] + a.box[2] < b.box[0] for a, b in zip(cells, cells[1:], strict=False))
    assert scan_episode(folder).clean


def test_a_reading_the_closer_look_does_not_confirm_is_not_counted(tmp_path, monkeypatch):
    folder = write_episode(tmp_path / "ep", screens=(("Leads",), ("Contact bob.smith@outlook.com",)))
    assert [f.text for f in scan_episode(folder).findings] == ["bob.smith@outlook.com"]  # confirmed at 3×
    monkeypatch.setattr(scan_module, "read_closer", lambda image_file, box: "Contact bob.smith@example.com")
    scan = scan_episode(folder)
    assert scan.clean and scan.notes == ["1 OCR reading(s) not confirmed by a closer look (3×) were not counted"]


def test_the_closer_look_reads_small_text_from_its_box(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    from tests.synthetic import FONT

    image = Image.new("RGB", (400, 60), "white")
    ImageDraw.Draw(image).text((30, 20), "kristen@acme.test", fill=(60, 60, 60), font=ImageFont.truetype(FONT, 11))
    image.save(tmp_path / "frame.png")
    assert read_closer(tmp_path / "frame.png", (30, 20, 110, 14)) == "kristen@acme.test"


def test_a_highlighted_word_does_not_merge_its_neighbours_into_one_cell():
    from cleantrace.privacy.ocr import _cells

    # a date picker row as tesseract boxes it: the selected day's box is its whole dark button
    row = [(244, 547, 18, 39, "[25"), (298, 561, 16, 10, "26"), (338, 561, 15, 10, "27"), (378, 561, 16, 10, "28")]
    assert [text for text, _ in _cells(row)] == ["[25", "26", "27", "28"]
    words = [(20, 100, 40, 12, "(415)"), (64, 100, 70, 12, "867-5309")]  # an ordinary space stays inside
    assert [text for text, _ in _cells(words)] == ["(415) 867-5309"]


def test_the_catalog_row_counts_the_bytes_after_the_scan_rewrote_meta_json(tmp_path, monkeypatch):
    """The audit's case: `bytes` was counted before the scan rewrote meta.json (off in 16/16 rows)."""
    from cleantrace.privacy.scan import scan_sealed
    from cleantrace.trace.seal import catalog_row

    monkeypatch.setattr(scan_module, "tesseract_missing", lambda: True)  # no OCR needed here
    folder = write_episode(tmp_path / "ep")
    meta = Meta.model_validate_json((folder / "meta.json").read_text())
    row = scan_sealed(folder, catalog_row(folder, meta))
    assert row.privacy == "clean"
    assert row.bytes == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
