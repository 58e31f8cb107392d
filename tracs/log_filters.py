"""Logging filters: the logs keep what needs someone's attention and quiet what is expected (settings.LOGGING)."""

import logging

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
