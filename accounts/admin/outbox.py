"""The e-mail outbox in staff administration: what TRACS sent or will send, read-only and without the encrypted
subject and body."""

from django.contrib import admin

from accounts.models import OutboxEmail
from tracs.admin import ReadOnlyAdmin


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "purpose", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "purpose"]
    exclude = ["subject_encrypted", "body_encrypted"]
