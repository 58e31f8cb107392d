from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    """allauth's e-mails (verification, password reset) go through our outbox like every other e-mail."""

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        services.email_queue(to=message.to, subject=message.subject, body=message.body, purpose=template_prefix)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """OpenID Connect sign-ins (Alberta.ca Account) land on the same two-factor step as local ones."""


def axes_username(request, credentials=None):
    """django-axes counts failures per e-mail + IP; allauth passes the e-mail as `email`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login", "")
    return (value or "").strip().lower()
