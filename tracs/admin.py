from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models.base import ModelBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.roles import ADMINISTER_SYSTEM, staff_roles_of
from tracs.admin_display import with_portal_display

# The system's own tables (sign-in e-mail addresses, staff groups, lockouts, two-factor devices, the site's
# address, single sign-on): changing them changes who can sign in and with what, so only the staff who
# administer the system see them, however many permissions anyone else's groups hold.
SYSTEM_APPS = frozenset({"account", "auth", "axes", "otp_static", "otp_totp", "sites", "socialaccount"})

ADMIN_STAFF_ONLY = _("Staff administration is for TRA staff only. Your profile does not have staff access.")
NO_STAFF_ROLE = _(
    "You hold no staff role yet, so staff administration opens nothing for you. An administrator gives staff "
    "their roles (docs/staff-roles.md)."
)


def administers_system(user) -> bool:
    """Whether this staff member runs the system itself: the administrator role (accounts/roles.py), or a
    superuser, who holds every permission."""
    return user.is_active and user.has_perm(ADMINISTER_SYSTEM)


def requires(*permissions: str):
    """A ModelAdmin's `has_<name>_permission` for an admin action or a page of its own: the person holds every one
    of `permissions` ("app_label.codename"). An action names it by `@admin.action(permissions=["<name>"])`, and
    Django then neither offers nor runs the action for anyone else."""

    def has_permission(self, request, obj=None) -> bool:
        user = request.user
        return (
            user.is_active and user.is_staff and all(user.has_perm(permission) for permission in permissions)
        )

    has_permission.required = permissions  # type: ignore[attr-defined]
    return has_permission


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record staff read but never add, change or delete here: history, logs, filed documents. Changes to
    them go through a service (an admin action or a decision page) that keeps the record of who did what."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccountNumberColumn:
    """The account in a change list as its number alone: with the program's full name beside it (PROP's is 45
    characters) the busiest lists no longer fit a laptop's width."""

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj):
        return obj.account.number


class ReadOnlyInline(admin.TabularInline):
    """The same for rows shown under their parent."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SystemAdminMixin:
    """A technical section's admin (a system table, the e-mail outbox, scheduled jobs): hidden from the index and
    refused (403) to staff who do not run the system, whatever their groups' other permissions."""

    def has_module_permission(self, request):
        return administers_system(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return administers_system(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return administers_system(request.user) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return administers_system(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return administers_system(request.user) and super().has_delete_permission(request, obj)


class TracsAdminSite(OTPAdminSite):
    """Django admin for TRA staff, behind two-factor (django-otp's admin site checks is_verified).

    Staff sign in through the same allauth + TOTP pages as everyone; the admin's own login form is not used.
    """

    site_header = _("TRACS staff administration")
    site_title = _("TRACS staff")
    index_title = _("Tax and Revenue Administration")
    index_template = "admin/tracs/index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every admin, ours and the libraries', shows amounts as the portal does (tracs/admin_display.py).
        admin_class = with_portal_display(admin_class or admin.ModelAdmin)
        # The libraries register their own admins (axes, django-otp, allauth, sites): each system table's admin
        # is wrapped here too, so no library admin has to be re-registered by hand.
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in models:
            model_admin = admin_class
            if model._meta.app_label in SYSTEM_APPS and not issubclass(model_admin, SystemAdminMixin):
                model_admin = type(
                    model_admin.__name__,
                    (SystemAdminMixin, model_admin),
                    {"__module__": model_admin.__module__},
                )
            super().register(model, model_admin, **options)

    def get_urls(self):
        # Django's "view on site" shortcut (admin:view_on_site) is left out: no record here has a page of its own
        # on the portal, and it would tell any staff member, with or without a role, whether a record exists.
        return [pattern for pattern in super().get_urls() if getattr(pattern, "name", None) != "view_on_site"]

    def index(self, request, extra_context=None):
        # The roles the person holds, above the sections they open; a staff member with none is told so.
        extra = {"staff_roles": staff_roles_of(user=request.user), "no_staff_role": NO_STAFF_ROLE}
        if administers_system(request.user) and request.user.has_perm("accounts.view_scheduledjob"):
            # A late batch job on the front page of whoever can look into it.
            from accounts.admin.scheduled_jobs import stale_warning

            stale_warning(request)
        return super().index(request, {**extra, **(extra_context or {})})

    def app_index(self, request, app_label, extra_context=None):
        # A section that exists but that none of the person's roles opens is refused (403), as its pages are;
        # Django's own answer, 404, would say the section does not exist.
        if not self.get_app_list(request, app_label):
            raise PermissionDenied
        return super().app_index(request, app_label, extra_context)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and self.has_permission(request):
            return redirect(reverse("admin:index"))
        if request.user.is_authenticated:
            # Signed in and past two-factor (the middleware sees to that) but not staff: a clear refusal,
            # not a redirect to the sign-in page, which would send a signed-in person straight back here.
            raise PermissionDenied(ADMIN_STAFF_ONLY)
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
