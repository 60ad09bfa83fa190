"""The desktop profile's parts outside a sandbox: its contract checks, its policy and hosts, the window
layout, and the faults of its processes on a real Xvfb (a part that does not start, an app that exits,
a window that never appears), each a SandboxError naming the part, with nothing left running."""

from __future__ import annotations

import json

import pytest

from cleantrace.appearance import Appearance
from cleantrace.errors import SandboxError, TaskError
from cleantrace.sandbox import desktop as desktop_module
from cleantrace.sandbox.desktop import APPS, Desktop
from cleantrace.sandbox.desktop_config import DECORATION, MIN_WINDOW_FRACTION, PANEL_HEIGHT, AppSpec, window_layout
from cleantrace.sandbox.desktop_session import DesktopSession
from cleantrace.sandbox.processes import descendants
from cleantrace.sandbox.requirements import missing_desktop_parts
from cleantrace.sandbox.rootfs import write_etc
from cleantrace.tasks import load_registry
from tests.conftest import TASKS_DIR, wait_until, write_pack_with

DESKTOP_TASK = '''
from cleantrace.tasks import Task

class Desk(Task):
    id = "crm/desk"; app = "crm"; instruction = "x"; profile = {profile!r}; web_apps = {web_apps!r}
    def setup(self, w): return {{}}
    def solve(self, a, p): pass
    def check(self, w, p): return True
'''


@pytest.mark.parametrize(("profile", "web_apps", "expected"), [
    ("desk", (), "unknown profile 'desk' — set `profile` to one of: kiosk, desktop"),
    ("desktop", ("crm", "nope"), "`web_apps` names unknown app 'nope'"),
    ("kiosk", ("crm",), "`web_apps` is for desktop tasks"),
])
def test_a_bad_profile_is_one_line_naming_the_task_file(tmp_path, profile, web_apps, expected):
    root = write_pack_with(tmp_path, "desk.py", DESKTOP_TASK.format(profile=profile, web_apps=web_apps))
    registry = load_registry(root)
    assert "crm/desk" not in registry.tasks
    assert len(registry.problems) == 1 and "\n" not in registry.problems[0]
    assert "desk.py:" in registry.problems[0] and expected in registry.problems[0]


def test_a_desktop_task_carries_its_profile_into_the_spec(tmp_path):
    root = write_pack_with(tmp_path, "desk.py", DESKTOP_TASK.format(profile="desktop", web_apps=("crm",)))
    task = load_registry(root).get("crm/desk")
    assert task.sandbox_fields() == {"profile": "desktop", "web_apps": ("crm",)}
    kiosk = load_registry(TASKS_DIR).get("crm/set-lead-status")
    assert kiosk.sandbox_fields() == {"profile": "kiosk", "web_apps": ()}


def test_a_desktop_sandbox_names_its_web_apps_and_allows_only_them(tmp_path):
    write_etc(tmp_path, ("crm", "mail"))
    assert "crm.test" in (tmp_path / "hosts").read_text() and "mail.test" in (tmp_path / "hosts").read_text()
    policy = json.loads((tmp_path / "chromium/policies/managed/cleantrace.json").read_text())
    assert policy["URLBlocklist"][0] == "*" and set(policy["URLAllowlist"]) == {
        "http://crm.test", "http://mail.test", "about:blank"}
    assert policy["AllowFileSelectionDialogs"] is True and policy["BookmarkBarEnabled"] is True
    assert policy["NewTabPageLocation"] == "about:blank"
    assert {b.get("url") for b in policy["ManagedBookmarks"][1:]} == {"http://crm.test/", "http://mail.test/"}
    kiosk = tmp_path / "kiosk"
    kiosk.mkdir()
    write_etc(kiosk)
    assert ".test" not in (kiosk / "hosts").read_text()
    assert json.loads((kiosk / "chromium/policies/managed/cleantrace.json").read_text())["URLAllowlist"] == [
        "http://127.0.0.1:8000", "about:blank"]


def test_windows_open_where_the_seed_says_inside_the_work_area():
    screen = (1366, 768)
    full = window_layout(5, screen, list(APPS), "full")
    assert set(full.values()) == {(0, 0, screen[0], screen[1] - PANEL_HEIGHT)}
    first = window_layout(5, screen, list(APPS))
    assert first == window_layout(5, screen, list(APPS)) != window_layout(6, screen, list(APPS))
    assert window_layout(5, screen, [*APPS, "later"])["calc"] == first["calc"]  # a new app moves no window
    for x, y, w, h in first.values():
        assert w >= MIN_WINDOW_FRACTION * screen[0] * 0.9
        assert h >= MIN_WINDOW_FRACTION * (screen[1] - PANEL_HEIGHT) * 0.9
        frame_w, frame_h = w + DECORATION[0], h + DECORATION[1]
        assert x >= 0 and y >= 0 and x + frame_w <= screen[0] and y + frame_h <= screen[1] - PANEL_HEIGHT


def test_home_files_stay_in_the_home(tmp_path):
    session = DesktopSession(TASKS_DIR, (), tmp_path / "scratch", Appearance(), 1, home=tmp_path / "home")
    session.write_home({"Documents/a.txt": b"fake\n"}, "task t")
    assert (tmp_path / "home/Documents/a.txt").read_bytes() == b"fake\n"
    for bad in ("../escape.txt", "/etc/passwd"):
        with pytest.raises(TaskError, match="leaves the home folder"):
            session.write_home({bad: b"x"}, "task t")
    with pytest.raises(TaskError, match="not bytes"):
        session.write_home({"a.txt": "text"}, "task t")  # type: ignore[dict-item]


@pytest.fixture
def desk(xvfb, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    made = Desktop(xvfb, tmp_path, home, Appearance(), 3)
    yield made
    # the desktop's own processes and what they started (not other tests' processes ending or starting meanwhile)
    started = {pid for proc in made._procs.values() for pid in (proc.pid, *descendants(proc.pid))}
    made.stop()
    wait_until(lambda: not any(desktop_module._alive(pid) for pid in started),
               "every desktop process ending after stop()", timeout=30)


@pytest.mark.skipif(bool(missing_desktop_parts()), reason=f"desktop parts missing: {missing_desktop_parts()}")
def test_a_broken_accessibility_bus_is_named(desk, monkeypatch):
    monkeypatch.setattr(desktop_module, "AT_SPI_LAUNCHER", "/bin/false")
    with pytest.raises(SandboxError, match=r"the AT-SPI bus \(at-spi-bus-launcher\) exited with code 1 at start"):
        desk.start()


@pytest.mark.skipif(bool(missing_desktop_parts()), reason=f"desktop parts missing: {missing_desktop_parts()}")
def test_an_app_that_dies_or_shows_no_window_is_named_and_the_desktop_stays_up(desk, monkeypatch):
    desk.start()
    assert desk.env["AT_SPI_BUS_ADDRESS"].startswith("unix:")
    monkeypatch.setitem(APPS, "editor", AppSpec("editor", "Text Editor", ("sh", "-c", "echo no display; exit 3"),
                                                 "Mousepad", "x"))
    with pytest.raises(SandboxError, match=r"editor exited with code 3 at start.*no display"):
        desk.open("editor")
    monkeypatch.setitem(APPS, "files", AppSpec("files", "Files", ("sleep", "60"), "Pcmanfm", "x"))
    with pytest.raises(SandboxError, match="the window of files never appeared in 1 s"):
        desk.open("files", timeout=1)
    assert desk.fault() is None  # the desktop itself is fine: only the episode ends incomplete


def test_doctor_names_each_missing_desktop_part_with_its_package(monkeypatch, tmp_path):
    from cleantrace.sandbox import doctor

    monkeypatch.setattr(doctor, "DESKTOP_BINARIES", {str(tmp_path / "openbox"): ("window manager", "openbox"),
                                                      "/usr/bin/env": ("something present", "coreutils")})
    rows = {c.name: c for c in doctor._desktop()}
    assert rows["desktop: window manager"].detail == "only for desktop tasks: apt-get install -y openbox"
    assert not rows["desktop: window manager"].ok and not rows["desktop: window manager"].required
    assert rows["desktop: something present"].ok


def test_a_desktop_that_never_came_up_is_sealed_incomplete_naming_the_part(tmp_path):
    from cleantrace.episode import _seal_unstarted
    from cleantrace.spec import EpisodeSpec, SandboxPaths
    from cleantrace.trace.reader import read_episode

    spec = EpisodeSpec(run_id="r", episode_id="e", task="desk/x", seed=1, tasks_dir=str(TASKS_DIR), profile="desktop")
    message = "SandboxError: the desktop's window manager is not installed — apt-get install -y openbox"
    _seal_unstarted(spec, SandboxPaths(out=str(tmp_path), tasks=str(TASKS_DIR)), message)
    meta = read_episode(tmp_path).meta
    assert meta.outcome.status == "incomplete" and meta.outcome.message == message
    assert meta.sandbox.profile == "desktop"


@pytest.mark.skipif(bool(missing_desktop_parts()), reason=f"desktop parts missing: {missing_desktop_parts()}")
def test_taskbar_launchers_are_drawn_where_they_are_grounded_and_labelled(desk):
    """tint2 is not in AT-SPI: the launcher boxes the Actor clicks and the recorder names must be
    where tint2 draws its icons (each box holds icon pixels, the gaps between them are panel)."""
    import mss
    import numpy as np

    from cleantrace.record.atspi_grounding import DesktopResolver
    from cleantrace.sandbox.taskbar import launcher_at, launchers

    desk.start()
    screen = desk.appearance.screen
    shown = launchers(screen)
    assert [x.app for x in shown] == list(APPS) and len({x.box for x in shown}) == len(APPS)
    top = screen[1] - PANEL_HEIGHT

    def panel() -> np.ndarray:
        with mss.MSS(display=desk.display_name) as grab:
            shot = grab.grab({"left": 0, "top": top, "width": screen[0], "height": PANEL_HEIGHT})
        return np.frombuffer(shot.rgb, dtype=np.uint8).reshape(PANEL_HEIGHT, screen[0], 3).astype(int)

    def drawn(img: np.ndarray, x: int, w: int, y: int, h: int) -> bool:
        background = img[-1, -1]
        return bool((np.abs(img[y - top:y - top + h, x:x + w] - background).sum(axis=2) > 30).any())

    def every_icon_drawn() -> bool:
        img = panel()
        return all(drawn(img, x.box[0], x.box[2], x.box[1], x.box[3]) for x in shown)

    wait_until(every_icon_drawn, "tint2 drawing its launcher icons", timeout=30)
    img = panel()
    for left, right in zip(shown, shown[1:], strict=False):  # the gap between two icons is bare panel
        gap = left.box[0] + left.box[2]
        assert not drawn(img, gap, right.box[0] - gap, left.box[1], left.box[3])
    calc = next(x for x in shown if x.app == "calc")
    cx, cy = calc.box[0] + calc.box[2] // 2, calc.box[1] + calc.box[3] // 2
    assert launcher_at(cx, cy, screen) == calc and launcher_at(cx, top - 5, screen) is None
    target = DesktopResolver().at(cx, cy)
    assert (target.role, target.name, target.source, target.window) == (
        "push button", APPS["calc"].title, "taskbar", "taskbar")
    assert target.bbox == tuple(float(v) for v in calc.box)
    from cleantrace.record.atspi_grounding import DesktopLabeller

    labelled = [e for e in DesktopLabeller().label()["elements"] if e["window"] == "taskbar"]
    assert [(e["name"], e["bbox"]) for e in labelled] == [(APPS[x.app].title, list(map(float, x.box))) for x in shown]
