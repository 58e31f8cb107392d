from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import PermissionDenied
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from accounts import services

PORTAL_NAME = _("TRACS, Alberta Tax and Revenue Administration")
EMAIL_SUBJECT_PREFIX = "TRACS: "
CLIENT_ADDRESS_UNKNOWN = _("Your address could not be determined, so this request cannot be accepted.")


class AccountAdapter(DefaultAccountAdapter):
    """allauth's e-mails (verification, password reset) go through our outbox like every other e-mail."""

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        # allauth's e-mail templates greet with the site's name and domain: give them the portal's, not the
        # django.contrib.sites placeholder ("example.com") or nothing at all.
        site = SimpleNamespace(name=str(PORTAL_NAME), domain=request.get_host() if request is not None else "")
        message = self.render_mail(template_prefix, email, {"request": request, "email": email, "current_site": site, **context})
        services.email_queue(to=message.to, subject=message.subject, body=message.body, purpose=template_prefix)

    def format_email_subject(self, subject):
        return EMAIL_SUBJECT_PREFIX + force_str(subject)

    def get_client_ip(self, request):
        """Rate limits by "ip" count per client behind the proxy too (PROXY_COUNT), as django-axes does."""
        address = services.client_ip(request)
        if not address:
            raise PermissionDenied(CLIENT_ADDRESS_UNKNOWN)
        return address


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """OpenID Connect sign-ins (Alberta.ca Account) land on the same two-factor step as local ones."""


def axes_username(request, credentials=None):
    """django-axes counts failures per e-mail + IP; allauth passes the e-mail as `email`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login", "")
    return (value or "").strip().lower()
