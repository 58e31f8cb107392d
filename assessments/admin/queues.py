"""The staff queues of filings to assess (Django admin): one base for every program's queue.

A queue lists the filings received or in review by default (`QueueFilter`), each row showing what was filed
against what the program's rules recompute; a filing's page shows the filing, the recomputation with its
differences and reasons, and its history side by side, with "Assess" and, for an assessed filing,
"Reassess" (a new assessment with a reason; the earlier one kept). "Assess" is also a bulk action. Every
assessment goes through a confirmation page first (the preview of assessments/skeleton.py: who, which notice
or refund, the amount posted, or the refusal): nothing is assessed, posted or issued before Confirm. Clean
filings are assessed by the beat jobs without staff. The programs' queues: assessments/admin/returns.py and
claims.py.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import (
    ConfirmRow,
    StaffReadLoggedAdmin,
    action_confirmed,
    error_text,
)
from assessments.skeleton import ASSESSABLE, REASSESSABLE, AssessmentPreview, Comparison
from filings.models import FuelTaxReturn
from programs import money
from tracs.admin import ReadOnlyAdmin, requires

Status = FuelTaxReturn.Status


class QueueFilter(admin.SimpleListFilter):
    """To assess (received or in review) unless asked otherwise."""

    title = _("queue")
    parameter_name = "queue"
    CHOICES = {
        "to_assess": (_("To assess"), ASSESSABLE),
        "in_review": (_("In review"), (Status.IN_REVIEW,)),
        "assessed": (_("Assessed (to reassess)"), REASSESSABLE),
        "all": (_("All"), tuple(Status.values)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _statuses) in self.CHOICES.items()]

    def value(self):
        return super().value() or "to_assess"

    def choices(self, changelist):
        for key, label in self.lookup_choices:
            yield {
                "selected": self.value() == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        statuses = self.CHOICES.get(self.value(), self.CHOICES["to_assess"])[1]
        return queryset.filter(status__in=statuses)


class AbstractAdminMeta(forms.MediaDefiningClass, ABCMeta):
    """ModelAdmin's metaclass with abc's: a queue missing one of the hooks below fails when it is registered,
    naming the hook, not on the first request that reaches it."""


class FilingToAssessAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin, metaclass=AbstractAdminMeta):
    """One program's queue of filings to assess. A program's queue says which permission assesses from it, how
    it reads its queue, recomputes a filing and assesses one in the bulk action, and the words of its
    confirmation page; the columns, the permissions, the bulk action and the pages' plumbing are here. The queue
    shows to whoever may view its model (the proxy's own view permission)."""

    list_filter = [QueueFilter]
    actions = ["assess_selected"]
    list_per_page = 50
    assess_permission = ""  # the permission that assesses from it, e.g. "assessments.assess_return"
    confirm_description = ""  # the confirmation page's words
    bulk_title = ""
    bulk_submit_label = ""
    bulk_done = ""  # the success message, with %(numbers)s
    method_label = ""  # the confirmation page's heading of the row's method column (blank: the default)

    @abstractmethod
    def queue(self):
        """The filings this queue lists."""

    @abstractmethod
    def recompute(self, obj) -> Comparison | None:
        """The filing recomputed (None: it cannot be, e.g. a rate missing)."""

    @abstractmethod
    def assess_one(self, request: HttpRequest, obj) -> None:
        """Assess `obj` as filed (the bulk action)."""

    @abstractmethod
    def assessment_row(self, obj, preview: AssessmentPreview) -> ConfirmRow:
        """The confirmation page's row for `obj`."""

    @abstractmethod
    def bulk_preview(self, obj) -> AssessmentPreview:
        """What assessing `obj` as filed would do (the bulk action's confirmation)."""

    def get_queryset(self, request):
        return self.queue()

    def has_assess_permission(self, request, obj=None) -> bool:
        """The bulk action's permission (`@admin.action(permissions=["assess"])`) and the Assess pages'."""
        return requires(self.assess_permission)(self, request)

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def _recomputation(self, obj) -> Comparison | None:
        if not hasattr(obj, "_recomputation"):
            obj._recomputation = self.recompute(obj)
        return obj._recomputation

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj):
        return obj.account.number

    @admin.display(description=_("taxpayer"), ordering="account__taxpayer__legal_name")
    def taxpayer(self, obj):
        return obj.account.taxpayer.legal_name

    @admin.display(description=_("recomputed"))
    def recomputed(self, obj):
        result = self._recomputation(obj)
        return money.format_money(result.recomputed) if result else gettext("rate missing")

    @admin.display(description=_("difference"))
    def difference(self, obj):
        result = self._recomputation(obj)
        if result is None or result.difference == 0:
            return "–"
        note = gettext(" (within tolerance)") if result.within_tolerance else ""
        return f"{money.format_signed_money(result.difference)}{note}"

    @admin.display(description=_("clean"), boolean=True)
    def clean(self, obj):
        result = self._recomputation(obj)
        return bool(result and result.is_clean)

    def _assess_selected(self, request, queryset):
        """The bulk action: the confirmation page of every selected filing, then each assessed as filed in its
        own transaction (a refusal is reported and the others go on). Django offers and runs it only for those
        with the assess permission (each program's `@admin.action(permissions=["assess"])`)."""

        def apply(_data):
            done, refused = [], []
            for obj in queryset:
                try:
                    self.assess_one(request, obj)
                except ValidationError as error:
                    refused.append(f"{obj.confirmation_number}: {error_text(error)}")
                    continue
                done.append(obj.confirmation_number)
            if done:
                self.message_user(request, self.bulk_done % {"numbers": ", ".join(done)}, messages.SUCCESS)
            for message in refused:
                self.message_user(request, message, messages.ERROR)

        return action_confirmed(
            self,
            request,
            queryset,
            action="assess_selected",
            rows=lambda: [self.assessment_row(obj, self.bulk_preview(obj)) for obj in queryset],
            title=self.bulk_title,
            description=self.confirm_description,
            submit_label=self.bulk_submit_label,
            apply=apply,
            payee_label=gettext("Taxpayer"),
            method_label=self.method_label,
        )

    def _change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def _object_to_assess(self, request, object_id):
        """The filing an Assess or Reassess page acts on: 403 without the queue's permissions, 404 when there is
        no such filing in the queue."""
        if not self.has_view_permission(request) or not self.has_assess_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _back(self, obj):
        return HttpResponseRedirect(self._change_url(obj))
