"""The contact persons TRA calls about an account, one of them primary (a database constraint), with their
history (programs.services.account_changes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from programs import validators
from programs.models import AccountChange, Contact, ProgramAccount
from programs.services.account_changes import account_change_record, account_lock

CONTACT_NEEDS_PHONE_OR_EMAIL = _("Give a phone number or an e-mail address, so TRA can reach this person.")


def _contact_values(*, name: str, title: str, phone: str, email: str) -> dict[str, Any]:
    values = {
        "name": name.strip(),
        "title": title.strip(),
        "phone": "",
        "phone_extension": "",
        "email": email.strip().lower(),
    }
    errors: dict[str, list[ValidationError]] = {}
    if not values["name"]:
        errors["name"] = [ValidationError(_("This field is required."), code="required")]
    if phone.strip():
        try:
            values["phone"], values["phone_extension"] = validators.phone_normalize(phone)
        except ValidationError as error:
            errors["phone"] = error.error_list
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError as error:
            errors["email"] = error.error_list
    if not phone.strip() and not values["email"]:
        errors["phone"] = [ValidationError(CONTACT_NEEDS_PHONE_OR_EMAIL, code="phone_or_email")]
    if errors:
        raise ValidationError(errors)
    return values


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        name: getattr(contact, name)
        for name in ("name", "title", "phone", "phone_extension", "email", "is_primary")
    }


def _take_primary(*, account: ProgramAccount, contact: Contact | None = None) -> None:
    """One primary contact per account (a database constraint): the old one gives up the flag first."""
    others = Contact.objects.filter(account=account, is_primary=True)
    if contact is not None:
        others = others.exclude(pk=contact.pk)
    others.update(is_primary=False)


@transaction.atomic
def contact_add(
    *,
    account: ProgramAccount,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange:
    values = _contact_values(name=name, title=title, phone=phone, email=email)
    account = account_lock(account)
    contact = Contact(account=account, **values)
    # The first contact of an account is its primary contact, whatever was ticked.
    contact.is_primary = is_primary or not Contact.objects.filter(account=account, is_primary=True).exists()
    if contact.is_primary:
        _take_primary(account=account)
    contact.full_clean()
    contact.save()
    return account_change_record(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.ADDED,
        before=None,
        after=_contact_snapshot(contact),
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
        detail=contact.name,
    )


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange | None:
    """Returns the history row written, or None when nothing changed."""
    values = _contact_values(name=name, title=title, phone=phone, email=email)
    account = account_lock(contact.account)
    contact = Contact.objects.get(pk=contact.pk, account=account)
    before = _contact_snapshot(contact)
    # A primary contact stays primary until another is chosen: an account always names one if it has any.
    values["is_primary"] = contact.is_primary or is_primary
    if values == before:
        return None
    if values["is_primary"]:
        _take_primary(account=account, contact=contact)
    for field, value in values.items():
        setattr(contact, field, value)
    contact.full_clean()
    contact.save()
    return account_change_record(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.CHANGED,
        before=before,
        after=_contact_snapshot(contact),
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
        detail=contact.name,
    )


@transaction.atomic
def contact_remove(
    *,
    contact: Contact,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange:
    """Remove a contact person. When it was the primary contact, the longest-standing other contact (if
    any) becomes primary, so TRA always has one to call."""
    account = account_lock(contact.account)
    contact = Contact.objects.get(pk=contact.pk, account=account)
    before = _contact_snapshot(contact)
    contact.delete()
    if before["is_primary"]:
        successor = Contact.objects.filter(account=account).order_by("created_at", "id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    return account_change_record(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.REMOVED,
        before=before,
        after=None,
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
        detail=before["name"],
    )
