from django.contrib import admin

from programs.models import Holiday, Program, TaxRate


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "code", "files_returns"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    """Read-only: rates change by a reviewed YAML entry with its source, never by an admin edit."""

    list_display = ["tax", "fuel", "effective_from", "value", "source"]
    list_filter = ["tax", "fuel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(TaxRateAdmin):
    list_display = ["date", "name"]
    list_filter = []
