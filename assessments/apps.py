from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments, payments and refunds"

    def ready(self) -> None:
        from assessments import rules
        from consent.privileges import Privilege
        from consent.selectors import MenuItem, account_menu_register

        rules.rules()  # validate assessments/rules/*.yaml at start-up: a bad file stops the process, loudly
        # TRACS's menu order (consent.selectors.MenuItem): 40 Payment Options, 50 View Account Summary Balance, 60 View Assessment
        # Status, 70 View Financial Transaction Details.
        account_menu_register(MenuItem(40, _("Payment Options"), "payment_options", Privilege.VIEW_ACCOUNT))
        account_menu_register(
            MenuItem(50, _("View Account Summary Balance"), "balances", Privilege.VIEW_ACCOUNT)
        )
        account_menu_register(
            MenuItem(60, _("View Assessment Status"), "assessment_status", Privilege.VIEW_ASSESSMENTS)
        )
        account_menu_register(
            MenuItem(70, _("View Financial Transaction Details"), "transactions", Privilege.VIEW_ACCOUNT)
        )
        # 100 File a Notice of Objection: the account's objections and waiver requests, and both wizards.
        account_menu_register(
            MenuItem(100, _("File a Notice of Objection"), "objections_list", Privilege.FILE_OBJECTIONS)
        )
