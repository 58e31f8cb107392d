from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = "Returns and claims"

    def ready(self) -> None:
        # The account menu belongs to consent (a lower app); filings adds its function to it, in TRACS's
        # menu order (consent.selectors.MenuItem: 110 File a Return), shown to people holding FILE_RETURNS,
        # on the accounts whose program files returns (or claims) in TRACS.
        from consent.privileges import Privilege
        from consent.selectors import MenuItem, account_menu_register
        from filings.claims import claim_kinds_for
        from filings.selectors import files_returns_in_tracs

        def files_claims(account) -> bool:
            return bool(claim_kinds_for(account=account))

        account_menu_register(
            MenuItem(
                110,
                _("File a Return"),
                "returns_owed",
                Privilege.FILE_RETURNS,
                applies=files_returns_in_tracs,
            )
        )
        account_menu_register(
            MenuItem(111, _("File a Claim"), "claims_list", Privilege.FILE_RETURNS, applies=files_claims)
        )

        # Submit Documents (programs) asks which reference numbers name an in-process return or claim;
        # programs cannot see filings, so filings answers through programs' hook.
        from filings.status import in_process_reference_check
        from programs.documents import related_reference_check_register

        related_reference_check_register(in_process_reference_check)

        from filings import claim_rules

        claim_rules.validate_all()  # the claim windows, inventory declarations and service standards: a bad file stops the process
