"""Humanlike typing (pure, seeded): a timeline of key presses and releases for a text.

Modelled on measurements of 168 000 typists (Dhakal et al., CHI 2018; docs/realism.md):
- inter-key intervals are heavy-tailed (lognormal, CV ≈ 0.85 as in free-text keystroke logs) around
  the persona's mean, shorter when the two
  keys are typed by different hands than by the same hand, longest on the same finger;
- holds are near-normal around the persona's mean, and the next key often goes down before the
  previous one is up (rollover);
- mistakes (a neighbouring key, an extra key, a skipped key) are often noticed a few keys late, then
  erased with BackSpace and retyped, so the text typed is always exactly the text asked for;
- Shift goes down well before a shifted character (~190 ms, as in free-text logs) or a run of them,
  and up after it; chords press
  modifiers first and release them last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # a type only: persona → fit → measures → typing must not circle back
    from cleantrace.perform.persona import Persona

SHIFTED = set('~!@#$%^&*()_+{}|:"<>?') | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
UNSHIFTED = dict(zip('~!@#$%^&*()_+{}|:"<>?', "`1234567890-=[]\\;',./", strict=True))
ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {row[i]: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in ROWS for i in range(len(row))}
LEFT_HAND = set("`12345qwertasdfgzxcvb~!@#$%")
RIGHT_HAND = set("67890-=yuiop[]\\hjkl;'nm,./^&*()_+{}|:\"<>?")
FINGER = {c: i for i, cols in enumerate(("1qaz", "2wsx", "3edc", "45rtfgvb", "67yuhjnm", "8ik,", "9ol.", "0p;/'-=[]"))
          for c in cols}
# inter-key interval relative to the persona's mean, by what the two keys have in common
ALTERNATING, SAME_HAND, SAME_FINGER, REPEAT, ERASE = 0.85, 1.05, 1.3, 0.9, 0.6
LATE_NOTICE = (0.5, 0.27, 0.15, 0.08)  # chance a mistake is noticed 0, 1, 2, 3 keys later


@dataclass(frozen=True)
class KeyEvent:
    """Press (`down=True`) or release of `key` at `t` seconds after the start of the timeline."""

    t: float
    key: str
    down: bool


def hand_of(key: str) -> str | None:
    """'L' or 'R' for the hand that types `key` on a QWERTY touch-typing layout, None for others."""
    k = key.lower() if len(key) == 1 else ""
    return "L" if k in LEFT_HAND else "R" if k in RIGHT_HAND else None


def keystrokes(text: str, rng: np.random.Generator, persona: Persona) -> list[str]:
    """The keys a person presses to type `text`, mistakes and their corrections included."""
    keys: list[str] = []
    i, careful = 0, False
    while i < len(text):
        ch = text[i]
        wrong = NEIGHBOURS.get(ch.lower(), "")
        if careful or not wrong or rng.random() >= persona.typo_rate:
            keys.append(ch)
            i, careful = i + 1, False
            continue
        typo = str(rng.choice(list(wrong)))
        typo = typo.upper() if ch.isupper() else typo
        late = int(rng.choice(len(LATE_NOTICE), p=LATE_NOTICE))
        after = list(text[i + 1 : i + 1 + late])
        kind = rng.choice(["substitution", "insertion", "omission"], p=[0.6, 0.2, 0.2])
        if kind == "omission" and after:
            typed, right = after, 0          # skipped `ch`, typed on
        elif kind == "insertion":
            typed, right = [ch, typo, *after], 1  # an extra key after `ch`
        else:
            typed, right = [typo, *after], 0
        keys += typed + ["BackSpace"] * (len(typed) - right)
        i, careful = i + right, True  # erased back to the mistake; that key is now typed with care
    return keys


def typing_timeline(text: str, rng: np.random.Generator, persona: Persona) -> list[KeyEvent]:
    """Timed presses and releases that type exactly `text`."""
    timeline: list[KeyEvent] = []
    t = 0.0
    prev_key, prev_up, shift_up, shift_held = "", -1.0, -1.0, False
    released: dict[str, float] = {}  # when each physical key was last released
    keys = keystrokes(text, rng, persona)
    for n, key in enumerate(keys):
        if n:
            t += persona.iki_mean * _bigram_factor(prev_key, key) * _lognormal(rng, 1.0, persona.iki_cv)
            if key == "BackSpace" and prev_key != "BackSpace":
                t += _lognormal(rng, 0.2, 0.5)  # noticing the mistake
        hold = float(np.clip(rng.normal(persona.hold_mean, persona.hold_mean * 0.2), 0.04, 0.3))
        t = max(t, released.get(_physical(key), -1.0) + 0.01)  # a key cannot go down while it is still down
        if key in SHIFTED:
            if not shift_held:
                lead = _lognormal(rng, persona.shift_lead, 0.4)
                shift_down = max(t - lead, prev_up + 0.01, shift_up + 0.01)
                t = max(t, shift_down + lead)  # Shift must not change the previous key, and leads this one
                timeline.append(KeyEvent(shift_down, "Shift_L", True))
            timeline += [KeyEvent(t, key, True), KeyEvent(t + hold, key, False)]
            shift_held = n + 1 < len(keys) and keys[n + 1] in SHIFTED  # a run of capitals keeps Shift down
            if not shift_held:
                shift_up = t + hold + _lognormal(rng, 0.03, 0.3)
                timeline.append(KeyEvent(shift_up, "Shift_L", False))
        else:
            t = max(t, shift_up + 0.01)  # an unshifted key waits for Shift to be up
            timeline += [KeyEvent(t, key, True), KeyEvent(t + hold, key, False)]
        prev_key, prev_up = key, t + hold
        released[_physical(key)] = prev_up
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


def _physical(key: str) -> str:
    """The key on the keyboard that types `key` ('A' and 'a' are one key, so are '!' and '1')."""
    return UNSHIFTED.get(key, key.lower() if len(key) == 1 else key)


def _bigram_factor(prev: str, key: str) -> float:
    """How much longer than average the interval between `prev` and `key` is."""
    if key == "BackSpace":
        return ERASE if prev == "BackSpace" else 1.0
    if prev == key:
        return REPEAT
    a, b = hand_of(prev), hand_of(key)
    if a is None or b is None:
        return 1.0  # space, BackSpace: thumbs and little fingers
    if a != b:
        return ALTERNATING
    return SAME_FINGER if FINGER.get(prev.lower()) == FINGER.get(key.lower()) else SAME_HAND


def _lognormal(rng: np.random.Generator, mean: float, cv: float = 0.45) -> float:
    sigma2 = np.log(1 + cv**2)
    return float(rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))
