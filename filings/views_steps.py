"""The one step machine of filing: form -> review -> certify -> submit, for every return-like program and every
claim (original and amended returns, nil returns, XML uploads, refund claims), without JavaScript.

A filing has one address; each POST names the step it asks for in its `step` field (STEP_FIELD):
- "review" (or no step): the lines are checked by the form, then computed by the program's service (its
  preview, the same function the submission uses) and the review page shows the figures and the certification.
  The lines ride along in hidden fields and are checked again at every step, so nothing is kept on the server
  between steps and two tabs, the back button or a form sent twice cannot mix two filings up;
- "edit": back to the form with what was typed (and the computed figures, for pages that show them);
- "submit": the certification is checked, the service files the filing, and the browser is sent to its
  confirmation (post/redirect/get). A filing sent twice lands on the one already filed: the services refuse a
  second one with filings.skeleton.errors.AlreadyFiled, carrying the first.
A page whose lines came another way (an uploaded file kept in the session, a nil return that has none) runs
only the last two steps (`FilingSteps.certify`).

What each page supplies is a subclass of FilingSteps: how to build its lines form, which service previews and
submits, and its templates. Refusals are handled here, the same way for every program: lines refused by the
service go next to their boxes on the form (400); a certification refused goes next to its fields on the review
(400); anything else about the filing as a whole (a period not ended, a window closed) is the page's
`unavailable` answer; AlreadyFiled is the page's `already_filed` answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict

from consent.access import AccountRequest
from filings.forms import CertificationForm
from filings.skeleton.errors import AlreadyFiled
from tracs.forms import errors_onto

STEP_FIELD = "step"
REVIEW = "review"
EDIT = "edit"
SUBMIT = "submit"

Lines = TypeVar(
    "Lines", bound="forms.BaseForm | forms.BaseFormSet[Any]"
)  # the page's lines: a form or a formset
Computed = TypeVar("Computed")  # what the program's preview computes from them
Filed = TypeVar("Filed")  # what the program's submission stores


@dataclass(frozen=True)
class Certified:
    """The certification as the form accepted it, for the service (which checks it again)."""

    name: str
    capacity: str


class FilingSteps(ABC, Generic[Lines, Computed, Filed]):
    """One filing page's part of the machine. `respond` runs all the steps, `certify` the last two.

    Subclasses write the hooks below the line; the machine sets `form` (the bound lines) and `computation`
    (the preview's answer) as it goes, for the hooks to render."""

    certification_form: type[CertificationForm] = CertificationForm

    form: Lines
    computation: Computed | None = None

    def __init__(self, request: AccountRequest) -> None:
        self.request = request

    # --- The machine ----------------------------------------------------------------------------------------

    @property
    def step(self) -> str:
        return self.request.POST.get(STEP_FIELD, REVIEW) if self.request.method == "POST" else ""

    def respond(self) -> HttpResponse:
        """form -> review -> certify -> submit."""
        if self.request.method != "POST":
            self.form = self.lines_form(None)
            return self.render_form()
        self.form = self.lines_form(self.request.POST)
        early = self.before_lines()
        if early is not None:
            return early
        if not self.form.is_valid():
            return self.render_form(status=400)
        try:
            self.computation = self.preview()
        except ValidationError as error:
            if self.lines_refused(error):
                return self.render_form(status=400)
            return self.refused(error) or self.unavailable(error.messages[0])
        if self.step == EDIT:
            return self.render_form()
        if self.step != SUBMIT:
            return self.render_review(self.certification())
        return self._submit(lines_on_page=True)

    def certify(self) -> HttpResponse:
        """certify -> submit, for a page whose lines (and `computation`) it has already."""
        if self.request.method != "POST":
            return self.render_review(self.certification())
        early = self.before_certify()
        if early is not None:
            return early
        return self._submit(lines_on_page=False)

    def certification(self, data: QueryDict | None = None) -> CertificationForm:
        if data is not None:
            return self.certification_form(data)
        return self.certification_form(initial={"certified_name": self.request.user.full_name})

    def _submit(self, *, lines_on_page: bool) -> HttpResponse:
        certification = self.certification(self.request.POST)
        if not certification.is_valid():
            return self.render_review(certification, status=400)
        certified = Certified(
            name=certification.cleaned_data["certified_name"],
            capacity=certification.cleaned_data["certified_capacity"],
        )
        try:
            filing = self.submit(certified)
        except AlreadyFiled as error:
            return self.already_filed(error)
        except ValidationError as error:
            # The preview refused such lines already, unless a rate changed in between: back to the form, when
            # the lines are typed on one (an upload's are not: the page says why it cannot be filed).
            if lines_on_page and self.lines_refused(error):
                return self.render_form(status=400)
            answer = self.refused(error)
            if answer is not None:
                return answer
            if hasattr(error, "error_dict"):  # about the certification's fields
                errors_onto(certification, error)
                return self.render_review(certification, status=400)
            return self.unavailable(error.messages[0])
        return self.filed(filing)

    # --- What each page supplies ----------------------------------------------------------------------------

    @abstractmethod
    def lines_form(self, data: QueryDict | None) -> Lines:
        """The lines form, bound to `data` (a POST) or, with None, as first shown."""

    def before_lines(self) -> HttpResponse | None:
        """An answer before the lines are checked (a form that is not ours, "add more lines"), or None."""
        return None

    def before_certify(self) -> HttpResponse | None:
        """An answer before the certification is checked (the upload reviewed was replaced), or None."""
        return None

    @abstractmethod
    def preview(self) -> Computed:
        """The program's computation of `form`'s lines, without storing; raises the service's ValidationError."""

    def lines_refused(self, error: ValidationError) -> bool:
        """Put a refusal of the lines onto `form` and say so; False when `error` is about something else."""
        return False

    def refused(self, error: ValidationError) -> HttpResponse | None:
        """The page's own answer to a refusal (an amendment overtaken by another), or None."""
        return None

    @abstractmethod
    def submit(self, certified: Certified) -> Filed:
        """File it through the program's service."""

    @abstractmethod
    def received_message(self, filing: Filed) -> str:
        """What the confirmation page says first: received, with its confirmation number."""

    @abstractmethod
    def confirmation(self, filing: Filed) -> HttpResponse:
        """The redirect to the filing's confirmation page."""

    def filed(self, filing: Filed) -> HttpResponse:
        """Where the filer goes once it is filed (post/redirect/get): its confirmation."""
        messages.success(self.request, self.received_message(filing))
        return self.confirmation(filing)

    def already_filed(self, error: AlreadyFiled[Filed]) -> HttpResponse:
        """A second submission: the filer is told, and shown the filing already received."""
        messages.warning(self.request, error.message)
        return self.confirmation(error.existing)

    @abstractmethod
    def unavailable(self, message: str) -> HttpResponse:
        """The filing as a whole cannot be filed (its period, its window): a page that says why."""

    @abstractmethod
    def render_form(self, *, status: int = 200) -> HttpResponse:
        """The lines form page, with what was typed and its errors."""

    @abstractmethod
    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        """The review page: the computed figures and the certification."""
