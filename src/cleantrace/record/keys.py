"""Keysym names and characters, shared by the injector and the recorder."""

from __future__ import annotations

from functools import cache

from Xlib import XK

UNICODE_KEYSYM = 0x01000000


@cache
def _names_by_keysym() -> dict[int, str]:
    names: dict[int, str] = {}
    for attr in dir(XK):
        if attr.startswith("XK_"):
            names.setdefault(getattr(XK, attr), attr[3:])
    return names


def key_label(keysym: int) -> str:
    """The character a printable keysym types, else its X name (e.g. 'Return', 'Control_L')."""
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if UNICODE_KEYSYM + 0x100 <= keysym <= UNICODE_KEYSYM + 0x10FFFF:
        return chr(keysym - UNICODE_KEYSYM)
    return _names_by_keysym().get(keysym, f"0x{keysym:x}")


def keysym_of(label: str) -> int:
    """The keysym of a character ('a', '!') or an X key name ('Return', 'Shift_L')."""
    if len(label) == 1 and (0x20 <= ord(label) <= 0x7E or 0xA0 <= ord(label) <= 0xFF):
        return ord(label)
    if len(label) == 1 and ord(label) > 0xFF:
        return UNICODE_KEYSYM + ord(label)  # X's keysym for any Unicode character
    keysym = XK.string_to_keysym(label)
    if not keysym:
        raise KeyError(label)
    return keysym
