"""Secure messages from TRA to an account, their threads and who read them (programs/services/messages.py).
Registered with the app by programs/models.py, which imports them (callers name them as
programs.models.Message, ...)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import Program, ProgramAccount


class Message(models.Model):
    """A secure message from TRA to one program account, and the head of its thread: the account's people
    answer it (MessageReply) and staff answer them in Django admin.

    A message to every account of a program is fanned out into one Message per account, in one transaction
    (`programs.services.messages.message_send_to_program`), so each account keeps its own thread and its own read
    state; `program_wide` remembers which program the copy was sent to. An account opened later does not
    receive earlier notices.

    `last_from_tra_at` moves with each answer from TRA: a thread is unread for a person until they have read
    it since then (MessageRead). `last_from_client_at` moves with each answer from the account's people:
    staff see the threads awaiting an answer."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=10_000)
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    program_wide = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent to every account of"),
    )
    last_from_tra_at = models.DateTimeField(_("last from TRA"))
    last_from_client_at = models.DateTimeField(_("last answer from the account"), null=True, blank=True)

    class Meta:
        ordering = ["-last_from_tra_at", "-id"]
        indexes = [models.Index(fields=["account", "-last_from_tra_at"], name="message_account_time")]
        verbose_name = _("message")
        verbose_name_plural = _("messages to accounts")

    def __str__(self) -> str:
        return self.subject

    @property
    def awaiting_tra(self) -> bool:
        return self.last_from_client_at is not None and self.last_from_client_at > self.last_from_tra_at


class MessageReply(models.Model):
    """One answer in a message's thread: from the account's people (a delegate, a representative, an owner)
    or from TRA staff. Append-only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(_("answer"), max_length=5_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("written by"), max_length=200)
    from_tra = models.BooleanField(_("from TRA"), default=False)
    capacity = models.CharField(max_length=40, blank=True)  # owner, delegate, representative, staff
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("thread")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.author_name}"


class MessageRead(models.Model):
    """When a person last read a message's thread: read state is per person, not per account, so a
    message one owner read is still unread for the other owner and for the account's delegates."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="message_read_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id} at {self.read_at:%Y-%m-%d %H:%M}"
