"""Reads of a program account's details: addresses, contact persons, direct deposit, the history of their
changes. Each returns what its page needs in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from programs.models import AccountChange, Address, Contact, DirectDeposit, ProgramAccount


@dataclass(frozen=True)
class ContactInformation:
    mailing: Address | None
    location: Address | None
    contacts: list[Contact]


def contact_information(*, account: ProgramAccount) -> ContactInformation:
    """The account's mailing address of record, business location and contact persons (primary first):
    two queries whatever the number of contacts."""
    addresses = {address.kind: address for address in Address.objects.filter(account=account)}
    return ContactInformation(
        mailing=addresses.get(Address.Kind.MAILING),
        location=addresses.get(Address.Kind.LOCATION),
        contacts=list(contacts_for_account(account=account)),
    )


def contacts_for_account(*, account: ProgramAccount) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).order_by("-is_primary", "name", "id")


def address_of_kind(*, account: ProgramAccount, kind: str) -> Address | None:
    return Address.objects.filter(account=account, kind=kind).first()


def direct_deposit_for_account(*, account: ProgramAccount) -> DirectDeposit | None:
    return DirectDeposit.objects.filter(account=account).first()


def account_changes(*, account: ProgramAccount) -> QuerySet[AccountChange]:
    """The history of the account's details, newest first, with who made each change."""
    return (
        AccountChange.objects.filter(account=account).select_related("actor").order_by("-occurred_at", "-id")
    )
