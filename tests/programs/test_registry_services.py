"""The exemption registry's changes: status history as dated periods, the 3-year AFFB term, overlaps refused by
the database, and the import file all-or-nothing with line numbers and field names."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from psycopg.types.range import Range

from accounts.models import AccessLogEntry
from programs.registries import rules, services
from programs.registries.models import (
    ExemptionCertificate,
    ExemptionHolder,
    ExemptionImport,
    ExemptionStatusPeriod,
)
from tests.programs.registry_helpers import REGISTRY_ROWS, csv_file, periods, registry, row, staff_actor

pytestmark = pytest.mark.django_db


def test_an_affb_registration_is_active_for_three_years():
    """Registered 2024-03-01: active [2024-03-01, 2027-03-01), valid through 2027-02-28."""
    registry()
    assert periods("F1000001") == [("active", date(2024, 3, 1), date(2027, 3, 1))]
    assert ExemptionCertificate.objects.get(number="F1000001").eligible_until == date(2027, 3, 1)


def test_tefu_and_carbon_levy_certificates_do_not_expire():
    registry()
    assert periods("T2000001") == [("active", date(2018, 1, 15), None)]
    assert periods("CL3000001") == [("active", date(2018, 1, 15), None)]
    tefu, levy = (ExemptionCertificate.objects.get(number=n) for n in ("T2000001", "CL3000001"))
    assert tefu.holder_id == levy.holder_id  # the carbon levy certificate goes with the holder's TEFU


def test_a_status_change_closes_the_open_period_and_opens_the_next():
    certificates = registry()
    actor = staff_actor()
    services.certificate_status_change(
        certificate=certificates["T2000001"],
        action="suspend",
        effective_on=date(2025, 2, 1),
        reason="Audit",
        actor=actor,
    )
    services.certificate_status_change(
        certificate=certificates["T2000001"], action="reinstate", effective_on=date(2025, 3, 1), actor=actor
    )
    assert periods("T2000001") == [
        ("active", date(2018, 1, 15), date(2025, 2, 1)),
        ("suspended", date(2025, 2, 1), date(2025, 3, 1)),
        ("active", date(2025, 3, 1), None),
    ]
    logged = AccessLogEntry.objects.filter(action__startswith="exemption registry:").values_list(
        "action", flat=True
    )
    assert set(logged) == {"exemption registry: suspend", "exemption registry: reinstate"}


def test_a_reinstated_affb_keeps_the_end_of_its_three_year_term():
    certificates = registry()
    actor = staff_actor()
    services.certificate_status_change(
        certificate=certificates["F1000001"], action="suspend", effective_on=date(2025, 1, 10), actor=actor
    )
    services.certificate_status_change(
        certificate=certificates["F1000001"], action="reinstate", effective_on=date(2025, 2, 1), actor=actor
    )
    assert periods("F1000001")[-1] == ("active", date(2025, 2, 1), date(2027, 3, 1))


def test_an_affb_renewal_starts_a_new_three_year_term():
    certificates = registry()
    services.certificate_status_change(
        certificate=certificates["F1000001"],
        action="renew",
        effective_on=date(2027, 2, 15),
        actor=staff_actor(),
    )
    assert periods("F1000001") == [
        ("active", date(2024, 3, 1), date(2027, 2, 15)),
        ("active", date(2027, 2, 15), date(2030, 2, 15)),
    ]


def test_an_affb_not_renewed_lapses_and_cannot_be_suspended_or_reinstated():
    certificates = registry()
    actor = staff_actor()
    with pytest.raises(ValidationError) as refused:
        services.certificate_status_change(
            certificate=certificates["F1000001"], action="suspend", effective_on=date(2027, 3, 1), actor=actor
        )
    assert refused.value.messages == [str(services.RULE_MESSAGES["suspend_lapsed"] % {"value": "2027-03-01"})]
    services.certificate_status_change(
        certificate=certificates["F1000001"], action="suspend", effective_on=date(2027, 1, 1), actor=actor
    )
    with pytest.raises(ValidationError) as refused:
        services.certificate_status_change(
            certificate=certificates["F1000001"],
            action="reinstate",
            effective_on=date(2027, 4, 1),
            actor=actor,
        )
    assert "renew" in refused.value.messages[0]


def test_a_leap_day_renewal_runs_through_the_last_day_of_february():
    """Granted 2024-02-29: 2027 has no 29 February, so the term ends (exclusive) on 2027-03-01."""
    assert rules.eligible_until(kind="affb", granted_on=date(2024, 2, 29)) == date(2027, 3, 1)
    assert rules.eligible_until(kind="tefu", granted_on=date(2024, 2, 29)) is None


@pytest.mark.parametrize(
    ("action", "effective", "message_code"),
    [
        ("suspend", "2024-03-01", "not_after_current"),  # on the day the current status began
        ("suspend", "2023-12-31", "not_after_current"),  # before it: history is not rewritten
        ("reinstate", "2025-01-01", "reinstate_not_suspended"),
    ],
)
def test_changes_that_would_rewrite_history_are_refused(action, effective, message_code):
    certificates = registry()
    with pytest.raises(ValidationError):
        services.certificate_status_change(
            certificate=certificates["F1000001"],
            action=action,
            effective_on=date.fromisoformat(effective),
            actor=staff_actor(),
        )
    assert periods("F1000001") == [("active", date(2024, 3, 1), date(2027, 3, 1))]


def test_nothing_follows_a_cancellation():
    certificates = registry()
    with pytest.raises(ValidationError) as refused:
        services.certificate_status_change(
            certificate=certificates["F1000002"],
            action="renew",
            effective_on=date(2025, 1, 1),
            actor=staff_actor(),
        )
    assert "final" in refused.value.messages[0]


def test_the_database_refuses_overlapping_periods():
    """Whatever writes the table: the GiST exclusion constraint stops two statuses on one day."""
    certificate = registry()["T2000001"]
    with pytest.raises(IntegrityError), transaction.atomic():
        ExemptionStatusPeriod.objects.create(
            certificate=certificate, status="suspended", during=Range(date(2020, 1, 1), date(2020, 2, 1))
        )


def test_the_database_keeps_a_cancellation_final():
    certificate = registry()["T2000001"]
    with pytest.raises(IntegrityError), transaction.atomic():
        ExemptionStatusPeriod.objects.create(
            certificate=certificate, status="cancelled", during=Range(date(2010, 1, 1), date(2011, 1, 1))
        )


def test_the_database_refuses_a_number_of_another_kinds_form():
    holder = ExemptionHolder.objects.create(
        reference="H-9", name="X", line1="1 St", city="Red Deer", postal_code="T4N 1A1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ExemptionCertificate.objects.create(
            kind="affb", number="T1234567", holder=holder, registered_on=date(2024, 1, 1)
        )


def test_a_good_file_is_stored_whole_with_its_import_record():
    actor = staff_actor()
    registry(actor)
    stored = ExemptionImport.objects.get()
    assert stored.rows == 7
    assert stored.counts == {"register": 5, "suspend": 1, "cancel": 1}
    assert stored.imported_by == actor.user
    assert ExemptionHolder.objects.count() == 4
    assert ExemptionStatusPeriod.objects.filter(registry_import=stored).count() == 7
    assert AccessLogEntry.objects.filter(action="exemption registry file imported", actor=actor.user).exists()


def test_a_file_with_errors_on_lines_3_and_7_stores_nothing():
    registry()
    before = (
        ExemptionCertificate.objects.count(),
        ExemptionStatusPeriod.objects.count(),
        ExemptionHolder.objects.count(),
    )
    rows = [
        row("register", "F1000101", "2025-01-02", "H-10", "Ten Acres"),  # line 2
        row("register", "F10001", "2025-01-02", "H-11", "Bad Number Farm"),  # line 3: malformed number
        row("register", "T2000101", "2025-01-02", "H-12", "County of Twelve"),  # line 4
        row("suspend", "F1000101", "2025-02-01"),  # line 5
        row("reinstate", "F1000101", "2025-03-01"),  # line 6
        row("suspend", "T2000001", "2025-13-01"),  # line 7: no such date
        row("update_holder", reference="H-1", name="Prairie Acres Farm Ltd."),  # line 8
    ]
    result = services.registry_file_import(stream=csv_file(rows), filename="bad.csv", actor=staff_actor())
    assert not result.stored
    assert [(e.line, e.field) for e in result.errors] == [(3, "number"), (7, "effective_date")]
    assert str(result.errors[0]).startswith("Line 3, number: Enter an AFFB number")
    assert str(result.errors[1]) == f"Line 7, effective_date: {services.DATE_FORMAT}"
    after = (
        ExemptionCertificate.objects.count(),
        ExemptionStatusPeriod.objects.count(),
        ExemptionHolder.objects.count(),
    )
    assert after == before
    assert not ExemptionImport.objects.filter(filename="bad.csv").exists()
    assert ExemptionHolder.objects.get(reference="H-1").name == "Prairie Acres Farm"


def test_rule_errors_against_the_registry_name_line_and_field():
    registry()
    rows = [
        row("register", "T2000001", "2025-01-02", "H-20", "Again Ltd."),  # 2: registered already
        row("suspend", "T9999999", "2025-01-02"),  # 3: unknown
        row("suspend", "T2000002", "2025-10-01"),  # 4: already suspended
        row(
            "register", "F1000201", "2025-01-02", "H-1", "Prairie Acres Farm"
        ),  # 5: holder exists, details given
        row("register", "F1000202", "2025-01-02", "H-21"),  # 6: new holder without details
        row("suspend", "F1000001", "2025-05-01"),  # 7
        row("cancel", "F1000001", "2025-04-01"),  # 8: before line 7's change
        row("update_holder", reference="H-99", name="Nobody"),  # 9: unknown holder
        row("renew", "T2000001", "2025-01-02"),  # 10: TEFU is not renewed
    ]
    result = services.registry_file_import(stream=csv_file(rows), filename="rules.csv", actor=staff_actor())
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "number"),
        (3, "number"),
        (4, "action"),
        (5, "holder_name"),
        (6, "holder_name"),
        (8, "effective_date"),
        (9, "holder_reference"),
        (10, "action"),
    ]
    assert "line 7" in result.errors[5].message
    assert ExemptionImport.objects.count() == 1  # only the fixture's


def test_check_only_runs_every_rule_and_stores_nothing():
    result = services.registry_file_import(
        stream=csv_file([row("register", "F1000301", "2025-01-02", "H-30", "Check Farm")]),
        filename="check.csv",
        actor=staff_actor(),
        validate_only=True,
    )
    assert result.ok
    assert not result.stored
    assert result.counts == {"register": 1}
    assert not ExemptionCertificate.objects.exists()
    assert not ExemptionImport.objects.exists()


def test_file_level_problems_are_refused_whole():
    actor = staff_actor()
    wrong_header = services.registry_file_import(
        stream=csv_file([row("register")], header=["action", "number"]), filename="h.csv", actor=actor
    )
    assert wrong_header.errors == [str(services.FILE_HEADER % {"header": ",".join(services.HEADER)})]
    latin1 = services.registry_file_import(
        stream=__import__("io").BytesIO(
            (
                ",".join(services.HEADER)
                + "\nregister,F1000401,2025-01-02,H-40,Caf\xe9 Farm,RR 1,,Olds,AB,T4H 1A1,\n"
            ).encode("latin-1")
        ),
        filename="l.csv",
        actor=actor,
    )
    assert latin1.errors == [str(services.FILE_NOT_UTF8 % {"line": 2})]
    empty = services.registry_file_import(stream=csv_file([]), filename="e.csv", actor=actor)
    assert empty.errors == [str(services.FILE_EMPTY)]


def test_the_same_file_is_imported_once():
    registry()
    again = services.registry_file_import(
        stream=csv_file(REGISTRY_ROWS),
        filename="registry-again.csv",
        actor=staff_actor(),
    )
    assert len(again.errors) == 1
    assert "already imported" in str(again.errors[0])


def test_a_holder_update_changes_name_and_address():
    registry()
    result = services.registry_file_import(
        stream=csv_file(
            [
                row(
                    "update_holder",
                    reference="h-1",
                    name="Prairie Acres Farm Ltd.",
                    city="Ponoka",
                    postal_code="t4j 1a1",
                )
            ]
        ),
        filename="holder.csv",
        actor=staff_actor(),
    )
    assert result.stored, result.errors
    holder = ExemptionHolder.objects.get(reference="H-1")
    assert (holder.name, holder.city, holder.postal_code) == ("Prairie Acres Farm Ltd.", "Ponoka", "T4J 1A1")


def test_the_documented_sample_imports():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "docs" / "samples" / "exemption-registry-changes.csv"
    with sample.open("rb") as stream:
        result = services.registry_file_import(stream=stream, filename=sample.name, actor=staff_actor())
    assert result.stored, result.errors
    assert periods("F1000101") == [
        ("active", date(2022, 4, 1), date(2025, 3, 20)),
        ("active", date(2025, 3, 20), date(2025, 11, 30)),
        ("cancelled", date(2025, 11, 30), None),
    ]


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        (row("register", "F1000401", "2025-01-02", "H-40", "x" * 201), "holder_name"),
        (row("register", "F1000402", "2025-01-02", "H-41", "Farm", city=""), "city"),
        (row("register", "F1000403", "2025-01-02", "H-42", "Farm", province="ZZ"), "province"),
        (row("register", "F1000404", "2025-01-02", "H-43", "Farm", postal_code="V5K 0A1"), "postal_code"),
        (row("update_holder", "F1000001", reference="H-1", name="Farm"), "number"),
        (row("update_holder", effective="2025-01-02", reference="H-1", name="Farm"), "effective_date"),
        (row("update_holder", reference="H-1"), "holder_name"),
        (row("suspend", "", "2025-01-02"), "number"),
        (row("suspend", "F1000001", ""), "effective_date"),
        (row("register", "F1000405", "2025-01-02", "", "Farm"), "holder_reference"),
        (row("register", "F1000406", "2025-01-02", "H 4/6", "Farm"), "holder_reference"),
        (row("suspend", "F1000001", "2025-05-01", "H-1"), "holder_name"),
        (row("suspend", "F1000001", "2025-05-01", reason="r" * 301), "reason"),
        (row("freeze", "F1000001", "2025-05-01"), "action"),
    ],
    ids=[
        "name too long",
        "no city",
        "unknown province",
        "postal code of another province",
        "number on a holder update",
        "date on a holder update",
        "holder update without details",
        "no number",
        "no date",
        "no holder reference",
        "holder reference of other characters",
        "holder on a status change",
        "reason too long",
        "unknown action",
    ],
)
def test_each_row_of_a_wrong_form_is_refused_naming_its_field(bad_row, field):
    registry()
    result = services.registry_file_import(
        stream=csv_file([bad_row]), filename="form.csv", actor=staff_actor(), validate_only=True
    )
    assert not result.ok
    assert [(e.line, e.field) for e in result.errors] == [(2, field)]
    assert str(result.errors[0]).startswith(f"Line 2, {field}: ")
