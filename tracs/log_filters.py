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


# Fields a log record never carries out, whatever a caller passes in `extra`: PINs, bank account details and a
# return's amounts. Matched on the field's name, lower-cased.
SECRET_FIELDS = re.compile(r"pin|bank|transit|institution|amount|litres|total|password|secret|token")
STANDARD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json, the production default): time, level, logger, message, the
    request id, and the record's extra fields except those SECRET_FIELDS names."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in STANDARD_FIELDS or key.startswith("_"):
                continue
            entry[key] = "[scrubbed]" if SECRET_FIELDS.search(key.lower()) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
