"""Logging filters: the logs keep what needs someone's attention and quiet what is expected (settings.LOGGING)."""

import json
import logging
import re

from django.core.exceptions import PermissionDenied


class ExpectedRefusalWithoutTraceback(logging.Filter):
    """An intended refusal (PermissionDenied: the access policy's 403 for a function the person's access does not
    include) is logged by Django with the exception's traceback, as if it were a fault. Keep it as its one line
    ("Forbidden (Permission denied): <path>"); every other exception keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True


class FileBrokerHostname(logging.Filter):
    """kombu warns "No hostname was supplied. Reverting to default 'localhost'" each time it describes a
    connection whose URL has no host: always so for the file transport (filesystem://), which has no host at
    all. Only that warning, and only installed with that transport (tracs/settings.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No hostname was supplied.")


# Fields a log record (or an error report) never carries out, whatever a caller passes in `extra` or a form posts:
# PINs, bank account details and a return's amounts. Matched on the field's name, lower-cased ("account" too: a
# form's bank account number is posted as `account_number`; the log context's own account number is kept, below).
SECRET_FIELDS = re.compile(r"pin|bank|account|transit|institution|amount|litres|total|password|secret|token")
STANDARD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Ours, set by tracs.log_context.LogContextFilter: kept as they are (an account number is not a secret).
CONTEXT_FIELDS = frozenset({"request_id", "actor_id", "account_number"})
SCRUBBED = "[scrubbed]"

# What is scrubbed from the text of every line (message, field values, exception) even when a developer formatted
# it in, beside the secrets registered for the request or task (tracs.log_context.secret):
# - a PIN: 12 characters of the PIN alphabet (accounts/pins.py: no 0/O, 1/I/L), as issued (upper case) or typed in
#   groups of four (any case);
_PIN = "[2-9A-HJKMNP-Z]"
PIN_TEXT = re.compile(rf"\b{_PIN}{{12}}\b|(?i:\b{_PIN}{{4}}[- ]{_PIN}{{4}}[- ]{_PIN}{{4}}\b)")
# - what follows a word naming a bank account, transit, institution, account or PIN, when it has a digit: "bank
#   account 000123456789", "transit: 12345", "PIN 7Q4K99XZ...". A program account number (BIN-PP-SSS,
#   docs/account-numbers.md) is not a secret and stays;
KEYWORD_VALUE = re.compile(
    r"(?i)\b(?P<key>pin|bank\s+account|bank|transit|institution|account|acct|routing)"
    r"(?P<sep>(?:\s+(?:no\.?|number|num|#))?\s*[:=#]?\s*)"
    r"(?P<value>[A-Za-z0-9][A-Za-z0-9-]{2,})"
)
PROGRAM_ACCOUNT_NUMBER = re.compile(r"\d{9}-\d{2}-\d{3}")
# - amounts: a figure with a dollar sign, digits grouped by commas, a decimal figure (not part of an address or a
#   version, nor a duration in seconds or a percentage), and a figure after a word naming an amount.
AMOUNT_TEXT = re.compile(
    r"-?\$\s?-?\d[\d,]*(?:\.\d+)?"
    r"|(?<![\d.,])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])"
    r"|(?<![\w.])-?\d+\.\d+(?![.\d])(?!\s?(?:s|ms|sec|seconds?|%)\b)"
)
AMOUNT_KEYWORD_VALUE = re.compile(
    r"(?i)\b(?P<key>amounts?|totals?|balance|owing|owed|paid|litres|liters|volume|interest|penalty)"
    r"(?P<sep>\s*(?:of|:|=)?\s*)(?P<value>-?\d[\d,]*(?:\.\d+)?)\b"
)


# A PIN, or a part of one, after the word PIN may hold no digit at all ("PIN: KNAFMR": letters are 23 of the PIN
# alphabet's 31): upper case letters of that alphabet after the word are scrubbed too ("PIN letter" stays).
PIN_LETTERS = re.compile(rf"{_PIN}{{4,}}")


def _keyword_value(match: re.Match[str]) -> str:
    value = match["value"]
    if match["key"].lower() == "pin" and PIN_LETTERS.fullmatch(value):
        return f"{match['key']}{match['sep']}{SCRUBBED}"
    if not any(ch.isdigit() for ch in value) or PROGRAM_ACCOUNT_NUMBER.fullmatch(value):
        return match[0]
    return f"{match['key']}{match['sep']}{SCRUBBED}"


def scrub_text(text: str) -> str:
    """`text` without the request's or task's registered secrets, PINs, bank numbers and amounts."""
    from tracs.log_context import secrets

    for value in sorted(secrets.get(), key=len, reverse=True):  # the longest first: one may contain another
        text = text.replace(value, SCRUBBED)
    text = PIN_TEXT.sub(SCRUBBED, text)
    text = KEYWORD_VALUE.sub(_keyword_value, text)
    text = AMOUNT_KEYWORD_VALUE.sub(_keyword_value, text)
    return AMOUNT_TEXT.sub(SCRUBBED, text)


def scrub(value: object, *, key: str = "") -> object:
    """A field's value as it may leave the process (a log line, an error report): a field named like a secret is
    scrubbed whole; anything else but a whole number is scrubbed as text (scrub_text); mappings and sequences
    member by member."""
    if key and SECRET_FIELDS.search(key.lower()):
        return SCRUBBED if value not in (None, "", [], {}) else value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, dict):
        return {name: scrub(member, key=str(name)) for name, member in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(member) for member in value]
    return scrub_text(str(value))  # a Decimal, a float, a date, any object: as the line would show it


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json, the production default): time, level, logger, message, the
    request id, the acting person's id, the account number, and the record's extra fields, scrubbed (`scrub`):
    fields SECRET_FIELDS names, and PINs, bank numbers and amounts wherever they appear in the text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in STANDARD_FIELDS or key.startswith("_"):
                continue
            entry[key] = value if key in CONTEXT_FIELDS else scrub(value, key=key)
        if record.exc_info:
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = scrub_text(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    """The development format, scrubbed the same way: a line copied from a terminal into a ticket is safe too."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))
