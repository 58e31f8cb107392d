from django.apps import AppConfig


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = "Returns and claims"

    def ready(self) -> None:
        from filings import claim_rules
        from filings.definitions import marked_fuel_refund, prop_lines
        from filings.sales import inventory_rules, report_rules

        claim_rules.validate_all()  # the claim windows, inventory declarations and service standards: a bad file stops the process
        prop_lines.prop_data()  # the PROP percentages, likewise
        report_rules.validate()  # the marked-fuel report's due date and late rule
        inventory_rules.validate()  # the marked-fuel inventory variance's tolerance
        marked_fuel_refund.validate_all()  # the claim periods of the automatic marked-fuel refund
