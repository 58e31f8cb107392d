"""Staff keep the exemption registry in admin: add a holder and a number, change a status (the open period
closes, the next opens; a refused change shows its reason), import a file (check only, then import; errors with
line and column; nothing stored), and run the same import from the command line."""

from datetime import date
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import AccessLogEntry
from programs.registries.models import ExemptionCertificate, ExemptionHolder, ExemptionImport
from tests.accounts.factories import UserFactory, staff_member
from tests.conftest import sign_in
from tests.programs.registry_helpers import csv_file, periods, registry, row

pytestmark = pytest.mark.django_db

IMPORT = "admin:programs_exemptioncertificate_import"


@pytest.fixture
def staff_client(client):
    return sign_in(client, UserFactory(is_staff=True, is_superuser=True))


HISTORY = {"periods-TOTAL_FORMS": "0", "periods-INITIAL_FORMS": "0"}  # the read-only history inline's formset


def _upload(rows, name="changes.csv"):
    return SimpleUploadedFile(name, csv_file(rows).getvalue(), content_type="text/csv")


def test_staff_add_a_holder_and_register_a_number(staff_client):
    response = staff_client.post(
        reverse("admin:programs_exemptionholder_add"),
        {
            "reference": "h-50",
            "name": "Fifty Acres",
            "line1": "RR 5",
            "line2": "",
            "city": "Olds",
            "province": "AB",
            "postal_code": "t4h1a1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    holder = ExemptionHolder.objects.get(reference="H-50")
    assert holder.postal_code == "T4H 1A1"
    response = staff_client.post(
        reverse("admin:programs_exemptioncertificate_add"),
        {"number": "f 100-0050", "holder": holder.pk, "registered_on": "2025-04-01", "reason": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert periods("F1000050") == [("active", date(2025, 4, 1), date(2028, 4, 1))]
    assert AccessLogEntry.objects.filter(
        action="exemption registry: register", detail__startswith="F1000050"
    ).exists()


def test_a_number_registered_twice_is_refused_on_the_form(staff_client):
    certificates = registry()
    response = staff_client.post(
        reverse("admin:programs_exemptioncertificate_add"),
        {"number": "F1000001", "holder": certificates["F1000001"].holder_id, "registered_on": "2025-04-01"},
    )
    assert response.status_code == 200
    assert "F1000001 is already registered" in response.content.decode()


def test_a_status_change_on_the_certificate_page_closes_and_opens_periods(staff_client):
    certificate = registry()["T2000001"]
    url = reverse("admin:programs_exemptioncertificate_change", args=[certificate.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert "Leduc County Roads" in page.content.decode()  # staff see the holder
    assert AccessLogEntry.objects.filter(action__contains="opened in staff administration").exists()
    response = staff_client.post(
        url, {"status_action": "suspend", "effective_on": "2025-02-01", "reason": "Audit", **HISTORY}
    )
    assert response.status_code == 302
    assert periods("T2000001") == [
        ("active", date(2018, 1, 15), date(2025, 2, 1)),
        ("suspended", date(2025, 2, 1), None),
    ]


def test_a_refused_status_change_shows_why_and_changes_nothing(staff_client):
    certificate = registry()["T2000001"]
    url = reverse("admin:programs_exemptioncertificate_change", args=[certificate.pk])
    response = staff_client.post(
        url, {"status_action": "reinstate", "effective_on": "2025-02-01", "reason": "", **HISTORY}
    )
    assert response.status_code == 200
    assert "is not suspended on that date" in response.content.decode()
    assert periods("T2000001") == [("active", date(2018, 1, 15), None)]


def test_the_list_shows_each_numbers_status_today(staff_client):
    registry()
    page = staff_client.get(
        reverse("admin:programs_exemptioncertificate_changelist"), {"status_today": "suspended"}
    )
    body = page.content.decode()
    assert "T2000002" in body
    assert "T2000001" not in body
    assert reverse(IMPORT) in body


def test_check_only_then_import(staff_client):
    rows = [
        row("register", "F1000060", "2025-01-02", "H-60", "Sixty Farm"),
        row("suspend", "F1000060", "2025-03-01"),
    ]
    checked = staff_client.post(reverse(IMPORT), {"file": _upload(rows), "check": "1"})
    assert checked.status_code == 200
    assert "No errors in 2 change(s): register 1, suspend 1. Nothing was stored" in checked.content.decode()
    assert not ExemptionCertificate.objects.exists()
    imported = staff_client.post(reverse(IMPORT), {"file": _upload(rows), "import": "1"}, follow=True)
    assert [str(m) for m in imported.context["messages"]] == [
        "changes.csv imported: 2 change(s) stored (register 1, suspend 1)."
    ]
    assert periods("F1000060") == [
        ("active", date(2025, 1, 2), date(2025, 3, 1)),
        ("suspended", date(2025, 3, 1), None),
    ]
    assert ExemptionImport.objects.get().filename == "changes.csv"


def test_an_import_with_errors_lists_them_with_line_and_column_and_stores_nothing(staff_client):
    rows = [
        row("register", "F1000070", "2025-01-02", "H-70", "Seventy Farm"),
        row("register", "F1000071", "2025/01/02", "H-71", "Seventy-One Farm"),  # line 3
        row("register", "F1000072", "2025-01-02", "H-72", "Seventy-Two Farm"),
        row("register", "F1000073", "2025-01-02", "H-73", "Seventy-Three Farm"),
        row("register", "F1000074", "2025-01-02", "H-74", "Seventy-Four Farm"),
        row("frobnicate", "F1000075", "2025-01-02"),  # line 7
    ]
    response = staff_client.post(reverse(IMPORT), {"file": _upload(rows), "import": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 errors: nothing was stored." in body
    assert "Line 3, effective_date: Enter the date as YYYY-MM-DD" in body
    assert "Line 7, action: “frobnicate” is not an action" in body
    assert not ExemptionCertificate.objects.exists()
    assert not ExemptionHolder.objects.exists()


REGISTRY_PAGES = [
    ("admin:programs_exemptioncertificate_changelist", "view"),
    ("admin:programs_exemptionholder_changelist", "view"),
    ("admin:programs_exemptionimport_changelist", "view"),
    ("admin:programs_exemptioncertificate_add", "change"),
    ("admin:programs_exemptionholder_add", "change"),
    (IMPORT, "change"),
]


@pytest.mark.parametrize(
    ("role", "may"),
    [("exemptions_officer", {"view", "change"}), ("auditor", {"view"}), ("registration_officer", set())],
)
@pytest.mark.parametrize(("page", "needs"), REGISTRY_PAGES)
def test_the_registry_is_the_exemptions_officers(client, role, may, page, needs):
    """docs/staff-roles.md: the exemptions officer keeps the registry, the auditor reads it, other roles do not
    reach it."""
    sign_in(client, staff_member(role))
    expected = 200 if needs in may else 403
    assert client.get(reverse(page)).status_code == expected


def test_an_auditor_cannot_import_or_change_a_status(client):
    certificate = registry()["T2000001"]
    sign_in(client, staff_member("auditor"))
    upload = _upload([row("register", "F1000080", "2025-01-02", "H-80", "X")])
    assert client.post(reverse(IMPORT), {"file": upload, "import": "1"}).status_code == 403
    url = reverse("admin:programs_exemptioncertificate_change", args=[certificate.pk])
    assert client.get(url).status_code == 200  # reads it, holder and all
    client.post(url, {"status_action": "cancel", "effective_on": "2025-02-01", **HISTORY})
    assert periods("T2000001") == [("active", date(2018, 1, 15), None)]
    assert not ExemptionCertificate.objects.filter(number="F1000080").exists()


def test_an_exemptions_officer_imports(client):
    sign_in(client, staff_member("exemptions_officer"))
    upload = _upload([row("register", "F1000081", "2025-01-02", "H-81", "Eighty-One Farm")])
    client.post(reverse(IMPORT), {"file": upload, "import": "1"})
    assert ExemptionCertificate.objects.filter(number="F1000081").exists()


def test_the_command_imports_and_reports_errors(tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file([row("register", "T2000090", "2025-01-02", "H-90", "Ninety Ltd.")]).getvalue())
    out = StringIO()
    call_command("exemption_registry_import", str(good), "--check", stdout=out)
    assert "1 change(s) checked, nothing stored" in out.getvalue()
    assert not ExemptionCertificate.objects.exists()
    call_command("exemption_registry_import", str(good), stdout=out)
    assert ExemptionCertificate.objects.filter(number="T2000090").exists()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([row("suspend", "T2000091", "2025-01-02")]).getvalue())
    err = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("exemption_registry_import", str(bad), stderr=err)
    assert "Line 2, number: T2000091 is not registered" in err.getvalue()
