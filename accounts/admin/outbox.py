"""The e-mail outbox in staff administration: what TRACS sent or will send, read-only and without the encrypted
subject and body. E-mails no attempt could deliver (the dead-letter status) are counted above the list."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from accounts.models import OutboxEmail
from tracs.admin import ReadOnlyAdmin, SystemAdminMixin


def undeliverable_warning(request) -> None:
    """A warning on the outbox's list while some e-mail is undeliverable, with a link to them."""
    count = OutboxEmail.objects.filter(status=OutboxEmail.Status.DEAD).count()
    if not count:
        return
    url = reverse("admin:accounts_outboxemail_changelist") + f"?status__exact={OutboxEmail.Status.DEAD}"
    text = ngettext(
        "%(count)s e-mail could not be delivered after every attempt and will not be retried.",
        "%(count)s e-mails could not be delivered after every attempt and will not be retried.",
        count,
    ) % {"count": count}
    messages.warning(request, format_html('{} <a href="{}">Show them</a>.', text, url))


@admin.register(OutboxEmail)
class OutboxEmailAdmin(SystemAdminMixin, ReadOnlyAdmin):
    """A technical section: the administrator's (docs/staff-roles.md)."""

    list_display = ["created_at", "purpose", "to", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "purpose"]
    exclude = ["subject_encrypted", "body_encrypted"]

    def changelist_view(self, request, extra_context=None):
        undeliverable_warning(request)
        return super().changelist_view(request, extra_context)
