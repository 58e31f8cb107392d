"""Every named URL of TRACS's own apps keeps its path (issue 11 item 2: pages move between apps, URLs do not).

PATHS was generated once from main before any page moved and is pasted as a literal on purpose: a move that
changes a path, or a name that stops resolving, fails here. A new named URL fails the coverage test until it is
added to the table with its path. "Our own" means every pattern declared in our urlconfs (tracs.urls and the
apps' urls.py) and the admin views our ModelAdmins add in get_urls (the changelist/add/change/delete/history
pages Django generates for each registered model are not listed: their paths are Django's)."""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

OUR_APPS = ("accounts", "programs", "consent", "filings", "assessments", "tracs")

# name -> (example kwargs, expected path)
PATHS: dict[str, tuple[dict[str, object], str]] = {
    "home": ({}, "/"),
    "account_enrol": ({}, "/enrol/"),
    "account_detail": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/"),
    "access_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/access/"),
    "access_add": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/access/add/"),
    "access_pin": (
        {"number": "123456789-01-001", "grant_id": 11},
        "/accounts/123456789-01-001/access/11/pin/",
    ),
    "access_edit": (
        {"number": "123456789-01-001", "grant_id": 11},
        "/accounts/123456789-01-001/access/11/edit/",
    ),
    "access_revoke": (
        {"number": "123456789-01-001", "grant_id": 11},
        "/accounts/123456789-01-001/access/11/revoke/",
    ),
    "consent_revoke": (
        {"number": "123456789-01-001", "consent_id": 12},
        "/accounts/123456789-01-001/consents/12/revoke/",
    ),
    "access_log": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/access-log/"),
    "contact_information": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/contact-information/",
    ),
    "address_edit": (
        {"number": "123456789-01-001", "kind": "mailing"},
        "/accounts/123456789-01-001/contact-information/addresses/mailing/",
    ),
    "contact_add": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/contact-information/contacts/add/",
    ),
    "contact_edit": (
        {"number": "123456789-01-001", "contact_id": 13},
        "/accounts/123456789-01-001/contact-information/contacts/13/edit/",
    ),
    "contact_remove": (
        {"number": "123456789-01-001", "contact_id": 13},
        "/accounts/123456789-01-001/contact-information/contacts/13/remove/",
    ),
    "direct_deposit": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/direct-deposit/"),
    "direct_deposit_change": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/direct-deposit/change/",
    ),
    "direct_deposit_remove": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/direct-deposit/remove/",
    ),
    "messages_inbox": ({}, "/messages/"),
    "messages_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/messages/"),
    "message_detail": (
        {"number": "123456789-01-001", "message_id": 14},
        "/accounts/123456789-01-001/messages/14/",
    ),
    "message_reply": (
        {"number": "123456789-01-001", "message_id": 14},
        "/accounts/123456789-01-001/messages/14/reply/",
    ),
    "documents_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/documents/"),
    "documents_submit": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/documents/submit/"),
    "documents_submit_files": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/documents/submit/files/",
    ),
    "documents_submit_review": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/documents/submit/review/",
    ),
    "documents_submit_cancel": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/documents/submit/cancel/",
    ),
    "document_detail": (
        {"number": "123456789-01-001", "document_id": 15},
        "/accounts/123456789-01-001/documents/15/",
    ),
    "document_file_download": (
        {"number": "123456789-01-001", "document_id": 15, "file_id": 16},
        "/accounts/123456789-01-001/documents/15/files/16/",
    ),
    "registration_list": ({}, "/registration/"),
    "registration_start": ({}, "/registration/new/"),
    "registration_detail": ({"pk": 17}, "/registration/17/"),
    "registration_business": ({"pk": 17}, "/registration/17/business/"),
    "registration_reasons": ({"pk": 17}, "/registration/17/reasons/"),
    "registration_locations": ({"pk": 17}, "/registration/17/locations/"),
    "registration_establishments": ({"pk": 17}, "/registration/17/establishments/"),
    "registration_dye_sites": ({"pk": 17}, "/registration/17/dye-sites/"),
    "registration_contacts": ({"pk": 17}, "/registration/17/contacts/"),
    "registration_banking": ({"pk": 17}, "/registration/17/banking/"),
    "registration_review": ({"pk": 17}, "/registration/17/review/"),
    "registration_discard": ({"pk": 17}, "/registration/17/delete/"),
    "returns_owed": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/returns/"),
    "return_confirmation": (
        {"number": "123456789-01-001", "confirmation_number": "FT-2021-06-0001"},
        "/accounts/123456789-01-001/returns/confirmation/FT-2021-06-0001/",
    ),
    "return_period": (
        {"number": "123456789-01-001", "period": "2021-06"},
        "/accounts/123456789-01-001/returns/2021-06/",
    ),
    "return_file": (
        {"number": "123456789-01-001", "period": "2021-06"},
        "/accounts/123456789-01-001/returns/2021-06/file/",
    ),
    "return_nil": (
        {"number": "123456789-01-001", "period": "2021-06"},
        "/accounts/123456789-01-001/returns/2021-06/nil/",
    ),
    "return_amend": (
        {"number": "123456789-01-001", "period": "2021-06"},
        "/accounts/123456789-01-001/returns/2021-06/amend/",
    ),
    "return_compute": (
        {"number": "123456789-01-001", "period": "2021-06"},
        "/accounts/123456789-01-001/returns/2021-06/compute/",
    ),
    "return_xml_upload": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/returns/upload/"),
    "return_xml_review": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/returns/upload/review/",
    ),
    "return_xml_sample": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/returns/upload/sample/",
    ),
    "xml_help": ({}, "/help/xml/fuel-tax-return/"),
    "xml_schema_download": ({}, "/help/xml/fuel-tax-return/fuel-tax-return-1.xsd"),
    "xml_sample_download": ({}, "/help/xml/fuel-tax-return/fuel-tax-return-1-sample.xml"),
    "tourism_levy_return_xml_review": (
        {"number": "123456789-06-001"},
        "/accounts/123456789-06-001/tourism-levy/upload/review/",
    ),
    "tourism_levy_xml_help": ({}, "/help/xml/tourism-levy-return/"),
    "tourism_levy_xml_schema_download": ({}, "/help/xml/tourism-levy-return/tourism-levy-return-1.xsd"),
    "tourism_levy_xml_sample_download": (
        {},
        "/help/xml/tourism-levy-return/tourism-levy-return-1-sample.xml",
    ),
    "return_confirmation_pdf": (
        {"number": "123456789-01-001", "confirmation_number": "FT-2021-06-0001"},
        "/accounts/123456789-01-001/returns/confirmation/FT-2021-06-0001/pdf/",
    ),
    "claims_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/claims/"),
    "claim_file": (
        {"number": "123456789-01-001", "kind": "fuel-tax-refund"},
        "/accounts/123456789-01-001/claims/new/fuel-tax-refund/",
    ),
    "claim_confirmation": (
        {"number": "123456789-01-001", "claim_number": "CL-2021-0001"},
        "/accounts/123456789-01-001/claims/confirmation/CL-2021-0001/",
    ),
    "claim_confirmation_pdf": (
        {"number": "123456789-01-001", "claim_number": "CL-2021-0001"},
        "/accounts/123456789-01-001/claims/confirmation/CL-2021-0001/pdf/",
    ),
    "dye_sites": ({"number": "123456789-02-001"}, "/accounts/123456789-02-001/dye-sites/"),
    "dye_site_reports_period": (
        {"number": "123456789-02-001", "site_id": 21, "period": "2026-06"},
        "/accounts/123456789-02-001/dye-sites/21/2026-06/",
    ),
    "dye_site_report_file": (
        {"number": "123456789-02-001", "site_id": 21, "period": "2026-06", "report": "stock"},
        "/accounts/123456789-02-001/dye-sites/21/2026-06/stock/file/",
    ),
    "dye_site_report_nil": (
        {"number": "123456789-02-001", "site_id": 21, "period": "2026-06", "report": "litres-dyed"},
        "/accounts/123456789-02-001/dye-sites/21/2026-06/litres-dyed/nil/",
    ),
    "dye_site_report_amend": (
        {"number": "123456789-02-001", "site_id": 21, "period": "2026-06", "report": "stock"},
        "/accounts/123456789-02-001/dye-sites/21/2026-06/stock/amend/",
    ),
    "dye_site_report_confirmation": (
        {"number": "123456789-02-001", "confirmation_number": "DS-202606-ABCDEF"},
        "/accounts/123456789-02-001/dye-sites/confirmation/DS-202606-ABCDEF/",
    ),
    "dye_site_report_confirmation_pdf": (
        {"number": "123456789-02-001", "confirmation_number": "LD-202606-ABCDEF"},
        "/accounts/123456789-02-001/dye-sites/confirmation/LD-202606-ABCDEF/pdf/",
    ),
    "tourism_levy_return_file": (
        {"number": "123456789-06-001", "period": "2021-Q2"},
        "/accounts/123456789-06-001/tourism-levy/2021-Q2/file/",
    ),
    "tourism_levy_return_nil": (
        {"number": "123456789-06-001", "period": "2021-06"},
        "/accounts/123456789-06-001/tourism-levy/2021-06/nil/",
    ),
    "tourism_levy_return_amend": (
        {"number": "123456789-06-001", "period": "2021-06"},
        "/accounts/123456789-06-001/tourism-levy/2021-06/amend/",
    ),
    "tourism_levy_return_compute": (
        {"number": "123456789-06-001", "period": "2021-06"},
        "/accounts/123456789-06-001/tourism-levy/2021-06/compute/",
    ),
    "tourism_levy_return_period": (
        {"number": "123456789-06-001", "period": "2021-06"},
        "/accounts/123456789-06-001/tourism-levy/2021-06/",
    ),
    "tourism_levy_return_confirmation": (
        {"number": "123456789-06-001", "confirmation_number": "TL-202106-ABCDEF"},
        "/accounts/123456789-06-001/tourism-levy/confirmation/TL-202106-ABCDEF/",
    ),
    "tourism_levy_return_confirmation_pdf": (
        {"number": "123456789-06-001", "confirmation_number": "TL-202106-ABCDEF"},
        "/accounts/123456789-06-001/tourism-levy/confirmation/TL-202106-ABCDEF/pdf/",
    ),
    "assessment_status": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/assessments/"),
    "notice_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/notices/"),
    "notice_download": (
        {"number": "123456789-01-001", "notice_id": 18},
        "/accounts/123456789-01-001/notices/18.pdf",
    ),
    "transactions": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/transactions/"),
    "transactions_print": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/transactions/print/"),
    "transactions_csv": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/transactions.csv"),
    "transactions_xlsx": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/transactions.xlsx"),
    "balances": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/balances/"),
    "payment_options": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/payment-options/"),
    "payment_instructions": ({}, "/help/payments/"),
    "objections_list": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/objections/"),
    "objection_detail": (
        {"number": "123456789-01-001", "objection_id": 19},
        "/accounts/123456789-01-001/objections/19/",
    ),
    "objection_document": (
        {"number": "123456789-01-001", "objection_id": 19, "document_id": 20},
        "/accounts/123456789-01-001/objections/19/documents/20/",
    ),
    "waiver_document": (
        {"number": "123456789-01-001", "waiver_id": 21, "document_id": 20},
        "/accounts/123456789-01-001/waivers/21/documents/20/",
    ),
    "objection_new": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/objections/new/"),
    "objection_statement": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/objections/new/statement/",
    ),
    "objection_documents": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/objections/new/documents/",
    ),
    "objection_representative": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/objections/new/representative/",
    ),
    "objection_review": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/objections/new/review/"),
    "objection_cancel": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/objections/new/cancel/"),
    "waiver_detail": (
        {"number": "123456789-01-001", "waiver_id": 21},
        "/accounts/123456789-01-001/waivers/21/",
    ),
    "waiver_new": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/waivers/new/"),
    "waiver_statement": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/waivers/new/statement/"),
    "waiver_documents": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/waivers/new/documents/"),
    "waiver_representative": (
        {"number": "123456789-01-001"},
        "/accounts/123456789-01-001/waivers/new/representative/",
    ),
    "waiver_review": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/waivers/new/review/"),
    "waiver_cancel": ({"number": "123456789-01-001"}, "/accounts/123456789-01-001/waivers/new/cancel/"),
    "two_factor_setup": ({}, "/two-factor/setup/"),
    "two_factor_verify": ({}, "/two-factor/verify/"),
    "two_factor_backup_codes": ({}, "/two-factor/backup-codes/"),
    "two_factor_manage": ({}, "/two-factor/"),
    "profile_name": ({}, "/profile/name/"),
    "session_keepalive": ({}, "/session/keepalive/"),
    "privacy": ({}, "/privacy/"),
    "healthz": ({}, "/healthz"),
    "health": ({}, "/health/"),
    "health_ready": ({}, "/health/ready/"),
    "health_jobs": ({}, "/health/jobs/"),
    "help": ({}, "/help/"),
    "help_program": ({"code": "fuel_tax"}, "/help/fuel_tax/"),
    "contact": ({}, "/contact/"),
    "admin:login": ({}, "/admin/login/"),
    "admin:index": ({}, "/admin/"),
    "admin:app_list": ({"app_label": "assessments"}, "/admin/assessments/"),
    "admin:accounts_pin_letter": ({"object_id": "22"}, "/admin/accounts/pin/22/letter/"),
    "admin:programs_document_file": (
        {"object_id": "15", "file_id": 16},
        "/admin/programs/document/15/files/16/",
    ),
    "admin:assessments_returntoassess_assess": (
        {"object_id": "23"},
        "/admin/assessments/returntoassess/23/assess/",
    ),
    "admin:assessments_tourismlevyreturntoassess_assess": (
        {"object_id": "23"},
        "/admin/assessments/tourismlevyreturntoassess/23/assess/",
    ),
    "admin:assessments_tourismlevyreturntoassess_reassess": (
        {"object_id": "23"},
        "/admin/assessments/tourismlevyreturntoassess/23/reassess/",
    ),
    "admin:assessments_returntoassess_reassess": (
        {"object_id": "23"},
        "/admin/assessments/returntoassess/23/reassess/",
    ),
    "admin:assessments_notice_pdf": ({"notice_id": 18}, "/admin/assessments/notice/18/pdf/"),
    "admin:assessments_payment_import": ({}, "/admin/assessments/payment/import/"),
    "admin:programs_exemptioncertificate_import": ({}, "/admin/programs/exemptioncertificate/import/"),
    "exemption_check": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/eligibility/",
    ),
    "sales_files": ({"number": "123456789-02-001"}, "/accounts/123456789-02-001/marked-fuel/files/"),
    "sales_file_upload": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/files/upload/",
    ),
    "sales_file": (
        {"number": "123456789-02-001", "ingestion_id": 27},
        "/accounts/123456789-02-001/marked-fuel/files/27/",
    ),
    "sales_file_status": (
        {"number": "123456789-02-001", "ingestion_id": 27},
        "/accounts/123456789-02-001/marked-fuel/files/27/status/",
    ),
    "sales_file_acknowledgement": (
        {"number": "123456789-02-001", "ingestion_id": 27},
        "/accounts/123456789-02-001/marked-fuel/files/27/acknowledgement.csv",
    ),
    "sftp_keys": ({"number": "123456789-02-001"}, "/accounts/123456789-02-001/marked-fuel/sftp-keys/"),
    "sftp_key_revoke": (
        {"number": "123456789-02-001", "key_id": 26},
        "/accounts/123456789-02-001/marked-fuel/sftp-keys/26/revoke/",
    ),
    "marked_fuel_sales": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/sales/",
    ),
    "marked_fuel_rejected": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/sales/rejected/",
    ),
    "marked_fuel_inventory_summary": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/inventory/summary/",
    ),
    "marked_fuel_inventory_summary_xlsx": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/inventory/summary/export.xlsx",
    ),
    "marked_fuel_sales_summary": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/sales-summary/",
    ),
    "marked_fuel_sales_summary_excel": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/sales-summary/excel/",
    ),
    "marked_fuel_sales_summary_excel_status": (
        {"number": "123456789-02-001", "export_id": 7},
        "/accounts/123456789-02-001/marked-fuel/sales-summary/excel/7/",
    ),
    "marked_fuel_sales_summary_excel_download": (
        {"number": "123456789-02-001", "export_id": 7},
        "/accounts/123456789-02-001/marked-fuel/sales-summary/excel/7/download/",
    ),
    "marked_fuel_rejected_xlsx": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/sales/rejected/export.xlsx",
    ),
    "marked_fuel_rejected_correct": (
        {"number": "123456789-02-001", "rejected_id": 14},
        "/accounts/123456789-02-001/marked-fuel/sales/rejected/14/correct/",
    ),
    "marked_fuel_sales_month": (
        {"number": "123456789-02-001", "period": "2026-10"},
        "/accounts/123456789-02-001/marked-fuel/sales/2026-10/",
    ),
    "marked_fuel_sale_change": (
        {"number": "123456789-02-001", "sale_id": 15},
        "/accounts/123456789-02-001/marked-fuel/sales/15/change/",
    ),
    "marked_fuel_movements_month": (
        {"number": "123456789-02-001", "period": "2026-10"},
        "/accounts/123456789-02-001/marked-fuel/movements/2026-10/",
    ),
    "marked_fuel_movement_change": (
        {"number": "123456789-02-001", "movement_id": 16},
        "/accounts/123456789-02-001/marked-fuel/movements/16/change/",
    ),
    "marked_fuel_acquisitions": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/acquisitions/",
    ),
    "marked_fuel_dispositions": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/dispositions/",
    ),
    "marked_fuel_inventory": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/inventory/",
    ),
    "marked_fuel_reports": (
        {"number": "123456789-02-001"},
        "/accounts/123456789-02-001/marked-fuel/reports/",
    ),
    "marked_fuel_report_month": (
        {"number": "123456789-02-001", "period": "2026-10"},
        "/accounts/123456789-02-001/marked-fuel/reports/2026-10/",
    ),
    "marked_fuel_report_confirmation": (
        {"number": "123456789-02-001", "report_number": "MF-202610-ABCDEF"},
        "/accounts/123456789-02-001/marked-fuel/reports/confirmation/MF-202610-ABCDEF/",
    ),
    "marked_fuel_report_pdf": (
        {"number": "123456789-02-001", "report_number": "MF-202610-ABCDEF"},
        "/accounts/123456789-02-001/marked-fuel/reports/confirmation/MF-202610-ABCDEF/pdf/",
    ),
    "admin:assessments_claimtoassess_assess": (
        {"object_id": "24"},
        "/admin/assessments/claimtoassess/24/assess/",
    ),
    "admin:assessments_cyclerun_run": ({}, "/admin/assessments/cyclerun/run/"),
    "admin:filings_inventoryvariance_excel": ({}, "/admin/filings/inventoryvariance/excel/"),
    "admin:assessments_refundpaymentfile_download": (
        {"file_id": 25},
        "/admin/assessments/refundpaymentfile/25/download/",
    ),
    "admin:assessments_objection_decide": ({"object_id": "19"}, "/admin/assessments/objection/19/decide/"),
    "admin:assessments_objection_document": (
        {"object_id": "19", "document_id": 20},
        "/admin/assessments/objection/19/documents/20/",
    ),
    "admin:assessments_waiverrequest_decide": (
        {"object_id": "21"},
        "/admin/assessments/waiverrequest/21/decide/",
    ),
    "admin:assessments_waiverrequest_document": (
        {"object_id": "21", "document_id": 20},
        "/admin/assessments/waiverrequest/21/documents/20/",
    ),
    "javascript-catalog": ({}, "/i18n/catalog.js"),
    "favicon": ({}, "/favicon.ico"),
    "dev_mail": ({}, "/dev/mail/"),
    "dev_mail_message": ({"name": "0001.eml"}, "/dev/mail/0001.eml/"),
}


def _admin_generated_names() -> set[str]:
    """The names Django's ModelAdmin.get_urls gives every registered model."""
    views = ("changelist", "add", "history", "delete", "change")
    return {
        f"{model._meta.app_label}_{model._meta.model_name}_{view}"
        for model in admin.site._registry
        for view in views
    }


def _our_named_urls() -> list[str]:
    """Every named URL declared in our urlconfs, and every named admin view our ModelAdmins add, with its
    application namespaces (`admin:...`), in the resolver's order."""
    generated = _admin_generated_names()
    names: list[str] = []

    def walk(resolver: URLResolver, namespaces: list[str], urlconf: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                namespace = pattern.app_name or pattern.namespace
                inner = getattr(pattern.urlconf_module, "__name__", urlconf)
                walk(pattern, [*namespaces, namespace] if namespace else namespaces, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if namespaces:  # inside admin: only the views our ModelAdmins add
                    ours = (
                        pattern.callback.__module__.split(".")[0] in OUR_APPS
                        and pattern.name not in generated
                    )
                else:
                    ours = urlconf.split(".")[0] in OUR_APPS
                if ours:
                    names.append(":".join([*namespaces, pattern.name]))

    walk(get_resolver(), [], "tracs.urls")
    return names


def test_the_table_lists_every_named_url_of_our_apps():
    names = _our_named_urls()
    assert len(names) == len(set(names)), "a name is declared twice: reverse() would find only one of them"
    assert sorted(set(names) - set(PATHS)) == [], "add each new named URL to PATHS with its path"
    assert sorted(set(PATHS) - set(names)) == [], "a named URL went away: URLs stay as they are (issue 11)"


@pytest.mark.parametrize(("name", "kwargs", "expected"), [(name, *row) for name, row in PATHS.items()])
def test_each_named_url_keeps_its_path_and_resolves_back_to_its_name(name, kwargs, expected):
    assert reverse(name, kwargs=kwargs) == expected
    match = resolve(expected)
    assert ":".join([*match.app_names, match.url_name]) == name
