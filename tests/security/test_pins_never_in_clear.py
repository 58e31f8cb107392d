"""PINs are never stored or logged in clear (ARCHITECTURE "Secrets are never kept in clear").

Each kind of PIN is issued the way the product issues it (delegation by an owner, consent by staff
approval, enrolment by the letter job), the clear values are captured as they are generated, and then
every column of every table (as PostgreSQL renders the row as text, bytea as hex) and every log record of
the run, SQL included, is searched for them, formatted or not."""

import logging

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import pins
from accounts.crypto import decrypt
from accounts.models import OutboxEmail, Pin
from consent import services
from consent.models import Consent, Grant
from consent.privileges import Privilege
from consent.tasks import enrolment_letter_prepare
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory, owner_grant

pytestmark = pytest.mark.django_db


def spellings(clear: str) -> set[str]:
    """Every way a PIN could be written down: as generated, grouped, lower case, and as bytes in hex."""
    forms = {clear, pins.pin_format(clear), clear.lower(), pins.pin_format(clear).lower()}
    return forms | {form.encode().hex() for form in forms}


def database_as_text() -> str:
    """Every row of every table of the project, rendered by PostgreSQL as text (bytea appears as hex)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 - table names from introspection
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks).lower()


def model_columns_as_text() -> str:
    """The same through the ORM: every text and binary field of every model."""
    chunks = []
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*fields):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    chunks.append(bytes(value).hex())
                    chunks.append(bytes(value).decode("latin-1"))
                elif value is not None:
                    chunks.append(str(value))
    return "\n".join(chunks).lower()


@pytest.fixture
def captured_pins(monkeypatch):
    """The clear value of every PIN generated during the test, straight from the generator."""
    generated: list[str] = []
    original = pins.pin_generate

    def generate():
        clear = original()
        generated.append(clear)
        return clear

    monkeypatch.setattr(pins, "pin_generate", generate)
    return generated


@pytest.mark.pdf  # the real letter (with the PIN printed in it) must not leave the PIN readable in the database
def test_no_pin_is_stored_or_logged_in_clear(caplog, captured_pins, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    staff = UserFactory(is_staff=True, full_name="Sam Staff")
    taxpayer = TaxpayerFactory(legal_name="Prairie Fuels Ltd.")
    fuel_tax = ProgramAccountFactory(taxpayer=taxpayer, program="fuel_tax")
    ProgramAccountFactory(taxpayer=taxpayer, program="tefs")
    owner = UserFactory(full_name="Olivia Owner")
    owner_grant(account=fuel_tax, user=owner)

    with CaptureQueriesContext(connection) as queries:
        # Delegation: the owner adds an employee (the PIN is shown once on a page).
        with django_capture_on_commit_callbacks(execute=True):
            _, delegation = services.delegate_add(
                account=fuel_tax,
                by=owner,
                name="Evan Employee",
                email="evan@example.ca",
                role=Grant.Role.DELEGATE,
                privileges=[Privilege.VIEW_ACCOUNT],
                actor=actor_for(owner),
            )

        # Consent: staff approve an AT4931; the PIN goes out by secure e-mail, through the outbox.
        consent = Consent.objects.create(
            taxpayer=taxpayer,
            representative_name="Rita Representative",
            representative_email="rita@example.ca",
            signer_name="Olivia Owner",
            signer_capacity=Consent.SignerCapacity.OWNER,
            signed_on="2026-01-15",
            privileges=[Privilege.VIEW_ACCOUNT],
            all_accounts=True,
        )
        consent.signed_form.save("at4931.pdf", ContentFile(b"%PDF-1.4 signed form"), save=True)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            consent_pin = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
        queued = OutboxEmail.objects.get(purpose="consent-pin")
        body = bytes(queued.body_encrypted)
        assert not any(form.encode() in body for form in spellings(consent_pin.clear))
        assert pins.pin_format(consent_pin.clear) in decrypt(body)  # in the outbox, only encrypted
        for callback in callbacks:
            callback()  # the transaction commits: the e-mail is sent, then erased

        # Enrolment: the letter job generates the PIN and prints it into the letter.
        pin_id = enrolment_letter_prepare.delay(fuel_tax.pk, staff.pk).get()

    enrolment_clear = captured_pins[-1]
    assert captured_pins == [delegation.clear, consent_pin.clear, enrolment_clear]
    assert Pin.objects.get(pk=pin_id).letter_pdf_encrypted  # the letter waits, encrypted, for staff

    # The consent e-mail was sent (to the representative, with the PIN) and its content erased.
    queued.refresh_from_db()
    assert queued.status == OutboxEmail.Status.SENT
    assert bytes(queued.subject_encrypted) == b""
    assert bytes(queued.body_encrypted) == b""
    [sent] = [m for m in mail.outbox if m.to == ["rita@example.ca"]]
    assert pins.pin_format(consent_pin.clear) in sent.body
    # The delegation e-mail never carries the PIN.
    [invitation] = [m for m in mail.outbox if m.to == ["evan@example.ca"]]
    assert not any(
        form in invitation.body.lower() for form in {s.lower() for s in spellings(delegation.clear)}
    )

    database = database_as_text()
    columns = model_columns_as_text()
    logged = "\n".join(
        [
            caplog.text,
            *(str(record.args) for record in caplog.records),
            *(q["sql"] for q in queries.captured_queries),
        ]
    ).lower()
    assert len(database) > 1000
    assert len(columns) > 1000
    assert len(queries.captured_queries) > 20
    for clear in captured_pins:
        for form in spellings(clear):
            assert form.lower() not in database, f"a PIN appears in the database as {form!r}"
            assert form.lower() not in columns, f"a PIN appears in a model field as {form!r}"
            assert form.lower() not in logged, f"a PIN appears in the logs as {form!r}"


def test_the_letter_leaves_the_database_once_downloaded(captured_pins):
    staff = UserFactory(is_staff=True)
    account = ProgramAccountFactory()
    pin = Pin.objects.get(pk=enrolment_letter_prepare.delay(account.pk, staff.pk).get())

    pdf = pins.letter_take(pin=pin, actor=actor_for(staff))

    assert pdf.startswith(b"%PDF")
    pin.refresh_from_db()
    assert pin.letter_pdf_encrypted is None
    assert pin.letter_downloaded_at is not None
    with pytest.raises(LookupError):
        pins.letter_take(pin=pin, actor=actor_for(staff))
