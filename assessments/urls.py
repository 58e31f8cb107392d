from django.urls import path

from assessments import views

# Every account-scoped path carries the account number as `number` (consent.access.account_view).
urlpatterns = [
    path("accounts/<str:number>/assessments/", views.assessment_status, name="assessment_status"),
    path("accounts/<str:number>/notices/", views.notice_list, name="notice_list"),
    path("accounts/<str:number>/notices/<int:notice_id>.pdf", views.notice_download, name="notice_download"),
    path("accounts/<str:number>/transactions/", views.transactions, name="transactions"),
    path("accounts/<str:number>/transactions/print/", views.transactions_print, name="transactions_print"),
    path("accounts/<str:number>/transactions.csv", views.transactions_csv, name="transactions_csv"),
    path("accounts/<str:number>/transactions.xlsx", views.transactions_xlsx, name="transactions_xlsx"),
    path("accounts/<str:number>/balances/", views.balances, name="balances"),
    path("accounts/<str:number>/payment-options/", views.payment_options, name="payment_options"),
    # Public: how to pay TRA (linked from the balance page). Before programs' help/<code>/ in tracs/urls.py.
    path("help/payments/", views.payment_instructions, name="payment_instructions"),
]

# File a Notice of Objection (AT4762) and Request a Waiver of Penalties and Interest (AT4764).
from assessments import views_objections as objection_views  # noqa: E402
from assessments import views_waivers as waiver_views  # noqa: E402

urlpatterns += [
    path("accounts/<str:number>/objections/", objection_views.objections_list, name="objections_list"),
    path(
        "accounts/<str:number>/objections/<int:objection_id>/",
        objection_views.objection_detail,
        name="objection_detail",
    ),
    path(
        "accounts/<str:number>/objections/<int:objection_id>/documents/<int:document_id>/",
        objection_views.objection_document,
        name="objection_document",
    ),
    path(
        "accounts/<str:number>/waivers/<int:waiver_id>/documents/<int:document_id>/",
        waiver_views.waiver_document,
        name="waiver_document",
    ),
    path("accounts/<str:number>/objections/new/", objection_views.objection_new, name="objection_new"),
    path(
        "accounts/<str:number>/objections/new/statement/",
        objection_views.objection_statement,
        name="objection_statement",
    ),
    path(
        "accounts/<str:number>/objections/new/documents/",
        objection_views.objection_documents,
        name="objection_documents",
    ),
    path(
        "accounts/<str:number>/objections/new/representative/",
        objection_views.objection_representative,
        name="objection_representative",
    ),
    path(
        "accounts/<str:number>/objections/new/review/",
        objection_views.objection_review,
        name="objection_review",
    ),
    path(
        "accounts/<str:number>/objections/new/cancel/",
        objection_views.objection_cancel,
        name="objection_cancel",
    ),
    path("accounts/<str:number>/waivers/<int:waiver_id>/", waiver_views.waiver_detail, name="waiver_detail"),
    path("accounts/<str:number>/waivers/new/", waiver_views.waiver_new, name="waiver_new"),
    path(
        "accounts/<str:number>/waivers/new/statement/",
        waiver_views.waiver_statement,
        name="waiver_statement",
    ),
    path(
        "accounts/<str:number>/waivers/new/documents/",
        waiver_views.waiver_documents,
        name="waiver_documents",
    ),
    path(
        "accounts/<str:number>/waivers/new/representative/",
        waiver_views.waiver_representative,
        name="waiver_representative",
    ),
    path("accounts/<str:number>/waivers/new/review/", waiver_views.waiver_review, name="waiver_review"),
    path("accounts/<str:number>/waivers/new/cancel/", waiver_views.waiver_cancel, name="waiver_cancel"),
]

# The marked-fuel seller's Sales Summary and its Excel (assessments/cycles/).
from assessments.cycles.urls import urlpatterns as cycle_urlpatterns  # noqa: E402

urlpatterns += cycle_urlpatterns
