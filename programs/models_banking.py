"""The bank account an account's refunds go to (programs/services/banking.py). Registered with the app by
programs/models.py, which imports it (callers name it as programs.models.DirectDeposit)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import ProgramAccount


class DirectDeposit(models.Model):
    """The one bank account refunds of a program account go to. Without one, refunds go by cheque to the
    mailing address of record. The account number is kept encrypted (accounts.crypto); pages, e-mails and
    history show only its last four digits."""

    account = models.OneToOneField(ProgramAccount, on_delete=models.CASCADE, related_name="direct_deposit")
    institution_number = models.CharField(_("institution number"), max_length=3)
    transit_number = models.CharField(_("transit number"), max_length=5)
    account_number_encrypted = models.BinaryField(editable=False)
    account_number_last4 = models.CharField(_("account number ends in"), max_length=4)
    holder_name = models.CharField(_("account holder's name"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("direct deposit")
        verbose_name_plural = _("direct deposits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(institution_number__regex=r"^[0-9]{3}$"),
                name="deposit_institution_3_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(transit_number__regex=r"^[0-9]{5}$"), name="deposit_transit_5_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(account_number_last4__regex=r"^[0-9]{4}$"), name="deposit_last4_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.masked}"

    @property
    def masked(self) -> str:
        return f"ending in {self.account_number_last4}"
