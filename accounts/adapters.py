from types import SimpleNamespace
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import full_name_clean
from tracs.actors import client_ip

PORTAL_NAME = _("TRACS, Alberta Tax and Revenue Administration")
EMAIL_SUBJECT_PREFIX = "TRACS: "
CLIENT_ADDRESS_UNKNOWN = _("Your address could not be determined, so this request cannot be accepted.")


class AccountAdapter(DefaultAccountAdapter):
    """allauth's e-mails (verification, password reset) go through our outbox like every other e-mail."""

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        # allauth's e-mail templates greet with the site's name and domain: give them the portal's, not the
        # django.contrib.sites placeholder ("example.com") or nothing at all.
        site = SimpleNamespace(
            name=str(PORTAL_NAME), domain=request.get_host() if request is not None else ""
        )
        message = self.render_mail(
            template_prefix, email, {"request": request, "email": email, "current_site": site, **context}
        )
        services.email_queue(
            to=message.to, subject=message.subject, body=message.body, purpose=template_prefix
        )

    def format_email_subject(self, subject):
        return EMAIL_SUBJECT_PREFIX + force_str(subject)

    def get_client_ip(self, request):
        """Rate limits by "ip" count per client behind the proxy too (PROXY_COUNT), as django-axes does."""
        address = client_ip(request)
        if not address:
            raise PermissionDenied(CLIENT_ADDRESS_UNKNOWN)
        return address

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        # The local sign-up form asks for it (accounts.forms.SignupForm); an OpenID Connect sign-up has it from
        # the provider's claims (SocialAccountAdapter.populate_user).
        if form.cleaned_data.get("full_name"):
            user.full_name = form.cleaned_data["full_name"]
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request):
        """A person who signed up before the portal asked for their name is asked for it now, then goes on (the
        two-factor step comes first: the middleware sends them there with this page as `next`)."""
        url = super().get_login_redirect_url(request)
        if request.user.full_name:
            return url
        return f"{reverse('profile_name')}?{urlencode({'next': url}, safe='/')}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """OpenID Connect sign-ins (Alberta.ca Account) land on the same two-factor step as local ones."""

    def populate_user(self, request, sociallogin, data):
        """The provider's `name` claim (or its given and family names) is the person's full name: an identity
        provider has checked it against an identity document."""
        user = super().populate_user(request, sociallogin, data)
        given_and_family = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
        claimed = data.get("name") or given_and_family
        try:
            user.full_name = full_name_clean(claimed or "")
        except ValidationError:
            user.full_name = ""  # no usable name claim: the person is asked for it at sign-in
        return user


def axes_username(request, credentials=None):
    """django-axes counts failures per e-mail + IP; allauth passes the e-mail as `email`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login", "")
    return (value or "").strip().lower()
