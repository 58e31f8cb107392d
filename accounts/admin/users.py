"""Staff administration of users: the user list, a staff member's roles (accounts/roles.py), and resetting a
lost two-factor verification after an identity check."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.admin.helpers import action_with_form
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, two_factor_reset
from tracs.actors import actor_from_request
from tracs.admin import requires

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


ROLES_OWN_HELP = _("Your own roles are changed by another administrator.")


class StaffRolesForm(UserChangeForm):
    """The user's page with the staff roles to tick, each with what it is for (accounts/roles.py), in place of
    Django's list of groups: roles are given and taken through accounts.roles.staff_roles_set, which logs them."""

    staff_roles = forms.MultipleChoiceField(
        label=_("Staff roles"),
        required=False,
        choices=[(role.key, f"{role.name}: {role.summary}") for role in roles.ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Giving a role makes the person staff. docs/staff-roles.md says what each role may do."),
    )

    editor: User | None = None  # who edits (UserAdmin.get_form): nobody changes their own roles

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("staff_roles")
        if field is None or not self.instance.pk:
            return
        self.initial["staff_roles"] = [role.key for role in roles.staff_roles_of(user=self.instance)]
        if self.editor is not None and self.editor.pk == self.instance.pk:
            field.disabled = True
            field.help_text = ROLES_OWN_HELP

    def clean(self):
        cleaned = super().clean()
        held = set(self.initial.get("staff_roles", ()))
        giving = set(cleaned.get("staff_roles") or ()) - held
        if giving and not cleaned.get("is_active", self.instance.is_active):
            self.add_error("staff_roles", roles.INACTIVE_PERSON % {"email": self.instance.email})
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffRolesForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "roles_held", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name")}),
        (_("Staff access"), {"fields": ("is_active", "is_staff", "is_superuser", "staff_roles")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["reset_two_factor"]

    has_reset_two_factor_permission = requires("accounts.reset_two_factor")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("staff roles"))
    def roles_held(self, obj) -> str:
        held = {group.name for group in obj.groups.all()}
        return ", ".join(role.name for role in roles.ROLES if role.name in held) or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            # Superusers also see the permissions given one by one (none of the roles' are).
            return (*fieldsets, (_("Permissions given one by one"), {"fields": ("user_permissions",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An administrator gives roles, not every permission there is.
            readonly.append("is_superuser")
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user}) if obj is not None else form

    def has_change_permission(self, request, obj=None):
        # A superuser's profile is changed by superusers only: an administrator could otherwise take it over.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        field = form.fields.get("staff_roles")
        if field is not None and not field.disabled and "staff_roles" in form.changed_data:
            roles.staff_roles_set(
                user=form.instance, roles=form.cleaned_data["staff_roles"], actor=actor_from_request(request)
            )

    @admin.action(description=_("Reset two-factor (after identity check)"), permissions=["reset_two_factor"])
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
