"""How an episode looks: screen size and scale, colour scheme, app theme, zoom, system font, data locale,
and on a desktop (docs/desktop.md) where the app windows open.

Drawn per episode from its seed on its own random stream (so the task's parameters never move),
recorded in `meta.json`, the catalog and every export row. `DEFAULT` is the look every episode had
before appearances existed; a `Choice` fixes or narrows any axis (`--appearance default|random|FILE`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cleantrace.errors import CleantraceError
from cleantrace.seeds import seed_stream as stream

SIZES: tuple[tuple[int, int], ...] = ((1280, 800), (1366, 768), (1440, 900), (1536, 864), (1920, 1080))
SCALES = (1.0, 1.25, 1.5, 2.0)  # device pixels per CSS pixel (Chromium's --force-device-scale-factor)
SCHEMES = ("light", "dark")
THEMES = ("classic", "airy", "compact", "warm")  # every app under tasks/*/app has each (static/themes/)
ZOOMS = (0.9, 1.0, 1.1, 1.25)  # Chromium's own zoom steps within 90–125 %
FONTS = ("DejaVu Sans", "Liberation Sans", "Noto Sans")  # the sandbox's system sans-serif (fontconfig)
LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "ja_JP")  # Faker locales of the fake data
WINDOWS = ("full", "seeded")  # desktop profile: every window fills the work area, or placed from the seed
MIN_VIEWPORT = (960, 540)  # the smallest page (CSS px) the apps are laid out for
MAX_SCREEN = (3840, 2160)  # the largest sandbox display (device px)
AXES = ("screen", "device_scale_factor", "color_scheme", "theme", "zoom", "font", "locale", "windows")


class Appearance(BaseModel):
    """The look of one episode; the defaults are the look of every episode before appearances."""

    model_config = ConfigDict(frozen=True)

    screen: tuple[int, int] = (1280, 800)  # the display in device pixels (what frames and events use)
    device_scale_factor: float = 1.0
    color_scheme: Literal["light", "dark"] = "light"
    theme: str = "classic"
    zoom: float = 1.0
    font: str = "DejaVu Sans"
    locale: str = "en_US"
    windows: str = "full"  # desktop profile only: "full" (each app's window fills the work area) or "seeded"

    @property
    def viewport(self) -> tuple[float, float]:
        """The page's size in CSS pixels."""
        factor = self.device_scale_factor * self.zoom
        return self.screen[0] / factor, self.screen[1] / factor

    def summary(self) -> str:
        """One short line, e.g. `1920×1080@1.5 dark airy 110% Noto Sans de_DE`."""
        w, h = self.screen
        return (f"{w}×{h}@{self.device_scale_factor:g} {self.color_scheme} {self.theme} "
                f"{round(self.zoom * 100)}% {self.font} {self.locale}")


DEFAULT = Appearance()


class Choice(BaseModel):
    """The values each axis may take; an axis left out takes any allowed value."""

    model_config = ConfigDict(frozen=True)

    name: str = "random"  # default | random | the file's name
    axes: dict[str, list[Any]] = {}

    def allowed(self, axis: str) -> list[Any]:
        return list(self.axes.get(axis) or ALLOWED[axis])


ALLOWED: dict[str, tuple[Any, ...]] = {
    "screen": SIZES, "device_scale_factor": SCALES, "color_scheme": SCHEMES, "theme": THEMES,
    "zoom": ZOOMS, "font": FONTS, "locale": LOCALES, "windows": WINDOWS,
}
DEFAULT_CHOICE = Choice(name="default", axes={axis: [getattr(DEFAULT, axis)] for axis in AXES})
RANDOM_CHOICE = Choice(name="random")


def seed_stream(seed: int):
    """The appearance's own random stream of an episode's seed (independent of every other consumer)."""
    return stream(seed, "appearance")


def draw(seed: int, choice: Choice = RANDOM_CHOICE) -> Appearance:
    """The appearance of the episode with `seed`; the same seed and choice always give the same look.

    Scale and zoom are drawn among those leaving the page at least `MIN_VIEWPORT` CSS pixels.
    """
    if choice.name == "default":
        return DEFAULT
    rng = seed_stream(seed)

    def pick(values: list[Any]) -> Any:
        return values[int(rng.integers(len(values)))]

    screen = tuple(pick(choice.allowed("screen")))
    scale = pick([s for s in choice.allowed("device_scale_factor")
                  if any(_fits(screen, s, z) for z in choice.allowed("zoom"))])
    zoom = pick([z for z in choice.allowed("zoom") if _fits(screen, scale, z)])
    return Appearance(
        screen=screen, device_scale_factor=scale, zoom=zoom, color_scheme=pick(choice.allowed("color_scheme")),
        theme=pick(choice.allowed("theme")), font=pick(choice.allowed("font")), locale=pick(choice.allowed("locale")),
        windows=pick(choice.allowed("windows")),  # drawn last: the other axes of a seed stay as they were
    )


def _fits(screen: tuple[int, int], scale: float, zoom: float) -> bool:
    return screen[0] / (scale * zoom) >= MIN_VIEWPORT[0] and screen[1] / (scale * zoom) >= MIN_VIEWPORT[1]


def load_choice(value: str | Path | Choice | dict | None) -> Choice:
    """`default`, `random` (also None), a YAML/JSON file, or a mapping of axis → value or values."""
    if isinstance(value, Choice):
        return value
    if value is None or value == "random":
        return RANDOM_CHOICE
    if value == "default":
        return DEFAULT_CHOICE
    if isinstance(value, dict):
        return choice_from_mapping(value, "the appearance")
    path = Path(value)
    if not path.is_file():
        raise CleantraceError(f"no appearance file {str(value)!r}",
                              "pass --appearance default, random or a YAML/JSON file of axes")
    text = path.read_text()
    try:
        import yaml

        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except Exception as exc:  # yaml.YAMLError, json.JSONDecodeError
        raise CleantraceError(f"{path}: not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'}"
                              f" ({str(exc).splitlines()[0]})", "fix the file's syntax") from None
    return choice_from_mapping(data or {}, str(path), name=path.name)


def choice_from_mapping(data: Any, where: str, name: str = "custom") -> Choice:
    """Check every axis and value of `data`; a one-line error names the key and the allowed values."""
    if not isinstance(data, dict):
        raise CleantraceError(f"{where}: expected a mapping of axis → value(s)", f"axes: {', '.join(AXES)}")
    axes: dict[str, list[Any]] = {}
    for key, raw in data.items():
        if key not in ALLOWED:
            raise CleantraceError(f"{where}: unknown appearance axis {key!r}", f"axes: {', '.join(AXES)}")
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise CleantraceError(f"{where}: {key} lists no value", f"allowed: {_allowed_text(key)}")
        axes[key] = [_value(key, v, where) for v in values]
    choice = Choice(name=name, axes=axes)
    for screen in choice.allowed("screen"):
        if not any(_fits(screen, s, z) for s in choice.allowed("device_scale_factor") for z in choice.allowed("zoom")):
            raise CleantraceError(
                f"{where}: screen {screen[0]}x{screen[1]} leaves the page under {MIN_VIEWPORT[0]}x{MIN_VIEWPORT[1]} "
                "CSS px at every allowed scale and zoom",
                "allow a smaller device_scale_factor or zoom, or a larger screen")
    return choice


def _value(key: str, value: Any, where: str) -> Any:
    if key == "screen":
        return _screen(value, where)
    allowed = ALLOWED[key]
    if key in ("device_scale_factor", "zoom"):
        if isinstance(value, str) and value.endswith("%") and key == "zoom":
            value = value[:-1]
            value = float(value) / 100 if _number(value) else value
        if _number(value) and float(value) in allowed:
            return float(value)
    elif value in allowed:
        return value
    raise CleantraceError(f"{where}: {key} {value!r} is not allowed", f"allowed: {_allowed_text(key)}")


def _screen(value: Any, where: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in (value.lower().replace("×", "x").split("x") if isinstance(value, str) else value))
    except (TypeError, ValueError):
        raise CleantraceError(f"{where}: screen {value!r} is not a size", "write it as 1920x1080") from None
    if w > MAX_SCREEN[0] or h > MAX_SCREEN[1]:
        raise CleantraceError(f"{where}: screen {w}x{h} is larger than the sandbox display can hold "
                              f"({MAX_SCREEN[0]}x{MAX_SCREEN[1]})", f"allowed: {_allowed_text('screen')}")
    if (w, h) not in SIZES:
        raise CleantraceError(f"{where}: screen {w}x{h} is not allowed", f"allowed: {_allowed_text('screen')}")
    return w, h


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def _allowed_text(key: str) -> str:
    if key == "screen":
        return ", ".join(f"{w}x{h}" for w, h in SIZES)
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in ALLOWED[key])
