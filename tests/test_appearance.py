"""Appearances: drawn from the seed on their own stream, narrowed by files, applied by the app server,
the system font and the fake data's locale (no sandbox)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from cleantrace import appearance as look
from cleantrace.appearance import DEFAULT, Appearance, draw, load_choice
from cleantrace.errors import CleantraceError
from cleantrace.sandbox.browser import chromium_command, page_screen_origin, write_profile_preferences
from cleantrace.sandbox.fonts import font_environment
from cleantrace.sandbox.themes import themed
from cleantrace.tasks import load_registry
from cleantrace.world import World
from tests.conftest import TASKS_DIR

REGISTRY = load_registry(TASKS_DIR)
EMAIL_RE = re.compile(r"^[a-z.0-9]+@(example\.com|example\.org|[a-z]+\.test)$")


def test_default_is_the_look_before_appearances_and_random_varies_every_axis():
    assert (DEFAULT.screen, DEFAULT.device_scale_factor, DEFAULT.color_scheme, DEFAULT.theme, DEFAULT.zoom,
            DEFAULT.locale) == ((1280, 800), 1.0, "light", "classic", 1.0, "en_US")
    assert draw(5, load_choice("default")) == DEFAULT
    looks = [draw(seed) for seed in range(20)]
    assert looks == [draw(seed) for seed in range(20)]  # same seed, same look
    assert len({x.screen for x in looks}) >= 4 and {x.color_scheme for x in looks} == {"light", "dark"}
    assert len({x.theme for x in looks}) >= 3 and len({x.locale for x in looks}) >= 3
    assert len({x.device_scale_factor for x in looks}) >= 2 and len({x.zoom for x in looks}) >= 2
    for x in [draw(seed) for seed in range(300)]:  # every page keeps the room the apps are laid out for
        assert x.viewport[0] >= look.MIN_VIEWPORT[0] and x.viewport[1] >= look.MIN_VIEWPORT[1], x


def test_the_appearance_stream_leaves_the_tasks_parameters_alone(tmp_path):
    task = REGISTRY.get("crm/set-lead-status")()
    params = []
    for n in range(2):
        world = World(3, tmp_path / f"w{n}.sqlite")
        REGISTRY.pack_of(type(task)).load_app_module().populate(world)
        if n:
            draw(3)  # drawing the look in between changes nothing of the world
        params.append(task.setup(world))
        world.close()
    assert params[0] == params[1]


def test_a_file_narrows_axes_and_bad_input_names_the_key_and_the_allowed_values(tmp_path):
    good = tmp_path / "look.yaml"
    good.write_text("screen: [1920x1080, 1440x900]\ncolor_scheme: dark\nlocale: [ja_JP]\nzoom: 110%\n")
    choice = load_choice(good)
    looks = [draw(seed, choice) for seed in range(30)]
    assert {x.screen for x in looks} == {(1920, 1080), (1440, 900)}
    assert {(x.color_scheme, x.locale, x.zoom) for x in looks} == {("dark", "ja_JP", 1.1)}
    cases = {
        "shade: dark\n": ("unknown appearance axis 'shade'", "axes: screen, device_scale_factor"),
        "theme: neon\n": ("theme 'neon' is not allowed", "allowed: classic, airy, compact, warm"),
        "screen: 7680x4320\n": ("larger than the sandbox display can hold", "allowed: 1280x800"),
        "screen: 1280x800\ndevice_scale_factor: 2\n": ("leaves the page under 960x540", "allow a smaller"),
    }
    for text, (what, hint) in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(CleantraceError) as caught:
            load_choice(bad)
        assert what in str(caught.value) and hint in caught.value.hint and "bad.yaml" in str(caught.value)


def test_the_cli_refuses_a_bad_appearance_before_any_sandbox_starts(tmp_path):
    bad = tmp_path / "look.json"
    bad.write_text(json.dumps({"locale": "xx_XX"}))
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "run", "crm/add-lead-note", "--appearance", str(bad),
                           "--out", str(tmp_path / "runs")], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode != 0 and len(lines) == 1 and "Traceback" not in done.stderr
    assert "locale 'xx_XX' is not allowed" in lines[0] and "en_US, de_DE, fr_FR, es_ES, ja_JP" in lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("app", ["crm", "mail", "sheet"])
def test_every_app_serves_every_theme_and_the_classic_light_page_is_untouched(app, tmp_path):
    module = REGISTRY.packs[app].load_app_module()
    world = World(1, tmp_path / "w.sqlite")
    module.populate(world)
    plain = module.create_app(world.db.path).test_client().get("/").data
    untouched = themed(module.create_app(world.db.path), "classic", "light").test_client().get("/").data
    assert untouched == plain
    for theme in look.THEMES:
        client = themed(module.create_app(world.db.path), theme, "dark").test_client()
        page = client.get("/").data
        assert page.replace(f'<link rel="stylesheet" href="/static/themes/{theme}.css" '
                            f'data-cleantrace-theme="{theme}">\n'.encode(), b"") == plain
        css = client.get(f"/static/themes/{theme}.css")
        assert css.status_code == 200 and b'@import "dark.css" (prefers-color-scheme: dark)' in css.data
    assert client.get("/static/themes/dark.css").status_code == 200
    world.close()


def test_non_default_locales_keep_contact_data_in_the_reserved_ranges(tmp_path):
    for locale in look.LOCALES:
        world = World(2, tmp_path / f"{locale}.sqlite", locale=locale)
        names = [world.fake.name() for _ in range(30)]
        emails = [world.fake.email(n) for n in names]
        assert all(EMAIL_RE.match(e) for e in emails), (locale, emails)
        assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", world.fake.phone()) for _ in range(10))
        if locale != "en_US":
            assert any(not n.isascii() for n in names), locale  # the apps get non-ASCII text to render
        world.close()


@pytest.mark.parametrize("family", ["DejaVu Sans", "Liberation Sans", "Noto Sans"])
def test_the_system_font_is_what_fontconfig_gives_for_sans_serif(family, tmp_path):
    env = {**os.environ, **font_environment(family, tmp_path)}
    for generic in ("sans-serif", "system-ui"):
        done = subprocess.run(["fc-match", "-f", "%{family[0]}", generic], capture_output=True, text=True, env=env)
        assert done.stdout == family


def test_chromium_is_started_with_the_scale_scheme_and_zoom(tmp_path):
    scaled = Appearance(screen=(1920, 1080), device_scale_factor=1.5, color_scheme="dark", zoom=1.25)
    command = chromium_command(tmp_path, scaled.screen, scaled)
    assert "--force-device-scale-factor=1.5" in command and "--window-size=1280,720" in command
    assert "--force-dark-mode" in command
    default = chromium_command(tmp_path, DEFAULT.screen, DEFAULT)
    assert "--window-size=1280,800" in default and not any("scale" in a or "dark" in a for a in default)
    write_profile_preferences(tmp_path, scaled)
    level = json.loads((tmp_path / "Default" / "Preferences").read_text())["partition"]["default_zoom_level"]["x"]
    assert 1.2 ** level == pytest.approx(1.25)


class MeasuredPage:
    """What Chromium reported for `[screenX + outerWidth, screenY + outerHeight, innerWidth, innerHeight,
    devicePixelRatio]` in a kiosk window on Xvfb (measured 2026-11-30)."""

    def __init__(self, values):
        self.values = values

    def evaluate(self, _script):
        return self.values


@pytest.mark.parametrize(("values", "scale"), [
    ([1279, 799, 1279, 799, 1.0], 1.0),  # 1280×800, scale 1, zoom 100 %
    ([1280, 720, 1280, 720, 1.5], 1.5),  # 1920×1080 at scale 1.5
    ([960, 540, 960, 540, 2.0], 2.0),  # 1920×1080 at scale 2
    ([1279, 799, 1023, 639, 1.25], 1.0),  # 1280×800 at zoom 125 %
])
def test_the_page_origin_is_the_screen_corner_at_every_scale_and_zoom(values, scale):
    x, y, ratio = page_screen_origin(MeasuredPage(values), scale)
    assert abs(x) < 0.5 and abs(y) < 0.5 and ratio == values[-1]
