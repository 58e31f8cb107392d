from allauth.account import apps as allauth_account_apps
from allauth.socialaccount import apps as socialaccount_apps
from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth import apps as auth_apps
from django.contrib.sites import apps as sites_apps
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import apps as otp_static_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps


class TracsConfig(AppConfig):
    """The project itself as an app: only for the wiring commands (seed_demo) that span all apps."""

    name = "tracs"
    default = True


class TracsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "tracs.admin.TracsAdminSite"


def _renamed(config: type[AppConfig], verbose_name) -> type[AppConfig]:
    """A library's AppConfig under the name staff read in admin (the index, breadcrumbs)."""
    return type(config.__name__, (config,), {"verbose_name": verbose_name, "__module__": __name__})


# The libraries' apps hold system tables that only the staff who administer the system see
# (tracs.admin.SYSTEM_APPS): named for what they are, with "System:" so they sort after the business sections.
AuthConfig = _renamed(auth_apps.AuthConfig, _("System: staff groups and permissions"))
SitesConfig = _renamed(sites_apps.SitesConfig, _("System: site address"))
OTPTOTPConfig = _renamed(otp_totp_apps.DefaultConfig, _("System: two-factor authenticator apps"))
OTPStaticConfig = _renamed(otp_static_apps.DefaultConfig, _("System: two-factor backup codes"))
AllauthAccountConfig = _renamed(allauth_account_apps.AccountConfig, _("System: sign-in e-mail addresses"))
SocialAccountConfig = _renamed(socialaccount_apps.SocialAccountConfig, _("System: single sign-on"))
AxesConfig = _renamed(axes_apps.AppConfig, _("System: sign-in lockouts"))
