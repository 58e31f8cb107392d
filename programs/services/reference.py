"""Reference data every program reads: the programs themselves, the dated tax rates and the Alberta holidays,
loaded from their YAML (programs/reference/, programs/rates/) into tables so SQL can join them."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.db import transaction

from programs import dates, rates
from programs.models import Holiday, Program, TaxRate

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


def reference_data_load(*, using: str = "default") -> None:
    """Load programs, rates and holidays from their YAML into tables. Idempotent: run on every migrate."""
    with transaction.atomic(using=using):
        programs = yaml.safe_load((REFERENCE_DIR / "programs.yaml").read_text())["programs"]
        for item in programs:
            Program.objects.using(using).update_or_create(
                code=item["code"],
                defaults={
                    "number": item["number"],
                    "name": item["name"],
                    "description": item.get("description", ""),
                    "files_returns": item.get("files_returns", False),
                },
            )
        TaxRate.objects.using(using).all().delete()
        TaxRate.objects.using(using).bulk_create(
            TaxRate(tax=r.tax, fuel=r.fuel, effective_from=r.effective_from, value=r.value, source=r.source)
            for schedule in rates.schedules().values()
            for fuel_rows in schedule.entries.values()
            for r in fuel_rows
        )
        Holiday.objects.using(using).all().delete()
        Holiday.objects.using(using).bulk_create(
            Holiday(date=day, name=name) for day, name in dates.holidays().items()
        )
