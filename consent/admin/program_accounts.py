"""What consent adds to programs' program account page (programs/admin/accounts.py imports it): the admin
actions that issue an enrolment PIN letter and that transfer accounts to another taxpayer, ending every
access to them. Plain functions, so programs' admin lists them by import (ADR 0013); the admin that lists
them says who may use them (`has_issue_pin_permission`, `has_transfer_permission`)."""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import pins
from accounts.admin import action_with_form
from accounts.models import Pin
from consent import services
from consent.models import Grant
from consent.tasks import enrolment_letter_prepare
from programs.models import Taxpayer
from programs.services import accounts as account_services
from tracs.actors import actor_from_request

TRANSFER_SAME_TAXPAYER = _("Account %(number)s already belongs to this taxpayer.")
NO_SUCH_BIN = _("No taxpayer has this BIN.")


class TransferForm(forms.Form):
    to_bin = forms.CharField(label=_("BIN of the new taxpayer"), max_length=9, min_length=9)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("For example: sale of the business, amalgamation.")
    )

    def clean_to_bin(self):
        taxpayer = Taxpayer.objects.filter(bin=self.cleaned_data["to_bin"].strip()).first()
        if taxpayer is None:
            raise ValidationError(NO_SUCH_BIN)
        return taxpayer


@admin.action(description=_("Issue enrolment PIN (letter to mail)"), permissions=["issue_pin"])
def issue_enrolment_pin(modeladmin, request, queryset):
    """The PIN is generated, hashed and printed into the letter in one Celery job, after this request
    commits; the clear PIN never passes through the web process. Any earlier open enrolment PIN of the
    account stops working (this is also how staff reissue a locked PIN)."""
    for account in queryset:
        if not account.is_active:
            modeladmin.message_user(
                request,
                gettext("Account %(number)s is closed; no PIN was issued.") % {"number": account.number},
                messages.ERROR,
            )
            continue
        transaction.on_commit(functools.partial(enrolment_letter_prepare.delay, account.pk, request.user.pk))
        pins_url = f"{reverse('admin:accounts_pin_changelist')}?{urlencode({'q': account.number})}"
        modeladmin.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext(
                    "The enrolment letter for account %(number)s is being prepared; it will be ready to download in the PIN list."
                )
                % {"number": account.number},
                pins_url,
                gettext("Open the PIN list"),
            ),
            messages.SUCCESS,
        )


@admin.action(description=_("Transfer to another taxpayer (ends all access)"), permissions=["transfer"])
def transfer_accounts(modeladmin, request, queryset):
    """Move accounts to another taxpayer. Every access to them ends: owners (the last one too),
    delegates, representatives and pending invitations are revoked, and open enrolment PINs are
    cancelled, because the old taxpayer's people must not see the new holder's account. The new
    taxpayer's people enrol: staff issue an enrolment PIN to the new holder."""

    def apply(data):
        actor = actor_from_request(request)
        to_taxpayer = data["to_bin"]
        for account in queryset.select_related("taxpayer"):
            if account.taxpayer_id == to_taxpayer.pk:
                modeladmin.message_user(
                    request, TRANSFER_SAME_TAXPAYER % {"number": account.number}, messages.ERROR
                )
                continue
            with transaction.atomic():
                account_services.account_transfer(
                    account=account,
                    to_taxpayer=to_taxpayer,
                    by=request.user,
                    reason=data["reason"],
                    actor=actor,
                )
                open_grants = (
                    Grant.objects.filter(
                        account=account, status__in=[Grant.Status.ACTIVE, Grant.Status.PENDING]
                    )
                    .annotate(
                        owner_last=Case(
                            When(role=Grant.Role.OWNER, then=Value(1)),
                            default=Value(0),
                            output_field=IntegerField(),
                        )
                    )
                    .order_by("owner_last", "pk")
                )
                revoked = 0
                for grant in open_grants:
                    services.grant_revoke(
                        grant=grant, by=request.user, actor=actor, by_staff=True, all_access_ends=True
                    )
                    revoked += 1
                pins.pins_cancel_open(account_number=account.number, purpose=Pin.Purpose.ENROLMENT)
            modeladmin.message_user(
                request,
                gettext(
                    "Account %(number)s transferred to %(taxpayer)s; %(count)s access(es) ended. Issue an enrolment PIN so the new holder can enrol."
                )
                % {"number": account.number, "taxpayer": to_taxpayer, "count": revoked},
                messages.SUCCESS,
            )

    return action_with_form(
        modeladmin,
        request,
        queryset,
        action="transfer_accounts",
        form_class=TransferForm,
        title=gettext("Transfer program accounts to another taxpayer"),
        description=gettext(
            "The account keeps its number and history. Every access to it ends: its owners (all of them), "
            "delegates, representatives and pending invitations are removed and told by e-mail, and open "
            "enrolment PINs stop working. Then issue an enrolment PIN for the new holder."
        ),
        submit_label=gettext("Transfer and end all access"),
        apply=apply,
    )
