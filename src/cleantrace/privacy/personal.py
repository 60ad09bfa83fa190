"""Personal identifiers beyond contact data: bank accounts, national ids, street addresses, dates of
birth, and phone numbers written the way other countries write them.

Each kind is recognised by a well-kept validator, not by shape alone: IBANs and national ids must
pass their checksums (python-stdnum), addresses must parse as whole postal addresses with a city and
postal code (pyap2), phone numbers must be valid in their country's numbering plan (phonenumbers).
A date counts as a date of birth only next to a word that says so ("born", "DOB", "geboren", …).
Pure: text in, (kind, text) pairs out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

import phonenumbers
import pyap
from stdnum import iban
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.us import ssn

from cleantrace.privacy.cards import is_card_number

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
SSN_RE = re.compile(r"(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])")
# National ids with a check character, each in the form its country prints it.
NATIONAL_IDS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("es-dni", re.compile(r"\b\d{8}-?[A-Z]\b"), dni.is_valid),
    ("es-nie", re.compile(r"\b[XYZ]-?\d{7}-?[A-Z]\b"), nie.is_valid),
    ("fr-nir", re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}\b"), nir.is_valid),
    ("it-codice-fiscale", re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b"), codicefiscale.is_valid),
)
ADDRESS_COUNTRIES = ("US", "GB", "CA")
BIRTH_WORDS = r"(?:born|b\.|d\.?o\.?b\.?|date of birth|birthday|birth date|geboren|geb\.|née?|nacid[oa]|生まれ)"
MONTHS = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|juli|oktober|"
          r"dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|"
          r"febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)[a-z]*\.?")
DATE = (rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-](?:19|20)\d{{2}}|(?:19|20)\d{{2}}-\d{{1,2}}-\d{{1,2}}|"
        rf"\d{{1,2}}\.? {MONTHS} (?:19|20)\d{{2}}|{MONTHS} \d{{1,2}},? (?:19|20)\d{{2}})")
BIRTH_RE = re.compile(rf"{BIRTH_WORDS}\W{{0,3}}(?:on |am |le |el )?({DATE})", re.IGNORECASE)
# Countries whose national formats (a leading 0 or +) are read in typed text besides NANP numbers.
PHONE_REGIONS = ("GB", "DE", "FR", "ES", "IT", "NL", "JP", "AU", "IN", "BR", "MX")
NATIONAL_PHONE_RE = re.compile(r"(?<![\w+])0[\d ()./-]{7,}\d")  # with a trunk 0; "+" numbers: detect


def personal_identifiers(text: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every IBAN, national id, street address and date of birth in `text`."""
    for m in IBAN_RE.finditer(text):
        if iban.is_valid(m.group(0)):
            yield "iban", m.group(0)
    for m in SSN_RE.finditer(text):
        if ssn.is_valid(m.group(0).replace(" ", "-")):
            yield "national-id", m.group(0)
    for _, regex, is_valid in NATIONAL_IDS:
        for m in regex.finditer(text):
            if is_valid(m.group(0)) and not is_card_number(re.sub(r"\D", "", m.group(0))):
                yield "national-id", m.group(0)  # a card number is the card pass's (same 15 digits)
    for country in ADDRESS_COUNTRIES:
        for address in pyap.parse(text, country=country):
            yield "address", str(address)
    for m in BIRTH_RE.finditer(text):
        if _plausible_birth_year(m.group(1)):
            yield "birth-date", m.group(0)


def foreign_phone_numbers(text: str) -> Iterator[str]:
    """Phone numbers written in another country's national format (`030 12345678`, `06 12 34 56 78`)
    that are valid numbers there (numbers with a country code are found by the main pass)."""
    for m in NATIONAL_PHONE_RE.finditer(text):
        raw = m.group(0).strip()
        for region in PHONE_REGIONS:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if number.country_code != 1 and phonenumbers.is_valid_number(number):
                yield raw
                break


def _plausible_birth_year(text: str) -> bool:
    years = [int(y) for y in re.findall(r"(?:19|20)\d{2}", text)]
    return any(1900 <= y <= date.today().year for y in years)
