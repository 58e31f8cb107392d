"""Messages from TRA (issue 4, part 4).

Staff write to one account or to every account of a program (fanned out into one message per account in
one transaction, so each account keeps its own thread and read state). The account's people read and
answer in the portal; staff answer in Django admin. Programs know nothing of grants, so the caller (the
access layer above, or its admin) says whom to tell: the owners, and the delegates and representatives
whose access includes messages. The e-mail says only that a message is waiting, never its subject or text:
messages stay behind the sign-in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from programs.models import Message, MessageRead, MessageReply, Program, ProgramAccount

MESSAGE_SUBJECT_REQUIRED = _("Write a subject.")
MESSAGE_BODY_REQUIRED = _("Write the message.")
REPLY_BODY_REQUIRED = _("Write your answer before sending it.")
REPLY_TOO_LONG = _("An answer can be at most %(limit)s characters; yours has %(length)s.")
NO_ACCOUNTS_IN_PROGRAM = _("The program %(program)s has no active accounts to write to.")
REPLY_MAX_CHARS = 5_000


def _message_values(*, subject: str, body: str) -> tuple[str, str]:
    subject, body = subject.strip(), body.strip()
    errors: dict[str, list[ValidationError]] = {}
    if not subject:
        errors["subject"] = [ValidationError(MESSAGE_SUBJECT_REQUIRED, code="required")]
    if not body:
        errors["body"] = [ValidationError(MESSAGE_BODY_REQUIRED, code="required")]
    if errors:
        raise ValidationError(errors)
    return subject, body


def _message_notices(*, accounts_by_recipient: dict[str, list[ProgramAccount]]) -> None:
    """One e-mail per person (never a shared To: line: a representative must not learn the owners'
    addresses), naming the accounts with a message waiting and nothing of the messages themselves."""
    from django.conf import settings

    for address, accounts in sorted(accounts_by_recipient.items()):
        numbers = sorted({account.number for account in accounts})
        if len(numbers) == 1:
            account = accounts[0]
            subject = _("TRACS: a message from TRA is waiting for account %(number)s") % {
                "number": account.number
            }
            where = _("for account %(number)s (%(program)s)") % {
                "number": account.number,
                "program": account.program.name,
            }
        else:
            subject = _("TRACS: messages from TRA are waiting for %(count)s of your accounts") % {
                "count": len(numbers)
            }
            where = _("for accounts %(numbers)s") % {"numbers": ", ".join(numbers)}
        body = _(
            "A message from Tax and Revenue Administration is waiting for you in TRACS %(where)s.\n\n"
            "For your security, TRA does not send the message itself by e-mail. Sign in to TRACS at %(site)s "
            "and open Messages to read it.\n\n"
            "You receive this e-mail because you are an owner of the account, or your access to it includes "
            "reading its messages."
        ) % {"where": where, "site": settings.TRACS_SITE_URL}
        email_queue(to=[address], subject=str(subject), body=str(body), purpose="message-waiting")


def _log_message(*, message: Message, action: str, capacity: str, actor: Actor) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=message.account.number,
        on_behalf_of=message.account.on_behalf_of,
        capacity=capacity,
        detail=f"message {message.pk}",
    )


@transaction.atomic
def message_send(
    *,
    account: ProgramAccount,
    subject: str,
    body: str,
    by: User | None,
    notify: Iterable[str] = (),
    actor: Actor,
) -> Message:
    """A message from TRA to one account; `notify`: whom to tell that it is waiting (one e-mail each)."""
    subject, body = _message_values(subject=subject, body=body)
    now = timezone.now()
    message = Message(
        account=account, subject=subject, body=body, sent_at=now, sent_by=by, last_from_tra_at=now
    )
    message.full_clean()
    message.save()
    _log_message(message=message, action="message from TRA sent", capacity="staff", actor=actor)
    _message_notices(accounts_by_recipient={address: [account] for address in notify if address})
    return message


@transaction.atomic
def message_send_to_program(
    *,
    program: Program,
    subject: str,
    body: str,
    by: User,
    notify_by_account: Mapping[int, Iterable[str]] | None = None,
    actor: Actor,
) -> list[Message]:
    """A message from TRA to every active account of a program, fanned out into one message per account in
    one transaction: all are sent or none. `notify_by_account` maps an account id to whom to tell; a
    person reaching several of the accounts gets one e-mail naming them all."""
    subject, body = _message_values(subject=subject, body=body)
    accounts = list(
        ProgramAccount.objects.filter(program=program, status=ProgramAccount.Status.ACTIVE)
        .select_related("taxpayer", "program")
        .order_by("number")
    )
    if not accounts:
        raise ValidationError(NO_ACCOUNTS_IN_PROGRAM % {"program": program.name}, code="no_accounts")
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            account=account,
            subject=subject,
            body=body,
            sent_at=now,
            sent_by=by,
            program_wide=program,
            last_from_tra_at=now,
        )
        for account in accounts
    )
    accounts_by_recipient: dict[str, list[ProgramAccount]] = {}
    notify_by_account = notify_by_account or {}
    for message, account in zip(messages, accounts, strict=True):
        message.account = account
        _log_message(
            message=message,
            action="message from TRA sent to every account of the program",
            capacity="staff",
            actor=actor,
        )
        for address in notify_by_account.get(account.pk, ()):
            if address:
                accounts_by_recipient.setdefault(address, []).append(account)
    _message_notices(accounts_by_recipient=accounts_by_recipient)
    return messages


def _reply_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": [ValidationError(REPLY_BODY_REQUIRED, code="required")]})
    if len(body) > REPLY_MAX_CHARS:
        raise ValidationError(
            {
                "body": [
                    ValidationError(
                        REPLY_TOO_LONG % {"limit": f"{REPLY_MAX_CHARS:,}", "length": f"{len(body):,}"},
                        code="max_length",
                    )
                ]
            }
        )
    return body


def _lock_message(message: Message) -> Message:
    return (
        Message.objects.select_for_update()
        .select_related("account__taxpayer", "account__program")
        .get(pk=message.pk)
    )


@transaction.atomic
def message_reply(*, message: Message, body: str, by: User, actor: Actor) -> MessageReply:
    """An answer from the account's people (the caller checked their access includes messages). Staff see
    the thread as awaiting an answer; the thread stays read for the person who answered."""
    body = _reply_body(body)
    message = _lock_message(message)
    reply = MessageReply.objects.create(
        message=message,
        body=body,
        author=by,
        author_name=by.display_name,
        from_tra=False,
        capacity=actor.capacity,
    )
    message.last_from_client_at = reply.created_at
    message.save(update_fields=["last_from_client_at"])
    message_mark_read(message=message, user=by, at=reply.created_at)
    _log_message(
        message=message, action="answer to a message from TRA sent", capacity=actor.capacity, actor=actor
    )
    return reply


@transaction.atomic
def message_answer(
    *, message: Message, body: str, by: User, notify: Iterable[str] = (), actor: Actor
) -> MessageReply:
    """Staff answer in a message's thread: the thread becomes unread again for the account's people, who
    are told by e-mail that a message is waiting."""
    body = _reply_body(body)
    message = _lock_message(message)
    reply = MessageReply.objects.create(
        message=message,
        body=body,
        author=by,
        author_name=str(_("Tax and Revenue Administration")),
        from_tra=True,
        capacity="staff",
    )
    message.last_from_tra_at = reply.created_at
    message.save(update_fields=["last_from_tra_at"])
    _log_message(message=message, action="answer from TRA sent", capacity="staff", actor=actor)
    _message_notices(accounts_by_recipient={address: [message.account] for address in notify if address})
    return reply


def message_mark_read(*, message: Message, user: User, at: datetime | None = None) -> None:
    """The person has read the thread as it stands now: one upsert, safe to repeat."""
    MessageRead.objects.bulk_create(
        [MessageRead(message=message, user=user, read_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["message", "user"],
        update_fields=["read_at"],
    )
