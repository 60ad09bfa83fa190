"""Finds identifiers in text: e-mail addresses, phone numbers, payment cards, IP addresses, URLs,
bank accounts, national ids, street addresses, dates of birth (see `personal`) and host canaries,
keeping only those outside the reserved fake ranges (see `ranges`).

Pure: text in, hits out. URLs are found first and their spans hidden from the e-mail, IP, card and
phone passes (one URL is one finding); canaries are looked for everywhere, URLs included.
Text read by OCR (`ocr=True`) tolerates misread characters in reserved names (`exampie.com`,
`corp.tesl`), reserved names clipped at the edge of a cell (`acme.te`) or being typed (`acme.te`
with the text caret read as a last letter: `acme.ted`), domains under no top-level name that
exists (`example.cq`: no one receives mail there), misread last four digits of 555 phone
numbers, and numbers without an area code (table figures), so OCR noise is not a finding.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
from publicsuffixlist import PublicSuffixList

from cleantrace.privacy.cards import is_card_number
from cleantrace.privacy.personal import foreign_phone_numbers, personal_identifiers
from cleantrace.privacy.ranges import (
    RESERVED_DOMAINS,
    RESERVED_TLDS,
    is_fictional_phone,
    is_reserved_domain,
    is_reserved_ip,
    is_test_card,
)

URL_RE = re.compile(r"\b(?:(?:https?|ftp|wss?|file)://|www\.)[^\s\"'<>]+", re.IGNORECASE)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b")
IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# A card is 13-19 digits written as one run, in groups of four, or as 4-6-4/5 (Amex, Diners).
CARD_RE = re.compile(
    r"(?<![\w-])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5})(?![\w-])"
)
TRAILING_GROUP_RE = re.compile(r"[ -]\d{1,3}$")
TRAILING_PUNCTUATION = ".,;:!?)]}"
PHONE_REGION = "US"  # numbers without a country code are read as NANP numbers
NANP_WITH_AREA_CODE = 2_000_000_000  # national numbers from here on have 10 digits
_PUBLIC_SUFFIXES = PublicSuffixList(accept_unknown=False)  # the bundled Public Suffix List; no download


@dataclass(frozen=True)
class Hit:
    kind: str  # email | phone | card | ip | url | iban | national-id | address | birth-date | canary
    text: str


def find_identifiers(
    text: str, canaries: re.Pattern[str] | None = None, *, ocr: bool = False, typed: bool = False
) -> list[Hit]:
    """Identifiers in `text` that are not from the reserved fake ranges, in order of kind.

    `typed` marks text a person typed or pasted: phone numbers are then also read in the national
    formats of other countries (elsewhere, e.g. in figures on screen, that would read too much).
    """
    if not text or not text.strip():
        return []
    hits: list[Hit] = []
    rest = text
    for pass_ in (_urls, _emails, _personal, _ips, _cards, _phones):
        found, rest = pass_(rest, ocr)
        hits += found
    if typed:
        hits += [Hit("phone", raw) for raw in foreign_phone_numbers(rest)]
    if canaries is not None:
        hits += [Hit("canary", m.group(0)) for m in canaries.finditer(text)]
    return hits


def _hide(text: str, match: re.Match[str]) -> str:
    """Blank a match out so later passes do not see it again (offsets stay the same)."""
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end():]


def _urls(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(TRAILING_PUNCTUATION)
        if not _allowed_url(url, ocr):
            hits.append(Hit("url", url))
        text = _hide(text, m)
    return hits, text


def _allowed_url(url: str, ocr: bool) -> bool:
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname
    except ValueError:
        return False
    if not host:  # file:///home/… and the like: a path on some machine
        return False
    try:
        return is_reserved_ip(ipaddress.ip_address(host))
    except ValueError:
        return host == "localhost" or _allowed_domain(host, ocr)


def _allowed_domain(domain: str, ocr: bool) -> bool:
    if is_reserved_domain(domain):
        return True
    if not ocr:
        return False
    domain = _ocr_normalised(domain.lower())
    close_domain = difflib.get_close_matches(domain, RESERVED_DOMAINS, n=1, cutoff=0.88)  # one misread letter
    tld = domain.rsplit(".", 1)[-1]
    close_tld = difflib.get_close_matches(tld, RESERVED_TLDS, n=1, cutoff=0.7)
    typing = domain[:-1]  # the caret right after a name being typed reads as one more letter
    clipped = _clipped_reserved(domain, tld) or _clipped_reserved(typing, typing.rsplit(".", 1)[-1])
    return bool(close_domain or close_tld or clipped or _PUBLIC_SUFFIXES.publicsuffix(domain) is None)


# Two-letter starts of reserved names that are no country's top-level domain (".in" is India's).
CLIPPED_TWO_LETTERS = {"te", "ex", "lo"}


def _clipped_reserved(domain: str, tld: str) -> bool:
    """A reserved name cut off at the edge of a table cell or field on screen (`acme.te`, `example.c`)."""
    if any(d.startswith(domain) and len(domain) >= len("example.") for d in RESERVED_DOMAINS):
        return True
    prefix = any(t.startswith(tld) and t != tld for t in RESERVED_TLDS)
    return prefix and (len(tld) >= 3 or tld in CLIPPED_TWO_LETTERS)


def _ocr_normalised(text: str) -> str:
    """Undo OCR's usual confusions ('rn' for 'm', '1' for 'l', '0' for 'o')."""
    return text.replace("rn", "m").replace("vv", "w").replace("1", "l").replace("0", "o")


def _emails(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for m in EMAIL_RE.finditer(text):
        if not _allowed_domain(m.group(1), ocr):
            hits.append(Hit("email", m.group(0)))
        text = _hide(text, m)
    return hits, text


def _personal(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for kind, found in personal_identifiers(text):
        hits.append(Hit(kind, found))
        if kind in ("iban", "national-id"):  # their digits are no card or phone number
            text = text.replace(found, " " * len(found))
    return hits, text


def _ips(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for regex in (IPV4_RE, IPV6_RE):
        for m in regex.finditer(text):
            candidate = m.group(0)
            if regex is IPV6_RE and sum(1 for part in candidate.split(":") if part) < 3:
                continue  # '::', 'a::b' are more likely CSS or text than an address
            try:
                address = ipaddress.ip_address(candidate)
            except ValueError:
                continue
            if not is_reserved_ip(address):
                hits.append(Hit("ip", candidate))
            text = _hide(text, m)
    return hits, text


def _cards(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for m in CARD_RE.finditer(text):
        shown = m.group(0)
        digits = re.sub(r"\D", "", shown)
        if not is_card_number(digits):  # "4556 7375 8689 9855 4": a number written after the card?
            shown = TRAILING_GROUP_RE.sub("", shown)
            digits = re.sub(r"\D", "", shown)
        if is_card_number(digits):
            if not is_test_card(digits):
                hits.append(Hit("card", shown))
            text = _hide(text, m)
    return hits, text


def _phones(text: str, ocr: bool) -> tuple[list[Hit], str]:
    hits = []
    for m in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID):
        nanp = m.number.country_code == 1
        if ocr and nanp and m.number.national_number < NANP_WITH_AREA_CODE:
            continue  # '310 1740': seven digits read off a table, no one's number without an area code
        if not (nanp and is_fictional_phone(m.number.national_number, ocr=ocr)):
            hits.append(Hit("phone", m.raw_string))
    return hits, text
