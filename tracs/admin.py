from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from tracs.admin_display import with_portal_display

ADMIN_STAFF_ONLY = _("Staff administration is for TRA staff only. Your profile does not have staff access.")


class TracsAdminSite(OTPAdminSite):
    """Django admin for TRA staff, behind two-factor (django-otp's admin site checks is_verified).

    Staff sign in through the same allauth + TOTP pages as everyone; the admin's own login form is not used.
    """

    site_header = _("TRACS staff administration")
    site_title = _("TRACS staff")
    index_title = _("Tax and Revenue Administration")

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every admin, ours and the libraries', shows amounts as the portal does (tracs/admin_display.py).
        admin_class = with_portal_display(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in and past two-factor (the middleware sees to that) but not staff: a clear refusal,
            # not a redirect to the sign-in page, which would send a signed-in person straight back here.
            raise PermissionDenied(ADMIN_STAFF_ONLY)
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
