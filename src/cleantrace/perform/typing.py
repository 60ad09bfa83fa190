"""Humanlike typing (pure, seeded): a timeline of key presses and releases for a text.

Inter-key intervals are right-skewed (lognormal) around the persona's mean; holds are near-normal;
a key may still be held when the next goes down (rollover); a mistyped character is followed by
BackSpace and the right one, so the text typed is always exactly the text asked for. Shift is
pressed before a shifted character and released after it. Chords press modifiers first, release
them last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleantrace.perform.persona import Persona

SHIFTED = set('~!@#$%^&*()_+{}|:"<>?') | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
NEIGHBOURS = {
    row[i]: row[max(0, i - 1)] + row[i + 1 : i + 2]
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i in range(len(row))
}


@dataclass(frozen=True)
class KeyEvent:
    """Press (`down=True`) or release of `key` at `t` seconds after the start of the timeline."""

    t: float
    key: str
    down: bool


def _lognormal(rng: np.random.Generator, mean: float, cv: float = 0.45) -> float:
    sigma2 = np.log(1 + cv**2)
    return float(rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))


def keystrokes(text: str, rng: np.random.Generator, persona: Persona) -> list[str]:
    """The keys a person presses to type `text`, typos and their corrections included."""
    keys: list[str] = []
    for ch in text:
        wrong = NEIGHBOURS.get(ch.lower(), "")
        if wrong and rng.random() < persona.typo_rate:
            keys += [str(rng.choice(list(wrong))), "BackSpace"]
        keys.append(ch)
    return keys


def typing_timeline(text: str, rng: np.random.Generator, persona: Persona) -> list[KeyEvent]:
    """Timed presses and releases that type exactly `text`."""
    timeline: list[KeyEvent] = []
    t = 0.0
    prev_key, prev_up, shift_up = "", 0.0, 0.0
    for key in keystrokes(text, rng, persona):
        hold = float(np.clip(rng.normal(persona.hold_mean, persona.hold_mean * 0.2), 0.04, 0.3))
        if key == "BackSpace":
            t += _lognormal(rng, 0.15, 0.4)  # noticing the typo
        if key == prev_key:
            t = max(t, prev_up + 0.01)  # the same key cannot go down while it is still down
        if key in SHIFTED:
            t = max(t, prev_up + 0.02, shift_up + 0.01)  # Shift must not change the previous key
            timeline.append(KeyEvent(t, "Shift_L", True))
            t += _lognormal(rng, 0.06, 0.3)
            timeline += [KeyEvent(t, key, True), KeyEvent(t + hold, key, False)]
            shift_up = t + hold + _lognormal(rng, 0.03, 0.3)
            timeline.append(KeyEvent(shift_up, "Shift_L", False))
        else:
            t = max(t, shift_up + 0.01)  # an unshifted key waits for Shift to be up
            timeline += [KeyEvent(t, key, True), KeyEvent(t + hold, key, False)]
        prev_key, prev_up = key, t + hold
        t += _lognormal(rng, persona.iki_mean)
    return sorted(timeline, key=lambda e: (e.t, not e.down))


def chord_timeline(keys: list[str], rng: np.random.Generator, persona: Persona) -> list[KeyEvent]:
    """Timed presses and releases of a shortcut: modifiers lead, the last key, modifiers lag."""
    *mods, last = keys
    timeline: list[KeyEvent] = []
    t = 0.0
    for mod in mods:
        timeline.append(KeyEvent(t, mod, True))
        t += _lognormal(rng, 0.08, 0.4)
    hold = float(np.clip(rng.normal(persona.hold_mean, persona.hold_mean * 0.2), 0.05, 0.3))
    timeline += [KeyEvent(t, last, True), KeyEvent(t + hold, last, False)]
    t += hold
    for mod in reversed(mods):
        t += _lognormal(rng, 0.05, 0.4)
        timeline.append(KeyEvent(t, mod, False))
    return timeline
