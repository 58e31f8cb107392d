"""The reference number of an in-process return or claim (Submit Documents asks for it): filings answers whether
it names one of the account's returns or claims still received or in review."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from filings.models import FuelTaxReturn
from filings.status import NOT_IN_PROCESS, filing_status_change, in_process_reference_check
from tests.consent.factories import ProgramAccountFactory
from tests.filings.claim_factories import file_claim
from tests.filings.factories import edmonton, file_return, status_actor


@pytest.fixture
def filed(account, owner):
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        return {
            "return": file_return(account=account, period="2024-05", user=owner),
            "claim": file_claim(account=account, user=owner),
        }


@pytest.mark.parametrize("which", ["return", "claim"])
def test_in_process_returns_and_claims_are_known(account, filed, which):
    in_process_reference_check(account, filed[which].confirmation_number)
    filing_status_change(filing=filed[which], status=FuelTaxReturn.Status.IN_REVIEW, actor=status_actor())
    in_process_reference_check(account, filed[which].confirmation_number)


@pytest.mark.parametrize("which", ["return", "claim"])
def test_processed_ones_are_not(account, filed, which):
    filing_status_change(filing=filed[which], status=FuelTaxReturn.Status.ASSESSED, actor=status_actor())
    with pytest.raises(ValidationError) as refused:
        in_process_reference_check(account, filed[which].confirmation_number)
    assert refused.value.messages == [str(NOT_IN_PROCESS % {"reference": filed[which].confirmation_number})]


def test_another_accounts_numbers_and_made_up_ones_are_not(filed):
    other = ProgramAccountFactory()
    for reference in (filed["return"].confirmation_number, "FT-202401-7K3M9Q"):
        with pytest.raises(ValidationError) as refused:
            in_process_reference_check(other, reference)
        assert refused.value.code == "reference_not_in_process"
