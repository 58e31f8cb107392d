"""A marked-fuel seller's files in a real browser (axe-core on each page): the owner registers an SSH key under
SFTP keys, puts a file with OpenSSH's sftp client into the account's inbox, reads the acknowledgement in outbox/ and
under Marked fuel files; then uploads a file in the browser and reads its acknowledgement, every rejected row with
its row number, field and reason. Jobs run inline in the tests, so the file's page is seen once the job is done (the
progress while it runs is tested in tests/filings/sales/test_upload_views.py, and watched in a browser while a real
worker runs the job in test_marked_fuel_upload_progress_journey.py)."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from filings.sales.sftp import directories
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.sales.conftest import sftp
from tests.filings.sales.sftp_helpers import key_pair
from tests.filings.sales_helpers import sale_row, seller
from tests.programs.registry_helpers import registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_register_a_key_send_a_file_over_sftp_and_upload_one(
    page: Page, live_server, sign_in, axe_check, sftp_server, settings, tmp_path
):
    settings.TRACS_SFTP_ROOT = str(tmp_path / "sftp")
    registry()
    account = seller()
    owner = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=owner)
    sign_in(page, live_server, owner.email, PASSWORD, TOTPDevice.objects.get(user=owner).key, axe=False)
    page.goto(f"/accounts/{account.number}/")
    menu = page.get_by_role("navigation", name="Account menu")
    menu.get_by_role("link", name="SFTP keys").click()
    axe_check(page)

    pair = key_pair(tmp_path / "keys")
    page.get_by_label("Name of the key").fill("Accounting server")
    page.get_by_label("Public key").fill(pair.public_text)
    page.get_by_role("button", name="Register the key").click()
    expect(page.get_by_role("status")).to_contain_text("Key “Accounting server” registered: it works now.")
    axe_check(page)

    local = tmp_path / "sales-2026-10.csv"
    local.write_text(csv_text([sale_row(account), sale_row(account, line=2, exemption_number="F7654321")]))
    result = sftp(
        sftp_server,
        user=account.number,
        key=pair.private,
        commands=f"put {local} inbox/sales-2026-10.csv.part\nrename inbox/sales-2026-10.csv.part inbox/sales-2026-10.csv\n",
    )
    assert result.returncode == 0, result.stderr
    answer = directories.outbox(account_number=account.number) / "sales-2026-10.csv.ack.csv"
    deadline = time.monotonic() + 30
    while not answer.exists():
        assert time.monotonic() < deadline, "no acknowledgement in outbox/"
        time.sleep(0.1)
    assert "exemption_number" in answer.read_text()

    page.goto(f"/accounts/{account.number}/")
    menu.get_by_role("link", name="Marked fuel files").click()
    expect(page.get_by_role("cell", name="SFTP")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="sales-2026-10.csv").click()
    expect(page.get_by_role("heading", name="Acknowledgement")).to_be_visible()
    expect(page.get_by_role("heading", name="Rejected rows")).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("exemption_number")
    axe_check(page)

    page.get_by_role("link", name="Upload another file").click()
    upload = tmp_path / "sales-2026-10-more.csv"
    upload.write_text(
        csv_text(
            [sale_row(account, invoice="INV-9"), sale_row(account, invoice="INV-9", line=2, litres="-5")]
        )
    )
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    axe_check(page)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="sales-2026-10-more.csv")).to_be_visible()
    expect(page.get_by_role("heading", name="Rejected rows")).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("litres")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the acknowledgement (CSV)").click()
    assert download.value.suggested_filename == "sales-2026-10-more.csv.ack.csv"
    axe_check(page)
