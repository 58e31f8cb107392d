"""Privileges: one per function of the account menu (TRACS "Account Representative" privileges).

Owners hold every privilege and, alone, manage access. Each page and each e-mail names the one privilege
it needs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Privilege(models.TextChoices):
    VIEW_ACCOUNT = "view_account", _("View account information, balances and transactions")
    VIEW_ASSESSMENTS = "view_assessments", _("View assessment status and notices")
    FILE_RETURNS = "file_returns", _("File returns and claims")
    REPORT_FUEL = "report_fuel", _("Report fuel transactions")
    SUBMIT_DOCUMENTS = "submit_documents", _("Submit documents")
    FILE_OBJECTIONS = "file_objections", _("File objections and waiver requests")
    UPDATE_ADDRESS = "update_address", _("Update address and contacts")
    MANAGE_DIRECT_DEPOSIT = "manage_direct_deposit", _("Manage direct deposit")
    MESSAGES = "messages", _("Read and reply to messages")
    # Never granted: owners only.
    MANAGE_ACCESS = "manage_access", _("Manage access (owners only)")


GRANTABLE = [p for p in Privilege if p != Privilege.MANAGE_ACCESS]
ALL = set(Privilege)
