from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class TracsAdminSite(OTPAdminSite):
    """Django admin for TRA staff, behind two-factor (django-otp's admin site checks is_verified).

    Staff sign in through the same allauth + TOTP pages as everyone; the admin's own login form is not used.
    """

    site_header = _("TRACS staff administration")
    site_title = _("TRACS staff")
    index_title = _("Tax and Revenue Administration")

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
