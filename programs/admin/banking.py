"""The account's direct deposit, as staff see it on the program account's page: masked, read only (the
account's people change it in the portal, with a fresh two-factor code)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from programs.models import DirectDeposit
from tracs.admin import ReadOnlyInline


class DirectDepositInline(ReadOnlyInline):
    """The bank account refunds go to, masked: staff never see the full account number either."""

    model = DirectDeposit
    fields = ["institution_number", "transit_number", "masked", "holder_name", "updated_at", "updated_by"]
    readonly_fields = fields
    verbose_name_plural = _("direct deposit (none: refunds go by cheque to the mailing address)")

    @admin.display(description=_("account number"))
    def masked(self, obj) -> str:
        return obj.masked

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("updated_by")
