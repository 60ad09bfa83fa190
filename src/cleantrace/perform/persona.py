"""Personas: how fast, precise and error-prone a scripted performer is.

Three hand-made personas (`default`, `fast`, `careful`) and any number of sampled ones: `sampled-<seed>`
draws speed, precision, typo rate and keyboard preference from population ranges (docs/realism.md
gives the sources), so demonstrations of one task vary the way different people's do.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from cleantrace.errors import CleantraceError

SAMPLED_PREFIX = "sampled-"


@dataclass(frozen=True)
class Persona:
    """Parameters of one simulated person (times in seconds)."""

    name: str = "default"
    fitts_a: float = 0.12          # Fitts intercept (s)
    fitts_b: float = 0.19          # Fitts slope (s/bit): mouse throughput ≈ 4.4 bits/s
    iki_mean: float = 0.21         # mean inter-key interval (s)
    hold_mean: float = 0.09        # mean key hold (s)
    typo_rate: float = 0.03        # chance a character is mistyped, then corrected
    think_mean: float = 0.35       # pause before an action (s)
    keyboard_preference: float = 0.3  # chance to use the keyboard (Tab, a shortcut) rather than the mouse
    precision: float = 1.0         # click scatter relative to people's (SD = W/4.133 at 1.0)
    click_hold_mean: float = 0.1   # mean mouse-button hold of a click (s)
    # the shape of a movement (fitted to office-work mouse-dynamics logs; docs/realism.md)
    mt_spread: float = 0.3         # SD of log movement time around Fitts' law
    primary_share: float = 0.32    # share of the movement time the primary stroke takes
    primary_short: float = 0.18    # the primary lands short by this share of the distance (mean)...
    primary_short_sd: float = 0.1  # ...with this SD
    primary_miss_sd: float = 0.14  # sideways miss of the primary, SD as a share of the distance
    bend_sd: float = 0.07          # sideways bulge of the primary, SD as a share of its length
    correction_odds: tuple[float, float, float, float] = (0.12, 0.45, 0.3, 0.13)  # 0, 1, 2, 3 corrections
    stop_rate: float = 0.1         # chance a correction starts after a stop (≥ 50 ms)
    noise_gain: float = 0.6        # velocity noise: SD of the wander relative to the speed...
    noise_time: float = 0.03       # ...correlated over this many seconds
    tremor_px: float = 0.4         # 8-12 Hz physiological tremor amplitude (px)
    shift_lead: float = 0.2        # Shift goes down this long (s, mean) before the shifted key
    iki_cv: float = 0.85           # spread of one typist's inter-key intervals


PERSONAS = {
    "default": Persona(),
    "fast": Persona("fast", fitts_a=0.08, fitts_b=0.16, iki_mean=0.15, hold_mean=0.09, think_mean=0.2,
                    keyboard_preference=0.6),
    "careful": Persona("careful", fitts_a=0.16, fitts_b=0.22, iki_mean=0.28, typo_rate=0.015, think_mean=0.6,
                       keyboard_preference=0.15),
    # the default person forced down one branch of every prefers_keyboard(): `tasks check --personas keyboard,mouse`
    "keyboard": Persona("keyboard", keyboard_preference=1.0),
    "mouse": Persona("mouse", keyboard_preference=0.0),
}


def sample_persona(seed: int) -> Persona:
    """A persona drawn from population ranges: the same seed always gives the same person."""
    rng = np.random.default_rng([seed, 0x9E45])
    throughput = float(np.clip(rng.normal(4.3, 0.5), 3.3, 5.5))  # bits/s, mouse (Soukoreff & MacKenzie 2004)
    iki = _lognormal(rng, 0.2387, 0.1116)  # per-typist mean IKI (Dhakal et al. 2018)
    return Persona(
        name=f"{SAMPLED_PREFIX}{seed}",
        fitts_a=float(rng.uniform(0.05, 0.2)),
        fitts_b=1.0 / throughput,
        iki_mean=float(np.clip(iki, 0.1, 0.8)),
        hold_mean=float(np.clip(rng.normal(0.092, 0.02), 0.06, 0.2)),  # free-text keystroke logs: ~90 ms
        typo_rate=float(np.clip(_lognormal(rng, 0.06, 0.03), 0.005, 0.18)),
        think_mean=float(np.clip(_lognormal(rng, 0.4, 0.15), 0.15, 1.2)),
        keyboard_preference=float(rng.beta(2.0, 4.0)),
        precision=float(np.clip(rng.normal(1.0, 0.12), 0.7, 1.3)),
        click_hold_mean=float(np.clip(rng.normal(0.1, 0.02), 0.06, 0.16)),
    )


def persona_named(name: str, params: dict | None = None) -> Persona:
    """The persona called `name`: one of PERSONAS, `sampled-<seed>` or `fitted:<file>[#<person>]`
    (with `params`, the fitted persona's parameters as the host read them: the file is not read)."""
    from cleantrace.errors import PerformError

    if name.startswith(FITTED_PREFIX) and params is not None:
        return persona_from_params(name, params)
    if name.startswith(FITTED_PREFIX):
        return fitted_persona(name)
    if name.startswith(SAMPLED_PREFIX) and name[len(SAMPLED_PREFIX):].isdigit():
        return sample_persona(int(name[len(SAMPLED_PREFIX):]))
    if name not in PERSONAS:
        raise PerformError(f"unknown persona {name!r}",
                           f"use one of: {', '.join(PERSONAS)}, sampled-<seed> or fitted:<personas.json>")
    return PERSONAS[name]


def _lognormal(rng: np.random.Generator, mean: float, sd: float) -> float:
    sigma2 = np.log(1 + (sd / mean) ** 2)
    return float(rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)))


# A personas file (`cleantrace personas fit`): read here, written by perform.fit.
FITTED_PREFIX = "fitted:"


def persona_params(name: str) -> dict | None:
    """The parameters of the fitted persona `name` (`fitted:FILE#person`), for an episode's spec; None for others."""
    if not name.startswith(FITTED_PREFIX):
        return None
    return asdict(fitted_persona(name))

def persona_from_params(name: str, params: dict) -> Persona:
    """The persona of `persona_params`' output."""
    known = {f.name for f in fields(Persona)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in known}
    return Persona(**values)

def load_personas(path: Path) -> dict[str, Persona]:
    """The personas of a personas file, named `fitted-<person>`."""
    try:
        data = json.loads(Path(path).read_text())
        known = {f.name for f in fields(Persona)}
        out = {}
        for person, params in data["personas"].items():
            values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in known}
            out[person] = Persona(name=f"fitted-{person}", **values)
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CleantraceError(f"cannot read personas file {path}: {exc}",
                              "write it with `cleantrace personas fit SOURCE --out FILE`") from None

def expand_persona_names(names: list[str]) -> list[str]:
    """`fitted:FILE` becomes one name per person in FILE (`fitted:<abs FILE>#<person>`); others stay."""
    out = []
    for name in names:
        if name.startswith(FITTED_PREFIX) and "#" not in name:
            path = Path(name[len(FITTED_PREFIX):]).resolve()
            out += [f"{FITTED_PREFIX}{path}#{person}" for person in load_personas(path)]
        else:
            out.append(name)
    return out

def fitted_persona(name: str) -> Persona:
    """The persona `fitted:<FILE>#<person>` (or `fitted:<FILE>`: its pooled or only person)."""
    spec = name[len(FITTED_PREFIX):]
    path, _, person = spec.partition("#")
    personas = load_personas(Path(path))
    if not person:
        person = "pooled" if "pooled" in personas else next(iter(personas))
    if person not in personas:
        raise CleantraceError(f"no persona {person!r} in {path}", f"use one of: {', '.join(personas)}")
    return personas[person]
