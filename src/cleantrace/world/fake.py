"""Fake identifiers from reserved ranges only (see DESIGN.md, "Fake data rules").

- e-mail domains: example.com, example.org and *.test (RFC 2606 / RFC 6761)
- phone numbers: 555-0100 … 555-0199 (reserved for fiction by the NANP)
- payment cards: documented test numbers only
"""

from __future__ import annotations

import random
import re
import unicodedata

from faker import Faker

from cleantrace.spec import seed_for

EMAIL_DOMAINS = ("example.com", "example.org", "acme.test", "corp.test")
TEST_CARD_NUMBERS = ("4242424242424242", "4000056655665556", "5555555555554444", "378282246310005")


class FakeData:
    """Seeded generator of fake people and companies, all identifiers in reserved ranges."""

    def __init__(self, seed: int, locale: str = "en_US") -> None:
        """`seed` is the episode's seed; the data come from its "fake" stream."""
        self.rng = random.Random(seed_for(seed, "fake"))
        self.locale = locale
        self.faker = Faker(locale)
        self.faker.seed_instance(seed_for(seed, "fake"))

    def name(self) -> str:
        return f"{self.faker.first_name()} {self.faker.last_name()}"

    def company(self) -> str:
        return self.faker.company()

    def email(self, name: str) -> str:
        local = re.sub(r"[^a-z.]", "", ascii_fold(name).lower().replace(" ", "."))
        if not local.strip("."):  # a name in a script without Latin letters (ja_JP)
            local = f"user{self.rng.randint(1000, 9999)}"
        return f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"

    def phone(self) -> str:
        area = self.rng.randint(201, 989)
        return f"({area}) 555-01{self.rng.randint(0, 99):02d}"

    def card(self) -> str:
        return self.rng.choice(TEST_CARD_NUMBERS)


def ascii_fold(text: str) -> str:
    """`text` without accents ('Müller' → 'Muller', 'Éloïse' → 'Eloise'), other non-ASCII letters dropped."""
    text = text.replace("ß", "ss").replace("Æ", "AE").replace("æ", "ae").replace("Ø", "O").replace("ø", "o")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
