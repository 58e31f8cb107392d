from django.urls import path, register_converter

from filings import (
    views,
    views_claims,
    views_dye_sites,
    views_tourism_levy,
    views_tourism_levy_xml,
    views_xml,
)
from filings.periods import Period
from filings.sales import views_sftp, views_upload


class PeriodConverter:
    """`2021-06` in a URL <-> Period; a month that does not exist (2021-13) is a 404."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> Period:
        return Period.from_key(value)  # ValueError -> no match -> 404

    def to_url(self, value: Period | str) -> str:
        return value.key if isinstance(value, Period) else Period.from_key(value).key


register_converter(PeriodConverter, "period")
register_converter(views_tourism_levy.TourismLevyPeriodConverter, "tl_period")
register_converter(views_claims.ClaimKindConverter, "claim_kind")
register_converter(views_dye_sites.DyeReportConverter, "dye_report")

# Every account-scoped path carries the account number as `number` (consent.access.account_view).
urlpatterns = [
    path("accounts/<str:number>/returns/", views.returns_owed, name="returns_owed"),
    path(
        "accounts/<str:number>/returns/confirmation/<str:confirmation_number>/",
        views.return_confirmation,
        name="return_confirmation",
    ),
    path("accounts/<str:number>/returns/<period:period>/", views.return_period, name="return_period"),
    path("accounts/<str:number>/returns/<period:period>/file/", views.return_file, name="return_file"),
    path("accounts/<str:number>/returns/<period:period>/nil/", views.return_nil_file, name="return_nil"),
    path(
        "accounts/<str:number>/returns/<period:period>/amend/", views.return_amend_file, name="return_amend"
    ),
    path(
        "accounts/<str:number>/returns/<period:period>/compute/",
        views.return_live_totals,
        name="return_compute",
    ),
    # Filing by XML upload (filings.xml), and the format's public help page with its XSD and sample.
    path("accounts/<str:number>/returns/upload/", views_xml.return_xml_upload, name="return_xml_upload"),
    path(
        "accounts/<str:number>/returns/upload/review/", views_xml.return_xml_review, name="return_xml_review"
    ),
    path(
        "accounts/<str:number>/returns/upload/sample/", views_xml.return_xml_sample, name="return_xml_sample"
    ),
    path("help/xml/fuel-tax-return/", views_xml.xml_help, name="xml_help"),
    path(
        "help/xml/fuel-tax-return/fuel-tax-return-1.xsd",
        views_xml.xml_schema_download,
        name="xml_schema_download",
    ),
    path(
        "help/xml/fuel-tax-return/fuel-tax-return-1-sample.xml",
        views_xml.xml_sample_download,
        name="xml_sample_download",
    ),
]

# Refund claims (filings.views_claims), and the confirmation PDFs of returns and claims.
urlpatterns += [
    path(
        "accounts/<str:number>/returns/confirmation/<str:confirmation_number>/pdf/",
        views_claims.return_confirmation_pdf,
        name="return_confirmation_pdf",
    ),
    path("accounts/<str:number>/claims/", views_claims.claims_list, name="claims_list"),
    path("accounts/<str:number>/claims/new/<claim_kind:kind>/", views_claims.claim_file, name="claim_file"),
    path(
        "accounts/<str:number>/claims/confirmation/<str:claim_number>/",
        views_claims.claim_confirmation,
        name="claim_confirmation",
    ),
    path(
        "accounts/<str:number>/claims/confirmation/<str:claim_number>/pdf/",
        views_claims.claim_confirmation_pdf,
        name="claim_confirmation_pdf",
    ),
]

# Marked-fuel files (filings.sales.views_upload): every file of the account, the browser upload, each file's
# progress (and its JSON status) and acknowledgement (and its CSV). The SFTP door's keys (filings.sales.views_sftp).
urlpatterns += [
    path("accounts/<str:number>/marked-fuel/files/", views_upload.sales_files, name="sales_files"),
    path(
        "accounts/<str:number>/marked-fuel/files/upload/",
        views_upload.sales_file_upload,
        name="sales_file_upload",
    ),
    path(
        "accounts/<str:number>/marked-fuel/files/<int:ingestion_id>/",
        views_upload.sales_file,
        name="sales_file",
    ),
    path(
        "accounts/<str:number>/marked-fuel/files/<int:ingestion_id>/status/",
        views_upload.sales_file_status,
        name="sales_file_status",
    ),
    path(
        "accounts/<str:number>/marked-fuel/files/<int:ingestion_id>/acknowledgement.csv",
        views_upload.sales_file_acknowledgement,
        name="sales_file_acknowledgement",
    ),
    path("accounts/<str:number>/marked-fuel/sftp-keys/", views_sftp.sftp_keys, name="sftp_keys"),
    path(
        "accounts/<str:number>/marked-fuel/sftp-keys/<int:key_id>/revoke/",
        views_sftp.sftp_key_revoke,
        name="sftp_key_revoke",
    ),
]

# Tourism levy returns (filings.views_tourism_levy): one establishment's account, its months or quarters.
_TL = "accounts/<str:number>/tourism-levy/"
urlpatterns += [
    path(
        _TL + "confirmation/<str:confirmation_number>/",
        views_tourism_levy.tourism_levy_return_confirmation,
        name="tourism_levy_return_confirmation",
    ),
    path(
        _TL + "confirmation/<str:confirmation_number>/pdf/",
        views_tourism_levy.tourism_levy_return_confirmation_pdf,
        name="tourism_levy_return_confirmation_pdf",
    ),
    path(
        _TL + "<tl_period:period>/",
        views_tourism_levy.tourism_levy_return_period,
        name="tourism_levy_return_period",
    ),
    path(
        _TL + "<tl_period:period>/file/",
        views_tourism_levy.tourism_levy_return_file,
        name="tourism_levy_return_file",
    ),
    path(
        _TL + "<tl_period:period>/nil/",
        views_tourism_levy.tourism_levy_return_nil,
        name="tourism_levy_return_nil",
    ),
    path(
        _TL + "<tl_period:period>/amend/",
        views_tourism_levy.tourism_levy_return_amend,
        name="tourism_levy_return_amend",
    ),
    path(
        _TL + "<tl_period:period>/compute/",
        views_tourism_levy.tourism_levy_return_compute,
        name="tourism_levy_return_compute",
    ),
    # Uploaded on the shared upload page (return_xml_upload, by the definition's format), reviewed here.
    path(
        _TL + "upload/review/",
        views_tourism_levy_xml.tourism_levy_return_xml_review,
        name="tourism_levy_return_xml_review",
    ),
    path(
        "help/xml/tourism-levy-return/",
        views_tourism_levy_xml.tourism_levy_xml_help,
        name="tourism_levy_xml_help",
    ),
    path(
        "help/xml/tourism-levy-return/tourism-levy-return-1.xsd",
        views_tourism_levy_xml.tourism_levy_xml_schema_download,
        name="tourism_levy_xml_schema_download",
    ),
    path(
        "help/xml/tourism-levy-return/tourism-levy-return-1-sample.xml",
        views_tourism_levy_xml.tourism_levy_xml_sample_download,
        name="tourism_levy_xml_sample_download",
    ),
]

# A dye site's monthly reports (filings.views_dye_sites): the Dye Stock Report (AT4984, `stock`) and Litres Dyed
# during the Month (AT366, `litres-dyed`) of each of the account's dye sites and months.
_DYE = "accounts/<str:number>/dye-sites/"
urlpatterns += [
    path(_DYE, views_dye_sites.dye_sites_list, name="dye_sites"),
    path(
        _DYE + "<int:site_id>/<period:period>/",
        views_dye_sites.dye_site_reports_period,
        name="dye_site_reports_period",
    ),
    path(
        _DYE + "<int:site_id>/<period:period>/<dye_report:report>/file/",
        views_dye_sites.dye_site_report_file,
        name="dye_site_report_file",
    ),
    path(
        _DYE + "<int:site_id>/<period:period>/<dye_report:report>/nil/",
        views_dye_sites.dye_site_report_nil,
        name="dye_site_report_nil",
    ),
    path(
        _DYE + "<int:site_id>/<period:period>/<dye_report:report>/amend/",
        views_dye_sites.dye_site_report_amend,
        name="dye_site_report_amend",
    ),
    path(
        _DYE + "confirmation/<str:confirmation_number>/",
        views_dye_sites.dye_site_report_confirmation,
        name="dye_site_report_confirmation",
    ),
    path(
        _DYE + "confirmation/<str:confirmation_number>/pdf/",
        views_dye_sites.dye_site_report_confirmation_pdf,
        name="dye_site_report_confirmation_pdf",
    ),
]

# The marked-fuel seller's web pages and monthly report (filings/sales/urls_web.py), which use the converters above.
from filings.sales import urls_web  # noqa: E402

urlpatterns += urls_web.urlpatterns
