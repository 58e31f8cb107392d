"""Pages of filing a tourism levy return by XML upload: the review of an uploaded file, and the format's public
help page with its XSD and sample.

The upload page itself is every uploading program's (filings.views_xml.return_xml_upload: the establishment's
return definition names its format, filings/xml/formats.py TOURISM_LEVY_RETURN_XML). A valid file's figures
wait in the session; this review shows them computed by the service's preview, and the filer certifies: the
last two steps of the web form's own step machine (TourismLevySteps), filed by `tourism_levy_return_submit`
as the web form files it.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import services_tourism_levy, tourism_levy
from filings.forms import CertificationForm
from filings.models import TourismLevyReturn
from filings.periods import Period, PeriodKind
from filings.services_tourism_levy import TourismLevyAlreadyFiled, TourismLevyInvalid
from filings.tourism_levy import LevyInput
from filings.views_steps import Certified
from filings.views_tourism_levy import TourismLevySteps, _original, _tourism_levy
from filings.views_xml import XML_UPLOAD_SESSION_KEY, UploadedSteps, _download, pending_xml_upload
from filings.xml.formats import TOURISM_LEVY_RETURN_XML
from filings.xml.records import MAX_ERRORS_LISTED, megabytes
from filings.xml.tourism_levy import reader
from filings.xml.tourism_levy.validator import levy_input_from

FORMAT = TOURISM_LEVY_RETURN_XML


@require_GET
def tourism_levy_xml_help(request: HttpRequest) -> HttpResponse:
    """The XML format of a tourism levy return, element by element, with the XSD and a sample. Public: a
    property-management software vendor needs it without a TRACS account."""
    context = {
        "namespace": reader.NAMESPACE,
        "xsd_name": reader.XSD_NAME,
        "sample_name": reader.SAMPLE_NAME,
        "reasons": list(tourism_levy.rules().reasons.values()),
        "limit": megabytes(reader.MAX_BYTES),
        "max_errors": MAX_ERRORS_LISTED,
    }
    return render(request, "filings/tourism_levy/xml_help.html", context)


@require_GET
def tourism_levy_xml_schema_download(request: HttpRequest) -> FileResponse:
    return _download(reader.XSD_PATH, reader.XSD_NAME)


@require_GET
def tourism_levy_xml_sample_download(request: HttpRequest) -> FileResponse:
    return _download(reader.SAMPLE_PATH, reader.SAMPLE_NAME)


class TourismLevyXmlSteps(UploadedSteps, TourismLevySteps):
    """The last two steps of a return uploaded as XML: its figures are in the session (`pending`), not a form."""

    levy_input: LevyInput
    review_url = FORMAT.review_url

    def _input(self) -> LevyInput:
        return self.levy_input

    def submit(self, certified: Certified) -> TourismLevyReturn:
        return services_tourism_levy.tourism_levy_return_submit(
            account=self.request.account,
            period=self.period,
            levy_input=self.levy_input,
            establishment=self.request.account.number,  # the file's, checked on upload to be this one
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def filed(self, filing: TourismLevyReturn) -> HttpResponse:
        self.mark_filed(filing.confirmation_number)  # this page sent again lands on the filed return
        return super().filed(filing)

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        context = {
            "period": self.period,
            "computation": self.computation,
            "pending": self.pending,
            "form": certification,
        }
        return render(self.request, "filings/tourism_levy/xml_review.html", context, status=status)


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_http_methods(["GET", "POST"])
def tourism_levy_return_xml_review(request: AccountRequest) -> HttpResponse:
    """What the uploaded file will file, computed by the service's preview as for the web form; certify, submit."""
    pending = pending_xml_upload(request, FORMAT)
    if pending is None:
        return redirect("return_xml_upload", number=request.account.number)
    kind = PeriodKind.QUARTERLY if "Q" in pending["period"] else PeriodKind.MONTHLY
    period = Period.from_key(pending["period"], kind)
    existing = _original(request, period)
    if (
        existing is not None
    ):  # filed meanwhile, or this very upload submitted twice (double click, back button)
        steps = TourismLevySteps(request, period)
        return steps.already_filed(TourismLevyAlreadyFiled(existing))
    levy_input = levy_input_from(pending["figures"])
    try:
        computation = services_tourism_levy.tourism_levy_preview(
            account=request.account,
            period=period,
            levy_input=levy_input,
            establishment=request.account.number,
        )
    except TourismLevyInvalid as error:  # the rules changed since the upload: upload the file again
        del request.session[XML_UPLOAD_SESSION_KEY % request.account.number]
        return TourismLevySteps(request, period).unavailable(next(iter(error.errors_by_field.values())))
    except services_tourism_levy.ValidationError as error:  # the period: the frequency or the account changed
        del request.session[XML_UPLOAD_SESSION_KEY % request.account.number]
        return TourismLevySteps(request, period).unavailable(error.messages[0])
    steps = TourismLevyXmlSteps(request, period)
    steps.pending, steps.levy_input, steps.computation = pending, levy_input, computation
    return steps.certify()
