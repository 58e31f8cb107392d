"""The Sales Summary of a marked-fuel seller (assessments.cycles.views), under /accounts/<number>/marked-fuel/
beside the seller's other reports (filings.sales.urls_web)."""

from django.urls import path

from assessments.cycles import views

urlpatterns = [
    path(
        "accounts/<str:number>/marked-fuel/sales-summary/",
        views.marked_fuel_sales_summary,
        name="marked_fuel_sales_summary",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales-summary/excel/",
        views.marked_fuel_sales_summary_excel,
        name="marked_fuel_sales_summary_excel",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales-summary/excel/<int:export_id>/",
        views.marked_fuel_sales_summary_excel_status,
        name="marked_fuel_sales_summary_excel_status",
    ),
    path(
        "accounts/<str:number>/marked-fuel/sales-summary/excel/<int:export_id>/download/",
        views.marked_fuel_sales_summary_excel_download,
        name="marked_fuel_sales_summary_excel_download",
    ),
]
