"""The desktop's configuration files, written fresh per episode: openbox, tint2, launchers, GTK, LibreOffice.

Also where each app's window opens (`window_layout`, drawn from the episode's seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from cleantrace.appearance import Appearance
from cleantrace.seeds import seed_stream

PANEL_HEIGHT = 32  # the taskbar at the bottom of the screen (device pixels)
DECORATION = (2, 26)  # what openbox's frame adds to a window's client area (width, height: borders, title)
MIN_WINDOW_FRACTION = 0.6  # a window covers at least this much of the work area in each dimension
# the taskbar's layout (tint2's paddings: left/right, top/bottom, spacing); its launchers come first
PANEL_PADDING = (4, 2, 4)
LAUNCHER_PADDING = (4, 2, 4)
LAUNCHER_ICON = 22


@dataclass(frozen=True)
class AppSpec:
    """A desktop app: its command (an argument is appended), the WM class of its windows, its launcher."""

    name: str
    title: str  # the launcher's name
    command: tuple[str, ...]
    wm_class: str  # WM_CLASS class, a glob (openbox's per-app rules match it)
    icon: str
    arg: str = "none"  # what its argument is: url | file | folder | none


def window_layout(seed: int, screen: tuple[int, int], apps: list[str],
                  mode: str = "seeded") -> dict[str, tuple[int, int, int, int]]:
    """(x, y, w, h) of each app's windows in screen pixels. `mode` is the appearance's `windows`: "full"
    maximises every window, its frame filling the work area (the screen above the taskbar), which
    is then each app's rect; "seeded" draws each from the seed's `windows` stream: (x, y) the frame's
    corner, w × h the client area, the whole frame inside the work area, each side at least
    MIN_WINDOW_FRACTION of it."""
    if mode == "full":
        return {app: (0, 0, screen[0], screen[1] - PANEL_HEIGHT) for app in apps}
    area_w, area_h = screen[0] - DECORATION[0], screen[1] - PANEL_HEIGHT - DECORATION[1]
    rng = seed_stream(seed, "windows")
    layout = {}
    for app in apps:  # in a fixed order: adding an app at the end moves no other window
        w = int(area_w * rng.uniform(MIN_WINDOW_FRACTION, 1.0))
        h = int(area_h * rng.uniform(MIN_WINDOW_FRACTION, 1.0))
        layout[app] = (int(rng.integers(0, area_w - w + 1)), int(rng.integers(0, area_h - h + 1)), w, h)
    return layout


def openbox_config(layout: dict[str, tuple[int, int, int, int]], classes: dict[str, str], dark: bool,
                   font: str, maximized: bool = False) -> str:
    """openbox's rc.xml: one desktop, click-to-focus, the usual mouse and key bindings, and a placement
    rule per app class: maximised, or at its position and size from `layout`. Window decorations are
    part of what is recorded, so the theme follows the colour scheme."""
    rules = "".join(
        f'<application class="{escape(classes[app])}"><decor>yes</decor>'
        + ("<maximized>yes</maximized>" if maximized else
           f'<maximized>no</maximized><position force="yes"><x>{x}</x><y>{y}</y></position>'
           f"<size><width>{w}</width><height>{h}</height></size>")
        + "</application>"
        for app, (x, y, w, h) in layout.items()
    )
    theme = "Onyx" if dark else "Clearlooks"
    frame = ("<context name=\"Frame\"><mousebind button=\"A-Left\" action=\"Drag\"><action name=\"Move\"/></mousebind>"
             "</context>")  # a plain Left binding here would swallow every click meant for the app
    titlebar = ("<context name=\"Titlebar\"><mousebind button=\"Left\" action=\"Drag\"><action name=\"Move\"/>"
                "</mousebind><mousebind button=\"Left\" action=\"DoubleClick\"><action name=\"ToggleMaximize\"/>"
                "</mousebind></context>")
    focus = "".join(  # click to focus: the press still reaches the app (openbox replays it)
        f"<context name=\"{name}\"><mousebind button=\"Left\" action=\"Press\"><action name=\"Focus\"/>"
        "<action name=\"Raise\"/></mousebind></context>"
        for name in ("Client", "Titlebar", "Top", "Bottom", "Left", "Right", "TLCorner", "TRCorner", "BLCorner",
                     "BRCorner", "Icon", "Iconify", "Maximize", "Close")
    )
    edges = "".join(
        f"<context name=\"{edge}\"><mousebind button=\"Left\" action=\"Drag\"><action name=\"Resize\"/>"
        "</mousebind></context>"
        for edge in ("Top", "Left", "Right", "Bottom", "TLCorner", "TRCorner", "BLCorner", "BRCorner")
    )
    buttons = "".join(
        f"<context name=\"{name}\"><mousebind button=\"Left\" action=\"Click\"><action name=\"{action}\"/>"
        "</mousebind></context>"
        for name, action in (("Close", "Close"), ("Iconify", "Iconify"), ("Maximize", "ToggleMaximize"))
    )
    keys = ("<keybind key=\"A-Tab\"><action name=\"NextWindow\"><finalactions><action name=\"Focus\"/>"
            "<action name=\"Raise\"/><action name=\"Unshade\"/></finalactions></action></keybind>"
            "<keybind key=\"A-S-Tab\"><action name=\"PreviousWindow\"/></keybind>"
            "<keybind key=\"A-F4\"><action name=\"Close\"/></keybind>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<openbox_config xmlns="http://openbox.org/3.4/rc">'
        "<focus><focusNew>yes</focusNew><followMouse>no</followMouse></focus>"
        "<placement><policy>Smart</policy></placement>"
        f"<theme><name>{theme}</name><titleLayout>NLIMC</titleLayout>"
        f"<font place=\"ActiveWindow\"><name>{escape(font)}</name><size>10</size></font></theme>"
        "<desktops><number>1</number></desktops>"
        f"<margins><bottom>{PANEL_HEIGHT}</bottom></margins>"
        f"<keyboard>{keys}</keyboard>"
        f"<mouse><dragThreshold>3</dragThreshold><doubleClickTime>400</doubleClickTime>"
        f"{frame}{titlebar}{focus}{edges}{buttons}</mouse>"
        f"<applications>{rules}</applications></openbox_config>\n"
    )


def launcher_boxes(screen: tuple[int, int], count: int) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) in screen pixels of each of `count` launcher icons on the taskbar, left to right:
    where tint2 draws them from `tint2_config`'s paddings (measured on its frames)."""
    left = PANEL_PADDING[0] + LAUNCHER_PADDING[0]
    top = screen[1] - PANEL_HEIGHT + (PANEL_HEIGHT - LAUNCHER_ICON) // 2
    pitch = LAUNCHER_ICON + LAUNCHER_PADDING[2]
    return [(left + k * pitch, top, LAUNCHER_ICON, LAUNCHER_ICON) for k in range(count)]


def tint2_config(launchers: list[Path], dark: bool, font: str) -> str:
    """tint2's config: a bottom panel with the app launchers and the task list (no clock: frames of the
    same episode replayed stay the same)."""
    bg, fg, active = ("#2b2b2b", "#eeeeee", "#4a4a4a") if dark else ("#dcdcdc", "#202020", "#b8c8e0")
    items = "".join(f"launcher_item_app = {path}\n" for path in launchers)
    return (
        "rounded = 0\nborder_width = 0\nbackground_color = " + bg + " 100\nborder_color = " + bg + " 100\n"
        "rounded = 0\nborder_width = 0\nbackground_color = " + active + " 100\nborder_color = " + active + " 100\n"
        "panel_items = LT\npanel_monitor = all\npanel_position = bottom center horizontal\n"
        f"panel_size = 100% {PANEL_HEIGHT}\npanel_margin = 0 0\npanel_padding = {_spaced(PANEL_PADDING)}\n"
        "panel_background_id = 1\n"
        "panel_layer = top\nstrut_policy = follow_size\nautohide = 0\n"
        "taskbar_mode = single_desktop\ntaskbar_padding = 2 2 4\ntaskbar_background_id = 0\n"
        "task_text = 1\ntask_icon = 1\ntask_centered = 0\ntask_maximum_size = 220 28\ntask_padding = 4 2 4\n"
        "task_background_id = 0\ntask_active_background_id = 2\n"
        f"task_font = {font} 9\ntask_font_color = {fg} 100\ntask_active_font_color = {fg} 100\n"
        f"launcher_padding = {_spaced(LAUNCHER_PADDING)}\nlauncher_background_id = 0\n"
        f"launcher_icon_size = {LAUNCHER_ICON}\n"
        "launcher_icon_theme = Adwaita\nlauncher_tooltip = 1\nstartup_notifications = 0\n"
        f"tooltip_font = {font} 9\ntooltip_font_color = {fg} 100\ntooltip_background_id = 1\n"
        "mouse_left = toggle_iconify\n" + items
    )


def _spaced(values: tuple[int, ...]) -> str:
    return " ".join(str(v) for v in values)


def desktop_entry(app: AppSpec, command: list[str]) -> str:
    """A launcher's .desktop file (what the taskbar starts, and its name for the Actor: the tooltip)."""
    exec_line = " ".join(_quote(part) for part in command)
    return (f"[Desktop Entry]\nType=Application\nName={app.title}\nExec={exec_line}\nIcon={app.icon}\n"
            f"StartupWMClass={app.wm_class}\nTerminal=false\n")


def _quote(part: str) -> str:
    if not part or any(ch in part for ch in ' "\'\\$`'):
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'
    return part


def gtk_settings(appearance: Appearance) -> str:
    """~/.config/gtk-3.0/settings.ini: the theme (dark with a dark colour scheme) and the system font."""
    dark = appearance.color_scheme == "dark"
    return ("[Settings]\ngtk-theme-name = Adwaita\n"
            f"gtk-application-prefer-dark-theme = {'true' if dark else 'false'}\n"
            f"gtk-font-name = {appearance.font} 10\ngtk-enable-animations = false\n")


LIBREOFFICE_SETTINGS = {  # (node path, property) → value: quiet first start, no restore, no tips
    ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): "false",
    ("/org.openoffice.Office.Common/Misc", "FirstRun"): "false",
    ("/org.openoffice.Office.Common/Save/Document", "AutoSave"): "false",
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled"): "false",
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled"): "false",
    ("/org.openoffice.Office.Common/Misc", "UseSystemFileDialog"): "true",
    ("/org.openoffice.Setup/Product", "ooSetupLastVersion"): "7.4",
    ("/org.openoffice.Setup/Office", "ooSetupInstCompleted"): "true",
    ("/org.openoffice.Office.Common/Save/Document", "WarnAlienFormat"): "false",
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution"): "true",  # no Shell() from Basic
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel"): "3",
}


def libreoffice_profile() -> str:
    """The user profile's registrymodifications.xcu: LibreOffice starts without dialogs or infobars."""
    items = "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        for (path, name), value in LIBREOFFICE_SETTINGS.items()
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"{items}</oor:items>\n")
