from django.apps import AppConfig


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = "Returns and claims"

    def ready(self) -> None:
        # Submit Documents (programs) asks which reference numbers name an in-process return or claim;
        # programs cannot see filings, so filings answers through programs' hook.
        from filings.status import in_process_reference_check
        from programs.documents import related_reference_check_register

        related_reference_check_register(in_process_reference_check)

        from filings import claim_rules

        claim_rules.validate_all()  # the claim windows, inventory declarations and service standards: a bad file stops the process
