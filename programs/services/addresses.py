"""The mailing address of record (cheques and letters go there) and the business location of an account,
changed in the portal or by staff in Django admin, with the same history (programs.services.account_changes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from programs import validators
from programs.models import AccountChange, Address, ProgramAccount
from programs.services.account_changes import account_change_record, account_lock

ADDRESS_KIND_UNKNOWN = _("Choose the mailing address or the business location.")


# Keyed by the stored value (a TextChoices member is its str): callers pass either.
ADDRESS_SUBJECT: dict[str, str] = {
    Address.Kind.MAILING: AccountChange.Subject.MAILING_ADDRESS,
    Address.Kind.LOCATION: AccountChange.Subject.LOCATION_ADDRESS,
}


def _address_values(*, line1: str, line2: str, city: str, province: str, postal_code: str) -> dict[str, Any]:
    """Normalized address values, or a ValidationError naming each field that is wrong."""
    values = {
        "line1": line1.strip(),
        "line2": line2.strip(),
        "city": city.strip(),
        "province": "",
        "postal_code": "",
    }
    errors: dict[str, list[ValidationError]] = {}
    for name in ("line1", "city"):
        if not values[name]:
            errors[name] = [ValidationError(_("This field is required."), code="required")]
    try:
        values["province"] = validators.province_normalize(province)
    except ValidationError as error:
        errors["province"] = error.error_list
    try:
        values["postal_code"] = validators.postal_code_normalize(postal_code)
    except ValidationError as error:
        errors["postal_code"] = error.error_list
    if values["province"] and values["postal_code"]:
        try:
            validators.postal_code_in_province(postal_code=values["postal_code"], province=values["province"])
        except ValidationError as error:
            errors["postal_code"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return values


def _address_snapshot(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {name: getattr(address, name) for name in ("line1", "line2", "city", "province", "postal_code")}


@transaction.atomic
def address_update(
    *,
    account: ProgramAccount,
    kind: str,
    line1: str,
    line2: str = "",
    city: str,
    province: str,
    postal_code: str,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange | None:
    """Set the mailing address (of record: cheques and letters go there) or the business location of an
    account. Returns the history row written, or None when nothing changed."""
    if kind not in Address.Kind.values:
        raise ValidationError(ADDRESS_KIND_UNKNOWN)
    values = _address_values(line1=line1, line2=line2, city=city, province=province, postal_code=postal_code)
    account = account_lock(account)
    address = Address.objects.filter(account=account, kind=kind).first()
    before = _address_snapshot(address)
    if before == values:
        return None
    if address is None:
        address = Address(account=account, kind=kind, country="CA")
    for name, value in values.items():
        setattr(address, name, value)
    address.full_clean()
    address.save()
    return account_change_record(
        account=account,
        subject=ADDRESS_SUBJECT[kind],
        action=AccountChange.Action.ADDED if before is None else AccountChange.Action.CHANGED,
        before=before,
        after=values,
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
    )


def address_snapshots(*, account: ProgramAccount) -> dict[str, dict[str, Any] | None]:
    """The account's addresses by kind, as history records them (for `staff_address_changes_record`)."""
    addresses = {address.kind: address for address in Address.objects.filter(account=account)}
    return {kind: _address_snapshot(addresses.get(kind)) for kind in Address.Kind.values}


def staff_address_changes_record(
    *,
    account: ProgramAccount,
    before: dict[str, dict[str, Any] | None],
    by: User,
    actor: Actor,
) -> list[AccountChange]:
    """Staff edit an account's addresses in Django admin, whose inline saves them (validated by
    programs.forms.AddressAdminForm). This keeps the same history as a change made in the portal, comparing
    `before` (address_snapshots taken before the save) with what is stored now. Runs in admin's transaction."""
    changes = []
    for kind, after in address_snapshots(account=account).items():
        old = before.get(kind)
        if after == old:
            continue
        if old is None:
            action = AccountChange.Action.ADDED
        elif after is None:
            action = AccountChange.Action.REMOVED
        else:
            action = AccountChange.Action.CHANGED
        changes.append(
            account_change_record(
                account=account,
                subject=ADDRESS_SUBJECT[kind],
                action=action,
                before=old,
                after=after,
                by=by,
                capacity="staff",
                notify=(),
                actor=actor,
            )
        )
    return changes
