"""The marked-fuel seller's web pages (filings.sales.views_entry, views_changes, views_rejected, views_report),
under /accounts/<number>/marked-fuel/ beside Check AFFB/TEFU Eligibility (programs.urls). `period` is filings.urls'
month converter."""

from django.urls import path

from filings.sales import views_changes, views_entry, views_inventory, views_rejected, views_report

urlpatterns = [
    path("accounts/<str:number>/marked-fuel/sales/", views_entry.marked_fuel_sales, name="marked_fuel_sales"),
    path(
        "accounts/<str:number>/marked-fuel/sales/rejected/",
        views_rejected.marked_fuel_rejected,
        name="marked_fuel_rejected",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales/rejected/export.xlsx",
        views_rejected.marked_fuel_rejected_xlsx,
        name="marked_fuel_rejected_xlsx",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales/rejected/<int:rejected_id>/correct/",
        views_entry.marked_fuel_rejected_correct,
        name="marked_fuel_rejected_correct",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales/<period:period>/",
        views_changes.marked_fuel_sales_month,
        name="marked_fuel_sales_month",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales/<int:sale_id>/change/",
        views_changes.marked_fuel_sale_change,
        name="marked_fuel_sale_change",
    ),
    path(
        "accounts/<str:number>/marked-fuel/acquisitions/",
        views_entry.marked_fuel_acquisitions,
        name="marked_fuel_acquisitions",
    ),
    path(
        "accounts/<str:number>/marked-fuel/dispositions/",
        views_entry.marked_fuel_dispositions,
        name="marked_fuel_dispositions",
    ),
    path(
        "accounts/<str:number>/marked-fuel/movements/<period:period>/",
        views_changes.marked_fuel_movements_month,
        name="marked_fuel_movements_month",
    ),
    path(
        "accounts/<str:number>/marked-fuel/movements/<int:movement_id>/change/",
        views_changes.marked_fuel_movement_change,
        name="marked_fuel_movement_change",
    ),
    path(
        "accounts/<str:number>/marked-fuel/inventory/",
        views_entry.marked_fuel_inventory,
        name="marked_fuel_inventory",
    ),
    path(
        "accounts/<str:number>/marked-fuel/inventory/summary/",
        views_inventory.marked_fuel_inventory_summary,
        name="marked_fuel_inventory_summary",
    ),
    path(
        "accounts/<str:number>/marked-fuel/inventory/summary/export.xlsx",
        views_inventory.marked_fuel_inventory_summary_xlsx,
        name="marked_fuel_inventory_summary_xlsx",
    ),
    path(
        "accounts/<str:number>/marked-fuel/reports/",
        views_report.marked_fuel_reports,
        name="marked_fuel_reports",
    ),
    path(
        "accounts/<str:number>/marked-fuel/reports/<period:period>/",
        views_report.marked_fuel_report_month,
        name="marked_fuel_report_month",
    ),
    path(
        "accounts/<str:number>/marked-fuel/reports/confirmation/<str:report_number>/",
        views_report.marked_fuel_report_confirmation,
        name="marked_fuel_report_confirmation",
    ),
    path(
        "accounts/<str:number>/marked-fuel/reports/confirmation/<str:report_number>/pdf/",
        views_report.marked_fuel_report_pdf,
        name="marked_fuel_report_pdf",
    ),
]
