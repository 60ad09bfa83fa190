"""The Actor on native apps against a real desktop (Xvfb, AT-SPI, openbox, LibreOffice Calc, Mousepad):
AT-SPI locators and their errors, verbs through real XTest input, grounding and labels of the presses."""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest

from cleantrace.errors import PerformError
from tests.native_desktop import missing_parts, start_desktop

pytestmark = pytest.mark.skipif(bool(missing_parts()), reason=f"desktop parts missing: {missing_parts()}")


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    desk = start_desktop(tmp_path_factory.mktemp("native"))
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS")}
    os.environ.update(DISPLAY=desk.display, DBUS_SESSION_BUS_ADDRESS=desk.env["DBUS_SESSION_BUS_ADDRESS"],
                      AT_SPI_BUS_ADDRESS=desk.a11y_address)
    yield desk
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    desk.close()


def make_actor(display: str, observer, timeout_ms: float = 1500):
    from cleantrace.perform.actor import Actor
    from cleantrace.perform.native import NativeActor
    from cleantrace.perform.persona import persona_named
    from cleantrace.perform.xinput import XTestInput

    return Actor(None, XTestInput(display), observer, seed=7, persona=persona_named("default"),  # type: ignore[arg-type]
                 timeout_ms=timeout_ms, native=NativeActor)


class Unrecorded:
    """An observer for locator-only checks: nothing is pressed, so nothing is recorded."""

    def observe(self, reason="action", label=False):
        return -1

    def probe(self, x, y, kind="press", skip=""):
        return None

    def probe_focus(self, typing=False):
        return None

    def note(self, description, why=None):
        pass


def test_locators_find_one_showing_element_or_fail_in_one_line(desktop):
    actor = make_actor(desktop.display, Unrecorded())
    calc = actor.native.window("LibreOffice Calc")
    save = calc._locate(role="push button", name="Save")
    assert save.role == "push button" and save.name == "Save" and save.showing
    assert save.app() == "soffice" and "LibreOffice Calc" in save.window().name
    assert calc._locate(role="menu", name="Format").box[3] > 0  # ARIA-free native role
    assert calc._locate(role="button", name="Sort Ascending").role == "push button"  # the web's role name

    with pytest.raises(PerformError) as none:
        calc._locate(role="push button", name="Sve")
    line = f"error: {none.value.message} — {none.value.hint}"
    assert "\n" not in line and "no visible element with role='push button' name='Sve'" in line
    assert "did you mean role='push button' name='Save'" in line

    editor = actor.native.window("Mousepad")
    with pytest.raises(PerformError) as several:
        editor._locate(role="menu")
    assert several.value.message == "6 elements match role='menu' in window 'Mousepad'"
    assert editor._locate(role="menu", name="Search").app() == "mousepad"
    actor.inputs.close()


def test_verbs_act_through_xtest_and_every_press_is_grounded_from_atspi(desktop, tmp_path):
    from cleantrace.record.atspi_grounding import DesktopLabeller, DesktopResolver
    from cleantrace.record.clock import EpisodeClock
    from cleantrace.record.recorder import Recorder
    from cleantrace.sandbox.atspi import Atspi
    from cleantrace.trace.writer import TraceWriter

    writer = TraceWriter(tmp_path / "ep")
    recorder = Recorder(writer, desktop.display, EpisodeClock(), DesktopResolver(), fps=2, change_fps=0,
                        labeller=DesktopLabeller())
    recorder.start()
    actor = make_actor(desktop.display, recorder, timeout_ms=5000)
    editor = actor.native.window("Mousepad")
    editor.type("Hello native", role="text")
    calc = actor.native.window("LibreOffice Calc")
    calc.click(role="menu", name="Format")
    opened = calc._locate(role="menu item", name="Clear Direct Formatting")  # the menu is open: its items show
    calc.press("Escape")
    calc.press("Escape")
    calc.click(role="table cell", name="B2")  # a sheet lists no cells: found through its Table interface
    calc.type("42")
    calc.press("Return")
    actions = recorder.stop()
    actor.inputs.close()

    atspi = Atspi()
    text = [n for n in atspi.subtree([w for w in atspi.windows() if "Mousepad" in w.name])
            if n.role == "text" and n.showing][0]
    assert atspi.text(text) == "Hello native"  # real keys reached the editor
    assert opened.showing

    clicks = [a for a in actions if a.kind == "click"]
    assert len(clicks) == 3
    for click, (role, app, title) in zip(clicks, [("text", "mousepad", "Mousepad"),
                                                   ("menu", "soffice", "LibreOffice Calc"),
                                                   ("table cell", "soffice", "LibreOffice Calc")], strict=True):
        t = click.target
        assert t is not None and t.source == "atspi" and t.role == role and t.app == app and title in t.window
        x, y, w, h = t.bbox
        assert x <= click.x < x + w and y <= click.y < y + h  # the box read at the press holds the press
    assert clicks[1].target.name == "Format"
    typed = [a for a in actions if a.kind == "type"]
    assert typed[0].text == "Hello native" and typed[0].target.role == "text" and typed[0].target.state.get("focused")
    assert typed[1].text == "42" and (typed[1].target.role, typed[1].target.name) == ("table cell", "B2")
    assert typed[1].target.bbox == clicks[2].target.bbox  # the focused cell, read from the sheet's Name Box

    rows = [json.loads(line) for line in (tmp_path / "ep" / "labels.jsonl").read_text().splitlines()]
    labelled = {r["frame"]: r for r in rows if r.get("file")}
    row = labelled[clicks[1].frame_before]
    labels = json.loads(gzip.decompress((tmp_path / "ep" / row["file"]).read_bytes()))
    assert labels["source"] == "atspi"
    fmt = [e for e in labels["elements"] if e["role"] == "menu" and e["name"] == "Format"]
    assert fmt and fmt[0]["app"] == "soffice" and fmt[0]["bbox"] == list(clicks[1].target.bbox)


def test_menu_and_file_dialog_save_the_editor_text_under_home(desktop):
    from cleantrace.sandbox.atspi import Atspi

    actor = make_actor(desktop.display, Unrecorded(), timeout_ms=5000)
    editor = actor.native.window("Mousepad")
    editor.type(" and more", role="text")
    editor.menu("File", "Save As...")
    actor.native.window("Save As").select("Encoding:", "ISO-8859-15")  # by its label; the list is a popup
    assert actor.native.window("Save As")._locate(role="combo box", label="Encoding:").name == "ISO-8859-15"
    actor.native.file_dialog("Documents/notes.txt", browse=True)  # Home, double-click Documents, type the name
    saved = desktop.home / "Documents" / "notes.txt"
    atspi = Atspi()
    text = [n for n in atspi.subtree([w for w in atspi.windows() if "Mousepad" in w.name])
            if n.role == "text" and n.showing][0]
    deadline = time.monotonic() + 10
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.read_text() == atspi.text(text) and saved.read_text().endswith(" and more")
    assert actor.native.window("notes.txt")._window().app() == "mousepad"  # the title names the file now
    actor.inputs.close()


class Steps(Unrecorded):
    """Counts the steps the Actor takes (each says what it does)."""

    def __init__(self):
        self.steps: list[str] = []

    def note(self, description, why=None):
        self.steps.append(description)


def test_alt_tab_reaches_the_window_in_one_try(desktop):
    from cleantrace.sandbox.stacking import Stacking

    stacking, observer = Stacking(desktop.display), Steps()
    actor = make_actor(desktop.display, observer, timeout_ms=5000)
    for title in ("LibreOffice Calc", "Mousepad", "LibreOffice Calc"):
        before = len(observer.steps)
        actor.native.focus(title)
        assert title in (stacking.active() or "")  # the window manager gave it the focus
        assert stacking.cycle()[0] == stacking.active()  # Alt+Tab's order starts at the active window
        assert observer.steps[before:] in ([], [f"Switch to the {title} window"])  # one Alt+Tab at most
    assert len(observer.steps) >= 2
    actor.inputs.close()

    from cleantrace.sandbox.atspi import Atspi  # where each window is, from X: the one in front at a point

    windows = Atspi().windows()
    calc = next(w for w in windows if "LibreOffice Calc" in w.name and w.role == "frame")
    x, y, w, h = stacking.rects()[calc.name]
    assert (abs(x - calc.box[0]), abs(y - calc.box[1])) <= (2, 2)  # screen pixels, as AT-SPI's box of it
    assert stacking.topmost(windows, x + w / 2, y + h / 2)[0].name == calc.name  # it is in front


def test_an_entry_past_the_end_of_a_long_list_is_scrolled_clear_of_its_arrows(desktop):
    """Calc's Save dialog opens its file type list over the combo box, running past the screen's
    bottom: the entry is first turned into the list's clear part with the wheel (GTK scrolls the
    list while the pointer rests on an end's arrow, moving the entry away), then clicked."""
    actor = make_actor(desktop.display, Unrecorded(), timeout_ms=20000)
    actor.native.focus("LibreOffice Calc").hotkey("ctrl", "shift", "s")
    dialog = actor.native.window("Save")
    try:
        combo = dialog._file_type_box("File type")
        dialog._point(combo)
        dialog._press(1)
        entry = dialog._locate(role="option", name="Excel 2007-365 (.xlsx)")
        menu = next(a for a in entry.ancestors() if a.role == "menu")
        _, my, _, mh = menu.box
        assert entry.box[1] + entry.box[3] > my + mh - entry.box[3]  # at or past the list's bottom end
        dialog._clear_of_menu_arrows(entry)
        assert my + entry.box[3] <= entry.box[1] and entry.box[1] + entry.box[3] <= my + mh - entry.box[3]
        dialog.click(role="option", name="Excel 2007-365 (.xlsx)")
        assert dialog._locate(role="combo box", name="Excel 2007-365 (.xlsx)").showing
    finally:
        dialog.press("Escape")
        actor.inputs.close()


def test_an_accessibility_bus_that_is_not_up_is_one_line_naming_it(tmp_path):
    from cleantrace.errors import GroundingError
    from cleantrace.sandbox.atspi import Atspi

    with pytest.raises(GroundingError) as down:
        Atspi(address=f"unix:path={tmp_path / 'no-bus'}")
    assert down.value.message.startswith("the AT-SPI bus is not reachable") and "\n" not in str(down.value)
    assert "at-spi-bus-launcher" in down.value.hint
