"""Staff administration of programs' reference data: the programs, the dated tax rates (loaded from
programs/rates/*.yaml, read only here) and the holidays due dates move around."""

from django.contrib import admin

from programs.models import Holiday, Program, TaxRate
from tracs.admin import ReadOnlyAdmin


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "code", "files_returns"]


@admin.register(TaxRate)
class TaxRateAdmin(ReadOnlyAdmin):
    """Read-only: rates change by a reviewed YAML entry with its source, never by an admin edit."""

    list_display = ["tax", "fuel", "effective_from", "value", "source"]
    list_filter = ["tax", "fuel"]


@admin.register(Holiday)
class HolidayAdmin(TaxRateAdmin):
    list_display = ["date", "name"]
    list_filter = []
