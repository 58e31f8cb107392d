from typing import cast

import factory
from allauth.account.models import EmailAddress
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor, Door
from accounts.models import User

PASSWORD = "Correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.ca")
    full_name = factory.Faker("name", locale="en_CA")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def two_factor(self, create, extracted, **kwargs):
        self.save()
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if extracted is not False:
            TOTPDevice.objects.create(user=self, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def actor_for(user, door=Door.WEB):
    """The Actor a page would pass to a service for `user` (tracs.actors.actor_from_request), for tests that
    call services directly."""
    return Actor(user=user, door=door)


def staff_member(*roles: str, **fields) -> User:
    """A member of TRA staff holding `roles` (accounts/roles.py keys, e.g. "refund_approver"), not a superuser."""
    from django.contrib.auth.models import Group

    from accounts.roles import ROLES_BY_KEY

    user = cast(User, UserFactory(is_staff=True, **fields))
    user.groups.set(Group.objects.filter(name__in=[ROLES_BY_KEY[key].name for key in roles]))
    return user
