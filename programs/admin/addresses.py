"""Staff administration of an account's addresses and contact persons, and of the history of changes to its
addresses, contact persons and direct deposit (who, when, before and after), across accounts.

The inlines are shown on the program account's page (programs/admin/accounts.py)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from programs.forms import AddressAdminForm
from programs.models import AccountChange, Address, Contact
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressAdminForm  # the portal's rules: Canadian postal code, matching province
    extra = 0
    max_num = len(Address.Kind.choices)


class ContactInline(ReadOnlyInline):
    """Contact persons: kept by the account's people in the portal (View/Update Contact Information)."""

    model = Contact
    fields = ["name", "title", "phone_display", "email", "is_primary", "updated_at"]
    readonly_fields = fields
    verbose_name_plural = _("contact persons")

    @admin.display(description=_("phone"))
    def phone_display(self, obj) -> str:
        return obj.phone_display


# PostgreSQL's jsonb does not keep key order: show the values in the order people read them.
CHANGE_VALUE_ORDER = [
    "line1", "line2", "city", "province", "postal_code",
    "name", "title", "phone", "phone_extension", "email", "is_primary",
    "institution_number", "transit_number", "account_number", "holder_name",
]  # fmt: skip


def change_values(values: dict | None) -> str:
    if not values:
        return "—"
    ordered = sorted(
        values.items(),
        key=lambda item: CHANGE_VALUE_ORDER.index(item[0]) if item[0] in CHANGE_VALUE_ORDER else 99,
    )
    return "; ".join(
        f"{name.replace('_', ' ')}: {value}" for name, value in ordered if value not in ("", None)
    )


class AccountChangeInline(ReadOnlyInline):
    """History of the account's addresses, contacts and direct deposit (who, when, before and after)."""

    model = AccountChange
    fields = ["occurred_at", "subject", "action", "actor_email", "capacity", "before_values", "after_values"]
    readonly_fields = fields
    verbose_name_plural = _("history of addresses, contacts and direct deposit")

    @admin.display(description=_("before"))
    def before_values(self, obj) -> str:
        return change_values(obj.before)

    @admin.display(description=_("after"))
    def after_values(self, obj) -> str:
        return change_values(obj.after)


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """Every change to an account's addresses, contact persons and direct deposit, across accounts: read
    only (written by programs.services). Bank account numbers appear only as their last four digits."""

    list_display = ["occurred_at", "account_link", "subject", "action", "actor_email", "capacity"]
    list_filter = ["subject", "action", "capacity", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["account__number", "account__taxpayer__legal_name", "actor_email"]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "occurred_at"
    fields = [
        "occurred_at",
        "account_link",
        "subject",
        "action",
        "actor",
        "actor_email",
        "capacity",
        "before_values",
        "after_values",
    ]
    readonly_fields = fields

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("before"))
    def before_values(self, obj) -> str:
        return change_values(obj.before)

    @admin.display(description=_("after"))
    def after_values(self, obj) -> str:
        return change_values(obj.after)

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of
