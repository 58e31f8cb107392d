"""Factories for taxpayers, program accounts, grants and consents (AT4931).

Accounts are opened through `programs.services.accounts.account_open`, so their numbers follow `BIN-PP-SSS`.
Grants are made directly (an in-force grant, as after enrolment); tests of enrolment itself go through
`consent.services`."""

from datetime import date

import factory
from django.utils import timezone

from consent.models import Consent, Grant
from consent.privileges import Privilege
from programs.models import Program, ProgramAccount, Taxpayer
from programs.services.accounts import account_open
from tests.accounts.factories import UserFactory, actor_for

MAILING = {"line1": "10020 100 Street NW", "city": "Edmonton", "province": "AB", "postal_code": "T5J 0N3"}


class TaxpayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Taxpayer

    legal_name = factory.Sequence(lambda n: f"Taxpayer {n:04d} Ltd.")
    bin = factory.Sequence(lambda n: f"{700000000 + n:09d}")
    kind = Taxpayer.Kind.BUSINESS


class ProgramAccountFactory(factory.django.DjangoModelFactory):
    """`ProgramAccountFactory(program="tefs")` takes a program code or a Program."""

    class Meta:
        model = ProgramAccount

    taxpayer = factory.SubFactory(TaxpayerFactory)
    program = "fuel_tax"
    effective_date = date(2024, 1, 1)
    trade_name = ""
    mailing_address = factory.LazyFunction(lambda: dict(MAILING))

    @classmethod
    def _create(
        cls,
        model_class,
        *args,
        taxpayer,
        program,
        effective_date,
        trade_name="",
        mailing_address=None,
        **kwargs,
    ):
        if isinstance(program, str):
            program = Program.objects.get(code=program)
        account = account_open(
            taxpayer=taxpayer,
            program=program,
            effective_date=effective_date,
            trade_name=trade_name,
            mailing_address=mailing_address,
            actor=actor_for(None),
        )
        if kwargs:
            for key, value in kwargs.items():
                setattr(account, key, value)
            account.save()
        return account


class GrantFactory(factory.django.DjangoModelFactory):
    """An in-force grant (status active). Use the helpers below for the usual roles."""

    class Meta:
        model = Grant

    account = factory.SubFactory(ProgramAccountFactory)
    user = factory.SubFactory(UserFactory)
    role = Grant.Role.DELEGATE
    privileges = factory.LazyFunction(lambda: [Privilege.VIEW_ACCOUNT.value])
    status = Grant.Status.ACTIVE
    name = factory.LazyAttribute(lambda o: o.user.display_name if o.user else "Pending Person")
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "pending@example.ca")
    activated_at = factory.LazyFunction(timezone.now)


def owner_grant(*, account=None, user=None, **kwargs) -> Grant:
    extra = {"account": account} if account is not None else {}
    if user is not None:
        extra["user"] = user
    return GrantFactory(role=Grant.Role.OWNER, privileges=[], **extra, **kwargs)


def delegate_grant(*, account=None, user=None, privileges=(Privilege.VIEW_ACCOUNT,), **kwargs) -> Grant:
    extra = {"account": account} if account is not None else {}
    if user is not None:
        extra["user"] = user
    return GrantFactory(role=Grant.Role.DELEGATE, privileges=[str(p) for p in privileges], **extra, **kwargs)


class ConsentFactory(factory.django.DjangoModelFactory):
    """An AT4931 consent. Defaults: active, held by a new user, covering the accounts passed in `accounts`
    (or all of the taxpayer's accounts with `all_accounts=True`). Use `representative_grant` to give the
    representative their grant on an account, as activation does."""

    class Meta:
        model = Consent
        skip_postgeneration_save = True

    taxpayer = factory.SubFactory(TaxpayerFactory)
    representative = factory.SubFactory(UserFactory)
    representative_name = factory.LazyAttribute(
        lambda o: o.representative.display_name if o.representative else "Rita Representative"
    )
    representative_email = factory.LazyAttribute(
        lambda o: o.representative.email if o.representative else "rita@example.ca"
    )
    signer_name = "Pat Director"
    signer_capacity = Consent.SignerCapacity.DIRECTOR
    signed_on = date(2026, 1, 15)
    privileges = factory.LazyFunction(
        lambda: [Privilege.VIEW_ACCOUNT.value, Privilege.VIEW_ASSESSMENTS.value]
    )
    status = Consent.Status.ACTIVE
    reviewed_at = factory.LazyFunction(timezone.now)
    activated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def accounts(self, create, extracted, **kwargs):
        if create and extracted:
            self.accounts.set(extracted)


def representative_grant(*, consent: Consent, account: ProgramAccount, **kwargs) -> Grant:
    """The grant an active consent gives its representative on one covered account."""
    return GrantFactory(
        account=account,
        user=consent.representative,
        role=Grant.Role.REPRESENTATIVE,
        privileges=list(consent.privileges),
        name=consent.representative_name,
        email=consent.representative_email,
        ends_on=consent.expires_on,
        consent=consent,
        **kwargs,
    )
