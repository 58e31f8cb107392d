"""Demo access: Olivia owns Prairie Fuels' accounts, Evan is her delegate on the fuel tax account,
Rita represents Prairie Fuels (all accounts, one consent) and Peace Country Farm Supply."""

from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from consent.models import Consent, Grant
from consent.privileges import Privilege
from programs.models import ProgramAccount, Taxpayer

EMPLOYEE_PRIVILEGES = [
    Privilege.VIEW_ACCOUNT,
    Privilege.VIEW_ASSESSMENTS,
    Privilege.FILE_RETURNS,
    Privilege.REPORT_FUEL,
    Privilege.SUBMIT_DOCUMENTS,
]
REPRESENTATIVE_PRIVILEGES = [
    Privilege.VIEW_ACCOUNT,
    Privilege.VIEW_ASSESSMENTS,
    Privilege.FILE_RETURNS,
    Privilege.SUBMIT_DOCUMENTS,
    Privilege.FILE_OBJECTIONS,
]


def _grant(*, account, user, role, privileges=(), consent=None):
    Grant.objects.get_or_create(
        account=account,
        user=user,
        status=Grant.Status.ACTIVE,
        defaults={
            "role": role,
            "privileges": list(privileges),
            "name": user.display_name,
            "email": user.email,
            "consent": consent,
            "activated_at": timezone.now(),
        },
    )


def _consent(*, taxpayer, user, staff):
    consent = Consent.objects.filter(
        taxpayer=taxpayer, representative_email=user.email, status=Consent.Status.ACTIVE
    ).first()
    if consent is None:
        consent = Consent.objects.create(
            taxpayer=taxpayer,
            representative_name=user.display_name,
            representative_email=user.email,
            signer_name="Olivia Owner" if taxpayer.bin == "123456789" else "Pat Director",
            signer_capacity=Consent.SignerCapacity.DIRECTOR,
            signed_on=date(2026, 1, 15),
            privileges=REPRESENTATIVE_PRIVILEGES,
            all_accounts=True,
            covers_future_accounts=True,
            status=Consent.Status.ACTIVE,
            reviewed_by=staff,
            reviewed_at=timezone.now(),
            representative=user,
            activated_at=timezone.now(),
        )
        consent.signed_form.save(
            "at4931-demo.pdf", ContentFile(b"%PDF-1.4\n% demo consent form\n"), save=True
        )
    for account in ProgramAccount.objects.filter(taxpayer=taxpayer):
        _grant(
            account=account,
            user=user,
            role=Grant.Role.REPRESENTATIVE,
            privileges=consent.privileges,
            consent=consent,
        )


def seed(*, users) -> None:
    prairie = Taxpayer.objects.get(bin="123456789")
    for account in ProgramAccount.objects.filter(taxpayer=prairie):
        _grant(account=account, user=users["owner"], role=Grant.Role.OWNER)
    fuel_tax = ProgramAccount.objects.get(taxpayer=prairie, program__code="fuel_tax")
    _grant(account=fuel_tax, user=users["employee"], role=Grant.Role.DELEGATE, privileges=EMPLOYEE_PRIVILEGES)
    _consent(taxpayer=prairie, user=users["representative"], staff=users["staff"])
    _consent(
        taxpayer=Taxpayer.objects.get(bin="345678912"), user=users["representative"], staff=users["staff"]
    )
