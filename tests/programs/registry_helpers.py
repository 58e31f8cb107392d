"""What the exemption registry's tests share: a CSV import file from rows, and a registry of a few holders."""

from __future__ import annotations

import io
from datetime import date

from accounts.actors import Door
from programs.registries import services
from programs.registries.models import ExemptionCertificate
from tests.accounts.factories import UserFactory, actor_for

ADDRESS = {
    "address_line1": "RR 2",
    "address_line2": "",
    "city": "Lacombe",
    "province": "AB",
    "postal_code": "T4L 2N2",
}


def row(
    action: str,
    number: str = "",
    effective: str = "",
    reference: str = "",
    name: str = "",
    reason: str = "",
    **address,
) -> dict:
    details = {**ADDRESS, **address} if name else {key: "" for key in ADDRESS}
    return {
        "action": action,
        "number": number,
        "effective_date": effective,
        "holder_reference": reference,
        "holder_name": name,
        **details,
        "reason": reason,
    }


def csv_file(rows: list[dict], header: list[str] | None = None) -> io.BytesIO:
    header = header or services.HEADER
    lines = [",".join(header)]
    for item in rows:
        lines.append(",".join(str(item.get(column, "")) for column in header))
    return io.BytesIO(("\n".join(lines) + "\n").encode())


REGISTRY_ROWS = [
    row("register", "F1000001", "2024-03-01", "H-1", "Prairie Acres Farm"),
    row("register", "T2000001", "2018-01-15", "H-2", "Leduc County Roads"),
    row("register", "CL3000001", "2018-01-15", "H-2"),
    row("register", "T2000002", "2021-05-01", "H-3", "Northern Heating Ltd."),
    row("suspend", "T2000002", "2025-09-01", reason="Audit"),
    row("register", "F1000002", "2023-01-10", "H-4", "Old Quarter Farm"),
    row("cancel", "F1000002", "2024-06-30", reason="No longer farming"),
]


def staff_actor():
    return actor_for(UserFactory(is_staff=True), door=Door.ADMIN)


def registry(actor=None) -> dict[str, ExemptionCertificate]:
    """An active farmer (AFFB from 2024-03-01), a TEFU holder with a carbon levy certificate, a suspended TEFU and
    a cancelled AFFB."""
    actor = actor or staff_actor()
    result = services.registry_file_import(
        stream=csv_file(REGISTRY_ROWS),
        filename="registry.csv",
        actor=actor,
    )
    assert result.stored, result.errors
    return {c.number: c for c in ExemptionCertificate.objects.all()}


def periods(number: str) -> list[tuple[str, date, date | None]]:
    certificate = ExemptionCertificate.objects.get(number=number)
    return [(p.status, p.valid_from, p.valid_to) for p in certificate.periods.order_by("during")]
