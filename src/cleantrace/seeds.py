"""One random stream per consumer of an episode's seed (the lowest layer with errors: the spec and the
appearance both draw from it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cleantrace.errors import CleantraceError

if TYPE_CHECKING:
    import numpy

SEED_CONSUMERS = ("world", "fake", "instruction", "actor", "appearance")
SEED_DERIVATION = (
    "numpy.random.SeedSequence(seed).spawn(5)[i] -> PCG64, "
    "i = 0 world, 1 fake, 2 instruction, 3 actor, 4 appearance"
)


def seed_stream(seed: int, consumer: str) -> numpy.random.Generator:
    """The random stream of one consumer of an episode's seed, independent of every other consumer's.

    Consumers: world (the app's records), fake (fake people and values), instruction (its
    wording), actor (the performer's motion and timing), appearance (the app's look). Derived as
    SEED_DERIVATION says, so adding draws to one consumer never shifts another's.
    """
    import numpy as np

    if consumer not in SEED_CONSUMERS:
        raise CleantraceError(f"unknown seed consumer {consumer!r}", f"use one of {', '.join(SEED_CONSUMERS)}")
    if seed < 0:
        raise CleantraceError(f"seeds must not be negative: {seed}", "use a seed of 0 or more")
    sequence = np.random.SeedSequence(seed, spawn_key=(SEED_CONSUMERS.index(consumer),))
    return np.random.Generator(np.random.PCG64(sequence))
