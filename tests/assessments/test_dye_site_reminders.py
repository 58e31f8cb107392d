"""Reminders of a dye site's two monthly reports (assessments/reminders.py `dye_site_reminders_send`): each report
of each site and month due within the window and not filed, to each holder of FILE_RETURNS, once."""

from datetime import date

import pytest

from accounts.crypto import decrypt
from accounts.models import OutboxEmail
from assessments.reminders import RETURN_PURPOSE, return_reminders_send
from tests.accounts.factories import UserFactory
from tests.consent.factories import owner_grant
from tests.filings.dye_site_factories import dye_site, file_stock

pytestmark = pytest.mark.django_db


def test_the_report_not_filed_is_reminded_once_and_the_filed_one_not(time_machine):
    time_machine.move_to(date(2026, 7, 10))
    site = dye_site()
    owner = UserFactory(email="dana@example.ca")
    owner_grant(account=site.account, user=owner)
    file_stock(site=site, period="2026-06", user=owner)
    # June's reports are due 2026-07-28: inside a week's window from the 21st.
    assert return_reminders_send(today=date(2026, 7, 21), days=7) == 1
    (email,) = OutboxEmail.objects.filter(purpose=RETURN_PURPOSE)
    assert email.to == ["dana@example.ca"]
    subject, body = decrypt(email.subject_encrypted), decrypt(email.body_encrypted)
    assert (
        subject
        == "TRACS: litres dyed report for June 2026 due 2026-07-28, dye site BFLO 400900 Nisku terminal"
    )
    assert f"/dye-sites/{site.pk}/2026-06/litres-dyed/file/" in body
    assert return_reminders_send(today=date(2026, 7, 22), days=7) == 0  # once
    assert return_reminders_send(today=date(2026, 7, 10), days=7) == 0  # not yet in the window
