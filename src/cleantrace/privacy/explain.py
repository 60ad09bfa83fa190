"""Which typed words the episode itself explains.

A volunteer types what the task asks for: its parameters and instruction, the names of what they
act on, words on the screen. A word from none of these (a name, a street, a note to oneself) may be
personal even when no validator recognises it, so the scan shows it to a reviewer (masked) without
blocking. A typed word counts as explained when it is a known word or the start of one (typing
`mar` into an autocomplete to find `Maria`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import Any

from cleantrace.trace.schema import Action

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
MIN_WORD = 3  # shorter words ("ok", "12", "a") say nothing about a person


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD_RE.findall(text)]


def vocabulary(meta: dict[str, Any], actions: Sequence[Action]) -> set[str]:
    """Words of the task's parameters and instruction (from meta.json) and of every action's target."""
    known: set[str] = set()
    for value in (meta.get("params"), meta.get("instruction"), meta.get("task"), meta.get("screen")):
        known.update(words(" ".join(_strings(value))))
    for action in actions:
        if action.target is not None:
            known.update(words(f"{action.target.name} {action.target.text}"))
    return known


def unexplained_words(text: str, known: set[str]) -> list[str]:
    """The words of `text` (≥ MIN_WORD characters) that are neither known nor the start of a known word."""
    ordered = sorted(known)
    out: list[str] = []
    for word in words(text):
        if len(word) < MIN_WORD or word in known:
            continue
        at = bisect.bisect_left(ordered, word)
        if at < len(ordered) and ordered[at].startswith(word):
            continue
        if word not in out:
            out.append(word)
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)
