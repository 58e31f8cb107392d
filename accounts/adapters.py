from types import SimpleNamespace
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import full_name_clean
from accounts.oidc import session as oidc_session
from accounts.oidc.errors import authentication_error_response
from tracs.actors import client_ip

PORTAL_NAME = _("TRACS, Alberta Tax and Revenue Administration")
EMAIL_SUBJECT_PREFIX = "TRACS: "
CLIENT_ADDRESS_UNKNOWN = _("Your address could not be determined, so this request cannot be accepted.")
NOT_LINKED = _(
    "A TRACS account already uses the e-mail address %(email)s, so your %(provider)s identity has not been linked to "
    "it: %(provider)s did not confirm that the address is yours, or the account is a TRA staff account. Sign in "
    "with that account's e-mail address and password instead."
)


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

    def post_login(self, request, user, **kwargs):
        # A sign-in through the provider keeps its ID token (for signing out there too) and, per the MFA policy,
        # whether the provider's multi-factor stands in for the portal's second factor (accounts.oidc.session).
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        oidc_session.sign_in_record(request, user=user, sociallogin=sociallogin)
        return super().post_login(request, user, **kwargs)

    def get_logout_redirect_url(self, request):
        """Signed in through the provider: on to its end_session_endpoint, which signs the person out there too
        and sends them back to the portal's signed-out page."""
        return oidc_session.end_session_url(request) or super().get_logout_redirect_url(request)

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

    def authenticate_by_email(self, sociallogin):
        """A first sign-in with an e-mail address the provider says it verified (`email_verified`) links to the
        person who has that address (allauth, SOCIALACCOUNT_EMAIL_AUTHENTICATION). Never to TRA staff: a citizen
        identity provider must not open the staff side (docs/adr/0017)."""
        found = super().authenticate_by_email(sociallogin)
        if found is None or found[0].is_staff or found[0].is_superuser:
            return None
        return found

    def pre_social_login(self, request, sociallogin):
        """A first sign-in whose e-mail address a TRACS account already has, and which was not linked to it
        (unverified claim, staff account): refused with a page saying so, rather than allauth's sign-up form."""
        super().pre_social_login(request, sociallogin)
        if sociallogin.is_existing:
            return
        for address in sociallogin.email_addresses:
            if filter_users_by_email(address.email):
                message = NOT_LINKED % {"email": address.email, "provider": sociallogin.provider.name}
                response = render(request, "accounts/oidc_not_linked.html", {"message": message}, status=409)
                raise ImmediateHttpResponse(response)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A provider that is down, an ID token refused, a sign-in that did not complete: the portal's own page
        (accounts.oidc.views). A person who cancelled at the provider gets allauth's "cancelled" page."""
        super().on_authentication_error(request, provider, error, exception, extra_context)
        if error == AuthError.CANCELLED:
            return
        raise ImmediateHttpResponse(
            authentication_error_response(request, provider=provider, exception=exception)
        )


def axes_username(request, credentials=None):
    """django-axes counts failures per e-mail + IP; allauth passes the e-mail as `email`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login", "")
    return (value or "").strip().lower()
