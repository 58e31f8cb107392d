"""Staff administration of users: the user list, and resetting a lost two-factor verification after an
identity check."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin.helpers import action_with_form
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, two_factor_reset
from tracs.actors import actor_from_request

RESET_OWN_TWO_FACTOR = _(
    "You cannot reset your own two-factor verification; another staff member must check your identity."
)


class IdentityCheckedForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_("I checked the identity of each person listed, as the recovery procedure requires"),
        required=True,
    )
    how = forms.CharField(
        label=_("How the identity was checked"),
        max_length=200,
        help_text=_(
            "For example: call-back to the number on file and two questions from the taxpayer record."
        ),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor (after identity check)"))
    def reset_two_factor(self, request, queryset):
        """Remove a lost authenticator and backup codes: logged, the person is e-mailed, and the owners of
        every account the person reaches are told (accounts.signals.sign_in_recovered)."""

        def apply(data):
            actor = actor_from_request(request)
            done = 0
            for person in queryset:
                if person.pk == request.user.pk:
                    self.message_user(request, RESET_OWN_TWO_FACTOR, messages.ERROR)
                    continue
                two_factor_reset(user=person, actor=actor)
                access_log_record(
                    actor=actor,
                    kind=AccessLogEntry.Kind.SECURITY,
                    action="identity checked before two-factor reset",
                    capacity="staff",
                    detail=f"{person.email}: {data['how']}",
                )
                done += 1
            if done:
                self.message_user(
                    request,
                    gettext(
                        "Two-factor verification reset for %(count)s person(s). They set up an authenticator at their next sign-in; they and the owners of the accounts they reach were e-mailed."
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )

        return action_with_form(
            self,
            request,
            queryset,
            action="reset_two_factor",
            form_class=IdentityCheckedForm,
            title=gettext("Reset two-factor verification"),
            description=gettext(
                "The authenticator and backup codes of these people will be removed. Do this only after checking "
                "the person's identity. The reset is logged and e-mailed to the person and to the owners of every "
                "account the person can reach."
            ),
            submit_label=gettext("Reset two-factor"),
            apply=apply,
        )
