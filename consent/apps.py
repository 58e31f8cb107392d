from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consents and representatives"

    def ready(self):
        from accounts.signals import sign_in_recovered

        sign_in_recovered.connect(_tell_owners, dispatch_uid="consent-recovery-notice")


def _tell_owners(sender, user, how, actor, **kwargs):
    from consent.services import recovery_notify_owners

    recovery_notify_owners(user=user, how=how, actor=actor)
