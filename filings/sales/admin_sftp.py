"""Staff administration of SFTP keys: every key of every marked-fuel account, read only; staff approve keys
waiting for approval (settings.TRACS_SFTP_KEY_APPROVAL) and revoke keys, through the services, each logged."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, error_text
from filings.sales.sftp import keys
from filings.sales.sftp.models import SftpKey
from tracs.actors import actor_from_request
from tracs.admin import AccountNumberColumn, ReadOnlyAdmin, requires


@admin.register(SftpKey)
class SftpKeyAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "account_number",
        "name",
        "person",
        "fingerprint",
        "status",
        "registered_at",
        "last_used_at",
    ]
    list_filter = ["status"]
    search_fields = [
        "account__number",
        "account__taxpayer__legal_name",
        "person__email",
        "fingerprint",
        "name",
    ]
    list_select_related = ["account__program", "person"]
    fields = [
        "account",
        "person",
        "name",
        "algorithm",
        "fingerprint",
        "public_key",
        "status",
        ("registered_by", "registered_at"),
        ("approved_by", "approved_at"),
        ("revoked_by", "revoked_at", "revoked_reason"),
        "last_used_at",
    ]
    readonly_fields = [name for row in fields for name in ((row,) if isinstance(row, str) else row)]
    actions = ["approve_keys", "revoke_keys"]

    has_approve_permission = requires("filings.approve_sftpkey")

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def _each(self, request, queryset, service, done_message: str) -> None:
        actor = actor_from_request(request)
        done = 0
        for key in queryset:
            try:
                service(key=key, by=request.user, actor=actor)
            except ValidationError as error:
                self.message_user(request, f"{key}: {error_text(error)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected keys"), permissions=["approve"])
    def approve_keys(self, request, queryset):
        self._each(request, queryset, keys.sftp_key_approve, gettext("%(count)s key(s) approved."))

    @admin.action(description=_("Revoke the selected keys"), permissions=["approve"])
    def revoke_keys(self, request, queryset):
        def revoke(*, key, by, actor):
            return keys.sftp_key_revoke(key=key, by=by, actor=actor, by_staff=True, reason="revoked by TRA")

        self._each(request, queryset, revoke, gettext("%(count)s key(s) revoked."))
