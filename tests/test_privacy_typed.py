"""The scan reads what a person typed in every form it is stored (erased text, keys with no field
focused, pastes), recognises personal identifiers beyond contact data, refuses stray files in an
episode folder, masks what it stores and flags typed words the episode does not explain."""

from __future__ import annotations

import subprocess
import sys

import pytest
from faker import Faker

from cleantrace.errors import CleantraceError
from cleantrace.export import export_run
from cleantrace.privacy import scan_episode
from cleantrace.privacy.detect import find_identifiers
from cleantrace.privacy.keystrokes import typed_spans
from cleantrace.privacy.scan import mask
from cleantrace.record.clipboard import PasteWatcher
from cleantrace.trace.schema import Event
from cleantrace.trace.validate import validate_episode
from cleantrace.world.fake import FakeData
from tests.synthetic import key_events, write_episode

REAL_LOOKING = [
    ("iban", "IBAN DE89 3704 0044 0532 0130 00 please"),
    ("iban", "GB29NWBK60161331926819"),
    ("national-id", "my SSN is 536-90-4399"),
    ("national-id", "DNI 12345678Z"),
    ("address", "ship it to 350 Fifth Avenue, New York, NY 10118 today"),
    ("address", "221B Baker Street, London NW1 6XE"),
    ("birth-date", "Maria Gonzalez born 14/03/1984"),
    ("birth-date", "DOB: March 3, 1971"),
]
FOREIGN_PHONES = ["030 12345678", "06 12 34 56 78", "090-1234-5678", "020 7946 0958"]
ORDINARY = [
    "Set the status to Qualified and save.", "order 1250 on 2024-03-14, qty 12 at 4.50", "=SUM(B2:B9)",
    "Call (212) 555-0142", "meeting on 14/03/2026 at 10:30", "Invoice INV-2024-0042 for 3 seats",
    "Q3 spending 45 000 EUR", "born to run", "Room 101, floor 3",
]


def keys(text: str, t0: float = 100.0) -> list[Event]:
    return key_events(text, t0, 10, 10)


def backspaces(n: int, t0: float) -> list[Event]:
    out = []
    for k in range(n):
        out += [Event(t_ms=t0 + 20 * k, kind="key_down", x=10, y=10, key="BackSpace", keysym=0xFF08),
                Event(t_ms=t0 + 20 * k + 5, kind="key_up", x=10, y=10, key="BackSpace", keysym=0xFF08)]
    return out


@pytest.mark.parametrize(("kind", "text"), REAL_LOOKING)
def test_personal_identifiers_are_found(kind, text):
    assert kind in {h.kind for h in find_identifiers(text)}


@pytest.mark.parametrize("number", FOREIGN_PHONES)
def test_phone_numbers_in_other_countries_formats_are_found_in_typed_text(number):
    assert [h.kind for h in find_identifiers(f"ring {number} later", typed=True)] == ["phone"]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_task_text_is_no_finding_even_as_typed_text(text):
    assert find_identifiers(text, typed=True) == []


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "es_ES", "ja_JP"])
def test_the_fake_world_makes_no_personal_identifier(locale):
    fake = FakeData(3)
    fake.faker = Faker(locale)  # names of every locale the appearance may draw
    fake.faker.seed_instance(3)
    for _ in range(100):
        name = fake.name()
        assert find_identifiers(f"{name} {fake.email(name)} {fake.phone()}", typed=True) == []


def test_text_typed_then_erased_is_still_typed_text():
    events = keys("jane.doe@gmail.com") + backspaces(18, 2000.0) + keys("ok", 3000.0)
    spans = typed_spans(events)
    assert [(s.how, s.text) for s in spans] == [("erased", "jane.doe@gmail.com"), ("typed", "ok")]
    assert spans[0].first == 0 and spans[0].last >= 35


def test_a_longer_erasure_keeps_both_what_was_typed_and_what_is_left():
    events = keys("call 030 1234XYZ") + backspaces(3, 2000.0) + keys("5678", 3000.0)
    assert [s.text for s in typed_spans(events)] == ["call 030 1234XYZ", "call 030 12345678"]


def test_a_typo_fixed_with_one_backspace_is_no_erased_text(tmp_path):
    """A performer's typo at the end of a reserved address (`….cx`, a real top-level name) is no leak."""
    events = keys("connie.ross@example.cx") + backspaces(1, 2000.0) + keys("om", 3000.0)
    assert [(s.how, s.text) for s in typed_spans(events)] == [("typed", "connie.ross@example.com")]


def test_shortcuts_break_typed_text_and_are_no_text():
    ctrl = [Event(t_ms=1000.0, kind="key_down", x=0, y=0, key="Control_L", keysym=0xFFE3),
            Event(t_ms=1010.0, kind="key_down", x=0, y=0, key="a", keysym=0x61),
            Event(t_ms=1020.0, kind="key_up", x=0, y=0, key="a", keysym=0x61),
            Event(t_ms=1030.0, kind="key_up", x=0, y=0, key="Control_L", keysym=0xFFE3)]
    events = keys("first") + ctrl + keys("second", 2000.0)
    assert [s.text for s in typed_spans(events)] == ["first", "second"]


class SelectionOf:
    """A stand-in X selection owner: what each selection holds."""

    def __init__(self, **held: str) -> None:
        self.held = held
        self.asked: list[str] = []

    def read(self, selection: str) -> str | None:
        self.asked.append(selection)
        return self.held.get(selection)


def test_each_paste_gesture_adds_a_paste_event_with_the_selection_text():
    reader = SelectionOf(CLIPBOARD="DE89 3704 0044 0532 0130 00", PRIMARY="from primary")
    watcher = PasteWatcher(reader)  # type: ignore[arg-type]
    ctrl_v = [Event(t_ms=1.0, kind="key_down", x=5, y=6, key="Control_L", keysym=0xFFE3),
              Event(t_ms=2.0, kind="key_down", x=5, y=6, key="v", keysym=0x76),
              Event(t_ms=3.0, kind="key_up", x=5, y=6, key="v", keysym=0x76),
              Event(t_ms=4.0, kind="key_up", x=5, y=6, key="Control_L", keysym=0xFFE3)]
    plain_v = keys("v", 10.0)
    middle = [Event(t_ms=20.0, kind="down", x=7, y=8, button=2), Event(t_ms=21.0, kind="up", x=7, y=8, button=2)]
    out = watcher.with_pastes(ctrl_v + plain_v + middle)
    pastes = [(e.t_ms, e.text) for e in out if e.kind == "paste"]
    assert pastes == [(2.0, "DE89 3704 0044 0532 0130 00"), (20.0, "from primary")]
    assert reader.asked == ["CLIPBOARD", "PRIMARY"]
    assert [e.kind for e in out][:3] == ["key_down", "key_down", "paste"]  # right after its press
    spans = typed_spans(out)
    assert ("pasted", "DE89 3704 0044 0532 0130 00") in [(s.how, s.text) for s in spans]


def test_erased_unfocused_and_pasted_identifiers_are_findings(tmp_path):
    folder = write_episode(tmp_path / "ep", typed="")
    events_file = folder / "events.jsonl"
    extra = keys("jane.doe@gmail.com", 5000.0) + backspaces(18, 7000.0)
    extra.append(Event(t_ms=9000.0, kind="paste", x=1, y=1, text="call me on +44 20 7946 0958"))
    with open(events_file, "a", encoding="utf-8") as f:
        f.writelines(e.model_dump_json(exclude_none=True) + "\n" for e in extra)
    scan = scan_episode(folder, ocr=False)
    found = {(f.kind, f.text, f.record.split()[-1]) for f in scan.findings}
    assert ("email", "jane.doe@gmail.com", "erased") in found
    assert ("phone", "+44 20 7946 0958", "pasted") in found


def test_findings_are_stored_masked(tmp_path):
    folder = write_episode(tmp_path / "ep", typed="Maria Gonzalez born 14/03/1984")
    scan = scan_episode(folder, ocr=False)
    assert {f.kind for f in scan.findings} == {"birth-date"}
    from cleantrace.privacy import record_scan

    stored = record_scan(folder, scan).privacy
    assert stored.scan == "findings" and stored.findings
    assert not any("1984" in line or "14/03" in line for line in stored.findings)
    assert mask("born 14/03/1984") == "bo…84 (15 chars)"


def test_typed_words_the_episode_does_not_explain_go_to_review_not_findings(tmp_path):
    folder = write_episode(tmp_path / "ep", typed="Quarterly call with Zbigniew about Qualified leads",
                           params={"status": "Qualified"}, instruction="Add a note about the quarterly call.")
    scan = scan_episode(folder, ocr=False)
    assert scan.clean and len(scan.review) == 1
    line = scan.review[0]
    assert "Zbigniew" not in line and "3 word(s)" in line  # zbigniew, with, leads
    explained = write_episode(tmp_path / "ok", typed="Qualif", params={"status": "Qualified"})
    assert scan_episode(explained, ocr=False).review == []


def test_a_stray_file_in_an_episode_is_refused_by_scan_validate_and_export(tmp_path):
    run = tmp_path / "run"
    folder = write_episode(run / "ep")
    (run / "catalog.jsonl").write_text("")
    assert validate_episode(folder).ok and scan_episode(folder, ocr=False).clean
    (folder / "printed.pdf").write_bytes(b"%PDF-1.4 host file")
    assert [f.kind for f in scan_episode(folder, ocr=False).findings] == ["file"]
    report = validate_episode(folder)
    assert not report.ok and any(p.startswith("printed.pdf: not part of a trace") for p in report.problems)
    for fmt in ("hf", "webdataset", "pyautogui", "mind2web"):
        with pytest.raises(CleantraceError, match="no episode"):
            export_run(run, fmt, tmp_path / fmt)
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "validate", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "printed.pdf" in done.stdout + done.stderr
