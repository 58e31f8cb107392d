"""Validation and normalization of what people type about an account: Canadian postal codes and provinces,
North American phone numbers, Canadian bank account numbers for direct deposit.

Each `*_normalize` function returns the value in the one form we store, or raises a ValidationError whose
message is a constant here (tests assert on them). Forms call them so the error shows next to its field;
services call them again, because a service must not trust its caller."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# --- Provinces and territories ------------------------------------------------------------------------------

# Canada Post's two-letter symbols, in the order Canada Post lists them.
PROVINCES: dict[str, str] = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}
PROVINCE_CHOICES = [(code, f"{name} ({code})") for code, name in PROVINCES.items()]

# The first letter of a postal code names its postal district, which lies in one province or territory
# (Canada Post, "Postal code: first letter"). X serves both the Northwest Territories and Nunavut.
POSTAL_DISTRICTS: dict[str, str] = {
    "AB": "T",
    "BC": "V",
    "MB": "R",
    "NB": "E",
    "NL": "A",
    "NS": "B",
    "NT": "X",
    "NU": "X",
    "ON": "KLMNP",
    "PE": "C",
    "QC": "GHJ",
    "SK": "S",
    "YT": "Y",
}

PROVINCE_UNKNOWN = _("Choose a Canadian province or territory, for example AB for Alberta.")
POSTAL_CODE_FORMAT = _(
    "Enter a postal code like T5J 0N3: letter, digit, letter, space, digit, letter, digit."
)
POSTAL_CODE_LETTERS = _(
    "A postal code never uses the letters D, F, I, O, Q or U. Check for a 0 typed as O, or a 1 as I."
)
POSTAL_CODE_FIRST_LETTER = _("A postal code never starts with W or Z.")
POSTAL_CODE_NOT_IN_PROVINCE = _(
    "Postal codes in %(province)s start with %(letters)s. Check the postal code or the province."
)

_POSTAL_CODE = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")
_NEVER_IN_POSTAL_CODES = set("DFIOQU")


def province_normalize(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in PROVINCES:
        raise ValidationError(PROVINCE_UNKNOWN, code="province")
    return code


def postal_code_normalize(value: str) -> str:
    """`t5j0n3`, `T5J-0N3` or ` t5j 0n3 ` -> `T5J 0N3` (Canada Post: A1A 1A1, upper case, one space)."""
    compact = re.sub(r"[\s-]", "", value or "").upper()
    if not _POSTAL_CODE.fullmatch(compact):
        raise ValidationError(POSTAL_CODE_FORMAT, code="postal_code_format")
    if _NEVER_IN_POSTAL_CODES & set(compact[0::2]):
        raise ValidationError(POSTAL_CODE_LETTERS, code="postal_code_letters")
    if compact[0] in "WZ":
        raise ValidationError(POSTAL_CODE_FIRST_LETTER, code="postal_code_first_letter")
    return f"{compact[:3]} {compact[3:]}"


def postal_code_in_province(*, postal_code: str, province: str) -> None:
    """Both already normalized. Raises when the postal code's district lies in another province."""
    letters = POSTAL_DISTRICTS[province]
    if postal_code[0] not in letters:
        raise ValidationError(
            POSTAL_CODE_NOT_IN_PROVINCE,
            code="postal_code_province",
            params={"province": PROVINCES[province], "letters": " or ".join(letters)},
        )


# --- Phone numbers ------------------------------------------------------------------------------------------

PHONE_FORMAT = _(
    "Enter a 10-digit phone number with its area code, like 780-427-3044. An extension may follow: 780-427-3044 ext. 123."
)
PHONE_NOT_NANP = _(
    "This is not a North American phone number: the area code and the exchange (the first 3 digits of each) cannot start with 0 or 1, or end in 11."
)
PHONE_EXTENSION = _("An extension is 1 to 6 digits, for example ext. 123.")
PHONE_PARTS = re.compile(r"^(?P<main>.*?)\s*(?:(?:extension|ext\.?|x|#)\s*(?P<ext>\S*))?\s*$", re.IGNORECASE)


def phone_normalize(value: str) -> tuple[str, str]:
    """`(780) 427-3044 x12`, `+1 780.427.3044` -> (`780-427-3044`, `12`): a NANP number (area code and
    exchange start with 2-9 and are not N11 service codes) and an optional extension."""
    parts = PHONE_PARTS.match((value or "").strip())
    main, extension = parts.group("main"), parts.group("ext") or ""
    if parts.group("ext") is not None and not re.fullmatch(r"\d{1,6}", extension):
        raise ValidationError(PHONE_EXTENSION, code="phone_extension")
    digits = re.sub(r"[\s().+-]", "", main)
    if not digits.isdigit():
        raise ValidationError(PHONE_FORMAT, code="phone_format")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValidationError(PHONE_FORMAT, code="phone_format")
    area, exchange = digits[:3], digits[3:6]
    if area[0] in "01" or exchange[0] in "01" or area[1:] == "11" or exchange[1:] == "11":
        raise ValidationError(PHONE_NOT_NANP, code="phone_nanp")
    return f"{area}-{exchange}-{digits[6:]}", extension


def phone_display(phone: str, extension: str = "") -> str:
    return f"{phone} ext. {extension}" if phone and extension else phone


# --- Bank accounts (direct deposit) --------------------------------------------------------------------------

# Payments Canada: a Canadian bank account is identified by a 3-digit financial institution number, a
# 5-digit branch transit number and an account number of 7 to 12 digits (as on a cheque's MICR line).
INSTITUTION_NUMBER = _(
    "The institution number is 3 digits, for example 001. It is on your cheque, after the transit number."
)
TRANSIT_NUMBER = _(
    "The transit (branch) number is 5 digits. It is on your cheque, before the institution number."
)
BANK_ACCOUNT_NUMBER = _("The account number is 7 to 12 digits. Leave out spaces and dashes if in doubt.")


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def institution_number_normalize(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"\d{3}", digits):
        raise ValidationError(INSTITUTION_NUMBER, code="institution_number")
    return digits


def transit_number_normalize(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"\d{5}", digits):
        raise ValidationError(TRANSIT_NUMBER, code="transit_number")
    return digits


def bank_account_number_normalize(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"\d{7,12}", digits):
        raise ValidationError(BANK_ACCOUNT_NUMBER, code="bank_account_number")
    return digits
