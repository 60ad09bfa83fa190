"""One random stream per consumer of an episode's seed (numpy SeedSequence children).

Below the episode contract (`cleantrace.spec` re-exports it) and the appearance, which draws from
its own stream: this module imports nothing of the package but `errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cleantrace.errors import CleantraceError

if TYPE_CHECKING:
    import numpy

SEED_CONSUMERS = ("world", "fake", "instruction", "actor", "appearance", "windows")
SEED_DERIVATION = (
    "numpy.random.SeedSequence(seed).spawn(6)[i], i = 0 world, 1 fake, 2 instruction, 3 actor, 4 appearance, "
    "5 windows (desktop window geometry); "
    "a numpy stream is PCG64 of it, an int seed (random.Random, Faker) its generate_state(1, uint64)[0]"
)


def seed_stream(seed: int, consumer: str) -> numpy.random.Generator:
    """The random stream of one consumer of an episode's seed, independent of every other consumer's.

    Consumers: world (the task's choices in the seeded world), fake (fake people and values),
    instruction (its wording), actor (the performer's motion and timing), appearance (the app's
    look), windows (where a desktop's app windows open). Derived as SEED_DERIVATION says, so more
    draws by one consumer never shift another's.
    """
    import numpy as np

    return np.random.Generator(np.random.PCG64(_seed_sequence(seed, consumer)))


def seed_for(seed: int, consumer: str) -> int:
    """An integer seed for one consumer (for libraries seeded with an int: `random.Random`, Faker),
    the first 64 bits of that consumer's `SeedSequence` state."""
    import numpy as np

    return int(_seed_sequence(seed, consumer).generate_state(1, np.uint64)[0])


def _seed_sequence(seed: int, consumer: str):
    import numpy as np

    if consumer not in SEED_CONSUMERS:
        raise CleantraceError(f"unknown seed consumer {consumer!r}", f"use one of {', '.join(SEED_CONSUMERS)}")
    if seed < 0:
        raise CleantraceError(f"seeds must not be negative: {seed}", "use a seed of 0 or more")
    return np.random.SeedSequence(seed, spawn_key=(SEED_CONSUMERS.index(consumer),))
