"""A marked-fuel file's progress watched in a real browser while a real Celery worker ingests it (issue 14): the
seller uploads a 20,000-row CSV file; its job travels through Redis to `celery -A tracs worker` in its own process
(tests/test_celery_worker.py), not inline as in the other journeys; the worker commits rows read after each chunk
of TRACS_INGESTION_CHUNK_ROWS (500 here, so the file takes 40 steps), and the file's page, polling its status URL,
is seen showing rows read strictly between 0 and the total before it reloads with the acknowledgement and its
accepted and rejected counts. Every value the page's "Rows read" takes is recorded by a MutationObserver. So that a
fast machine cannot run the 40 steps between two polls, the test holds the worker mid-file (worker_held_mid_file)
until the page has shown that count."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from filings.sales.models import Ingestion, Sale
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.sales_helpers import sale_row, seller
from tests.programs.registry_helpers import registry
from tests.test_celery_worker import broker, queue_name, worker_process  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
CHUNK_ROWS = 500
REJECTED_EVERY = 1_000  # every 1,000th row has negative litres: 20 rejected rows
FINISHED_WITHIN_MS = 60_000  # the worker starts (Django, Celery), then stages, validates and stores the file

# Records each text "Rows read" shows, on every page load (the page reloads itself once the file is processed),
# through a binding that outlives the reloads.
RECORD_ROWS_READ = """
document.addEventListener("DOMContentLoaded", () => {
  const shown = document.querySelector('#sales-progress [data-progress="rows_read"]');
  if (!shown) { return; }
  window.recordRowsRead(shown.textContent);
  new MutationObserver(() => window.recordRowsRead(shown.textContent)).observe(
    shown, { childList: true, characterData: true, subtree: true }
  );
});
"""


def _sales_file(account) -> str:
    out = io.StringIO()
    rows = (
        sale_row(
            account,
            invoice=f"INV-{number}",
            **({"litres": "-5"} if number % REJECTED_EVERY == 0 else {}),
        )
        for number in range(1, ROWS + 1)
    )
    first = sale_row(account)
    writer = csv.DictWriter(out, fieldnames=list(first), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_an_uploaded_files_progress_moves_while_the_worker_ingests_it(
    page: Page,
    live_server,
    sign_in,
    axe_check,
    broker,  # noqa: F811 - the fixture imported above
    queue_name,  # noqa: F811
    settings,
    tmp_path,
):
    registry()
    account = seller()
    owner = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=owner)
    upload = tmp_path / "sales-2026-10-big.csv"
    upload.write_text(_sales_file(account))

    shown: list[str] = []
    page.expose_function("recordRowsRead", lambda text: shown.append(text.strip()))
    page.add_init_script(RECORD_ROWS_READ)
    log = tmp_path / "worker.log"
    extra = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "TRACS_INGESTION_CHUNK_ROWS": str(CHUNK_ROWS)}
    with worker_process(queue_name=queue_name, log=log, **extra) as process:
        sign_in(page, live_server, owner.email, PASSWORD, TOTPDevice.objects.get(user=owner).key, axe=False)
        page.goto(f"/accounts/{account.number}/")
        menu = page.get_by_role("navigation", name="Account menu")
        menu.get_by_role("link", name="Marked fuel files").click()
        page.get_by_role("link", name="Upload a file").click()
        page.get_by_label("File", exact=True).set_input_files(str(upload))
        axe_check(page)
        started = time.monotonic()
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_role("heading", name="sales-2026-10-big.csv")).to_be_visible()
        # The page while the worker runs, held by the test at a count strictly between 0 and the file's rows:
        # the worker really is mid-file, and the page, still polling, must show that count.
        ingestion = Ingestion.objects.get(account=account)
        try:
            with worker_held_mid_file(ingestion_id=ingestion.pk, total=ROWS) as held:
                expect(page.get_by_role("heading", name="Progress")).to_be_visible()
                expect(page.locator('#sales-progress [data-progress="rows_read"]')).to_have_text(str(held))
                axe_check(page)
        finally:
            assert process.poll() is None, f"the worker stopped:\n{log.read_text()}"
        expect(page.get_by_role("heading", name="Acknowledgement")).to_be_visible(timeout=FINISHED_WITHIN_MS)
        elapsed = time.monotonic() - started
    worker_log = log.read_text()
    assert "filings.sales.tasks.ingestion_run" in worker_log  # the job ran in the worker, not inline

    counts = page.locator("#sales-progress dl")
    expect(counts).to_contain_text(f"Rows read{ROWS}")
    expect(counts).to_contain_text(f"Accepted{ROWS - ROWS // REJECTED_EVERY}")
    expect(counts).to_contain_text(f"Rejected{ROWS // REJECTED_EVERY}")
    expect(page.get_by_role("heading", name="Rejected rows")).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("litres")
    axe_check(page)

    values = [int(text) for text in shown if text.isdigit()]
    moving = [value for value in values if 0 < value < ROWS]
    assert held in moving, f"rows read {held} not seen: {values}"
    assert moving == sorted(moving), values
    assert all(value % CHUNK_ROWS == 0 for value in moving), values
    assert values[-1] == ROWS
    ingestion.refresh_from_db()
    assert (ingestion.status, ingestion.rows_accepted, ingestion.rows_rejected) == ("done", 19_980, 20)
    assert Sale.objects.filter(ingestion=ingestion).count() == 19_980
    print(f"rows read shown: {values}; upload to acknowledgement {elapsed:.1f} s")


@contextmanager
def worker_held_mid_file(*, ingestion_id: int, total: int) -> Iterator[int]:
    """Wait for the worker to commit a count of rows read strictly between 0 and `total`, then hold the file's row
    (SELECT ... FOR UPDATE) so its next progress commit waits: the rows read while held. Reads are not blocked,
    so the page's polling goes on; on leaving, the worker carries on. However fast the machine, the page has
    the time to show the count (the chunks of a test-sized file take well under a second)."""
    deadline = time.monotonic() + FINISHED_WITHIN_MS / 1000
    while True:
        with transaction.atomic():
            current = Ingestion.objects.select_for_update().get(pk=ingestion_id)
            if 0 < current.rows_read < total:
                yield current.rows_read
                return
        assert current.status in (Ingestion.Status.RECEIVED, Ingestion.Status.RUNNING), (
            f"the file was {current.status} with {current.rows_read} rows read before it could be held"
        )
        assert time.monotonic() < deadline, "the worker never started the file"
        time.sleep(0.002)
