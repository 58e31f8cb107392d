"""The demo's mail catcher (issue 10, item 17). Under `make run` e-mail has nowhere to go: there is no mail
server, so the worker would only print it in var/celery.log, and a new person could not open the verification link
of their own sign-up. With TRACS_DEV_MAIL (on by default only without EMAIL_URL and outside production; the
settings refuse it in production) this backend keeps each e-mail the outbox sends as one file under var/mail, and
/dev/mail/ lists and shows them with their links clickable (tracs.views).

One message per file, written under a temporary name and then renamed, so the page never reads half a message;
the file name (when, and a random part) is the only handle the page accepts."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger(__name__)

MESSAGE_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}\.[0-9]{6}-[0-9a-f]{8}\.eml$")
LISTED_AT_MOST = 200  # the newest; older files stay on disk until `make clean`


def folder() -> Path:
    return Path(settings.TRACS_DEV_MAIL_DIR)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        target = folder()
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"
            partial = target / f".{name}.partial"
            partial.write_bytes(message.message().as_bytes(linesep="\n"))
            partial.chmod(0o600)  # demo mail carries PINs and reset links too
            os.replace(partial, target / name)
            logger.info(
                "e-mail to %s kept for the demo (not sent): %s/dev/mail/%s/",
                ", ".join(message.recipients()),
                settings.TRACS_SITE_URL,
                name,
            )
        return len(email_messages)


@dataclass(frozen=True)
class CaughtMail:
    name: str
    subject: str
    to: str
    sent_at: datetime | None
    body: str


def _read(path: Path) -> CaughtMail:
    with path.open("rb") as file:
        parsed = BytesParser(policy=policy.default).parse(file)
    try:
        sent_at = parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    part = parsed.get_body(preferencelist=("plain", "html"))
    return CaughtMail(
        name=path.name,
        subject=str(parsed["Subject"] or ""),
        to=str(parsed["To"] or ""),
        sent_at=sent_at,
        body=part.get_content() if part is not None else "",
    )


def caught_mail() -> list[CaughtMail]:
    """The kept messages, newest first."""
    if not folder().is_dir():
        return []
    names = sorted(
        (entry.name for entry in os.scandir(folder()) if MESSAGE_NAME.match(entry.name)), reverse=True
    )
    return [_read(folder() / name) for name in names[:LISTED_AT_MOST]]


def caught_message(name: str) -> CaughtMail | None:
    """One kept message by its file name, or None: a name of any other shape never reaches the file system."""
    if not MESSAGE_NAME.match(name):
        return None
    path = folder() / name
    return _read(path) if path.is_file() else None
