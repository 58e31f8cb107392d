"""The account menu: every function of an account page, in TRACS's own menu order (DOMAIN.md, "Menu"), each
naming the one privilege it needs. An interface module (ADR 0014), so it names every app's pages and asks
filings directly which accounts file returns or claims; `consent.selectors.account_menu` walks it for one
person and account."""

from django.utils.translation import gettext_lazy as _

from consent.privileges import Privilege
from consent.selectors import MenuItem
from filings.claims import claim_kinds_for
from filings.selectors import files_returns_in_tracs
from filings.selectors_dye_sites import has_dye_site
from programs.models import ProgramAccount
from programs.registries.selectors import sells_marked_fuel


def _files_claims(account: ProgramAccount) -> bool:
    return bool(claim_kinds_for(account=account))


def _dyes_fuel(account: ProgramAccount) -> bool:
    """A marked-fuel account with a dye site TRA approved (its reports' pages refuse any other)."""
    return sells_marked_fuel(account) and has_dye_site(account=account)


ACCOUNT_MENU: tuple[MenuItem, ...] = (
    MenuItem(10, _("Account Information"), "account_detail", Privilege.VIEW_ACCOUNT),
    # TRACS shows its messages apart from the menu; here they come right after Account Information, where
    # people look first.
    MenuItem(15, _("Messages"), "messages_list", Privilege.MESSAGES),
    MenuItem(20, _("Manage access"), "access_list", Privilege.MANAGE_ACCESS),
    MenuItem(21, _("Representatives"), "access_list", Privilege.MANAGE_ACCESS, fragment="representatives"),
    MenuItem(22, _("Access log"), "access_log", Privilege.MANAGE_ACCESS),
    MenuItem(30, _("Manage Direct Deposit"), "direct_deposit", Privilege.MANAGE_DIRECT_DEPOSIT),
    MenuItem(40, _("Payment Options"), "payment_options", Privilege.VIEW_ACCOUNT),
    MenuItem(50, _("View Account Summary Balance"), "balances", Privilege.VIEW_ACCOUNT),
    MenuItem(60, _("View Assessment Status"), "assessment_status", Privilege.VIEW_ASSESSMENTS),
    MenuItem(70, _("View Financial Transaction Details"), "transactions", Privilege.VIEW_ACCOUNT),
    MenuItem(80, _("View/Update Contact Information"), "contact_information", Privilege.VIEW_ACCOUNT),
    MenuItem(90, _("Submit Documents"), "documents_list", Privilege.SUBMIT_DOCUMENTS),
    # The account's objections and waiver requests, and both wizards.
    MenuItem(100, _("File a Notice of Objection"), "objections_list", Privilege.FILE_OBJECTIONS),
    # Only on the accounts whose program files returns (or claims) in TRACS: a Carbon Levy Claimant account
    # files no returns.
    MenuItem(110, _("File a Return"), "returns_owed", Privilege.FILE_RETURNS, applies=files_returns_in_tracs),
    MenuItem(111, _("File a Claim"), "claims_list", Privilege.FILE_RETURNS, applies=_files_claims),
    # A marked-fuel seller's return is its monthly report (seed 002, "How to report marked fuel transactions"),
    # then the functions it reports with, by the real portal's names.
    MenuItem(
        112, _("File a Return"), "marked_fuel_reports", Privilege.FILE_RETURNS, applies=sells_marked_fuel
    ),
    # A dye site's two monthly reports (seed 002: AT4984 and AT366, each site), beside the monthly report.
    MenuItem(112, _("Dye Site Reports"), "dye_sites", Privilege.FILE_RETURNS, applies=_dyes_fuel),
    MenuItem(
        113,
        _("Create AFFB/TEFU Sales"),
        "marked_fuel_sales",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    MenuItem(
        114,
        _("Create Acquisitions and Imports"),
        "marked_fuel_acquisitions",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    MenuItem(
        115,
        _("Create Dispositions and Exports"),
        "marked_fuel_dispositions",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    MenuItem(
        116, _("Inventory Counts"), "marked_fuel_inventory", Privilege.REPORT_FUEL, applies=sells_marked_fuel
    ),
    MenuItem(
        117, _("Rejected Sales"), "marked_fuel_rejected", Privilege.REPORT_FUEL, applies=sells_marked_fuel
    ),
    MenuItem(
        118,
        _("Inventory Summary"),
        "marked_fuel_inventory_summary",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    # The claim periods' carbon levy refunds (seed 002: "Sales Summary", by "Claim Amount: Period End").
    MenuItem(
        119,
        _("Sales Summary"),
        "marked_fuel_sales_summary",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    # Among the reports of a marked-fuel seller (seed 002: "check AFFB/TEFU eligibility").
    MenuItem(
        120,
        _("Check AFFB/TEFU Eligibility"),
        "exemption_check",
        Privilege.REPORT_FUEL,
        applies=sells_marked_fuel,
    ),
    # Marked-fuel files, uploaded or sent over SFTP, with their acknowledgements (filings.sales.views_upload).
    MenuItem(125, _("Marked fuel files"), "sales_files", Privilege.REPORT_FUEL, applies=sells_marked_fuel),
    # The SFTP door's keys (filings.sales.views_sftp): a key is a way into the account, so owners only.
    MenuItem(130, _("SFTP keys"), "sftp_keys", Privilege.MANAGE_ACCESS, applies=sells_marked_fuel),
)
