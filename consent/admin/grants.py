"""Staff administration of grants: every access to every account (owners, delegates, representatives),
and the inline that lists who may reach an account on programs' program account page."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, error_text
from consent import services
from consent.models import Grant
from consent.privileges import Privilege
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline, requires


def privileges_display(values) -> str:
    return ", ".join(str(Privilege(value).label) for value in values) or "—"


class GrantInline(ReadOnlyInline):
    """Who may reach the account, on programs' program account page (read-only there; staff revoke from the
    grants list)."""

    model = Grant
    fk_name = "account"
    fields = ["name", "email", "role", "status", "privileges_list", "ends_on", "activated_at", "revoked_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("access (owners, delegates, representatives)")

    @admin.display(description=_("privileges"))
    def privileges_list(self, obj) -> str:
        return gettext("all (owner)") if obj.role == Grant.Role.OWNER else privileges_display(obj.privileges)

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("status", "role", "name")


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """Every access to every account. Staff revoke here (an owner too, but never an account's last owner).
    Read only otherwise: owners add people and change their access in the portal, representatives come
    through a consent."""

    list_display = [
        "account_number",
        "name",
        "email",
        "role",
        "status",
        "privileges_list",
        "ends_on",
        "activated_at",
    ]
    list_filter = ["role", "status", "account__program"]
    search_fields = [
        "account__number",
        "account__taxpayer__bin",
        "account__taxpayer__legal_name",
        "name",
        "email",
    ]
    list_select_related = ["account"]
    fields = [
        "account_link",
        "name",
        "email",
        "user",
        "role",
        "status",
        "privileges_list",
        "ends_on",
        "consent",
        "created_at",
        "created_by",
        "activated_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_grants"]

    has_revoke_permission = requires("consent.revoke_grant")

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj) -> str:
        return obj.account.number

    @admin.display(description=_("account"))
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account,
        )

    @admin.display(description=_("privileges"))
    def privileges_list(self, obj) -> str:
        return gettext("all (owner)") if obj.role == Grant.Role.OWNER else privileges_display(obj.privileges)

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.action(description=_("Revoke the selected access"), permissions=["revoke"])
    def revoke_grants(self, request, queryset):
        actor = actor_from_request(request)
        revoked = 0
        for grant in queryset.exclude(status=Grant.Status.REVOKED):
            try:
                services.grant_revoke(grant=grant, by=request.user, actor=actor, by_staff=True)
            except ValidationError as error:
                self.message_user(request, f"{grant}: {error_text(error)}", messages.ERROR)
            else:
                revoked += 1
        if revoked:
            self.message_user(
                request,
                gettext("%(count)s access(es) revoked; the people and the account owners were e-mailed.")
                % {"count": revoked},
                messages.SUCCESS,
            )
