"""The desktop's taskbar launchers: where tint2 draws them and what they are called.

tint2 has no accessibility tree, so a launcher is located (by the Actor) and named (by the recorder's
grounding and labels) from the layout the desktop gives tint2 (`desktop_config.launcher_boxes`)."""

from __future__ import annotations

from dataclasses import dataclass

from cleantrace.sandbox.desktop import APPS
from cleantrace.sandbox.desktop_config import PANEL_HEIGHT, launcher_boxes

ROLE = "push button"
APP = "tint2"
WINDOW = "taskbar"


@dataclass(frozen=True)
class Launcher:
    """One launcher icon: the app it starts, its name (the tooltip: the app's title), its box."""

    app: str
    name: str
    box: tuple[int, int, int, int]  # x, y, w, h in screen pixels

    def element(self) -> dict:
        """As an element of a frame's labels (the shape of the AT-SPI labeller's)."""
        return {"role": ROLE, "name": self.name, "tag": "", "bbox": [float(v) for v in self.box],
                "state": {}, "app": APP, "window": WINDOW}


def launchers(screen: tuple[int, int]) -> list[Launcher]:
    """The taskbar's launchers on a screen of `screen` pixels, left to right (the order of APPS)."""
    boxes = launcher_boxes(screen, len(APPS))
    return [Launcher(app, spec.title, box) for (app, spec), box in zip(APPS.items(), boxes, strict=True)]


def launcher_at(x: float, y: float, screen: tuple[int, int]) -> Launcher | None:
    """The launcher whose icon holds (x, y), if any."""
    if y < screen[1] - PANEL_HEIGHT:
        return None
    for launcher in launchers(screen):
        bx, by, bw, bh = launcher.box
        if bx <= x < bx + bw and by <= y < by + bh:
            return launcher
    return None
