"""Payment card numbers: the Luhn checksum, and the networks that issue numbers (ISO/IEC 7812).

A card number's first digits (its issuer identification number) belong to a network's assigned
range, and each network issues numbers of certain lengths. A Luhn-valid run of digits outside
every range (a row of sheet figures read as one string, say) is not a card: one in ten digit runs
passes the Luhn check by chance.
"""

from __future__ import annotations

# (network, prefix ranges "low-high" or single prefixes, lengths it issues), from the networks'
# published IIN ranges as of 2026.
NETWORKS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("Visa", ("4",), (13, 16, 19)),
    ("Mastercard", ("51-55", "2221-2720"), (16,)),
    ("American Express", ("34", "37"), (15,)),
    ("Diners Club", ("300-305", "3095", "36", "38-39"), (14, 15, 16, 17, 18, 19)),
    ("Discover", ("6011", "644-649", "65", "622126-622925"), (16, 17, 18, 19)),
    ("JCB", ("3528-3589",), (16, 17, 18, 19)),
    ("UnionPay", ("62", "81"), (14, 15, 16, 17, 18, 19)),
    ("Maestro", ("5018", "5020", "5038", "5893", "6304", "6759", "6761-6763"), (13, 14, 15, 16, 17, 18, 19)),
    ("Mir", ("2200-2204",), (16, 17, 18, 19)),
    ("RuPay", ("60", "65", "81", "82", "508", "353", "356"), (16,)),
    ("Troy", ("9792",), (16,)),
    ("UATP", ("1",), (15,)),
    ("Verve", ("506099-506198", "650002-650027", "507865-507964"), (16, 18, 19)),
    ("InterPayment", ("636",), (16, 17, 18, 19)),
    ("Dankort", ("5019",), (16,)),
    ("GPN", ("1946", "50", "56", "58", "60-63"), (16, 18, 19)),
)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for n, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def issuing_network(digits: str) -> str | None:
    """The network whose IIN range and lengths fit `digits`, or None when no network issues such a number."""
    for network, prefixes, lengths in NETWORKS:
        if len(digits) in lengths and any(_in_range(digits, p) for p in prefixes):
            return network
    return None


def is_card_number(digits: str) -> bool:
    """A number some network could have issued: its range, its length, a valid Luhn checksum."""
    return digits.isdigit() and issuing_network(digits) is not None and luhn_ok(digits)


def _in_range(digits: str, prefix: str) -> bool:
    low, _, high = prefix.partition("-")
    head = digits[: len(low)]
    return low <= head <= (high or low)
