"""Helpers of the objection and waiver tests: an assessed late return (tax, a late-filing penalty, its notice),
interest accrued on it, and objections and waiver requests filed through the services as the wizards file them."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import interest, objection_filing, objections
from programs.services import documents as document_services
from tests.accounts.factories import actor_for
from tests.assessments.factories import acting, assess
from tests.filings.factories import edmonton, file_return
from tests.programs.documents_samples import PDF

REPRESENTATIVE = objection_filing.Representative(
    name="Rita Rep",
    position="Controller",
    address="10025 Jasper Avenue, Edmonton AB T5J 1S6",
    phone="780-555-0101",
)
REPRESENTATIVE_FIELDS = {
    "representative_name": "Rita Rep",
    "representative_position": "Controller",
    "representative_address": "10025 Jasper Avenue, Edmonton AB T5J 1S6",
    "representative_phone": "780-555-0101",
}
PERIOD_END = date(2021, 6, 30)


def late_june_2021(*, account, user, capture):
    """The June 2021 return ($13,800.00, due 2021-07-28) received 2021-08-15 and assessed 2021-08-20: tax
    $13,800.00 and a late-filing penalty of $690.00 (5% of $13,800 > 18 days x $25); its notice issued."""
    with time_machine.travel(edmonton(2021, 8, 15, 10), tick=False):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=user,
            clear_gasoline__taxable="100000",
            marked_diesel__taxable="20000",
        )
    return assess(capture, tax_return=tax_return, when=edmonton(2021, 8, 20))


def accrue(*, account, through: date):
    return interest.interest_accrue(account=account, period_end=PERIOD_END, through=through, actor=acting())


def pdf_upload(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def staged_documents(*, account, user, count: int) -> list[dict]:
    """`count` documents checked and waiting under temporary names, each described, as the wizard keeps them."""
    return [
        {
            **document_services.document_file_stage(
                account=account,
                uploaded=pdf_upload(f"doc{n}.pdf"),
                actor=actor_for(user),
            ),
            "description": f"Invoice {n}",
        }
        for n in range(1, count + 1)
    ]


def notice_objection(*, account, user, notice, facts="The litres were exported.", documents=(), **state):
    """File an objection to `notice` as the wizard does (step 1 checked as of today)."""
    state = {
        **objections.objection_subject_check(
            account=account, against="notice", notice_id=notice.pk, amount_in_dispute="1380.00"
        ),
        "facts": facts,
        **state,
    }
    return objections.objection_submit(
        account=account,
        state=state,
        documents=list(documents),
        representative=REPRESENTATIVE,
        actor=actor_for(user).acting_for(capacity="owner"),
    )


def waiver_request(
    *, account, user, transactions, grounds=("extraordinary",), facts="The office was flooded."
):
    return objections.waiver_submit(
        account=account,
        state={
            "transaction_ids": [entry.pk for entry in transactions],
            "grounds": list(grounds),
            "facts": facts,
        },
        documents=[],
        representative=REPRESENTATIVE,
        actor=actor_for(user).acting_for(capacity="owner"),
    )


# Fixtures of the decision tests (imported by them): the late June 2021 return assessed with interest accrued
# through 2021-09-30, and an objection to its notice filed on 2021-10-01.
@pytest.fixture(name="assessed")
def assessed_fixture(account, owner, django_capture_on_commit_callbacks):
    assessment = late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    # The daily job of 2021-10-01 (not today's date: a notice of 2021-10-05 prints the interest, so the ledger
    # must date it before that notice, tests/conftest.py).
    with time_machine.travel(edmonton(2021, 10, 1, 1), tick=False):
        accrue(account=account, through=date(2021, 9, 30))
    return assessment


@pytest.fixture(name="objection")
def objection_fixture(account, owner, assessed):
    with time_machine.travel(edmonton(2021, 10, 1, 9), tick=False):
        return notice_objection(account=account, user=owner, notice=assessed.notice)
